"""Property-based tests: generated hostile bundles, reports, inventories, waiver files and
baselines (wrong types, deep nesting, huge values, odd Unicode, duplicate keys, lone
surrogates, control characters, damaged bytes) through the real CLI.

Every case asserts: no traceback (no exception escapes the command), a documented exit
code, a configuration error in one line naming the file, output files that are valid
UTF-8, terminal text without raw control characters; and beyond that, per property:
garbage evidence never yields `pass`, a bad file never costs a good host next to it,
waivers never change a status. `hypothesis.event` records the outcomes, so that
`--hypothesis-show-statistics` (and bench/fuzz_inputs.py) shows what the cases did.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import assume, event, given
from hypothesis import strategies as st

from endpoint_audit.baseline.load import shipped_text
from endpoint_audit.baseline.yaml_lines import load_lined
from endpoint_audit.errors import ConfigError
from endpoint_audit.inventory import load_inventory
from tests.hostile.fuzz_settings import fuzz_settings
from tests.hostile.run import (
    assert_clean,
    assert_no_raw_controls,
    assert_ran_clean,
    invoke,
    run_cli,
)
from tests.hostile.strategies import (
    COMPLIANT_BUNDLES,
    OTHER_BUNDLES,
    WAIVER_TEMPLATE,
    bundle_data,
    garbage_result,
    hostile_text,
    mutated,
    text_damage,
    to_text,
    valid_inventory,
)
from tests.render.corpus import sample_report

FORMATS = ["json", "html", "csv", "junit", "markdown", "terminal", "frameworks"]
RDP = OTHER_BUNDLES[0]


def _strict_utf8(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def _findings(report_path: Path) -> list[dict[str, Any]]:
    report = json.loads(_strict_utf8(report_path))
    return [dict(f, host=h["target"]) for h in report["hosts"] for f in h["findings"]]


def _evaluate(path: Path, out: Path, *extra: str | Path, names_bundle: bool = True) -> Any:
    ran = invoke("evaluate", path, "-f", f"json:{out}", "-f", "terminal", *extra)
    assert_ran_clean(ran)
    assert_no_raw_controls(ran.stdout)
    assert_no_raw_controls(ran.stderr.replace("\n", ""))
    event(f"exit {ran.code}")
    if ran.code == 2:
        if names_bundle:
            assert str(path) in ran.stderr, ran.stderr
        assert not out.exists()
    else:
        assert out.exists(), ran.stderr
        _strict_utf8(out)
    return ran


# --- bundles -----------------------------------------------------------------------------


@fuzz_settings(40)
@given(data=st.data())
def test_hostile_bundles_are_judged_or_refused_in_one_line(data: st.DataObject) -> None:
    base = data.draw(st.sampled_from(COMPLIANT_BUNDLES + OTHER_BUNDLES), label="base")
    doc = data.draw(mutated(bundle_data(base)), label="bundle")
    as_yaml = data.draw(st.booleans(), label="yaml")
    raw = data.draw(text_damage(to_text(doc, as_yaml)), label="bytes")
    lang = data.draw(st.sampled_from(["ja", "en"]))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("pc.yaml" if as_yaml else "pc.json")
        path.write_bytes(raw)
        _evaluate(path, Path(tmp) / "out" / "r.json", "--lang", lang)


@fuzz_settings(40)
@given(data=st.data())
def test_garbage_probe_output_never_passes(data: st.DataObject) -> None:
    """Every command of a compliant PC's bundle answers with output that is not the
    command's (or fails): no check may pass."""
    base = data.draw(st.sampled_from(COMPLIANT_BUNDLES), label="base")
    doc = bundle_data(base)
    host = doc["hosts"][0]
    host.pop("powershell_batch", None)
    host["commands"] = {
        key: data.draw(garbage_result(key), label=key) for key in sorted(host["commands"])
    }
    # What platform detection read is garbage too (checks may judge the OS release alone).
    no_digits = st.text(alphabet=st.characters(blacklist_categories=("Nd", "Cs")), max_size=12)
    for field in ("distro", "version", "build", "pretty_name"):
        host["platform"][field] = data.draw(no_digits | st.none(), label=field)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pc.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        out = Path(tmp) / "r.json"
        ran = _evaluate(path, out)
        assert ran.code != 2, ran.stderr  # the bundle itself is well formed
        passing = [f for f in _findings(out) if f["status"] == "pass"]
        assert not passing, json.dumps(passing, ensure_ascii=False)[:3000]
        event(f"statuses {sorted({f['status'] for f in _findings(out)})}")


