"""`probe export --intune-compliance` for the open_ports check: for every recorded Windows
answer the rules judge the script's settings as `evaluate` judges the PC, the baseline's
ports and names reach the script as data, and no answer, recorded or made up, is
compliant in Intune where the check does not pass. Stricter only where
docs/deploy-probes.md says: texts outside printable ASCII (interface names: also kana and
kanji), numbers of more than 18 digits or of other forms than the probes write."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from endpoint_audit.checkkit.check import EvalContext, FactView
from endpoint_audit.checks.open_ports.check import OpenPorts, OpenPortsParams
from endpoint_audit.checks.open_ports.facts import ListeningPortsFacts
from endpoint_audit.checks.open_ports.intune import INTUNE, PROFILES, prelude
from endpoint_audit.checks.open_ports.windows import WindowsListeningPorts
from endpoint_audit.errors import CollectorError, FactUnavailable
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from tests.probe_export import intune_harness
from tests.probe_export.intune_harness import (
    MISSING,
    PASSING,
    SCHEMA,
    URL,
    drop_missing,
    export,
    windows_cases,
    write_baseline,
)
from tests.probe_export.intune_operators import compliant
from tests.probe_export.intune_settings_open_ports import open_ports_settings
from tests.probe_export.recorded import recorded_answer
from tests.replay_cases import all_cases, case_path
from tests.windows.clm_lint import clm_violations
from tests.windows.test_powershell import syntax_errors

KEY = "ps:listening_sockets"
EXTRA = ("ps:file_sharing", "ps:firewall_profiles", "ps:firewall_products")
CASES = windows_cases(KEY)
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def mostly(good: Any, *others: Any) -> st.SearchStrategy[Any]:
    return intune_harness.mostly(good, *others, keep=4)


def intune_rules(params: OpenPortsParams) -> dict[str, Any]:
    return {"Rules": [r.model_dump(by_alias=True) for r in INTUNE.rules(params, URL)]}


def script_answers(sharing: Any, profiles: Any, products: Any) -> dict[str, Any]:
    """$EAProbes as the script keeps them: a table, or None."""
    wrapped = None if profiles is None else {"profiles": profiles}
    found = {
        "file_sharing": sharing,
        PROFILES.name: wrapped,
        "firewall_products": products,
    }
    return {k: v if isinstance(v, dict) else None for k, v in found.items()}


def intune_compliant(
    sockets: Any, sharing: Any, profiles: Any, products: Any, params: OpenPortsParams
) -> bool:
    found = open_ports_settings(sockets, script_answers(sharing, profiles, products), params)
    return compliant(intune_rules(params), json.dumps(found, separators=(",", ":")))


def _result(answer: Any) -> CommandResult:
    if answer is None:
        return CommandResult(exit_status=1, stdout="", stderr="failed", duration=0.1)
    return CommandResult(exit_status=0, stdout=json.dumps(answer), stderr="", duration=0.1)


def evaluated_compliant(
    sockets: Any, sharing: Any, profiles: Any, products: Any, params: OpenPortsParams
) -> bool:
    """The check's verdict on these answers (None: the probe failed)."""
    collector = WindowsListeningPorts()
    results = {
        probe.key: _result(answer)
        for probe, answer in zip(
            collector.asks, (sockets, sharing, profiles, products), strict=True
        )
    }
    platform = PlatformInfo(family=OsFamily.WINDOWS)
    try:
        fact = collector.parse(results, platform)
    except (CollectorError, FactUnavailable):
        return False
    ctx = EvalContext(platform=platform, now=NOW)
    outcomes = list(OpenPorts().evaluate(FactView({ListeningPortsFacts: fact}), params, ctx))
    return bool(outcomes) and all(o.status.value in PASSING for o in outcomes)


# --- the rules file and the script ----------------------------------------------------


