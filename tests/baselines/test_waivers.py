"""Waivers: which findings they cover, expiry, and what they do to the exit code."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from endpoint_audit.engine.exit_policy import ExitCode
from endpoint_audit.engine.waivers import apply_waivers
from endpoint_audit.model.baseline import WaiverSpec
from endpoint_audit.model.result import Finding, Severity, Status
from endpoint_audit.model.verdict import counts_as_failure
from tests.baselines.helpers import BUNDLES, RDP, run, tailoring, write_yaml

# tw-pc-002 was recorded on 2024-11-20; a replayed scan is judged as of that day.
ACTIVE = "2024-12-31"
LAPSED = "2024-11-19"


def waiver(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "id": "R6-情政-012",
        "check": "open_ports",
        "hosts": ["tw-pc-00*"],
        "justification": "遠隔保守のためリモートデスクトップを一時許可",
        "approver": "情報政策課長",
        "approved": "2024-10-01",
        "expires": ACTIVE,
    }
    spec.update(changes)
    return spec


def with_the_rule(specs: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    """Remote Desktop allowed for maintenance fails the open port and the baseline's rule
    jp.rdp_disabled alike: each open_ports waiver comes with one for the rule, the same
    but for the resource (a rule's finding has none)."""
    out = list(specs)
    for spec in specs:
        if spec.get("check") == "open_ports":
            rule = {k: v for k, v in spec.items() if k != "resource"}
            out.append({**rule, "id": f"{spec['id']}-rule", "check": "jp.rdp_disabled"})
    return out


def waiver_file(tmp_path: Path, *specs: dict[str, Any]) -> Path:
    return write_yaml(tmp_path / "waivers.yaml", {"waivers": with_the_rule(specs)})


def finding(
    check: str = "open_ports",
    resource: str | None = "0.0.0.0:3389/tcp",
    status: Status = Status.FAIL,
) -> Finding:
    return Finding(
        check_id=check,
        resource=resource,
        status=status,
        severity=Severity.HIGH,
        message="m",
        message_key="open_ports.msg.forbidden_port",
    )


def spec(**changes: Any) -> WaiverSpec:
    return WaiverSpec.model_validate(waiver(**changes))


# 12:00 in Tokyo, 03:00 UTC: the same day in either zone.
TODAY = datetime(2024, 11, 20, 3, 0, tzinfo=UTC)


def test_active_waiver_covers_a_failure() -> None:
    [out] = apply_waivers([finding()], [spec()], "tw-pc-002", TODAY)
    assert out.waiver is not None and not out.waiver.expired
    assert out.waiver.justification.startswith("遠隔保守")
    assert not counts_as_failure(out)


def test_waiver_applies_through_its_expiry_day_and_not_after() -> None:
    [last_day] = apply_waivers([finding()], [spec(expires="2024-11-20")], "tw-pc-002", TODAY)
    assert last_day.waiver is not None and not last_day.waiver.expired
    [lapsed] = apply_waivers([finding()], [spec(expires=LAPSED)], "tw-pc-002", TODAY)
    assert lapsed.waiver is not None and lapsed.waiver.expired
    assert counts_as_failure(lapsed)


def test_host_pattern_miss_leaves_the_finding_alone() -> None:
    [out] = apply_waivers([finding()], [spec(hosts=["tw-pc-1*", "kiosk-*"])], "tw-pc-002", TODAY)
    assert out.waiver is None and counts_as_failure(out)


def test_host_pattern_matches_a_japanese_name_case_insensitively() -> None:
    names = ["10.0.0.8", "市民課-PC08"]
    [out] = apply_waivers([finding()], [spec(hosts=["市民課-pc*"])], names, TODAY)
    assert out.waiver is not None


def test_on_linux_a_resource_pattern_keeps_its_case() -> None:
    """Linux names are case-sensitive: `Bob` is another account than `bob`, `/DATA`
    another mount than `/data`. A waiver for one must not cover the other there; on
    Windows (drive letters, DOMAIN\\name) and macOS (case-insensitive by default) case
    still does not matter."""
    waivers = [spec(check="local_admins", resource="bob", hosts=["*"])]
    bob, other_bob = apply_waivers(
        [finding("local_admins", "bob"), finding("local_admins", "Bob")],
        waivers,
        "srv-01",
        TODAY,
        case_sensitive_resources=True,
    )
    assert bob.waiver is not None
    assert other_bob.waiver is None and counts_as_failure(other_bob)
    [drive] = apply_waivers(
        [finding("disk_encryption", "d:")],
        [spec(check="disk_encryption", resource="D:", hosts=["*"])],
        "pc-01",
        TODAY,
    )
    assert drive.waiver is not None


def test_resource_match_narrows_the_waiver() -> None:
    waivers = [spec(resource="*:3389/tcp")]
    rdp, smb = apply_waivers(
        [finding(), finding(resource="0.0.0.0:445/tcp")], waivers, "tw-pc-002", TODAY
    )
    assert rdp.waiver is not None and smb.waiver is None
    [no_resource] = apply_waivers([finding(resource=None)], waivers, "tw-pc-002", TODAY)
    assert no_resource.waiver is None


def test_a_waiver_never_touches_passes_errors_or_other_checks() -> None:
    findings = [
        finding(status=Status.PASS),
        finding(status=Status.ERROR),
        finding(check="firewall"),
    ]
    assert all(f.waiver is None for f in apply_waivers(findings, [spec()], "tw-pc-002", TODAY))


def test_a_waiver_in_force_wins_over_a_lapsed_one() -> None:
    [out] = apply_waivers(
        [finding()], [spec(id="old", expires=LAPSED), spec(id="new")], "tw-pc-002", TODAY
    )
    assert out.waiver is not None and out.waiver.id == "new" and not out.waiver.expired


def scan_rdp(*extra: str | Path) -> Any:
    return run("scan", "-b", "jp-municipal-telework", "--replay", RDP, "-f", "json", *extra)


def open_ports(result: Any) -> list[dict[str, Any]]:
    return [
        f for h in result.json()["hosts"] for f in h["findings"] if f["check_id"] == "open_ports"
    ]


def test_without_waiver_rdp_fails() -> None:
    assert scan_rdp().code == ExitCode.FAILED


def test_waived_failure_exits_0_and_stays_visible(tmp_path: Path) -> None:
    result = scan_rdp("--waivers", waiver_file(tmp_path, waiver()))
    assert result.code == ExitCode.OK, result.stderr
    failed = open_ports(result)
    assert failed and all(f["status"] == "fail" for f in failed)
    for f in failed:
        assert f["waiver"]["justification"] == "遠隔保守のためリモートデスクトップを一時許可"
        assert f["waiver"]["approver"] == "情報政策課長"
        assert f["waiver"]["expires"] == ACTIVE and f["waiver"]["expired"] is False


def test_expired_waiver_keeps_exit_1_and_is_reported_expired(tmp_path: Path) -> None:
    result = scan_rdp("--waivers", waiver_file(tmp_path, waiver(expires=LAPSED, approved=None)))
    assert result.code == ExitCode.FAILED
    assert all(f["waiver"]["expired"] is True for f in open_ports(result))
    # The user is told on stderr as well.
    assert f"expired on {LAPSED}" in result.stderr


def test_host_pattern_miss_keeps_exit_1(tmp_path: Path) -> None:
    result = scan_rdp("--waivers", waiver_file(tmp_path, waiver(hosts=["honcho-*"])))
    assert result.code == ExitCode.FAILED
    assert all(f["waiver"] is None for f in open_ports(result))


@pytest.mark.parametrize(
    ("resource", "code"),
    [("*:3389/*", ExitCode.OK), ("*:3389/tcp", ExitCode.FAILED), ("*:5900/tcp", ExitCode.FAILED)],
)
def test_resource_match_on_a_scan(tmp_path: Path, resource: str, code: int) -> None:
    # The recording listens on 3389 over TCP and UDP: a TCP-only waiver leaves UDP failing.
    result = scan_rdp("--waivers", waiver_file(tmp_path, waiver(resource=resource)))
    assert result.code == code


def test_waiver_in_a_tailored_baseline(tmp_path: Path) -> None:
    tailored = tailoring(
        tmp_path / "city.yaml", "jp-municipal-telework", waivers=with_the_rule((waiver(),))
    )
    result = run("scan", "-b", tailored, "--replay", RDP, "-f", "json")
    assert result.code == ExitCode.OK
    assert all(f["waiver"] is not None for f in open_ports(result))


def test_terminal_and_frameworks_show_the_justification(tmp_path: Path) -> None:
    file = waiver_file(tmp_path, waiver())
    for fmt in ("terminal", "frameworks"):
        result = run(
            "scan", "-b", "jp-municipal-telework", "--replay", RDP, "-f", fmt, "--waivers", file
        )
        assert result.code == ExitCode.OK
        text = result.stdout if fmt == "frameworks" else last_column(result.stdout)
        assert "遠隔保守のためリモートデスクトップを一時許可" in text, fmt
        assert "情報政策課長" in text, fmt


def last_column(table: str) -> str:
    """The text of a rich table's last column, its wrapped lines joined again."""
    cells = [line.split("│")[-2].strip() for line in table.splitlines() if line.count("│") > 2]
    return "".join(cells)


def test_bad_waiver_file_is_a_one_line_config_error(tmp_path: Path) -> None:
    bad = waiver(expires="someday")
    result = scan_rdp("--waivers", waiver_file(tmp_path, bad))
    assert result.code == ExitCode.CONFIG
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].endswith("waivers.0.expires: must be a date like 2026-03-31, not 'someday'")
    assert ":9: " in lines[0]  # the `expires:` line of the written file
    missing = scan_rdp("--waivers", tmp_path / "nope.yaml")
    assert missing.code == ExitCode.CONFIG and "waiver file not found" in missing.stderr