@fuzz_settings(40)
@given(data=st.data())
def test_a_pass_never_rests_on_garbage_evidence_alone(data: st.DataObject) -> None:
    """Some commands garbled, the others as recorded: a finding that passes cites at
    least one command whose output was left intact."""
    base = data.draw(st.sampled_from(COMPLIANT_BUNDLES), label="base")
    doc = bundle_data(base)
    host = doc["hosts"][0]
    host.pop("powershell_batch", None)
    keys = sorted(host["commands"])
    garbled = data.draw(st.sets(st.sampled_from(keys), min_size=1), label="garbled")
    for key in garbled:
        host["commands"][key] = data.draw(garbage_result(key), label=key)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pc.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        out = Path(tmp) / "r.json"
        _evaluate(path, out)
        for finding in _findings(out):
            if finding["status"] != "pass":
                continue
            sources = {e["source"] for e in finding["evidence"]}
            assert sources, finding  # a pass names its evidence
            assert sources - garbled, (finding, sorted(garbled))


@fuzz_settings(15)
@given(data=st.data())
def test_a_bad_bundle_never_costs_the_good_one_next_to_it(data: st.DataObject) -> None:
    good_path = data.draw(st.sampled_from(COMPLIANT_BUNDLES), label="good")
    good = bundle_data(good_path)
    good["hosts"][0]["target"] = "pc-good-0001"
    bad = data.draw(mutated(bundle_data(data.draw(st.sampled_from(OTHER_BUNDLES)))), label="bad")
    bad_hosts = bad.get("hosts") if isinstance(bad, dict) else None
    if isinstance(bad_hosts, list):
        assume(
            not any(isinstance(h, dict) and h.get("target") == "pc-good-0001" for h in bad_hosts)
        )
    raw = data.draw(text_damage(to_text(bad, as_yaml=False)), label="bytes")
    with tempfile.TemporaryDirectory() as tmp:
        alone_dir, share = Path(tmp) / "alone", Path(tmp) / "share"
        alone_dir.mkdir()
        share.mkdir()
        (alone_dir / "good.json").write_text(json.dumps(good), encoding="utf-8")
        (share / "good.json").write_text(json.dumps(good), encoding="utf-8")
        (share / "bad.json").write_bytes(raw)
        alone, together = Path(tmp) / "alone.json", Path(tmp) / "together.json"
        _evaluate(alone_dir, alone)
        ran = _evaluate(share, together)
        assert ran.code != 2, ran.stderr
        alone_found = {(f["check_id"], f["resource"]): f["status"] for f in _findings(alone)}
        kept = {
            (f["check_id"], f["resource"]): f["status"]
            for f in _findings(together)
            if f["host"] == "pc-good-0001"
        }
        assert set(alone_found) == set(kept)  # every finding of the good host is there
        # A folder is judged as of its newest collection time, so another file can make
        # this host's ages longer (a pass may become a failure), never a new pass.
        for where, status in kept.items():
            assert status != "pass" or alone_found[where] == "pass", where
            if status != alone_found[where]:
                event("another file's collection time changed a verdict")


@fuzz_settings(3)
@given(data=st.data())
def test_hostile_bundles_as_a_real_process(data: st.DataObject) -> None:
    doc = data.draw(mutated(bundle_data(data.draw(st.sampled_from(COMPLIANT_BUNDLES)))))
    raw = data.draw(text_damage(to_text(doc, as_yaml=data.draw(st.booleans()))))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pc.json"
        path.write_bytes(raw)
        done = run_cli("evaluate", path, "-f", "terminal", "--lang", "ja", timeout=120)
        assert_clean(done.returncode, done.stderr)
        assert_no_raw_controls(done.stdout)


# --- reports -----------------------------------------------------------------------------

_REPORT = json.loads(sample_report().model_dump_json())


@fuzz_settings(40)
@given(data=st.data())
def test_hostile_reports_render_merge_and_diff_or_are_refused(data: st.DataObject) -> None:
    doc = data.draw(mutated(_REPORT, rounds=5), label="report")
    raw = data.draw(text_damage(to_text(doc, as_yaml=False)), label="bytes")
    command = data.draw(st.sampled_from(["render", "merge", "diff"]), label="command")
    with tempfile.TemporaryDirectory() as tmp:
        path, good = Path(tmp) / "r.json", Path(tmp) / "good.json"
        path.write_bytes(raw)
        good.write_text(json.dumps(_REPORT), encoding="utf-8")
        out = Path(tmp) / "out"
        if command == "render":
            fmt = data.draw(st.sampled_from(FORMATS))
            lang = data.draw(st.sampled_from(["ja", "en", None]))
            args = ["report", "render", path, "-f", f"{fmt}:{out}"]
            ran = invoke(*args, *(["--lang", lang] if lang else []))
        elif command == "merge":
            ran = invoke("report", "merge", good, path, "-o", out)
        else:
            ran = invoke(
                "report", "diff", good, path, "-f", data.draw(st.sampled_from(["text", "json"]))
            )
        assert_ran_clean(ran)
        assert_no_raw_controls(ran.stdout)
        event(f"{command} exit {ran.code}")
        if ran.code == 2:
            assert str(path) in ran.stderr
        elif command != "diff":
            _strict_utf8(out)


# --- inventories -------------------------------------------------------------------------


