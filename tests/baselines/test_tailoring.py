"""Tailoring: extends over several levels, cycles, per-OS values, disabling, severities,
and the commands that show, compare and start a tailored baseline."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import jsonschema
import yaml

from endpoint_audit.baseline.load import load_baseline
from endpoint_audit.engine.registry import load_registry
from tests.baselines.helpers import COMPLIANT, run, tailoring, write_yaml


def known() -> dict[str, type]:
    return {cid: cls.Params for cid, cls in load_registry().checks.items()}


def three_levels(tmp_path: Path) -> Path:
    """city.yaml -> dept/section.yaml -> ../office.yaml -> jp-municipal-telework (shipped)."""
    tailoring(
        tmp_path / "office.yaml",
        "jp-municipal-telework",
        {
            "screen_lock": {"params": {"max_idle_seconds": 600}},
            "open_ports": {"severity": "critical"},
        },
    )
    (tmp_path / "dept").mkdir()
    tailoring(
        tmp_path / "dept" / "section.yaml",
        "../office.yaml",  # relative to this file, not to the working folder
        {
            "screen_lock": {"platform_params": {"macos": {"max_idle_seconds": 1200}}},
            "patch_level": {"enabled": False},
        },
    )
    return tailoring(
        tmp_path / "city.yaml",
        "dept/section.yaml",
        {
            "screen_lock": {"params": {"max_lock_delay_seconds": 0}},
            "firewall": {"severity": "low"},
        },
    )


def test_extends_three_levels_merges_key_by_key(tmp_path: Path) -> None:
    loaded = load_baseline(str(three_levels(tmp_path)), known())
    assert len(loaded.chain) == 4 and loaded.chain[-1] == "jp-municipal-telework"
    lock = loaded.checks["screen_lock"]
    # Level 1 set 600, level 3 added the delay, the root's 900 is overridden.
    assert lock.params["max_idle_seconds"] == 600
    assert lock.params["max_lock_delay_seconds"] == 0
    assert lock.platform_params["macos"] == {"max_idle_seconds": 1200}
    assert lock.severity is not None and lock.severity.value == "medium"  # from the root
    assert loaded.checks["open_ports"].severity.value == "critical"  # type: ignore[union-attr]
    assert loaded.checks["firewall"].severity.value == "low"  # type: ignore[union-attr]
    assert "patch_level" not in loaded.checks and loaded.disabled == ["patch_level"]
    # References are inherited from the root when a level does not write them.
    assert any(r.framework == "mic_telework" for r in lock.references)


def test_a_child_can_enable_again_what_a_parent_disabled(tmp_path: Path) -> None:
    parent = three_levels(tmp_path)
    child = tailoring(tmp_path / "child.yaml", parent.name, {"patch_level": {"enabled": True}})
    loaded = load_baseline(str(child), known())
    assert "patch_level" in loaded.checks
    # Its values come back from the ancestor that set them.
    assert loaded.checks["patch_level"].params["max_days_since_update"] == 30


def test_extends_cycle_is_named_on_the_line_that_closes_it(tmp_path: Path) -> None:
    tailoring(tmp_path / "a.yaml", "b.yaml")
    tailoring(tmp_path / "b.yaml", "c.yaml")
    tailoring(tmp_path / "c.yaml", "a.yaml")
    result = run("baseline", "validate", tmp_path / "a.yaml")
    assert result.code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    match = re.match(r"endpoint-audit: error: (.+):(\d+): extends: cycle: (.+)$", lines[0])
    assert match, lines[0]
    assert match[1].endswith("c.yaml")
    line = (tmp_path / "c.yaml").read_text().splitlines()[int(match[2]) - 1]
    assert line.startswith("extends:")
    assert [Path(p).name for p in match[3].split(" -> ")] == [
        "a.yaml",
        "b.yaml",
        "c.yaml",
        "a.yaml",
    ]


def test_extends_depth_is_bounded(tmp_path: Path) -> None:
    previous = "minimal"
    for level in range(12):
        tailoring(tmp_path / f"l{level}.yaml", previous)
        previous = f"l{level}.yaml"
    result = run("baseline", "validate", tmp_path / "l11.yaml")
    assert result.code == 2 and "levels of extends" in result.stderr


def test_per_os_override_reaches_the_check(tmp_path: Path) -> None:
    """A Windows-only override changes the verdict on Windows and nothing else."""
    strict = tailoring(
        tmp_path / "strict.yaml",
        "minimal",
        {"screen_lock": {"platform_params": {"windows": {"max_idle_seconds": 300}}}},
    )
    lax = tailoring(
        tmp_path / "lax.yaml",
        "minimal",
        {"screen_lock": {"platform_params": {"macos": {"max_idle_seconds": 300}}}},
    )
    failing = run("scan", "-b", strict, "--replay", COMPLIANT, "-f", "json")
    assert failing.code == 1
    failed = {
        f["check_id"]
        for h in failing.json()["hosts"]
        for f in h["findings"]
        if f["status"] == "fail"
    }
    assert failed == {"screen_lock"}
    assert run("scan", "-b", lax, "--replay", COMPLIANT).code == 0


def test_disabled_check_does_not_run_and_severity_change_is_reported(tmp_path: Path) -> None:
    tailored = tailoring(
        tmp_path / "t.yaml",
        "jp-municipal-telework",
        {"disk_encryption": {"enabled": False}, "screen_lock": {"severity": "high"}},
    )
    result = run("scan", "-b", tailored, "--replay", COMPLIANT, "-f", "json")
    assert result.code == 0, result.stderr
    report = result.json()
    assert "disk_encryption" not in report["checks"]
    assert report["checks"]["screen_lock"]["severity"] == "high"
    assert {
        f["severity"] for f in report["hosts"][0]["findings"] if f["check_id"] == "screen_lock"
    } == {"high"}


def test_a_check_turned_off_is_said_on_stderr(tmp_path: Path) -> None:
    """A tailoring that turns a check off (here two levels down) leaves it out of every
    report, which then reads as if the baseline never had it: the run says so."""
    middle = tailoring(
        tmp_path / "m.yaml", "jp-municipal-telework", {"disk_encryption": {"enabled": False}}
    )
    tailored = tailoring(tmp_path / "t.yaml", str(middle), {"screen_lock": {"severity": "high"}})
    result = run("scan", "-b", tailored, "--replay", COMPLIANT, "-f", "json")
    assert result.code == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "disk_encryption" in line]
    assert len(lines) == 1, result.stderr
    assert "turned off" in lines[0] and "enabled: false" in lines[0]
    plain = run("scan", "-b", "jp-municipal-telework", "--replay", COMPLIANT, "-f", "json")
    assert "turned off" not in plain.stderr


def test_platforms_limits_a_check_to_some_os(tmp_path: Path) -> None:
    tailored = tailoring(
        tmp_path / "t.yaml", "minimal", {"open_ports": {"platforms": ["linux", "macos"]}}
    )
    result = run("scan", "-b", tailored, "--replay", COMPLIANT, "-f", "json")
    findings = [f for f in result.json()["hosts"][0]["findings"] if f["check_id"] == "open_ports"]
    assert [f["status"] for f in findings] == ["not_applicable"]


def test_show_raw_and_effective(tmp_path: Path) -> None:
    city = three_levels(tmp_path)
    raw = run("baseline", "show", city)
    assert raw.code == 0
    assert raw.stdout.strip() == city.read_text(encoding="utf-8").strip()
    eff = run("baseline", "show", city, "--effective")
    assert eff.code == 0
    data = yaml.safe_load(eff.stdout)
    assert data["chain"][-1] == "jp-municipal-telework"
    lock = data["checks"]["screen_lock"]
    # What every OS shares is said once; a per-OS value only under its OS.
    assert lock["params"]["max_lock_delay_seconds"] == 0
    assert "max_idle_seconds" not in lock["params"]
    assert lock["platform_params"] == {
        "windows": {"max_idle_seconds": 600},
        "macos": {"max_idle_seconds": 1200},
        "linux": {"max_idle_seconds": 600},
    }
    # Defaults of parameters the files never mention are filled in.
    assert lock["params"]["require_enforced"] is False
    assert data["checks"]["patch_level"] == {"enabled": False}
    assert data["checks"]["firewall"]["severity"] == "low"
    shipped = run("baseline", "show", "minimal")
    assert shipped.stdout.startswith("# yaml-language-server: $schema=")


def test_init_example_waiver_lies_in_the_future(tmp_path: Path) -> None:
    out = tmp_path / "city.yaml"
    assert run("baseline", "init", "-o", str(out)).code == 0
    text = out.read_text(encoding="utf-8")
    block = text[text.index("\n  # - id:") :]
    example = "\n".join(line.replace("  # ", "  ", 1) for line in block.splitlines()[1:])
    waivers = yaml.safe_load("waivers:\n" + example)["waivers"]
    (waiver,) = [w for w in waivers if "expires" in w]
    assert waiver["approved"] == date.today()
    assert waiver["expires"] > date.today() + timedelta(days=90)


def test_diff_reports_every_kind_of_change(tmp_path: Path) -> None:
    city = three_levels(tmp_path)
    result = run("baseline", "diff", "jp-municipal-telework", city)
    assert result.code == 0
    out = result.stdout
    assert "~ patch_level: disabled" in out
    assert "~ open_ports: severity high -> critical" in out
    assert "~ firewall: severity high -> low" in out
    assert "~ screen_lock.params.max_idle_seconds [windows, linux]: 900 -> 600" in out
    assert "~ screen_lock.params.max_idle_seconds [macos]: 900 -> 1200" in out
    assert "~ screen_lock.params.max_lock_delay_seconds [all OS]: 5 -> 0" in out
    assert "disk_encryption" not in out  # unchanged


def test_diff_between_shipped_baselines_and_added_removed(tmp_path: Path) -> None:
    out = run("baseline", "diff", "jp-municipal-telework", "cis-level1").stdout
    assert "~ disk_encryption: runs on [windows, macos, linux] -> [macos]" in out
    assert "~ screen_lock.params.max_idle_seconds [macos]: 900 -> 1200" in out
    assert "~ screen_lock.params.require_enforced [linux]: false -> true" in out
    small = write_yaml(
        tmp_path / "small.yaml",
        {
            "id": "small",
            "title": {"ja": "小", "en": "Small"},
            "version": "1",
            "checks": {"firewall": {}},
        },
    )
    out = run("baseline", "diff", small, "minimal").stdout
    assert "+ screen_lock: added (medium)" in out
    out = run("baseline", "diff", "minimal", small).stdout
    assert "- screen_lock: removed" in out
    same = run("baseline", "diff", "minimal", "minimal").stdout
    assert "No differences" in same
    ja = run("baseline", "diff", "minimal", small, "--lang", "ja").stdout
    assert "削除" in ja


def test_init_writes_a_commented_file_that_validates(tmp_path: Path) -> None:
    target = tmp_path / "city-telework.yaml"
    result = run("baseline", "init", "--extends", "jp-municipal-telework", "-o", target)
    assert result.code == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=baseline.schema.json\n")
    assert "変更する項目" in text and "Uncomment and edit" in text  # ja and en comments
    assert "#   screen_lock:" in text or "# screen_lock:" in text
    loaded = load_baseline(str(target), known())
    assert loaded.id == "city-telework"
    assert loaded.chain[-1] == "jp-municipal-telework" and len(loaded.chain) == 2
    # Same effective checks as the parent: the template changes nothing until edited.
    assert "No differences" in run("baseline", "diff", "jp-municipal-telework", target).stdout
    # The schema next to it accepts it too.
    schema = (tmp_path / "baseline.schema.json").read_text(encoding="utf-8")
    jsonschema.validate(yaml.safe_load(text), yaml.safe_load(schema))
    # Uncommenting an example gives a valid file as well.
    edited = text.replace(
        "  # screen_lock:\n  #   severity: medium\n", "  screen_lock:\n    severity: high\n"
    )
    assert edited != text
    # ... and so does uncommenting the example waiver.
    tail = text.split("\nwaivers:\n", 1)[1].splitlines()
    example = [ln for ln in tail if ln.startswith(("  # - ", "  #   "))]
    assert any("approver:" in ln for ln in example)
    for ln in example:
        edited = edited.replace(ln + "\n", "  " + ln[4:] + "\n")
    target.write_text(edited, encoding="utf-8")
    checked = run("baseline", "validate", target)
    assert checked.code == 0, checked.stderr
    assert len(load_baseline(str(target), known()).waivers) == 1
    # It refuses to overwrite.
    again = run("baseline", "init", "-o", target)
    assert again.code == 2 and "already exists" in again.stderr


def test_init_from_a_file_writes_a_relative_extends(tmp_path: Path) -> None:
    parent = three_levels(tmp_path)
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "mine.yaml"
    assert run("baseline", "init", "--extends", parent, "-o", target).code == 0
    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert data["extends"] == "../city.yaml"
    assert load_baseline(str(target), known()).chain[-1] == "jp-municipal-telework"