def test_the_rules_validate_and_the_parameters_reach_the_script_as_data(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    odd = ["'; exit 0; '", "$(exit)", "総務課", 'svc"host', "Vnc\u212a"]
    params = {
        "forbidden_ports": ["23", "5900-5903/tcp", "69/udp"],
        "allowed_ports": ["22/tcp"],
        "forbidden_processes": odd,
        "allowed_processes": ["sshd"],
        "only_allowed": True,
    }
    script, rules = export(
        cli, tmp_path / "o", "-b", str(write_baseline(tmp_path, "open_ports", params))
    )
    jsonschema.validate(rules, SCHEMA)
    assert [r["SettingName"] for r in rules["Rules"]] == list(INTUNE.settings)
    for rule in rules["Rules"]:
        en, ja = rule["RemediationStrings"]
        assert (en["Language"], ja["Language"]) == ("en_US", "ja_JP")
        assert re.search(r"[ぁ-んァ-ヶ一-龯]", ja["Title"] + ja["Description"])
        assert "{ActualValue}" in en["Title"] and "{ActualValue}" in ja["Title"]
        assert rule["Operator"] == "IsEquals"
    assert script.isascii() and syntax_errors(script) == [] and clm_violations(script) == []
    assert "Checks: open_ports." in script
    assert "# --- open_ports: probe listening_sockets (FullLanguage only)" in script
    for extra in ("file_sharing", PROFILES.name, "firewall_products"):
        assert f"# ... open_ports: probe {extra} ..." in script
    lines = {x.split(" = ")[0]: x for x in script.splitlines() if x.startswith("$EAOpenPorts")}
    assert lines["$EAOpenPortsForbiddenLow"] == "$EAOpenPortsForbiddenLow = @(23, 5900, 69)"
    assert lines["$EAOpenPortsForbiddenHigh"] == "$EAOpenPortsForbiddenHigh = @(23, 5903, 69)"
    assert lines["$EAOpenPortsForbiddenProtocol"].endswith("@('', 'tcp', 'udp')")
    assert lines["$EAOpenPortsOnlyAllowed"].endswith("= $true")
    names = lines["$EAOpenPortsForbiddenProcesses"]
    # Lowered as check.py lowers them (the Kelvin sign is a k); the non-ASCII name, which
    # no name the script compares can equal, is left out; quotes and $( are escapes.
    assert "'vnck'" in names and "'svc\"host'" in names and "'$(exit)'" in names
    assert "[string][char]0x0027 + '; exit 0; ' + [string][char]0x0027" in names
    assert "総務課" not in names
    body = re.sub(r"'[^']*'", "''", names)
    assert "$(" not in body.split(" = ", 1)[1] and ";" not in body
    assert syntax_errors(names) == []


def test_a_name_list_of_names_never_compared_still_counts() -> None:
    text = prelude(OpenPortsParams(forbidden_processes=["総務課"]))
    assert "$EAOpenPortsForbiddenProcesses = @([string][char]0x0000)" in text
    assert syntax_errors(text) == [] and clm_violations(text) == []


def test_the_snippet_writes_the_vocabulary_of_the_rules() -> None:
    snippet = INTUNE.settings_script
    assert syntax_errors(snippet) == [] and clm_violations(snippet) == []
    head = snippet.split("if ($null -ne $EAProbe)")[0]
    assert "$EASettings['OpenPortsAnswer'] = 'Unknown'" in head
    for name in INTUNE.settings[1:]:
        assert f"$EASettings['{name}'] = [int64]-1" in head
    assert set(re.findall(r"\$EAAnswer = '(\w+)'", snippet)) == {"Read", "Malformed"}
    # Numbers and the probes' own words only: no localized text, no culture's case.
    assert ".ToLower()" not in snippet and ".ToUpper()" not in snippet
    assert " -match " not in snippet and " -like " not in snippet and " -eq '" not in snippet
    assert "DisplayGroup" not in snippet and "display_name" not in snippet


def test_kana_and_kanji_lower_to_themselves() -> None:
    for low, high in ((0x3001, 0x303F), (0x3041, 0x309F), (0x30A0, 0x30FF), (0x4E00, 0x9FFF),
                      (0xFF66, 0xFF9F)):  # fmt: skip
        assert all(chr(u).lower() == chr(u) for u in range(low, high + 1))
    # The only character outside ASCII that lowers into ASCII (to k): a baseline's name
    # is lowered in Python before the script sees it.
    assert [u for u in range(0x80, 0x110000) if chr(u).lower().isascii()] == [0x212A]


# --- the same verdicts as evaluate ------------------------------------------------------


def case_params(ref: str) -> dict[str, Any]:
    return all_cases()[ref].params if ref.startswith("open_ports/") else {}


def recorded(ref: str) -> tuple[Any, Any, Any, Any]:
    commands = all_cases()[ref].commands
    extra = [recorded_answer(ref, k) if k in commands else None for k in EXTRA]
    return (recorded_answer(ref, KEY), extra[0], extra[1], extra[2])


@pytest.mark.parametrize("ref", CASES)
def test_every_recorded_windows_answer_gets_the_verdict_evaluate_gives(
    ref: str, cli: Callable[..., Any], tmp_path: Path
) -> None:
    baseline = write_baseline(tmp_path, "open_ports", case_params(ref))
    result = cli("evaluate", str(case_path(ref)), "-b", str(baseline), "-f", "json")
    (host,) = json.loads(result.stdout)["hosts"]
    findings = [f for f in host["findings"] if f["check_id"] == "open_ports"]
    assert findings
    evaluated = host["status"] == "ok" and all(f["status"] in PASSING for f in findings)
    params = OpenPortsParams.model_validate(case_params(ref))
    assert intune_compliant(*recorded(ref), params) is evaluated
    assert evaluated_compliant(*recorded(ref), params) is evaluated


def test_the_recorded_cases_cover_both_verdicts_and_file_sharing() -> None:
    verdicts = set()
    shielded = set()
    for ref in CASES:
        params = OpenPortsParams.model_validate(case_params(ref))
        verdicts.add(intune_compliant(*recorded(ref), params))
        sockets, sharing, profiles, products = recorded(ref)
        found = open_ports_settings(sockets, script_answers(sharing, profiles, products), params)
        shielded.add(found["OpenPortsFileSharing"])
    assert verdicts == {True, False}
    assert {0, 1} <= shielded  # reachable file sharing and file sharing kept out both seen


GOOD = "open_ports/win11-24h2-ja-smb-domain-only"


def test_unreadable_evidence_is_never_compliant_and_parameters_count() -> None:
    params = OpenPortsParams.model_validate(case_params(GOOD))
    sockets, sharing, profiles, products = recorded(GOOD)
    assert intune_compliant(sockets, sharing, profiles, products, params)
    assert not intune_compliant(None, sharing, profiles, products, params)
    assert not intune_compliant({}, sharing, profiles, products, params)
    assert not intune_compliant({**sockets, "sockets": None}, sharing, profiles, products, params)
    # SMB listens: without the file-sharing or profile answers it is not known closed.
    for missing in ((None, profiles), (sharing, None), ({**sharing, "rules": None}, profiles),
                    ({**sharing, "active_profiles": None}, profiles),
                    ({**sharing, "active_profiles": 0}, profiles)):  # fmt: skip
        assert not intune_compliant(sockets, *missing, products, params)
        assert not evaluated_compliant(sockets, *missing, products, params)
    # The same answers judged without exposure: SMB listening is a forbidden port.
    plain = params.model_copy(update={"judge_exposure": False})
    assert not intune_compliant(sockets, sharing, profiles, products, plain)
    # The Domain profile, where the sharing rules apply, active too: reachable.
    domain = {**sharing, "active_profiles": 3}
    assert not intune_compliant(sockets, domain, profiles, products, params)
    assert not evaluated_compliant(sockets, domain, profiles, products, params)
    # A listener on a forbidden port, and one allowed by its process.
    rdp = {"protocol": "tcp", "address": "0.0.0.0", "port": 3389, "pid": 1112}
    more = {**sockets, "sockets": [*sockets["sockets"], rdp]}
    assert not intune_compliant(more, sharing, profiles, products, params)
    allow = params.model_copy(update={"allowed_processes": ["SVCHOST"]})
    assert intune_compliant(more, sharing, profiles, products, allow)
    assert evaluated_compliant(more, sharing, profiles, products, allow)
    # Loopback is not judged unless the baseline says so.
    local = {**rdp, "address": "127.0.0.1"}
    more = {**sockets, "sockets": [*sockets["sockets"], local]}
    assert intune_compliant(more, sharing, profiles, products, params)
    loop = params.model_copy(update={"include_loopback": True})
    assert not intune_compliant(more, sharing, profiles, products, loop)
    # An owner not seen while processes are forbidden: unjudged.
    hidden = {**rdp, "port": 8080, "pid": 99999}
    more = {**sockets, "sockets": [*sockets["sockets"], hidden]}
    assert intune_compliant(more, sharing, profiles, products, params)
    forbid = params.model_copy(update={"forbidden_processes": ["nc"]})
    assert not intune_compliant(more, sharing, profiles, products, forbid)
    assert not evaluated_compliant(more, sharing, profiles, products, forbid)


# --- made-up answers ----------------------------------------------------------------------

SPACES = ("", " ", "\t", "\u3000", "\x0b", "\n")


def spaced(text: str) -> list[str]:
    """`text` with blanks around it, those Python strips and PowerShell's trim does not."""
    return [a + text + b for a in SPACES for b in SPACES if a or b]


def socket(protocol: str, address: str, port: int, pid: int) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {
            "protocol": mostly(protocol, protocol.upper(), None, 6),
            "address": mostly(address, *spaced(address), "", " ", None, "fe80::1%12"),
            "port": mostly(port, str(port), f" {port} ", float(port), True, None, "x"),
            "pid": mostly(pid, str(pid), None, 99999),
        }
    ).map(drop_missing)


