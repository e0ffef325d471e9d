"""`evaluate FOLDER`: a share where hundreds of PCs dropped their probe-script bundles,
some of them broken, judged into one fleet report."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.probe_export.bundles import fleet_folder, windows_cases, windows_script_bundle


@pytest.fixture(scope="module")
def share(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("share")
    broken = fleet_folder(folder, hosts=500, corrupt=5)
    return folder, broken


def test_500_files_5_broken_make_one_fleet_report(
    share: tuple[Path, dict[str, str]], cli: Callable[..., Any], tmp_path: Path
) -> None:
    folder, broken = share
    assert sorted(set(broken.values())) == [
        "empty", "not-json", "truncated", "unknown-version", "wrong-format"
    ]  # fmt: skip
    report_json = tmp_path / "fleet.json"
    report_html = tmp_path / "fleet.html"
    # The recorded cases keep the collection times of their captures: --max-age 0, as
    # this test is about broken files (test_max_age.py is about old ones).
    result = cli(
        "evaluate", str(folder), "-f", f"json:{report_json}", "-f", f"html:{report_html}",
        "--max-age", "0",
    )  # fmt: skip
    report = json.loads(report_json.read_text())
    hosts = report["hosts"]
    assert len(hosts) == 500
    judged = [h for h in hosts if h["status"] == "ok"]
    assert len(judged) == 495
    assert all(h["platform"]["transport"] == "probe-script" for h in judged)
    checks = set(report["checks"])  # every check of the default baseline, on every PC
    assert len(checks) >= 5
    assert all({f["check_id"] for f in h["findings"]} == checks for h in judged)
    unreadable = {h["target"]: h["reason"] for h in hosts if h["status"] == "unreachable"}
    assert set(unreadable) == set(broken)
    for name, reason in unreadable.items():
        assert name in reason  # the reason names the file
    assert "not supported" in unreadable[_kind(broken, "unknown-version")]
    assert "not an endpoint-audit bundle" in unreadable[_kind(broken, "wrong-format")]
    # One line per broken file on stderr.
    lines = [line for line in result.stderr.splitlines() if "skipped" in line]
    assert len(lines) == 5
    assert all(any(name in line for line in lines) for name in broken)
    # Recorded PCs fail checks, so the run fails (1) rather than being merely incomplete.
    assert result.exit_code == 1
    html = report_html.read_text()
    assert "PC-0494-" in html and _kind(broken, "truncated") in html


def test_broken_file_makes_a_compliant_folder_incomplete(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    host = windows_cases()["win11-23h2-en-compliant"]
    # Named for the PC inside, as in a share (test_misnamed_files.py: one named otherwise).
    (tmp_path / f"{host.target}.json").write_text(json.dumps(windows_script_bundle(host)))
    # The case keeps its capture's collection time: no age limit here (see test_max_age).
    only_good = cli("evaluate", str(tmp_path), "-f", "json", "--max-age", "0")
    assert only_good.exit_code == 0
    (tmp_path / "cut.json").write_text('{"format": "endpoint-audit-bundle", "vers')
    result = cli("evaluate", str(tmp_path), "-f", "json", "--max-age", "0")
    assert result.exit_code == 3
    statuses = {h["target"]: h["status"] for h in json.loads(result.stdout)["hosts"]}
    assert statuses == {"win11-23h2-en-compliant": "ok", "cut.json": "unreachable"}


def test_folder_without_bundles_is_a_usage_error(cli: Callable[..., Any], tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("nothing here")
    result = cli("evaluate", str(tmp_path))
    assert result.exit_code == 2
    assert "no bundle files" in result.stderr


def _kind(broken: dict[str, str], kind: str) -> str:
    return next(name for name, k in broken.items() if k == kind)


def test_a_pc_that_wrote_twice_is_judged_by_its_newest_file(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    """A scheduled probe leaves one file per run: the fleet report holds each PC once,
    judged by the newest file (here: compliant, while the older run had BitLocker off)."""
    cases = windows_cases()
    old = windows_script_bundle(cases["win10-22h2-en-bitlocker-off"], target="PC-0001")
    new = windows_script_bundle(cases["win11-23h2-en-compliant"], target="pc-0001")
    collected = cases["win11-23h2-en-compliant"].collected_at
    assert collected is not None
    earlier = collected - timedelta(days=30)
    old["hosts"][0]["collected_at"] = earlier.strftime("%Y-%m-%dT%H:%M:%SZ")
    # The file names are the script's; the newer run's stamp sorts first by name
    # (a wrong clock), so the choice cannot come from file order.
    newer = tmp_path / "endpoint-audit-PC-0001-20240101T000000Z.json"
    newer.write_text(json.dumps(new))
    (tmp_path / "endpoint-audit-PC-0001-20241120T030000Z.json").write_text(json.dumps(old))
    result = cli("evaluate", str(tmp_path), "-f", "json", "--max-age", "0")  # dated captures
    hosts = json.loads(result.stdout)["hosts"]
    assert [h["target"] for h in hosts] == ["pc-0001"]
    assert hosts[0]["source"] == str(newer)
    assert result.exit_code == 0
    assert "1 older file(s)" in result.stderr


def test_a_file_claiming_another_pc_s_name_never_hides_that_pc(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    """PC-0099 writes a newer bundle that says it is PC-0001 and is compliant: PC-0001's
    own file (BitLocker off) is still judged, both results name their file, and the
    conflict is one line per file on stderr."""
    cases = windows_cases()
    own = windows_script_bundle(cases["win10-22h2-en-bitlocker-off"], target="PC-0001")
    forged = windows_script_bundle(cases["win11-23h2-en-compliant"], target="PC-0001")
    collected = cases["win11-23h2-en-compliant"].collected_at
    assert collected is not None
    own["hosts"][0]["collected_at"] = (collected - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    own_file = tmp_path / "endpoint-audit-PC-0001-20241119T030000Z.json"
    forged_file = tmp_path / "endpoint-audit-PC-0099-20241120T030000Z.json"
    own_file.write_text(json.dumps(own))
    forged_file.write_text(json.dumps(forged))
    report = tmp_path / "fleet.json"
    html = tmp_path / "fleet.html"
    # Dated captures; the age limit is test_max_age's subject, not this one's.
    result = cli(
        "evaluate", str(tmp_path), "-f", f"json:{report}", "-f", f"html:{html}", "--max-age", "0"
    )
    hosts = json.loads(report.read_text())["hosts"]
    by_source = {h["source"]: h for h in hosts}
    assert set(by_source) == {str(own_file), str(forged_file)}
    assert all(h["target"] == "PC-0001" for h in hosts)
    assert by_source[str(own_file)]["name_conflicts"] == [str(forged_file)]
    assert by_source[str(forged_file)]["name_conflicts"] == [str(own_file)]
    assert any(f["status"] == "fail" for f in by_source[str(own_file)]["findings"])
    # The forgery's file is named for PC-0099: it passes for neither PC.
    forged_statuses = {f["status"] for f in by_source[str(forged_file)]["findings"]}
    assert forged_statuses == {"unknown"}
    assert result.exit_code == 1  # the real PC-0001 fails; the forgery cannot hide it
    lines = [line for line in result.stderr.splitlines() if "PC-0001" in line]
    conflicts = [line for line in lines if "named for" not in line]
    assert len(conflicts) == 2
    assert all(own_file.name in line and forged_file.name in line for line in conflicts)
    (misnamed,) = [line for line in lines if "named for" in line]
    assert forged_file.name in misnamed and "named for PC-0099" in misnamed
    assert "older file" not in result.stderr
    page = html.read_text()
    assert own_file.name in page and forged_file.name in page and "name-conflict" in page


def _forged_manifest(share: Path, listed: dict[str, Path]) -> None:
    """A `_manifest.json` such as `collect --shard` writes, listing only `listed`."""
    import hashlib

    entries = {
        name: {
            "path": path.name,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "size": path.stat().st_size,
            "status": "ok",
            "written_at": "2026-12-01T09:00:00Z",
        }
        for name, path in listed.items()
    }
    manifest = {
        "tool": {"version": "1"},
        "created_at": "2026-12-01T09:00:00Z",
        "updated_at": "2026-12-01T09:00:00Z",
        "state": "complete",
        "shard": {
            "index": 1,
            "count": 1,
            "inventory_sha256": "0" * 64,
            "inventory_hosts": len(listed),
            "hosts": sorted(listed),
        },
        "hosts": entries,
    }
    (share / "_manifest.json").write_text(json.dumps(manifest), "utf-8")


@pytest.mark.parametrize("listed", [["good"], []])
def test_a_manifest_dropped_into_a_share_never_leaves_the_other_pcs_out(
    listed: list[str], cli: Callable[..., Any], tmp_path: Path
) -> None:
    # Any PC may create a file on the share: one named _manifest.json that lists only a
    # compliant PC (or none) made the folder a "slice" of those, and every other file
    # was left out with a warning: exit 0 for a fleet with a PC listening on RDP.
    from tests.replay_cases import case_path

    share = tmp_path / "share"
    share.mkdir()
    files = {
        "good": ("open_ports/win11-23h2-ja-compliant", "PC-GOOD"),
        "bad": ("open_ports/win11-23h2-ja-rdp-listening", "PC-BAD"),
    }
    paths = {}
    for key, (ref, pc) in files.items():
        path = share / f"endpoint-audit-{pc}-20261201T090000Z.json"
        path.write_bytes(case_path(ref).read_bytes())
        paths[key] = path
    targets = {k: json.loads(p.read_text("utf-8"))["hosts"][0]["target"] for k, p in paths.items()}
    _forged_manifest(share, {targets[k]: paths[k] for k in listed})
    # Dated captures: --max-age 0, so exit 3 can only come from the PC left out.
    done = cli(
        "evaluate", str(share), "-b", "minimal", "--only", "open_ports", "-f", "json",
        "--max-age", "0",
    )  # fmt: skip
    assert done.exit_code == 3, done.output
    hosts = {h["target"]: h for h in json.loads(done.stdout)["hosts"]}
    left = hosts[paths["bad"].name]
    assert left["status"] == "unreachable" and "not listed in _manifest.json" in left["reason"]


@pytest.mark.parametrize("max_age", ["0", "14"])
def test_a_file_dated_ahead_never_hides_the_pc_s_real_newest_run(
    max_age: str, cli: Callable[..., Any], tmp_path: Path
) -> None:
    """Anyone who can drop a file in the share can date it 2099: taken for the PC's
    newest run, it left the PC's real newest file (BitLocker off) out of the report, and
    the PC passed (--max-age 0) or was merely unknown (the default)."""
    from datetime import UTC, datetime

    cases = windows_cases()
    real = windows_script_bundle(cases["win10-22h2-en-bitlocker-off"], target="PC-0001")
    ahead = windows_script_bundle(cases["win11-23h2-en-compliant"], target="PC-0001")
    yesterday = datetime.now(UTC) - timedelta(days=1)
    real["hosts"][0]["collected_at"] = yesterday.strftime("%Y-%m-%dT%H:%M:%SZ")
    ahead["hosts"][0]["collected_at"] = "2099-01-01T00:00:00Z"
    real_file = tmp_path / f"endpoint-audit-PC-0001-{yesterday:%Y%m%dT%H%M%SZ}.json"
    real_file.write_text(json.dumps(real))
    (tmp_path / "endpoint-audit-PC-0001-20990101T000000Z.json").write_text(json.dumps(ahead))
    result = cli(
        "evaluate", str(tmp_path), "--only", "disk_encryption", "-f", "json", "--max-age", max_age
    )
    hosts = json.loads(result.stdout)["hosts"]
    assert [h["source"] for h in hosts] == [str(real_file)]
    assert any(f["status"] == "fail" for f in hosts[0]["findings"])
    assert result.exit_code == 1
    assert "2099" in result.stderr or "ahead" in result.stderr
