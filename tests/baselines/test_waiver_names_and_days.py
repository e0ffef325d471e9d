"""Waivers match the name the auditor targeted, never one the host gives itself; their
dates are whole days in the zone the waiver file or baseline names (default: the
auditing machine's), and a waiver approved for a later day is not in force yet."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from endpoint_audit.engine.exit_policy import ExitCode
from endpoint_audit.model.baseline import WaiverSpec
from endpoint_audit.model.verdict import waiver_state
from tests.baselines.helpers import RDP, run, tailoring, write_yaml
from tests.baselines.test_waivers import with_the_rule

# 2026-03-31 23:59:59 and 2026-04-01 00:00:00 in Tokyo (UTC+9, no daylight saving).
LAST_SECOND = "2026-03-31T14:59:59+00:00"
NEXT_DAY = "2026-03-31T15:00:00+00:00"


def waiver(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "id": "R8-情政-003",
        "check": "open_ports",
        "hosts": ["tw-pc-002"],
        "justification": "遠隔保守のためリモートデスクトップを一時許可",
        "approver": "情報政策課長",
        "approved": "2024-10-01",
        "expires": "2026-03-31",
    }
    spec.update(changes)
    return spec


def waivers(tmp_path: Path, *specs: dict[str, Any], **top: Any) -> Path:
    return write_yaml(tmp_path / "waivers.yaml", {**top, "waivers": with_the_rule(specs)})


def recorded(
    folder: Path, file_name: str, target: str = "tw-pc-002", at: str | None = None
) -> Path:
    """The RDP PC's recording under another file name, claimed name or collection time."""
    text = RDP.read_text(encoding="utf-8").replace("- target: tw-pc-002", f"- target: {target}")
    if at is not None:
        text = text.replace("collected_at: '2024-11-20T03:00:00+00:00'", f"collected_at: '{at}'")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name
    path.write_text(text, encoding="utf-8")
    return path


def judge(path: Path, *extra: str | Path) -> Any:
    """Only open_ports: the recording's other checks would age past their limits when it
    is judged as of 2026."""
    return run("evaluate", path, "--only", "open_ports", *extra)


def open_ports(result: Any) -> list[dict[str, Any]]:
    return [
        f for h in result.json()["hosts"] for f in h["findings"] if f["check_id"] == "open_ports"
    ]


# --- which name a waiver matches ------------------------------------------------------------


def test_a_file_that_claims_the_waived_pc_s_name_does_not_get_its_waiver(tmp_path: Path) -> None:
    file = waivers(tmp_path, waiver(expires="2099-12-31"))
    own = recorded(tmp_path / "share", "tw-pc-002.yaml")
    claimed = recorded(tmp_path / "other", "pc-kaikei-7.yaml")  # says "tw-pc-002" inside
    result = run("evaluate", own, "--waivers", file, "-f", "json")
    assert result.code == ExitCode.OK, result.stderr
    assert all(f["waiver"] is not None for f in open_ports(result))
    for command in (("evaluate",), ("scan", "--replay")):
        result = run(*command, claimed, "--waivers", file, "-f", "json")
        assert result.code == ExitCode.FAILED, (command, result.stderr)
        (host,) = result.json()["hosts"]
        assert host["target"] == "tw-pc-002" and host["source"] == str(claimed)
        assert all(f["waiver"] is None for f in open_ports(result))


def test_the_host_name_the_pc_reports_about_itself_matches_no_waiver(tmp_path: Path) -> None:
    # The recording's own platform says its host name is 市民課-PC08; a waiver written for
    # that name does not cover a file the auditor knows under another name.
    file = waivers(tmp_path, waiver(hosts=["市民課-pc08"], expires="2099-12-31"))
    result = run("evaluate", recorded(tmp_path, "tw-pc-002.yaml"), "--waivers", file, "-f", "json")
    assert result.code == ExitCode.FAILED
    assert all(f["waiver"] is None for f in open_ports(result))


def test_a_probe_script_bundle_is_known_by_the_pc_in_its_file_name(tmp_path: Path) -> None:
    file = waivers(tmp_path, waiver(hosts=["TW-PC-002"], expires="2099-12-31"))
    own = recorded(tmp_path, "endpoint-audit-tw-pc-002-20241120T030000Z.yaml")
    result = run("evaluate", own, "--waivers", file, "-f", "json")
    assert result.code == ExitCode.OK
    assert all(f["waiver"] is not None for f in open_ports(result))


# --- days in a time zone ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "at", "state"),
    [
        ("Asia/Tokyo", LAST_SECOND, "in_force"),  # 23:59:59 of the last day in Tokyo
        ("Asia/Tokyo", NEXT_DAY, "expired"),  # 00:00 the next day in Tokyo
        ("UTC", NEXT_DAY, "in_force"),  # still 03-31 in UTC
        ("UTC", "2026-04-01T00:00:00+00:00", "expired"),
    ],
)
def test_expiry_is_the_end_of_the_day_in_the_named_zone(
    tmp_path: Path, zone: str, at: str, state: str
) -> None:
    file = waivers(tmp_path, waiver(), timezone=zone)
    path = recorded(tmp_path, "tw-pc-002.yaml", at=at)
    result = judge(path, "--waivers", file, "-f", "json")
    refs = [f["waiver"] for f in open_ports(result)]
    assert refs and all(r["timezone"] == zone for r in refs)
    assert all((r["expired"], r["pending"]) == (state == "expired", False) for r in refs)
    assert result.code == (ExitCode.OK if state == "in_force" else ExitCode.FAILED)