@fuzz_settings(60)
@given(data=st.data())
def test_hostile_inventories_load_or_fail_in_one_line(data: st.DataObject) -> None:
    text, _ = data.draw(valid_inventory(), label="inventory")
    kind = data.draw(st.sampled_from(["yaml", "yaml", "plain"]))
    if kind == "yaml":
        import yaml

        doc = data.draw(mutated(yaml.safe_load(text)), label="mutated")
        raw = data.draw(text_damage(to_text(doc, as_yaml=True)), label="bytes")
    else:
        lines = data.draw(st.lists(hostile_text, max_size=10), label="lines")
        raw = data.draw(text_damage("\n".join(lines)), label="bytes")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("fleet.yaml" if kind == "yaml" else "hosts.txt")
        path.write_bytes(raw)
        try:
            hosts = load_inventory(path)
        except ConfigError as exc:
            message = str(exc)
            assert "\n" not in message and message.startswith(str(path)), message
            assert_no_raw_controls(message)
            event("refused")
        else:
            event("loaded")
            assert hosts
            for host in hosts:
                assert host.name and host.name.isprintable()


@fuzz_settings(25)
@given(inventory=valid_inventory())
def test_legitimate_inventories_always_load_in_order(inventory: tuple[str, list[str]]) -> None:
    text, names = inventory
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fleet.yaml"
        path.write_text(text, encoding="utf-8")
        hosts = load_inventory(path)
    groups = len({line for line in text.splitlines() if line.startswith("  g")})
    expected = [n for g in range(groups) for n in names[g::groups]]
    assert [h.name for h in hosts] == expected


@fuzz_settings(6)
@given(data=st.data())
def test_hostile_inventories_through_the_cli(data: st.DataObject) -> None:
    import yaml

    text, _ = data.draw(valid_inventory())
    doc = data.draw(mutated(yaml.safe_load(text)))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fleet.yaml"
        path.write_bytes(data.draw(text_damage(to_text(doc, as_yaml=True))))
        # --limit selects nothing, so no host is contacted: the inventory is read whole.
        ran = invoke("scan", "-i", path, "--limit", "no-such-host-anywhere")
        assert_ran_clean(ran)
        assert ran.code == 2
        assert_no_raw_controls(ran.stderr.replace("\n", ""))


# --- baselines and waivers ---------------------------------------------------------------

_BASELINE = load_lined(shipped_text("jp-municipal-telework") or "", "shipped").data


@fuzz_settings(30)
@given(data=st.data())
def test_hostile_baselines_validate_or_fail_in_one_line(data: st.DataObject) -> None:
    doc = data.draw(mutated(_BASELINE), label="baseline")
    raw = data.draw(text_damage(to_text(doc, as_yaml=True)), label="bytes")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "city.yaml"
        path.write_bytes(raw)
        ran = invoke("baseline", "validate", path)
        assert_ran_clean(ran)
        assert ran.code in (0, 2)
        assert_no_raw_controls(ran.stdout + ran.stderr.replace("\n", ""))
        event(f"validate exit {ran.code}")
        if ran.code == 2:
            assert str(path) in ran.stderr
        else:
            # A valid baseline may still select nothing (every check disabled): exit 2.
            _evaluate(RDP, Path(tmp) / "r.json", "-b", path, names_bundle=False)


@fuzz_settings(25)
@given(data=st.data())
def test_waivers_never_change_a_status(data: st.DataObject) -> None:
    doc = data.draw(mutated(WAIVER_TEMPLATE, rounds=3), label="waivers")
    raw = data.draw(text_damage(to_text(doc, as_yaml=True)), label="bytes")
    with tempfile.TemporaryDirectory() as tmp:
        waivers = Path(tmp) / "waivers.yaml"
        waivers.write_bytes(raw)
        plain, waived = Path(tmp) / "plain.json", Path(tmp) / "waived.json"
        assert invoke("scan", "--replay", RDP, "-f", f"json:{plain}").code == 1
        ran = invoke("scan", "--replay", RDP, "--waivers", waivers, "-f", f"json:{waived}")
        assert_ran_clean(ran)
        event(f"exit {ran.code}")
        if ran.code == 2:
            assert str(waivers) in ran.stderr
            return
        before = {(f["check_id"], f["resource"]): f["status"] for f in _findings(plain)}
        after = {(f["check_id"], f["resource"]): f["status"] for f in _findings(waived)}
        assert before == after  # a waiver is recorded beside a status, never replaces it
        if any(f["waiver"] for f in _findings(waived)):
            event("a waiver applied")


@fuzz_settings(80)
@given(data=st.data())
def test_any_yaml_document_is_read_or_refused_in_one_line(data: st.DataObject) -> None:
    doc = data.draw(mutated(_BASELINE, rounds=6), label="doc")
    text = to_text(doc, as_yaml=True)
    try:
        load_lined(text, "doc.yaml")
    except ConfigError as exc:
        message = str(exc)
        assert "\n" not in message and message.startswith("doc.yaml:"), message
        if "*" not in text:
            assert "alias" not in message, message  # no aliases, never an alias bomb
        event("refused")
    else:
        event("read")
