"""The shipped baselines: valid, referenced to every framework, and usable for a scan."""

from __future__ import annotations

import pytest

from endpoint_audit.baseline.load import load_baseline, shipped_names
from endpoint_audit.engine.registry import load_registry
from endpoint_audit.model.platform import OsFamily
from tests.baselines.helpers import COMPLIANT, RDP, SHIPPED, run

# The rule checks of jp-municipal-telework that read Linux and macOS (not applicable on
# the Windows PCs of the bundles below).
NIX_RULES = (
    "jp.cleartext_login_servers_absent",
    "jp.gdm_autologin_disabled",
    "jp.macos_autologin_disabled",
    "jp.macos_guest_account_disabled",
)


def known() -> dict[str, type]:
    return {cid: cls.Params for cid, cls in load_registry().checks.items()}


def test_the_three_baselines_are_shipped() -> None:
    assert set(SHIPPED) <= set(shipped_names())


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_baseline_validates(name: str) -> None:
    result = run("baseline", "validate", name)
    assert result.code == 0, result.stderr
    assert result.stdout.startswith(f"OK {name}: {name} ")


@pytest.mark.parametrize("name", ["jp-municipal-telework", "cis-level1"])
def test_every_entry_cites_cis_per_os_or_says_why_not(name: str) -> None:
    """A CIS item is cited only where a pass of the check means the item is met; where
    an OS has none, the rationale says so ("CIS Ubuntu has no ...")."""
    loaded = load_baseline(name, known())
    registry = load_registry()
    names = {"linux": "CIS Ubuntu", "windows": "CIS Windows", "macos": "CIS macOS"}
    for cid, config in loaded.checks.items():
        covered = {
            p for r in config.references if r.framework.startswith("cis_") for p in r.platforms
        }
        runs_on = config.platforms or registry.checks[cid].meta.platforms
        for family in runs_on:
            if family.value not in covered:
                assert f"{names[family.value]} has no" in _rationale(cid, name)["en"], (cid, family)


JP_RULES = {
    "jp.autologon_disabled",
    "jp.bitlocker_to_go_required",
    "jp.guest_account_disabled",
    "jp.llmnr_disabled",
    "jp.logon_events_audited",
    "jp.office_macros_blocked",
    "jp.rdp_disabled",
    "jp.removable_storage_restricted",
    "jp.smb1_server_disabled",
    "jp.usb_storage_blocked",
    *NIX_RULES,
}


def test_every_jp_municipal_rule_cites_mic_municipal_and_cis_or_says_why_not() -> None:
    loaded = load_baseline("jp-municipal-telework", known())
    assert set(loaded.rules) == JP_RULES
    names = {"linux": "CIS Ubuntu", "windows": "CIS Windows", "macos": "CIS macOS"}
    for rid, rule in loaded.rules.items():
        frameworks = {r.framework for r in rule.references}
        assert {"mic_telework", "municipal_policy"} <= frameworks, rid
        assert rule.rationale is not None and rule.rationale.ja, rid
        cis = [r for r in rule.references if r.framework.startswith("cis_")]
        covered = {p for r in cis for p in r.platforms}
        for family in rule.platforms:
            if family.value not in covered:
                assert f"{names[family.value]} has no" in rule.rationale.en, (rid, family)


def test_every_jp_municipal_entry_cites_mic_municipal_and_cis_per_os() -> None:
    loaded = load_baseline("jp-municipal-telework", known())
    registry = load_registry()
    builtin = {cid: config for cid, config in loaded.checks.items() if cid not in JP_RULES}
    assert set(builtin) == {
        "antivirus",
        "disk_encryption",
        "patch_level",
        "firewall",
        "local_admins",
        "open_ports",
        "os_support",
        "password_policy",
        "screen_lock",
        "secure_boot",
    }
    for cid, config in builtin.items():
        frameworks = {r.framework for r in config.references}
        assert "mic_telework" in frameworks, cid
        assert "municipal_policy" in frameworks, cid
        cis = [r for r in config.references if r.framework.startswith("cis_")]
        # Each OS the check runs on has a CIS item, except where CIS has none (Linux disk
        # encryption), which the rationale must then say.
        covered = {p for r in cis for p in r.platforms}
        for family in config.platforms or registry.checks[cid].meta.platforms:
            if family.value not in covered:
                name = {"linux": "CIS Ubuntu", "windows": "CIS Windows", "macos": "CIS macOS"}
                assert f"{name[family.value]} has no" in _rationale(cid)["en"], (cid, family)