sockets_ = st.lists(
    st.one_of(
        socket("tcp", "0.0.0.0", 445, 4),
        socket("tcp", "::", 445, 4),
        socket("tcp", "192.168.1.20", 139, 4),
        socket("udp", "192.168.1.20", 137, 4),
        socket("udp", "192.168.1.20", 138, 4),
        socket("tcp", "0.0.0.0", 135, 1112),
        socket("tcp", "0.0.0.0", 3389, 1468),
        socket("tcp", "127.0.0.1", 5900, 2176),
        socket("tcp", "::1", 22, 2176),
        socket("udp", "0.0.0.0", 5353, 1796),
        st.sampled_from([None, "x", 1]),
    ),
    max_size=5,
)
process_ = st.fixed_dictionaries(
    {"name": mostly("svchost", "System", "sshd", " sshd", "\u3000nc", "nc", "ＶＮＣ", None, 3)}
).map(drop_missing)
listening = st.fixed_dictionaries(
    {
        "sockets": st.one_of(sockets_, st.sampled_from([MISSING, None, "x"])),
        "processes": st.one_of(
            st.dictionaries(st.sampled_from(["4", "1112", "1468", "2176", "1796"]), process_),
            st.sampled_from([MISSING, None, "x", []]),
        ),
    }
).map(drop_missing)

