"""Bundles and reports that are deep, dated at the ends of time, mix naive and aware
times, name a language without texts, or carry message arguments that do not fit the
catalog text: one line and exit 2, or a report; never a traceback."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.hostile.run import assert_ran_clean, invoke
from tests.render.corpus import sample_report
from tests.replay_cases import host_yaml_path

DEPTH = 100_000
GOOD = host_yaml_path("win11-23h2-en-compliant")
FORMATS = ["json", "html", "csv", "junit", "markdown", "terminal", "frameworks"]


def _bundle() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(GOOD.read_text("utf-8"))
    return data


def _one_error(ran: Any, *words: str) -> str:
    assert_ran_clean(ran)
    assert ran.code == 2, (ran.code, ran.stderr)
    [line] = ran.stderr.strip().splitlines()
    for word in words:
        assert word in line, line
    return line


# --- nesting -----------------------------------------------------------------------------


def test_a_bundle_nested_100000_deep_is_one_line(tmp_path: Path) -> None:
    deep = "[" * DEPTH + "]" * DEPTH
    as_json = tmp_path / "deep.json"
    as_json.write_text(
        '{"format": "endpoint-audit-bundle", "version": 1, "hosts": [{"target": "x", '
        f'"facts": {deep}}}]}}',
        encoding="utf-8",
    )
    as_yaml = tmp_path / "deep.yaml"
    as_yaml.write_text(
        f"format: endpoint-audit-bundle\nversion: 1\nhosts:\n- target: x\n  facts: {deep}\n",
        encoding="utf-8",
    )
    for path in (as_json, as_yaml):
        _one_error(invoke("evaluate", path), str(path), "not a valid bundle")


def test_a_bundle_nested_just_too_deep_for_later_readers(tmp_path: Path) -> None:
    """500 levels: the JSON parser copes, but the probe batch reader is recursive; the
    loader's own bound (100) refuses it in one line first."""
    data = _bundle()
    value: Any = 1
    for _ in range(500):
        value = {"v": value}
    data["hosts"][0]["powershell_batch"] = {"bitlocker": {"ok": True, "value": value}}
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    _one_error(invoke("evaluate", path), "nested more than 100 levels")


def test_a_report_nested_100000_deep_is_one_line(tmp_path: Path) -> None:
    report = json.loads(sample_report().model_dump_json())
    text = json.dumps(report).replace('"expected": "FullyEncrypted"', '"expected": @@', 1)
    text = text.replace("@@", "[" * DEPTH + "]" * DEPTH)
    path = tmp_path / "deep.json"
    path.write_text(text, encoding="utf-8")
    for args in (
        ["render", path],
        ["merge", path, "-o", tmp_path / "m.json"],
        ["diff", path, path],
    ):
        _one_error(invoke("report", *args), str(path), "not an endpoint-audit JSON report")


# --- collected_at ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "when",
    [
        "0001-01-01T00:00:00+05:00",  # cannot be expressed in UTC (OverflowError before)
        "9999-12-31T23:59:59-05:00",
        "0001-01-01T00:00:00+00:00",
        "9999-12-31T23:59:59Z",
        "1970-01-01T00:00:00Z",
        "2100-01-01T00:00:00Z",
        "2026-13-01T00:00:00Z",
        "yesterday",
    ],
)
def test_collected_at_out_of_range_is_one_line(tmp_path: Path, when: str) -> None:
    data = _bundle()
    data["hosts"][0]["collected_at"] = when
    path = tmp_path / "pc.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    _one_error(invoke("evaluate", path), str(path), "collected_at")


def test_collected_at_as_a_yaml_time_near_year_one(tmp_path: Path) -> None:
    text = GOOD.read_text("utf-8").replace(
        "collected_at: '2024-11-20T03:00:00+00:00'", "collected_at: 0001-01-01 00:00:00+05:00"
    )
    path = tmp_path / "pc.yaml"
    path.write_text(text, encoding="utf-8")
    _one_error(invoke("evaluate", path), "collected_at")


def test_a_naive_collected_at_is_utc(tmp_path: Path) -> None:
    verdicts = []
    for when in ("2024-11-20T03:00:00", "2024-11-20T03:00:00+00:00", "2024-11-20T12:00:00+09:00"):
        data = _bundle()
        data["hosts"][0]["collected_at"] = when
        path = tmp_path / "pc.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        out = tmp_path / "r.json"
        ran = invoke("evaluate", path, "-f", f"json:{out}")
        assert_ran_clean(ran)
        findings = json.loads(out.read_text("utf-8"))["hosts"][0]["findings"]
        verdicts.append([(f["check_id"], f["resource"], f["status"]) for f in findings])
    assert verdicts[0] == verdicts[1] == verdicts[2]


# --- reports: times, languages, message arguments ---------------------------------------


