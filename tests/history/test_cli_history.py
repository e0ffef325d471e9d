"""`endpoint-audit history ...` end to end (in process): outputs in every format, exit
codes, one-line errors, and `scan`/`evaluate`/`report merge --store`."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from endpoint_audit.model.result import Status
from tests.history.reports import (
    T0,
    WEEK,
    Host,
    compliant_findings,
    report_data,
    with_status,
    write_report,
)
from tests.replay_cases import host_yaml_path

FIXTURES = Path(__file__).parent.parent / "fixtures"
FORMULA = "=cmd|' /C calc'!A0"
ESCAPE = "pc-\x1b[31mred"
Cli = Callable[..., Any]


def weeks(folder: Path) -> list[Path]:
    disk = with_status(compliant_findings(), "disk_encryption", Status.FAIL, "D:")
    rounds = [
        [Host("pc-1", disk, groups=("総務課",)), Host(FORMULA), Host(ESCAPE)],
        [Host("pc-1", disk, groups=("総務課",)), Host(FORMULA, reachable=False), Host(ESCAPE)],
        [Host("pc-1", groups=("総務課",)), Host(FORMULA, disk)],
    ]
    folder.mkdir(exist_ok=True)
    return [
        write_report(folder / f"week-{i}.json", report_data(hosts, T0 + i * WEEK))
        for i, hosts in enumerate(rounds)
    ]


@pytest.fixture
def store(tmp_path: Path, cli: Cli) -> Path:
    path = tmp_path / "h.sqlite3"
    result = cli("history", "import", *map(str, weeks(tmp_path / "reports")), "--store", str(path))
    assert result.exit_code == 0, result.stderr
    return path


def test_import_is_idempotent_and_says_so(tmp_path: Path, cli: Cli, store: Path) -> None:
    again = cli(
        "history", "import", str(tmp_path / "reports"), "--store", str(store), "--lang", "en"
    )
    assert again.exit_code == 0
    assert again.stderr.count("already in the store") == 3
    assert "0 report(s) added, 3 already there" in again.stderr
    listed = json.loads(cli("history", "list", "--store", str(store), "-f", "json").stdout)
    assert [r["hosts"] for r in listed["rounds"]] == [3, 3, 2]


def test_a_bad_file_is_one_line_and_the_others_are_still_added(tmp_path: Path, cli: Cli) -> None:
    folder = tmp_path / "in"
    weeks(folder)
    (folder / "broken.json").write_text('{"schema_version": "1.0", "hosts": [', encoding="utf-8")
    (folder / "bundle.json").write_text('{"format": "endpoint-audit-bundle"}', encoding="utf-8")
    result = cli("history", "import", str(folder), "--store", str(tmp_path / "h.sqlite3"),
                 "--lang", "en")  # fmt: skip
    assert result.exit_code == 2
    problems = [line for line in result.stderr.splitlines() if "not added" in line]
    assert len(problems) == 2 and all(p.startswith("endpoint-audit: warning: ") for p in problems)
    assert "broken.json: not added: not JSON" in result.stderr
    assert "3 report(s) added" in result.stderr and "Traceback" not in result.stderr


def test_reading_commands_need_an_existing_store(tmp_path: Path, cli: Cli) -> None:
    missing = tmp_path / "none.sqlite3"
    for args in (["list"], ["diff"], ["host", "pc-1"], ["stale"], ["info"]):
        result = cli("history", *args, "--store", str(missing))
        assert result.exit_code == 2, args
        assert result.stderr.strip().splitlines() == [
            f"endpoint-audit: error: {missing}: no history store here (add reports with "
            "`history import`)"
        ]
    assert not missing.exists()


def test_the_store_comes_from_the_environment(tmp_path: Path, cli: Cli, store: Path) -> None:
    result = cli("history", "info", "-f", "json", env={"ENDPOINT_AUDIT_STORE": str(store)})
    info = json.loads(result.stdout)
    assert info["rounds"] == 3 and info["schema_version"] == 2 and info["journal_mode"] == "delete"


def test_diff_lists_changes_and_exits_1_on_new_failures(cli: Cli, store: Path) -> None:
    latest = cli("history", "diff", "--store", str(store), "-f", "json")
    assert latest.exit_code == 1  # FORMULA's disk failure is new
    diff = json.loads(latest.stdout)
    changes = {(e["host"], e["change"]) for e in diff["entries"]}
    assert changes == {("pc-1", "fixed"), (FORMULA, "new")}
    quiet = cli("history", "diff", "1", "2", "--store", str(store), "-f", "json")
    assert quiet.exit_code == 0 and json.loads(quiet.stdout)["counts"]["still_failing"] == 1
    grouped = cli("history", "diff", "--store", str(store), "--group", "総務課", "-f", "json")
    assert [e["host"] for e in json.loads(grouped.stdout)["entries"]] == ["pc-1"]
    first = cli("history", "diff", "1", "1", "--store", str(store))
    assert first.exit_code == 0
    for bad in (
        ["diff", "9"],
        ["diff", "no-such-run"],
        ["host", "nobody"],
        ["check", "no_such_check"],
    ):
        result = cli("history", *bad, "--store", str(store))
        assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1, bad


def test_terminal_output_shows_host_text_as_text(cli: Cli, store: Path) -> None:
    result = cli("history", "host", ESCAPE, "--store", str(store), "--lang", "en")
    assert result.exit_code == 0
    assert "\x1b" not in result.stdout and "pc-\\x1b[31mred" in result.stdout
    checked = cli("history", "check", "disk_encryption", "--store", str(store), "--lang", "ja")
    assert checked.exit_code == 0 and "ディスク暗号化" in checked.stdout


def test_csv_is_excel_ready_and_neutralises_formulas(tmp_path: Path, cli: Cli, store: Path) -> None:
    out = tmp_path / "stale.csv"
    result = cli("history", "stale", "--days", "1", "--store", str(store), "--as-of",
                 "2026-04-30", "-f", "csv", "-o", str(out), "--lang", "ja")  # fmt: skip
    assert result.exit_code == 1  # some PCs are not seen
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("端末,")
    assert "'" + FORMULA in text and "\n" + FORMULA not in text


def test_stale_counts_only_time_since_last_reached(tmp_path: Path, cli: Cli, store: Path) -> None:
    def stale(*args: str) -> tuple[int, dict[str, Any]]:
        result = cli("history", "stale", "--store", str(store), "-f", "json", *args)
        return result.exit_code, json.loads(result.stdout)

    code, data = stale("--as-of", "2026-03-17")
    assert code == 0 and data["hosts"] == []  # everyone reached within 14 days
    code, data = stale("--as-of", "2026-03-29", "--days", "14")
    # ESCAPE was last reached in week 1 (2026-03-09): 20 days; the others in week 2 (13).
    assert code == 1 and [h["host"] for h in data["hosts"]] == [ESCAPE]
    inventory = tmp_path / "fleet.txt"
    inventory.write_text("pc-1\nnever-seen-pc\n", encoding="utf-8")
    code, data = stale("--as-of", "2026-03-17", "-i", str(inventory))
    assert code == 1 and data["known"] == 2
    assert [(h["host"], h["last_state"]) for h in data["hosts"]] == [("never-seen-pc", None)]


def test_prune_backup_and_info(tmp_path: Path, cli: Cli, store: Path) -> None:
    refused = cli("history", "prune", "--store", str(store))
    assert refused.exit_code == 2 and "--older-than" in refused.stderr
    preview = cli("history", "prune", "--keep-last", "1", "--dry-run", "--store", str(store),
                  "--lang", "en")  # fmt: skip
    assert preview.exit_code == 0 and "Would remove 2 round(s)" in preview.stdout
    copy = tmp_path / "copy.sqlite3"
    assert cli("history", "backup", str(copy), "--store", str(store)).exit_code == 0
    again = cli("history", "backup", str(copy), "--store", str(store))
    assert again.exit_code == 2 and "already exists" in again.stderr
    done = cli("history", "prune", "--keep-last", "1", "--store", str(store), "--lang", "en")
    assert done.exit_code == 0 and "Removed 2 round(s)" in done.stdout
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT count(*) FROM rounds").fetchone()[0] == 3  # the backup
    conn.close()
    listed = json.loads(cli("history", "list", "--store", str(store), "-f", "json").stdout)
    assert len(listed["rounds"]) == 1


# -- scan, evaluate and report merge with --store -------------------------------------


def test_scan_adds_its_report_and_the_json_it_wrote_is_the_same_report(
    tmp_path: Path, cli: Cli
) -> None:
    store = tmp_path / "h.sqlite3"
    bundle = host_yaml_path("win11-23h2-ja-compliant")
    out = tmp_path / "r.json"
    result = cli("scan", "--replay", str(bundle), "-f", f"json:{out}", "--store", str(store),
                 "--lang", "en")  # fmt: skip
    assert result.exit_code in (0, 1, 3), result.stderr
    assert f"results added to the history store {store} (round 1)" in result.stderr
    again = cli("history", "import", str(out), "--store", str(store), "--lang", "en")
    assert "already in the store (round 1)" in again.stderr


def test_evaluate_and_report_merge_add_theirs(tmp_path: Path, cli: Cli) -> None:
    store = tmp_path / "h.sqlite3"
    folder = tmp_path / "share"
    folder.mkdir()
    for name in ("win11-23h2-ja-compliant", "win10-22h2-en-bitlocker-off"):
        shutil.copy(host_yaml_path(name), folder)
    evaluated = cli("evaluate", str(folder), "-f", f"json:{tmp_path / 'e.json'}",
                    "--store", str(store))  # fmt: skip
    assert evaluated.exit_code in (0, 1, 3), evaluated.stderr
    single = FIXTURES / "history" / "schema-1.0" / "single-host.json"
    merged = cli("report", "merge", str(single), "-o", str(tmp_path / "m.json"),
                 env={"ENDPOINT_AUDIT_STORE": str(store)})  # fmt: skip
    assert merged.exit_code == 0, merged.stderr
    rounds = json.loads(cli("history", "list", "--store", str(store), "-f", "json").stdout)
    by_source = {r["source"]: r["hosts"] for r in rounds["rounds"]}
    assert by_source == {f"evaluate {folder}": 2, f"report merge {tmp_path / 'm.json'}": 1}


def test_a_store_that_cannot_be_used_stops_the_scan_before_it_starts(
    tmp_path: Path, cli: Cli
) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database, really" * 64)
    out = tmp_path / "r.json"
    bundle = host_yaml_path("win11-23h2-ja-compliant")
    result = cli("scan", "--replay", str(bundle), "-f", f"json:{out}", "--store", str(junk))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"endpoint-audit: error: {junk}: not a usable history store")
    assert not out.exists()  # nothing was audited


def test_a_store_failing_after_the_audit_is_an_output_not_written(tmp_path: Path) -> None:
    from endpoint_audit.cli.store_opts import add_to_store
    from endpoint_audit.model.result import RunReport

    report = RunReport.model_validate(report_data([Host("pc-1")], T0))
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database, really" * 64)
    problem = add_to_store(report, junk, "scan", "en")
    assert problem is not None and "the report was not added to the history store" in problem
    good = tmp_path / "h.sqlite3"
    assert add_to_store(report, good, "scan", "en") is None
    with sqlite3.connect(good) as conn:
        assert conn.execute("SELECT count(*) FROM rounds").fetchone()[0] == 1
    conn.close()
    assert add_to_store(report, None, "scan", "en") is None  # nothing asked, nothing done


def test_diff_exits_3_when_the_later_round_could_not_verify_a_failure(
    tmp_path: Path, cli: Cli
) -> None:
    """pc-1 failed, then was unreachable: not verified, never fixed, and a script must not
    read exit 0 ("nothing new") as "all is well"."""
    disk = with_status(compliant_findings(), "disk_encryption", Status.FAIL, "D:")
    files = [
        write_report(tmp_path / "a.json", report_data([Host("pc-1", disk), Host("pc-2")], T0)),
        write_report(
            tmp_path / "b.json",
            report_data([Host("pc-1", reachable=False), Host("pc-2")], T0 + WEEK),
        ),
    ]
    path = tmp_path / "h.sqlite3"
    assert cli("history", "import", *map(str, files), "--store", str(path)).exit_code == 0
    result = cli("history", "diff", "--store", str(path), "-f", "json")
    assert json.loads(result.stdout)["counts"]["not_verified"] == 1
    assert result.exit_code == 3
    assert cli("history", "diff", "2", "2", "--store", str(path)).exit_code == 0


def test_host_never_reached_has_no_failure_count_and_old_audits_are_dated(
    tmp_path: Path, cli: Cli
) -> None:
    """A PC no audit ever reached has unknown failures, not "0"; one not reached this
    round shows its failures with the date of the audit that saw them."""
    disk = with_status(compliant_findings(), "disk_encryption", Status.FAIL, "D:")
    files = [
        write_report(
            tmp_path / "a.json",
            report_data([Host("pc-1", disk), Host("pc-9", reachable=False)], T0),
        ),
        write_report(tmp_path / "b.json", report_data([Host("pc-1", reachable=False)], T0 + WEEK)),
    ]
    path = tmp_path / "h.sqlite3"
    assert cli("history", "import", *map(str, files), "--store", str(path)).exit_code == 0
    never = cli("history", "host", "pc-9", "--store", str(path), "--lang", "en")
    assert never.exit_code == 0
    assert "Open failures at" not in never.stdout and "no audit has reached" in never.stdout
    old = cli("history", "host", "pc-1", "--store", str(path), "--lang", "en")
    assert "latest audit that reached it (2026-03-02): 1" in old.stdout
    ja = cli("history", "host", "pc-9", "--store", str(path), "--lang", "ja")
    assert "接続できた監査がない" in ja.stdout


def test_diff_refuses_rounds_in_the_wrong_order(cli: Cli, store: Path) -> None:
    """`history diff 3 1` would call round 1's failures "new" and the later fixes
    "failures": the earlier round comes first, or it is one line and exit 2."""
    result = cli("history", "diff", "3", "1", "--store", str(store), "--lang", "en")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "endpoint-audit: error: round 3 finished after round 1: name the earlier round first"
    ]
