"""Shared helpers of the baseline tests: run the CLI in-process, write baseline files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from endpoint_audit.cli.app import app
from tests.replay_cases import with_cases

FIXTURES = Path(__file__).parent.parent / "fixtures"
# Today's bundles, frozen (tests/fixtures/frozen/expected.yaml).
BUNDLES = FIXTURES / "frozen"
# Windows 11 23H2 Pro as recorded in 2024, with what checks added since read of it.
ADDED_SINCE = (
    "antivirus/win11-23h2-defender-on",
    "local_admins/win11-domain-admins-only",
    "os_support/win11-23h2-pro-2024",
    "password_policy/win11-23h2-cis-policy",
    "secure_boot/win11-23h2-compliant",
    # The rules of jp-municipal-telework.
    "jp.autologon_disabled/win11-24h2-ja-autologon-absent",
    "jp.bitlocker_to_go_required/win11-23h2-en-rdv-deny-write",
    "jp.guest_account_disabled/win11-23h2-en-guest-disabled",
    "jp.llmnr_disabled/win11-23h2-en-llmnr-off",
    "jp.logon_events_audited/win11-23h2-en-logon-success-failure",
    "jp.office_macros_blocked/win11-23h2-en-macros-blocked",
    "jp.removable_storage_restricted/win11-23h2-en-deny-all",
    "jp.smb1_server_disabled/win11-24h2-ja-smb1-feature-disabled",
)
COMPLIANT = with_cases(
    BUNDLES / "tw-pc-001-compliant.yaml", (*ADDED_SINCE, "jp.rdp_disabled/win11-23h2-en-rdp-denied")
)  # passes every baseline
RDP = with_cases(
    BUNDLES / "tw-pc-002-rdp.yaml", (*ADDED_SINCE, "jp.rdp_disabled/win11-24h2-ja-rdp-allowed")
)  # Remote Desktop on 3389, allowed by fDenyTSConnections = 0
BROKEN = FIXTURES / "broken"
SHIPPED = ("jp-municipal-telework", "cis-level1", "minimal")


class Ran:
    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.code, self.stdout, self.stderr = code, stdout, stderr

    def json(self) -> Any:
        return json.loads(self.stdout)


def run(*args: str | Path) -> Ran:
    """The CLI in-process, with English messages whatever the machine's locale."""
    result = CliRunner().invoke(
        app,
        [str(a) for a in args],
        env={"ENDPOINT_AUDIT_LANG": "en", "LANG": "C.UTF-8"},
        catch_exceptions=False,
    )
    return Ran(result.exit_code, result.stdout, result.stderr)


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def tailoring(path: Path, extends: str, checks: dict[str, Any] | None = None, **extra: Any) -> Path:
    """A baseline file that extends `extends`."""
    data: dict[str, Any] = {
        "id": path.stem,
        "title": {"ja": "テスト", "en": "Test"},
        "version": "1",
        "extends": extends,
        "checks": checks or {},
        **extra,
    }
    return write_yaml(path, data)