FPS = "@FirewallAPI.dll,-28502"


def rule_() -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {
            "name": mostly("FPS-SMB-In-TCP", " ", None, "\u3000"),
            "group": st.just(FPS),
            "action": mostly(2, 3, 4, "2", 2.0, None, True),
            "profile": mostly(1, 0, 2, 4, 6, -1, None, "2"),
            "protocol": mostly("TCP", "UDP", "6", "17", "Any", " tcp", "\u3000TCP", None, 1),
            "local_ports": mostly(
                ["445"], ["139"], ["137", "138"], ["Any"], ["100-500"], "445", [" 445 "],
                ["\u3000445"], ["0445"], ["1 - 65535"], ["1\t-9"], [], None, [7],
            ),
            "program": mostly("System", "Any", " system", "\u3000Any", "C:\\x.exe", None, 3),
            "package": mostly("", "Any", "*", "S-1-15-2-1", " *", None, 1),
            "service": mostly("Any", "", "LanmanServer", "\u3000any", None),
        }
    ).map(drop_missing)  # fmt: skip


sharing_ = st.fixed_dictionaries(
    {
        "active_profiles": mostly(2, 1, 4, 3, 0, 8, -1, "2", None),
        "connections": st.one_of(
            st.lists(
                st.fixed_dictionaries(
                    {"alias": mostly("Wi-Fi", "wi-fi", "イーサネット", "Ｗi-Fi", " ", None)}
                ).map(drop_missing),
                max_size=2,
            ),
            st.sampled_from([None, "x", [1]]),
        ),
        "rules": st.one_of(st.lists(rule_(), max_size=3), st.sampled_from([None, "x", [1]])),
        "shares": st.one_of(
            st.lists(
                st.fixed_dictionaries({"name": st.just("scan"), "type": mostly(0, 2147483648)}).map(
                    drop_missing
                ),
                max_size=2,
            ),
            st.sampled_from([None, [1], [{"name": "x"}]]),
        ),
    }
).map(drop_missing)


def profile_(name: str) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {
            "name": mostly(name, *spaced(name), name.lower(), "\u3000" + name),
            "enabled": mostly(1, 0, 2, "1", True, None),
            "default_inbound": mostly(0, 4, 2, "4", None),
            "disabled_interface_aliases": mostly(
                ["NotConfigured"], "NotConfigured", ["notconfigured "], [], ["Wi-Fi"],
                ["WI-FI"], ["イーサネット"], ["Ｗi-Fi"], ["\u3000NotConfigured"], [" "],
                None, [1],
            ),
        }
    ).map(drop_missing)  # fmt: skip


profiles_ = st.one_of(
    st.lists(st.one_of(profile_("Domain"), profile_("Private"), profile_("Public")), max_size=4),
    st.sampled_from([None, "x", [1]]),
)
products_ = st.fixed_dictionaries(
    {
        "installation_type": mostly("Client", "Server", None),
        "products": mostly([], [{"name": "x", "product_state": 266240}], None, [1], "x"),
    }
).map(drop_missing)
baselines = st.builds(
    OpenPortsParams,
    allowed_ports=st.lists(st.sampled_from(["135", "3389/tcp", "445", "137-139/udp"]), max_size=2),
    only_allowed=st.booleans(),
    forbidden_processes=st.lists(st.sampled_from(["nc", "SSHD", "ｖｎｃ", "\u212aa"]), max_size=2),
    allowed_processes=st.lists(st.sampled_from(["svchost", "System", "ＶＮＣ"]), max_size=2),
    include_loopback=st.booleans(),
    judge_exposure=st.sampled_from([True, True, True, False]),
)