def test_validate_accepts_a_good_waiver_file(tmp_path: Path) -> None:
    file = write_yaml(tmp_path / "waivers.yaml", {"waivers": [waiver(), waiver()]})
    result = run("baseline", "validate", "--waivers", file)
    assert result.code == 0 and "2 waivers" in result.stdout


def test_a_linux_host_is_judged_with_case_kept_end_to_end(tmp_path: Path) -> None:
    """Through `evaluate`: a Debian host's firewall finding (resource `netfilter`) is
    covered by a waiver naming `netfilter`, not by one naming `NETFILTER`."""
    bundle = BUNDLES / "linux-recording-debian12.yaml"
    for resource, covered in (("netfilter", True), ("NETFILTER", False)):
        spec_ = waiver(
            check="firewall", hosts=["*"], resource=resource,
            approved="2020-01-01", expires="2099-12-31",
        )  # fmt: skip
        path = write_yaml(tmp_path / f"w-{resource}.yaml", {"waivers": [spec_]})
        done = run("evaluate", bundle, "-b", "minimal", "--waivers", path, "-f", "json")
        [firewall] = [f for f in done.json()["hosts"][0]["findings"] if f["check_id"] == "firewall"]
        assert firewall["resource"] == "netfilter"
        assert (firewall.get("waiver") is not None) is covered, resource