def test_a_waiver_approved_for_a_later_day_is_not_in_force_yet(tmp_path: Path) -> None:
    file = waivers(
        tmp_path, waiver(approved="2026-04-01", expires="2026-06-30"), timezone="Asia/Tokyo"
    )
    before = judge(
        recorded(tmp_path, "tw-pc-002.yaml", at=LAST_SECOND),
        "--waivers",
        file,
        "-f",
        "json",
    )
    assert before.code == ExitCode.FAILED
    refs = [f["waiver"] for f in open_ports(before)]
    # `expired` stays true for a waiver not in force, so readers of that field alone
    # never count it; `pending` says why.
    assert refs and all(
        r["pending"] and r["expired"] and r["approved"] == "2026-04-01" for r in refs
    )
    from_day = judge(
        recorded(tmp_path, "tw-pc-002.yaml", at=NEXT_DAY),
        "--waivers",
        file,
        "-f",
        "json",
    )
    assert from_day.code == ExitCode.OK
    terminal = run(
        "evaluate", recorded(tmp_path, "tw-pc-002.yaml", at=LAST_SECOND), "--waivers", file
    )
    assert "waiver not yet in force" in terminal.stdout
    assert "Asia/Tokyo" in terminal.stdout
    html = tmp_path / "r.html"
    judge(
        recorded(tmp_path, "tw-pc-002.yaml", at=LAST_SECOND),
        "--waivers",
        file,
        "-f",
        f"html:{html}",
        "--lang",
        "ja",
    )
    assert "例外承認はまだ発効していません" in html.read_text(encoding="utf-8")


def test_a_baseline_s_zone_applies_to_its_waivers_and_to_waiver_files(tmp_path: Path) -> None:
    tailored = tailoring(tmp_path / "city.yaml", "jp-municipal-telework", waivers=[waiver()])
    data = json.loads(json.dumps(__import__("yaml").safe_load(tailored.read_text("utf-8"))))
    data["timezone"] = "Asia/Tokyo"
    write_yaml(tailored, data)
    path = recorded(tmp_path, "tw-pc-002.yaml", at=NEXT_DAY)
    result = judge(path, "-b", tailored, "-f", "json")
    assert result.code == ExitCode.FAILED
    assert all(f["waiver"]["timezone"] == "Asia/Tokyo" for f in open_ports(result))
    # A waiver file without a zone of its own takes the baseline's.
    plain = write_yaml(tmp_path / "plain.yaml", {"waivers": [waiver(id="file")]})
    del data["waivers"]
    write_yaml(tailored, data)
    result = judge(path, "-b", tailored, "--waivers", plain, "-f", "json")
    assert all(f["waiver"]["timezone"] == "Asia/Tokyo" for f in open_ports(result))
    assert result.code == ExitCode.FAILED


def test_without_a_zone_days_are_the_auditing_machine_s_local_days(tmp_path: Path) -> None:
    file = waivers(tmp_path, waiver())
    path = recorded(tmp_path, "tw-pc-002.yaml", at=NEXT_DAY)
    env = {**os.environ, "LANG": "C.UTF-8", "ENDPOINT_AUDIT_LANG": "en"}
    codes = {}
    for zone in ("Asia/Tokyo", "UTC"):
        done = subprocess.run(
            [sys.executable, "-m", "endpoint_audit", "evaluate", str(path), "--only", "open_ports",
             "--waivers", str(file), "-f", "json"],
            env={**env, "TZ": zone}, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        codes[zone] = done.returncode
        refs = [
            f["waiver"]
            for h in json.loads(done.stdout)["hosts"]
            for f in h["findings"]
            if f["check_id"] == "open_ports"
        ]
        assert refs and all(r["timezone"].startswith("local (") for r in refs)
        assert all(("UTC+09:00" in r["timezone"]) == (zone == "Asia/Tokyo") for r in refs)
    assert codes == {"Asia/Tokyo": ExitCode.FAILED, "UTC": ExitCode.OK}


def test_an_unknown_zone_is_a_one_line_config_error(tmp_path: Path) -> None:
    file = waivers(tmp_path, waiver(), timezone="Asia/Tokio")
    result = run("evaluate", RDP, "--waivers", file)
    assert result.code == ExitCode.CONFIG
    (line,) = result.stderr.strip().splitlines()
    assert "waivers.yaml:1: timezone: unknown time zone 'Asia/Tokio'" in line
    for bad in ("../../etc/passwd", "/etc/localtime", ""):
        with pytest.raises(ValueError, match="unknown time zone"):
            WaiverSpec.model_validate({**waiver(), "timezone": bad})


def test_waiver_state_boundaries_in_the_model() -> None:
    spec = WaiverSpec.model_validate(waiver(approved="2026-03-01", timezone="Asia/Tokyo"))
    assert waiver_state(spec, datetime(2026, 2, 28, 14, 59, 59, tzinfo=UTC)) == "pending"
    assert waiver_state(spec, datetime(2026, 2, 28, 15, 0, 0, tzinfo=UTC)) == "in_force"
    assert waiver_state(spec, datetime(2026, 3, 31, 14, 59, 59, tzinfo=UTC)) == "in_force"
    assert waiver_state(spec, datetime(2026, 3, 31, 15, 0, 0, tzinfo=UTC)) == "expired"