def _report(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(sample_report().model_dump_json())
    data.update(changes)
    return data


def _failing(data: dict[str, Any]) -> dict[str, Any]:
    """The first unwaived failure: shown by every format, JUnit and Markdown included."""
    first: dict[str, Any] = next(
        f for h in data["hosts"] for f in h["findings"] if f["status"] == "fail" and not f["waiver"]
    )
    return first


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_merge_and_render_with_naive_and_aware_times(tmp_path: Path) -> None:
    naive = _report(started_at="2026-04-01T10:00:00", finished_at="2026-04-01T10:05:00")
    for host in naive["hosts"]:
        if host.get("finished_at"):
            host["started_at"], host["finished_at"] = "2026-04-01T10:00:00", "2026-04-01T10:05:00"
    aware = copy.deepcopy(naive)
    aware["started_at"] = "2026-04-01T18:00:00+09:00"  # 09:00 UTC: older than naive 10:00
    aware["finished_at"] = "2026-04-01T18:01:00+09:00"
    for host in aware["hosts"]:
        if host.get("finished_at"):
            host["started_at"], host["finished_at"] = aware["started_at"], aware["finished_at"]
        for f in host["findings"]:
            f["status"] = "error"
    a, b = _write(tmp_path / "naive.json", naive), _write(tmp_path / "aware.json", aware)
    merged = tmp_path / "merged.json"
    ran = invoke("report", "merge", b, a, "-o", merged)
    assert_ran_clean(ran)
    assert ran.code == 0, ran.stderr
    data = json.loads(merged.read_text("utf-8"))
    # Naive means UTC: the naive report (10:05 UTC) is the newer one and wins.
    assert all(f["status"] != "error" for h in data["hosts"] for f in h["findings"])
    assert data["started_at"].endswith("Z") or data["started_at"].endswith("+00:00")
    for fmt in FORMATS:
        ran = invoke("report", "render", a, "-f", f"{fmt}:{tmp_path / ('out.' + fmt)}")
        assert_ran_clean(ran)
        assert ran.code == 0, (fmt, ran.stderr)
    ran = invoke("report", "diff", a, b)
    assert_ran_clean(ran)


@pytest.mark.parametrize(
    ("when", "ok"),
    [
        ("0001-01-01T00:00:00Z", True),
        ("9999-12-31T23:59:59Z", True),
        ("0001-01-01T00:00:00+05:00", False),
        ("9999-12-31T23:59:59-05:00", False),
    ],
)
def test_report_times_at_the_ends_of_time(tmp_path: Path, when: str, ok: bool) -> None:
    path = _write(tmp_path / "r.json", _report(started_at=when, finished_at=when))
    for fmt in FORMATS:
        ran = invoke("report", "render", path, "-f", f"{fmt}:{tmp_path / ('o.' + fmt)}")
        if ok:
            assert_ran_clean(ran)
            assert ran.code == 0, (fmt, ran.stderr)
        else:
            _one_error(ran, str(path), "out of range in UTC")
    ran = invoke("report", "merge", path, path, "-o", tmp_path / "m.json")
    assert_ran_clean(ran)


def test_a_report_in_a_language_without_texts(tmp_path: Path) -> None:
    french = _write(tmp_path / "fr.json", _report(lang="fr"))
    ran = invoke("report", "render", french)
    assert_ran_clean(ran)
    assert ran.code == 0
    assert "language 'fr'" in ran.stderr and "shown in en" in ran.stderr
    assert "pc-soumu-001" in ran.stdout
    for lang in ("ja", "en"):
        ran = invoke("report", "render", french, "--lang", lang, "-f", "html")
        assert_ran_clean(ran)
        assert ran.code == 0 and ran.stderr == ""
    japanese = _write(tmp_path / "ja.json", json.loads(sample_report("ja").model_dump_json()))
    merged = tmp_path / "m.json"
    ran = invoke("report", "merge", french, japanese, "-o", merged)
    assert_ran_clean(ran)
    assert json.loads(merged.read_text("utf-8"))["lang"] == "ja"
    ran = invoke("report", "merge", french, "-o", merged)
    assert_ran_clean(ran)
    assert json.loads(merged.read_text("utf-8"))["lang"] == "en"
    ran = invoke("report", "diff", french, french)
    assert_ran_clean(ran)
    assert ran.code == 0


@pytest.mark.parametrize(
    "args",
    [
        {"rate": "not a number"},  # fleet.progress.rate is "{rate:.1f} hosts/s"
        {},  # missing argument
        {"rate": 10**4000},  # too large for a float
        {"rate": None},
    ],
)
def test_message_arguments_that_do_not_fit_show_the_recorded_message(
    tmp_path: Path, args: dict[str, Any]
) -> None:
    data = _report()
    finding = _failing(data)
    finding.update(
        message="recorded sentence", message_key="fleet.progress.rate", message_args=args
    )
    path = _write(tmp_path / "r.json", data)
    for fmt in FORMATS:
        out = tmp_path / f"o.{fmt}"
        ran = invoke("report", "render", path, "--lang", "ja", "-f", f"{fmt}:{out}")
        assert_ran_clean(ran)
        assert ran.code == 0, (fmt, ran.stderr)
        if fmt != "frameworks":  # the framework view shows verdicts, not sentences
            assert "recorded sentence" in out.read_text("utf-8-sig"), fmt
    japanese = _write(tmp_path / "ja.json", json.loads(sample_report("ja").model_dump_json()))
    merged = tmp_path / "m.json"
    ran = invoke("report", "merge", japanese, path, "-o", merged)
    assert_ran_clean(ran)
    assert "recorded sentence" in merged.read_text("utf-8")


def test_message_arguments_that_fit_are_rendered_in_the_other_language(tmp_path: Path) -> None:
    data = _report()
    finding = _failing(data)
    finding.update(message="x", message_key="fleet.progress.rate", message_args={"rate": 2.25})
    path = _write(tmp_path / "r.json", data)
    out = tmp_path / "o.md"
    ran = invoke("report", "render", path, "--lang", "ja", "-f", f"markdown:{out}")
    assert_ran_clean(ran)
    assert "2.2 台/秒" in out.read_text("utf-8")
