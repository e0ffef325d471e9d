"""Names from files and hosts reach the terminal with their control characters shown as
escapes: ANSI sequences, carriage returns, bells, bidirectional overrides, in host names
(targets), file names of a share, baseline texts, inventory entries and server reasons;
in progress lines, warnings, errors, summary lines and the terminal report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from endpoint_audit.cli import host_progress
from endpoint_audit.model.printable import one_line, visible_controls
from endpoint_audit.model.result import HostReport
from tests.hostile.run import assert_no_raw_controls, assert_ran_clean, invoke
from tests.render.corpus import sample_report
from tests.replay_cases import host_yaml_path

EVIL = {
    "ansi": "\x1b[2J\x1b[31mred\x1b]8;;http://127.0.0.1:9/\x07link\x1b]8;;\x07",
    "cr": "pc-99\roverwritten",
    "bel": "pc\x07\x07",
    "bidi": "pc-\u202eexe.txt\u202c",
    "isolate": "\u2066pc\u2069\u200f",
    "c1": "pc\x9b31m",
}
GOOD = host_yaml_path("win11-23h2-en-compliant")


def test_the_helper_escapes_every_kind() -> None:
    for value in EVIL.values():
        assert_no_raw_controls(one_line(value))
    assert one_line("a\nb\tc") == "a\\x0ab\\x09c"
    assert visible_controls("line 1\r\nline 2") == "line 1\nline 2"
    assert one_line("総務課　端末") == "総務課　端末"  # the ideographic space stays


def test_hostile_host_and_file_names_in_a_share(tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    for key, evil in EVIL.items():
        data = yaml.safe_load(GOOD.read_text("utf-8"))
        data["hosts"][0]["target"] = evil
        (share / f"{key}.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
        # A broken file whose very name is hostile: it is named in a warning.
        (share / f"broken-{evil.replace('/', '_')}.json").write_text("{", encoding="utf-8")
    ran = invoke("evaluate", share, "-f", "terminal")
    assert_ran_clean(ran)
    assert ran.code == 3
    assert_no_raw_controls(ran.stdout)
    assert_no_raw_controls(ran.stderr)
    assert "\\x1b[2J" in ran.stdout and "\\u202e" in ran.stdout
    assert "skipped" in ran.stderr and "\\x1b[2J" in ran.stderr
    frameworks = invoke("evaluate", share, "-f", "frameworks")
    assert_no_raw_controls(frameworks.stdout)


def test_hostile_baseline_texts_in_the_terminal_report(tmp_path: Path) -> None:
    baseline = tmp_path / "city.yaml"
    baseline.write_text(
        'id: city\ntitle: {ja: "\\e[2J市\\r", en: "\\e[31mCity\\a\\u202e"}\nversion: "1\\e[0m"\n'
        "extends: minimal\nchecks: {}\n",
        encoding="utf-8",
    )
    for lang in ("en", "ja"):
        ran = invoke("evaluate", GOOD, "-b", baseline, "--lang", lang)
        assert_ran_clean(ran)
        assert_no_raw_controls(ran.stdout)
        assert "\\x1b[" in ran.stdout
    shown = invoke("baseline", "show", baseline, "--effective")
    assert_no_raw_controls(shown.stdout)


def test_inventory_names_with_controls_are_refused_in_a_clean_line(tmp_path: Path) -> None:
    for key, evil in EVIL.items():
        inventory = tmp_path / f"{key}.yaml"
        inventory.write_text(yaml.safe_dump({"hosts": [evil]}), encoding="utf-8")
        ran = invoke("scan", "-i", inventory)
        assert_ran_clean(ran)
        assert ran.code == 2, (key, ran.stderr)
        assert_no_raw_controls(ran.stderr)


def test_merge_notes_and_diff_name_hostile_hosts_cleanly(tmp_path: Path) -> None:
    data = json.loads(sample_report().model_dump_json())
    data["hosts"][0]["target"] = EVIL["ansi"] + EVIL["bidi"] + EVIL["cr"]
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps(data), encoding="utf-8")
    second.write_text(json.dumps(data), encoding="utf-8")
    merged = invoke("report", "merge", first, second, "-o", tmp_path / "m.json")
    assert_ran_clean(merged)
    assert "replaces" in merged.stderr or "kept" in merged.stderr
    assert_no_raw_controls(merged.stderr)
    rendered = invoke("report", "render", first)
    assert_no_raw_controls(rendered.stdout)
    for fmt in ("text", "json"):
        diff = invoke("report", "diff", first, second, "-f", fmt)
        assert_ran_clean(diff)
        assert_no_raw_controls(diff.stdout)


def test_validate_names_a_hostile_file_cleanly(tmp_path: Path) -> None:
    name = tmp_path / f"city{EVIL['ansi']}{EVIL['cr']}.yaml".replace("/", "_")
    name.write_text('id: city\ntitle: {ja: 市, en: City}\nversion: "1"\nchecks: {}\n', "utf-8")
    ok = invoke("baseline", "validate", name)
    assert_ran_clean(ok)
    assert ok.code == 0 and ok.stdout.startswith("OK ")
    assert_no_raw_controls(ok.stdout)
    broken = tmp_path / f"bad{EVIL['bel']}.yaml"
    broken.write_text("id: [", encoding="utf-8")
    bad = invoke("baseline", "validate", broken)
    assert bad.code == 2
    assert_no_raw_controls(bad.stderr)


@pytest.mark.parametrize("key", list(EVIL))
def test_fleet_progress_lines(key: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The line printed for each host as it finishes: host names and the reasons a
    server gave are shown with their controls escaped."""
    evil = EVIL[key]
    tally = host_progress._Tally(total=2, done=1)
    down = HostReport(target=evil, status="unreachable", reason=f"SSH: {evil}")
    up = HostReport(target=evil, duration_seconds=1.0)
    for report in (down, up):
        for lang in ("en", "ja"):
            for collecting in (False, True):
                host_progress._note(host_progress._host_line(report, tally, lang, 3, collecting))
    err = capsys.readouterr().err
    assert err.count("\n") == 8
    assert_no_raw_controls(err)


def test_yaml_errors_name_hostile_keys_cleanly(tmp_path: Path) -> None:
    """A key made of a control character, in an error about its value (found by the
    property suite: the key reached stderr raw)."""
    for name, text in {
        "deep.yaml": '"\\x1f\\e[2J":\n' + "- " * 45 + "null\n",
        "dup.yaml": '"a\\rb": 1\n"a\\rb": 2\n',
    }.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        for args in (["baseline", "validate", path], ["scan", "-i", path]):
            ran = invoke(*args)
            assert_ran_clean(ran)
            assert ran.code == 2
            assert_no_raw_controls(ran.stderr.replace("\n", ""))
            assert "\\x1f" in ran.stderr or "\\x0d" in ran.stderr, ran.stderr