@pytest.mark.parametrize(
    ("field", "value"), [("resource", ""), ("resource", "   "), ("hosts", ["pc-1", " "])]
)
def test_a_blank_pattern_is_a_one_line_error_naming_its_line(
    tmp_path: Path, field: str, value: Any
) -> None:
    # An empty resource pattern matched no resource at all: the waiver the approver
    # signed quietly did nothing (and a reader could take it for "every resource").
    result = scan_rdp("--waivers", waiver_file(tmp_path, waiver(**{field: value})))
    assert result.code == ExitCode.CONFIG, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert str(tmp_path / "waivers.yaml") in lines[0]
    assert f"waivers.0.{field}" in lines[0] and "must not be blank" in lines[0]
    validate = run("baseline", "validate", "--waivers", tmp_path / "waivers.yaml")
    assert validate.code == ExitCode.CONFIG and "must not be blank" in validate.stderr


def test_a_waiver_for_a_check_the_baseline_does_not_run_is_named(tmp_path: Path) -> None:
    # secure_boot is a known check, but not one of `minimal`: the waiver covers nothing,
    # and nothing said so.
    file = write_yaml(
        tmp_path / "waivers.yaml",
        {
            "waivers": [
                waiver(check="secure_boot", id="R7-001", expires="2099-12-31"),
                waiver(id="R7-002", expires="2099-12-31"),
            ]
        },
    )
    result = run("scan", "-b", "minimal", "--replay", RDP, "--waivers", file, "-f", "json")
    assert result.code == ExitCode.OK, result.stderr
    lines = [line for line in result.stderr.splitlines() if "R7-00" in line]
    assert len(lines) == 1 and "R7-001" in lines[0] and "secure_boot" in lines[0]
    assert "minimal" in lines[0]