@settings(max_examples=1500, deadline=None)
@given(listening, sharing_ | st.none(), profiles_ | st.none(), products_ | st.none(), baselines)
# Private listed twice, differently: the collector does not know which is in force.
@example(
    {
        "sockets": [{"protocol": "tcp", "address": "0.0.0.0", "port": 445, "pid": 4}],
        "processes": {},
    },
    {"active_profiles": 2, "connections": [], "rules": [], "shares": []},
    [
        {"name": "Private", "enabled": 1, "default_inbound": 0,
         "disabled_interface_aliases": ["NotConfigured"]},
        {"name": "Private", "enabled": 1, "default_inbound": 0,
         "disabled_interface_aliases": ["Wi-Fi"]},
    ],
    None,
    OpenPortsParams(),
)  # fmt: skip
# Domain and Private each listed twice, alike: the check passes, the script is stricter.
@example(
    {
        "sockets": [{"protocol": "tcp", "address": "0.0.0.0", "port": 445, "pid": 4}] * 2,
        "processes": {},
    },
    {"active_profiles": 2, "connections": [], "rules": [], "shares": []},
    [
        {"name": name, "enabled": 1, "default_inbound": 0,
         "disabled_interface_aliases": ["NotConfigured"]}
        for name in ("Domain", "Domain", "Private", "Private")
    ],
    None,
    OpenPortsParams(judge_exposure=True),
)  # fmt: skip
def test_made_up_answers_are_compliant_only_where_the_check_passes(
    sockets: Any, sharing: Any, profiles: Any, products: Any, params: OpenPortsParams
) -> None:
    verdict = intune_compliant(sockets, sharing, profiles, products, params)
    evaluated = evaluated_compliant(sockets, sharing, profiles, products, params)
    if verdict:
        assert evaluated, (sockets, sharing, profiles, products, params)
    elif evaluated:
        assert documented_stricter(sockets, sharing, profiles, products, params), (
            sockets, sharing, profiles, products, params,
        )  # fmt: skip


def _odd_text(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_odd_text(v) for v in value.values())
    if isinstance(value, list):
        return any(_odd_text(v) for v in value)
    return isinstance(value, str) and re.fullmatch("[ -~]*", value) is None


def documented_stricter(
    sockets: Any, sharing: Any, profiles: Any, products: Any, params: OpenPortsParams
) -> bool:
    """Where docs/deploy-probes.md says the script is stricter: a text outside printable
    ASCII (also a name in the baseline), a `processes` answer that is empty but no
    table, or a firewall profile listed twice."""
    names = [*params.forbidden_processes, *params.allowed_processes]
    if _odd_text([sockets, sharing, profiles, products, names]):
        return True
    listed = [p.get("name") for p in profiles or [] if isinstance(p, dict)]
    if isinstance(profiles, list) and len(listed) != len(set(listed)):
        return True
    processes = sockets.get("processes", None) if isinstance(sockets, dict) else None
    return processes is not None and not isinstance(processes, dict) and not processes


def test_the_deployment_guide_lists_every_setting() -> None:
    guide = (Path(__file__).parents[2] / "docs" / "deploy-probes.md").read_text(encoding="utf-8")
    for name in INTUNE.settings:
        assert f"| `{name}` |" in guide, name
    assert "**open_ports**（" in guide  # the Japanese part names the check
    assert "| `Rule_<id>`" in guide and "`Rule_<id>` を 1 つ出力" in guide


def test_another_process_on_a_file_sharing_port_is_not_compliant() -> None:
    ref = "open_ports/win11-24h2-ja-smb-domain-only"
    sockets, sharing, profiles, products = recorded(ref)
    params = OpenPortsParams.model_validate(case_params(ref))
    assert intune_compliant(sockets, sharing, profiles, products, params)
    other = {"protocol": "tcp", "address": "0.0.0.0", "port": 139, "pid": 6612}
    forged = {
        **sockets,
        "sockets": [*sockets["sockets"], other],
        "processes": {**sockets["processes"], "6612": {"name": "nc", "user": ""}},
    }
    assert not intune_compliant(forged, sharing, profiles, products, params)
    assert not evaluated_compliant(forged, sharing, profiles, products, params)