def _rationale(cid: str, name: str = "jp-municipal-telework") -> dict[str, str]:
    import yaml

    from endpoint_audit.baseline.load import shipped_text

    data = yaml.safe_load(shipped_text(name) or "")
    rationale: dict[str, str] = data["checks"][cid]["rationale"]
    return rationale


def test_every_shipped_check_entry_says_where_its_numbers_come_from() -> None:
    import yaml

    from endpoint_audit.baseline.load import shipped_text

    for name in ("jp-municipal-telework", "cis-level1"):
        data = yaml.safe_load(shipped_text(name) or "")
        for cid, entry in data["checks"].items():
            assert entry.get("rationale", {}).get("ja"), (name, cid)
            assert entry.get("rationale", {}).get("en"), (name, cid)
            assert "CIS" in entry["rationale"]["en"], (name, cid)


def test_cis_level1_values_per_os() -> None:
    from endpoint_audit.baseline.effective import CheckSpec, effective_checks

    registry = load_registry()
    specs = {
        cid: CheckSpec(cls.Params, cls.meta.severity, cls.meta.platforms)
        for cid, cls in registry.checks.items()
    }
    eff = effective_checks(load_baseline("cis-level1", known()), specs)
    lock = eff["screen_lock"].params
    assert lock[OsFamily.WINDOWS]["max_idle_seconds"] == 900
    assert lock[OsFamily.WINDOWS]["max_lock_delay_seconds"] == 5
    assert lock[OsFamily.MACOS]["max_idle_seconds"] == 1200
    assert lock[OsFamily.MACOS]["max_lock_delay_seconds"] == 5
    assert lock[OsFamily.LINUX]["max_idle_seconds"] == 900
    assert lock[OsFamily.LINUX]["max_lock_delay_seconds"] == 5
    assert lock[OsFamily.LINUX]["require_enforced"] is True
    assert eff["firewall"].params[OsFamily.MACOS]["require_inbound_deny"] is False
    assert eff["firewall"].params[OsFamily.WINDOWS]["require_inbound_deny"] is True
    # Only CIS macOS has a Level 1 disk encryption item.
    assert eff["disk_encryption"].platforms == (OsFamily.MACOS,)
    assert "22" in eff["open_ports"].params[OsFamily.MACOS]["forbidden_ports"]
    assert "22" not in eff["open_ports"].params[OsFamily.LINUX]["forbidden_ports"]
    # CIS macOS 5.2.2 asks for 15 characters; only Windows has a Level 1 complexity item.
    passwords = eff["password_policy"].params
    assert passwords[OsFamily.MACOS]["min_length"] == 15
    assert passwords[OsFamily.WINDOWS]["min_length"] == 14
    assert passwords[OsFamily.WINDOWS]["min_char_classes"] == 3
    assert passwords[OsFamily.LINUX]["min_char_classes"] == 0


@pytest.mark.parametrize("name", SHIPPED)
def test_scan_with_each_shipped_baseline(name: str) -> None:
    good = run("scan", "-b", name, "--replay", COMPLIANT, "-f", "json")
    assert good.code == 0, good.stderr
    report = good.json()
    assert report["baseline"]["id"] == name
    assert set(report["checks"]) == {
        "disk_encryption",
        "patch_level",
        "firewall",
        "open_ports",
        "screen_lock",
    } | (
        {"antivirus", "local_admins", "os_support", "secure_boot", *JP_RULES}
        if name == "jp-municipal-telework"
        else set()
    ) | ({"password_policy"} if name != "minimal" else set())
    statuses = {f["status"] for h in report["hosts"] for f in h["findings"]}
    assert statuses <= {"pass", "not_applicable"}
    bad = run("scan", "-b", name, "--replay", RDP, "-f", "json")
    assert bad.code == 1
    failed = [f for h in bad.json()["hosts"] for f in h["findings"] if f["status"] == "fail"]
    rdp_rule = {"jp.rdp_disabled"} if name == "jp-municipal-telework" else set()
    assert {f["check_id"] for f in failed} == {"open_ports"} | rdp_rule
    assert all("3389" in f["resource"] for f in failed if f["check_id"] == "open_ports")


def test_cis_level1_does_not_judge_bitlocker() -> None:
    result = run("scan", "-b", "cis-level1", "--replay", COMPLIANT, "-f", "json")
    findings = [
        f
        for h in result.json()["hosts"]
        for f in h["findings"]
        if f["check_id"] == "disk_encryption"
    ]
    assert [f["status"] for f in findings] == ["not_applicable"]
    assert "only on macos" in findings[0]["message"]
