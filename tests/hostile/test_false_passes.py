"""False passes the property suite found, kept as examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from endpoint_audit.checks.open_ports.windows import parse_sockets
from endpoint_audit.checks.patch_level.windows import parse_windows_update
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.observed import Reason
from tests.hostile.run import assert_ran_clean, invoke
from tests.observed_view import reason_text, seen_value
from tests.replay_cases import host_yaml_path

COMPLIANT = host_yaml_path("win11-23h2-en-compliant")


def test_windows_update_answer_without_reboot_markers_is_not_no_reboot() -> None:
    """A Windows Update probe answer that does not say which pending-reboot markers it
    read (here `{"": null}`) used to pass `reboot_required` ("no marker in the
    registry"); the probe's answer now has to show each marker's key was read."""
    for value in ({"": None}, {"reboot_markers": []}, {"cbs_reboot_pending": False}):
        facts = parse_windows_update(
            value, None, Reason(key="patch_level.reason.wu_search_not_run")
        )
        assert seen_value(facts.reboot_required) is None, value
        assert reason_text(facts.reboot_required)


def test_windows_update_garbage_through_the_cli(tmp_path: Path) -> None:
    data = yaml.safe_load(COMPLIANT.read_text("utf-8"))
    data["hosts"][0]["commands"]["ps:windows_update"]["stdout"] = '{"": null}'
    path = tmp_path / "pc.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "r.json"
    ran = invoke("evaluate", path, "-f", f"json:{out}")
    assert_ran_clean(ran)
    findings = json.loads(out.read_text("utf-8"))["hosts"][0]["findings"]
    patch = {f["resource"]: f["status"] for f in findings if f["check_id"] == "patch_level"}
    assert patch["reboot_required"] == "unknown"
    # The pending count comes from the other probe, still intact: that one may pass.
    assert patch["days_since_update"] == "unknown"


def test_listening_sockets_answer_without_a_socket_list_is_an_error() -> None:
    """`{"x": true}` from the listening-sockets probe used to mean "no listener": a pass
    of open_ports. The probe always writes `sockets` (empty when none)."""
    for value in ({"x": True}, {"sockets": None}, {"sockets": "0.0.0.0:3389"}):
        with pytest.raises(CollectorError, match="no 'sockets' list"):
            parse_sockets(value)
    assert parse_sockets({"sockets": [], "processes": {}}).sockets == ()


def test_pending_search_answer_without_an_update_list_is_not_zero_pending() -> None:
    pending = {
        "last_search_success": "2024-11-19T03:00:00Z",
        "search": {"finished": True, "value": {"result_code": 2}},
    }
    with pytest.raises(CollectorError, match="no 'updates' list"):
        parse_windows_update({"reboot_markers": []}, pending, None)


def test_output_that_is_not_netstat_or_lsof_is_not_no_listener() -> None:
    """macOS: garbage from `netstat -an` and `lsof -F` used to read as "no listener",
    a pass of open_ports (found by the property suite)."""
    from endpoint_audit.checks.open_ports.macos import parse_lsof_fields, parse_netstat

    with pytest.raises(CollectorError, match="no column header"):
        parse_netstat("<\U000c4c06\nnull", "tcp")
    header = "Active Internet connections (including servers)\n"
    header += "Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)\n"
    assert parse_netstat(header, "tcp") == []  # the table, empty: no listener indeed
    with pytest.raises(CollectorError, match="lsof: unexpected output line"):
        parse_lsof_fields("null\nxyz", "tcp")
    assert parse_lsof_fields("p123\ncsshd\nLroot\nf3\nn*:22\n", "tcp")


def test_output_that_is_not_ss_is_not_no_listener() -> None:
    from endpoint_audit.checks.open_ports.linux import parse_ss

    with pytest.raises(CollectorError, match="ss: unexpected output line"):
        parse_ss("Cannot open netlink socket\n")
    assert parse_ss("") == []  # ss -H prints nothing when nothing listens
    [sock] = parse_ss('tcp LISTEN 0 128 127.0.0.1:22 0.0.0.0:* users:(("sshd",pid=9,fd=3))\n')
    assert (sock.port, sock.process) == (22, "sshd")


def _search(code: int, updates: list[dict[str, object]]) -> dict[str, object]:
    return {
        "last_search_success": "2024-11-19T03:00:00Z",
        "search": {"finished": True, "value": {"result_code": code, "updates": updates}},
    }


SECURITY_UPDATE = {"kb": [5046617], "categories": ["0fa1201d-4330-4fa8-8ae9-b877473b6441"]}


def test_a_search_that_succeeded_with_errors_never_vouches_for_few_pending() -> None:
    """OperationResultCode 3, orcSucceededWithErrors: "The results might be incomplete"
    (Windows Update Agent API). Zero (or few) found is no proof; more than allowed is."""
    from datetime import UTC, datetime

    from endpoint_audit.checks.patch_level.check import PatchLevelParams, pending_outcome
    from endpoint_audit.model.result import Status

    now = datetime(2024, 11, 20, tzinfo=UTC)
    params = PatchLevelParams()
    partial = parse_windows_update({"reboot_markers": []}, _search(3, []), None)
    outcome = pending_outcome(partial, params, now)
    assert (outcome.status, outcome.key) == (Status.UNKNOWN, "pending_incomplete")
    found = parse_windows_update({"reboot_markers": []}, _search(3, [SECURITY_UPDATE]), None)
    assert pending_outcome(found, params, now).status is Status.FAIL
    complete = parse_windows_update({"reboot_markers": []}, _search(2, []), None)
    assert pending_outcome(complete, params, now).status is Status.PASS
