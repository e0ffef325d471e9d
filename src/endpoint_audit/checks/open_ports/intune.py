"""open_ports for `probe export --intune-compliance`: the settings of
compliance/intune_settings.ps1 and the rules that judge them with the baseline's parameters.

    OpenPortsAnswer       String  Read | Malformed | Unknown         IsEquals Read
    OpenPortsNotAllowed   Int64   listeners on the addresses the check judges that the
                                  baseline does not allow (a forbidden process, a
                                  forbidden port not allowed, or with only_allowed a port
                                  not allowed), System's SMB and NetBIOS aside while
                                  judge_exposure; -1 not seen     IsEquals 0
    OpenPortsFileSharing  Int64   SMB and NetBIOS ports (445/tcp, 139/tcp, 137/udp,
                                  138/udp) such a listener of System (PID 4) is on that
                                  the firewall is not known to keep the network from;
                                  -1 not seen
                                                                  IsEquals 0
    OpenPortsUnjudged     Int64   listeners that cannot be judged: no owner seen while the
                                  baseline forbids processes, or an address or process
                                  name in text the script does not compare; -1 not seen
                                                                  IsEquals 0

Together the rules pass exactly when the check passes, stricter only for texts outside
printable ASCII (interface names: also Japanese kana and kanji) and numbers of more than
18 digits (docs/deploy-probes.md). The baseline's ports reach the script as numbers and
its process names as ASCII string expressions (`ps_string`), never spliced as text.
"""

from __future__ import annotations

from endpoint_audit.checkkit.intune import IntuneSettings, RuleMaker, compliance_script, ps_string
from endpoint_audit.checkkit.windows_firewall import FIREWALL_PRODUCTS, FIREWALL_PROFILES
from endpoint_audit.checks.open_ports.check import OpenPortsParams, PortRange
from endpoint_audit.checks.open_ports.windows import FILE_SHARING, LISTENING_SOCKETS
from endpoint_audit.model.commands import PowerShell
from endpoint_audit.model.intune import IntuneRule

TEXT = "open_ports.intune"
SETTINGS = ("OpenPortsAnswer", "OpenPortsNotAllowed", "OpenPortsFileSharing", "OpenPortsUnjudged")

# The profiles' answer is a list; the script keeps only an answer that is a table.
PROFILES = PowerShell(
    "open_ports_firewall_profiles",
    FIREWALL_PROFILES.script.rstrip() + "\n$result = @{ profiles = $result }\n",
    clm_safe=True,  # the probe is
)


def _ranges(name: str, specs: list[str]) -> str:
    ranges = [PortRange(s) for s in specs]
    low = ", ".join(str(r.low) for r in ranges)
    high = ", ".join(str(r.high) for r in ranges)
    protocols = ", ".join(f"'{r.protocol or ''}'" for r in ranges)
    return (
        f"$EAOpenPorts{name}Low = @({low})\n"
        f"$EAOpenPorts{name}High = @({high})\n"
        f"$EAOpenPorts{name}Protocol = @({protocols})\n"
    )


def process_names(names: list[str]) -> list[str]:
    """The names as check.py compares them (lowered), those the snippet can meet: a host's
    name is compared only where it is printable ASCII."""
    lowered = sorted({n.lower() for n in names})
    return [n for n in lowered if n.isascii() and n.isprintable()]


def _flag(value: bool) -> str:
    return "$true" if value else "$false"


def prelude(params: OpenPortsParams) -> str:
    """The parameters as data: ports as numbers, the protocol one of two words, names as
    ASCII string expressions. A name list that is not empty stays so (a name the snippet
    never meets still makes unread owners count)."""
    forbidden = [ps_string(n) for n in process_names(params.forbidden_processes)]
    if params.forbidden_processes and not forbidden:
        forbidden = [ps_string("\x00")]  # matches no name the snippet compares
    allowed = [ps_string(n) for n in process_names(params.allowed_processes)]
    if params.allowed_processes and not allowed:
        allowed = [ps_string("\x00")]
    return (
        _ranges("Forbidden", params.forbidden_ports)
        + _ranges("Allowed", params.allowed_ports)
        + f"$EAOpenPortsForbiddenProcesses = @({', '.join(forbidden)})\n"
        + f"$EAOpenPortsAllowedProcesses = @({', '.join(allowed)})\n"
        + f"$EAOpenPortsOnlyAllowed = {_flag(params.only_allowed)}\n"
        + f"$EAOpenPortsIncludeLoopback = {_flag(params.include_loopback)}\n"
        + f"$EAOpenPortsJudgeExposure = {_flag(params.judge_exposure)}\n"
    )


_rule = RuleMaker(TEXT)


def rules(params: OpenPortsParams, more_info_url: str) -> list[IntuneRule]:
    return [
        _rule("OpenPortsAnswer", "IsEquals", "Read", "answer", more_info_url),
        _rule("OpenPortsNotAllowed", "IsEquals", 0, "not_allowed", more_info_url),
        _rule("OpenPortsFileSharing", "IsEquals", 0, "file_sharing", more_info_url),
        _rule("OpenPortsUnjudged", "IsEquals", 0, "unjudged", more_info_url),
    ]


INTUNE = IntuneSettings(
    check_id="open_ports",
    probe=LISTENING_SOCKETS,
    settings_script=compliance_script(__name__, "intune_settings"),
    settings=SETTINGS,
    rules=rules,
    prelude=prelude,
    extra_probes=(FILE_SHARING, PROFILES, FIREWALL_PRODUCTS),
)
