"""Rules in the baseline machinery: extends (turn off, change severity, replace), waivers
naming a rule, `baseline show --effective` and `baseline diff`, the effective digest."""

from __future__ import annotations

from pathlib import Path

from endpoint_audit.engine.plan import load_plan_baseline
from endpoint_audit.engine.registry import load_registry
from tests.baselines.helpers import run
from tests.rules.cases import PACK


def child(folder: Path, checks: str, extra: str = "") -> Path:
    path = folder / "child.yaml"
    path.write_text(
        "id: child\ntitle: {ja: 子, en: Child}\nversion: 1\n"
        f"extends: {PACK}\nchecks:\n{checks}{extra}",
        encoding="utf-8",
    )
    return path


def test_an_inherited_rule_can_be_turned_off_or_given_another_severity(tmp_path: Path) -> None:
    path = child(
        tmp_path,
        "  jp.smb1_server_disabled: {enabled: false}\n  jp.llmnr_disabled: {severity: low}\n",
    )
    loaded = load_plan_baseline(str(path), load_registry())
    assert "jp.smb1_server_disabled" not in loaded.checks
    assert "jp.smb1_server_disabled" in loaded.disabled
    assert loaded.rules["jp.llmnr_disabled"].severity.value == "low"
    diff = run("baseline", "diff", PACK, path)
    assert diff.code in (0, 1), diff.stderr
    assert "jp.llmnr_disabled: severity medium -> low" in diff.stdout
    assert "jp.smb1_server_disabled: disabled" in diff.stdout
    shown = run("baseline", "show", "--effective", path)
    assert shown.code == 0, shown.stderr
    assert "EnableMulticast" in shown.stdout


def test_an_inherited_rule_takes_no_other_key(tmp_path: Path) -> None:
    path = child(tmp_path, "  jp.llmnr_disabled: {params: {a: 1}}\n")
    ran = run("baseline", "validate", path)
    assert ran.code == 2
    assert "child.yaml:6: checks.jp.llmnr_disabled.params: an inherited rule takes only" in (
        ran.stderr
    )


def test_a_changed_condition_changes_the_digest_and_shows_in_diff(tmp_path: Path) -> None:
    text = PACK.read_text(encoding="utf-8").replace("{eq: 4}", "{eq: 3}", 1)
    changed = tmp_path / "changed.yaml"
    changed.write_text(
        text.replace("extends: jp-municipal-telework", "extends: jp-municipal-telework")
    )
    registry = load_registry()
    assert (
        load_plan_baseline(str(changed), registry).sha256
        != load_plan_baseline(str(PACK), registry).sha256
    )
    diff = run("baseline", "diff", PACK, changed)
    assert "city.remote_registry_disabled" in diff.stdout and "conditions" in diff.stdout


def test_waivers_may_name_a_rule(tmp_path: Path) -> None:
    waivers = (
        "waivers:\n  - check: jp.rdp_disabled\n    hosts: ['*']\n    justification: kiosk\n"
        "    approver: 情報政策課\n    expires: 2099-03-31\n"
    )
    path = child(tmp_path, "  jp.llmnr_disabled: {}\n", waivers)
    assert run("baseline", "validate", path).code == 0
    file = tmp_path / "waivers.yaml"
    file.write_text(waivers, encoding="utf-8")
    ran = run(
        "scan", "-b", PACK, "--only", "jp.usb_storage_blocked", "--waivers", file, "-f", "json"
    )
    assert ran.code in (0, 1, 3), ran.stderr
    typo = child(
        tmp_path, "  jp.llmnr_disabled: {}\n", waivers.replace("rdp_disabled", "rdp_disable")
    )
    bad = run("baseline", "validate", typo)
    assert bad.code == 2 and "did you mean 'jp.rdp_disabled'?" in bad.stderr


def test_checks_show_explains_a_rule() -> None:
    shown = run("checks", "show", "jp.rdp_disabled", "-b", PACK, "--json")
    assert shown.code == 0, shown.stderr
    assert '"Remote Desktop connections are refused"' in shown.stdout
    missing = run("checks", "show", "jp.rdp_disabled")
    assert missing.code == 2 and "-b BASELINE" in missing.stderr


def test_the_example_of_docs_rules_md_validates_and_runs(tmp_path: Path) -> None:
    text = (PACK.parents[1] / "docs" / "rules.md").read_text(encoding="utf-8")
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "city-telework.yaml"
    path.write_text("\n".join(line[3:] for line in block.splitlines()) + "\n", encoding="utf-8")
    ran = run("baseline", "validate", path)
    assert ran.code == 0, ran.stderr
    shown = run("checks", "show", "city.autologon_disabled", "-b", path)
    assert shown.code == 0 and "AutoAdminLogon" in shown.stdout
