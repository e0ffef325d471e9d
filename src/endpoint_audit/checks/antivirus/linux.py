"""antivirus on Linux: the agents a baseline may require (ClamAV, mdatp). Every agent is
looked for; the check judges only those the baseline names (agents.py says what is read)."""

from __future__ import annotations

from endpoint_audit.checkkit import Collector, Results, require
from endpoint_audit.checks.antivirus.agents import (
    CLAMAV_HEADERS,
    CLAMAV_STAT,
    CLAMONACC,
    clamav_status,
    mdatp_command,
    mdatp_status,
)
from endpoint_audit.checks.antivirus.facts import AntivirusFacts
from endpoint_audit.model.platform import OsFamily, PlatformInfo

MDATP = mdatp_command("mdatp")


class LinuxAntivirus(Collector[AntivirusFacts]):
    family = OsFamily.LINUX
    fact_type = AntivirusFacts
    asks = (MDATP, CLAMAV_STAT, *CLAMAV_HEADERS.values(), CLAMONACC)

    def parse(self, results: Results, platform: PlatformInfo) -> AntivirusFacts:
        return AntivirusFacts(
            agents={
                "mdatp": mdatp_status(require(results, MDATP)),
                "clamav": clamav_status(results),
            },
            sources=tuple(c.key for c in self.asks),
        )
