"""Linux reads of rules, run for real on this machine (a Linux container): a scan, and
the exported probe script with the same rules, judged by `evaluate`, agree; a file that
does not exist is absent, never a value; parsing of what the reads print."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.rule import IniRead, ModuleRead, UnitRead
from endpoint_audit.rules.linux import (
    MODPROBE_CONFIG,
    blacklisted,
    ini_value,
    parse_read,
    stat_of,
    unit_state,
)
from tests.baselines.helpers import run

RULES = """id: linux-rules
title: {ja: Linux のルール, en: Linux rules}
version: 1
checks:
  jp.ip_forward_read:
    type: rule
    severity: low
    title: {ja: IP 転送の値を読める, en: IP forwarding is read}
    remediation: {ja: なし, en: none}
    platforms:
      linux:
        read: {sysctl: net.ipv4.ip_forward}
        expect: {in: [0, 1]}
  jp.passwd_owned_by_root:
    type: rule
    severity: low
    title: {ja: passwd の所有者が root, en: passwd is owned by root}
    remediation: {ja: chown root /etc/passwd, en: chown root /etc/passwd}
    platforms:
      linux:
        all:
          - read: {file: /etc/passwd, property: owner}
            expect: {eq: root}
          - read: {file: /etc/passwd, property: content}
            expect: {regex: '^root:'}
  jp.os_release_id:
    type: rule
    severity: low
    title: {ja: OS の ID がある, en: The OS has an ID}
    remediation: {ja: なし, en: none}
    platforms:
      linux:
        read: {ini: /etc/os-release, key: ID}
        expect: {regex: '^[a-z]'}
  jp.no_such_file:
    type: rule
    severity: low
    title: {ja: 存在しないファイル, en: A file that does not exist}
    remediation: {ja: なし, en: none}
    platforms:
      linux:
        read: {file: /etc/endpoint-audit-no-such-file.conf, property: exists}
        expect: {absent: true}
  jp.no_such_setting:
    type: rule
    severity: low
    title: {ja: 存在しない設定, en: A setting that does not exist}
    remediation: {ja: なし, en: none}
    platforms:
      linux:
        read: {ini: /etc/endpoint-audit-no-such-file.conf, key: X}
        expect: {eq: '1'}
"""
EXPECTED = {
    "jp.ip_forward_read": "pass",
    "jp.passwd_owned_by_root": "pass",
    "jp.os_release_id": "pass",
    "jp.no_such_file": "pass",
    "jp.no_such_setting": "unknown",  # absent, and the rule does not say what that means
}


def statuses(report: dict[str, Any]) -> dict[str, str]:
    (host,) = report["hosts"]
    return {f["check_id"]: f["status"] for f in host["findings"]}


def test_scan_and_exported_script_agree(tmp_path: Path) -> None:
    baseline = tmp_path / "rules.yaml"
    baseline.write_text(RULES, encoding="utf-8")
    scanned = run("scan", "-b", baseline, "-f", "json")
    assert statuses(scanned.json()) == EXPECTED
    script = tmp_path / "probe.sh"
    exported = run("probe", "export", "--os", "linux", "-b", baseline, "-o", script)
    assert exported.code == 0, exported.stderr
    text = script.read_text(encoding="utf-8")
    assert "/proc/sys/net/ipv4/ip_forward" in text and "/etc/os-release" in text
    out = tmp_path / "bundles"
    out.mkdir()
    subprocess.run(["sh", str(script), str(out)], check=True, capture_output=True, timeout=300)
    (bundle,) = out.glob("*.json")
    judged = run("evaluate", bundle, "-b", baseline, "-f", "json")
    assert statuses(judged.json()) == EXPECTED
    # The bundle carries the rule reads as recorded commands.
    commands = json.loads(bundle.read_text(encoding="utf-8"))["hosts"][0]["commands"]
    assert "file:/proc/sys/net/ipv4/ip_forward" in commands


def test_probe_export_carries_the_default_baseline_s_rule_reads_or_the_one_given(
    tmp_path: Path,
) -> None:
    exported = run("probe", "export", "--os", "windows")
    for rule in ("autologon_disabled", "smb1_server_disabled", "rdp_disabled", "llmnr_disabled"):
        assert f"rule.jp.{rule}" in exported.stdout
    assert "rule.city." not in exported.stdout
    with_rules = run("probe", "export", "--os", "windows", "-b", "examples/jp-municipal-rules.yaml")
    assert "rule.city.remote_registry_disabled" in with_rules.stdout
    assert "RegistryView]::Registry64" in with_rules.stdout


def test_absent_and_refused_are_told_apart() -> None:
    read = IniRead.model_validate({"ini": "/etc/x.conf", "key": "A"})
    stat = stat_of("/etc/x.conf")
    gone = {
        stat.key: CommandResult(
            1, stderr="stat: cannot statx '/etc/x.conf': No such file or directory"
        )
    }
    assert parse_read(read, gone).state == "absent"
    denied = {
        stat.key: CommandResult(1, stderr="stat: cannot statx '/etc/x.conf': Permission denied")
    }
    assert parse_read(read, denied).state == "unknown"
    # The file exists but cannot be read: unknown, not "the setting is absent".
    unreadable = {
        stat.key: CommandResult(0, stdout="600 root root 1700000000\n"),
        "file:/etc/x.conf": CommandResult(126, stderr="/etc/x.conf: Permission denied"),
    }
    assert parse_read(read, unreadable).state == "unknown"
    assert parse_read(read, {}).state == "unknown"  # nothing recorded: never a value


def test_ini_values() -> None:
    text = "# c\nA=1\n[daemon]\nAutomaticLoginEnable = True\nA=2\n"
    assert ini_value(text, None, "A", "=") == "1"
    assert ini_value(text, "daemon", "A", "=") == "2"
    assert ini_value(text, "daemon", "AutomaticLoginEnable", "=") == "True"
    assert ini_value(text, "daemon", "Missing", "=") is None
    sshd = "PermitRootLogin no\nPermitRootLogin yes\n"
    assert ini_value(sshd, None, "PermitRootLogin", " ") == "no"  # sshd: the first wins


@pytest.mark.parametrize("mark", ["\x1e", "\x85", "\u2028", "\v"])
def test_a_comment_hides_no_setting_behind_a_break_only_python_sees(mark: str) -> None:
    """GKeyFile and the C readers split at newlines only: what follows such a character
    on a comment line is still the comment, not a setting in force."""
    text = f"[daemon]\nAutomaticLoginEnable=true\n# old{mark}AutomaticLoginEnable=false\n"
    assert ini_value(text, "daemon", "AutomaticLoginEnable", "=") == "true"


def test_modprobe_configuration() -> None:
    assert blacklisted("blacklist usb_storage\n", "usb_storage")
    assert blacklisted("install usb_storage /bin/false\n", "usb_storage")
    assert blacklisted("install usb-storage /bin/true\n", "usb_storage")
    assert not blacklisted(
        "install usb_storage /sbin/modprobe --ignore-install usb_storage\n", "usb_storage"
    )
    assert not blacklisted("blacklist uas\noptions usb_storage quirks=1\n", "usb_storage")
    read = ModuleRead.model_validate({"kernel_module": "usb-storage", "property": "blacklisted"})
    missing = {MODPROBE_CONFIG.key: CommandResult(127, stderr="modprobe: not found")}
    got = parse_read(read, missing)
    assert got.state == "unknown" and got.reason is not None
    assert got.reason.key == "rule.reason.not_installed"


def test_systemd_unit_states() -> None:
    read = UnitRead.model_validate({"systemd": "sshd.service", "property": "active"})
    key = unit_state("sshd.service").key
    up = {
        key: CommandResult(
            0, stdout="LoadState=loaded\nActiveState=active\nUnitFileState=enabled\n"
        )
    }
    assert parse_read(read, up).value == "active"
    gone = {
        key: CommandResult(0, stdout="LoadState=not-found\nActiveState=inactive\nUnitFileState=\n")
    }
    assert parse_read(read, gone).state == "absent"
    no_systemd = {key: CommandResult(1, stderr="System has not been booted with systemd")}
    assert parse_read(read, no_systemd).state == "unknown"


def test_collect_all_facts_keeps_the_rule_reads(tmp_path: Path) -> None:
    baseline = tmp_path / "rules.yaml"
    baseline.write_text(RULES, encoding="utf-8")
    bundle = tmp_path / "all.json"
    collected = run("collect", "--all-facts", "-b", baseline, "-o", bundle)
    assert collected.code == 0, collected.stderr
    judged = run("evaluate", bundle, "-b", baseline, "-f", "json")
    assert statuses(judged.json()) == EXPECTED


PACKAGES = """id: package-rules
title: {ja: パッケージ, en: Packages}
version: 1
checks:
  t.dpkg_recent:
    type: rule
    severity: low
    title: {ja: dpkg が新しい, en: dpkg is recent}
    remediation: {ja: 更新, en: update}
    platforms:
      linux:
        all:
          - read: {package: dpkg}
            expect: {eq: true}
          - read: {package: dpkg, property: version}
            expect: {all: [{version_ge: '1.21'}, {version_lt: '1:0'}]}
  t.dpkg_ancient:
    type: rule
    severity: low
    title: {ja: 古い, en: ancient}
    remediation: {ja: 更新, en: update}
    platforms:
      linux:
        read: {package: dpkg, property: version}
        expect: {version_lt: '1.0~rc1'}
  t.not_installed:
    type: rule
    severity: low
    title: {ja: 無い, en: missing}
    remediation: {ja: なし, en: none}
    platforms:
      linux:
        read: {package: endpoint-audit-no-such-package, property: version}
        expect: {version_ge: '1.0'}
"""


def test_packages_and_the_shipped_linux_rules_on_this_machine(tmp_path: Path) -> None:
    """A real scan: dpkg's database of this Debian container."""
    baseline = tmp_path / "packages.yaml"
    baseline.write_text(PACKAGES, encoding="utf-8")
    scanned = statuses(run("scan", "-b", baseline, "-f", "json").json())
    # Not installed: absent, and the rule does not say whether that passes.
    assert scanned == {
        "t.dpkg_recent": "pass",
        "t.dpkg_ancient": "fail",
        "t.not_installed": "unknown",
    }
    shipped = run(
        "scan",
        "--only",
        "jp.gdm_autologin_disabled,jp.cleartext_login_servers_absent",
        "-f",
        "json",
    )
    assert statuses(shipped.json()) == {
        "jp.gdm_autologin_disabled": "pass",  # no GDM here
        "jp.cleartext_login_servers_absent": "pass",
    }


def test_package_states_and_managers() -> None:
    from endpoint_audit.model.platform import PlatformInfo
    from endpoint_audit.model.rule import PackageRead
    from endpoint_audit.rules.linux import dpkg_query, package_commands, rpm_query

    debian = PlatformInfo(family="linux", distro="ubuntu", distro_like=("debian",))
    rhel = PlatformInfo(family="linux", distro="rocky", distro_like=("rhel", "centos", "fedora"))
    unknown = PlatformInfo(family="linux", distro="gentoo")
    installed = PackageRead.model_validate({"package": "libc6"})
    version = PackageRead.model_validate({"package": "libc6", "property": "version"})
    assert [c.key for c in package_commands(installed, debian)] == [dpkg_query("libc6").key]
    assert [c.key for c in package_commands(installed, rhel)] == [rpm_query("libc6").key]
    assert len(package_commands(installed, unknown)) == 2  # both; whichever exists answers
    dpkg = dpkg_query("libc6").key
    two_arch = {dpkg: CommandResult(0, stdout="installed\t2.36-9\ninstalled\t2.36-9+deb12u1\n")}
    got = parse_read(version, two_arch, debian)
    assert got.state == "unknown" and got.reason is not None
    assert got.reason.key == "rule.reason.package_versions"
    assert parse_read(installed, two_arch, debian).value is True
    removed = {dpkg: CommandResult(0, stdout="config-files\t2.36-9\n")}
    assert parse_read(installed, removed, debian).value is False
    assert parse_read(version, removed, debian).absent == "package"
    half = {dpkg: CommandResult(0, stdout="half-configured\t2.36-9\n")}
    assert parse_read(installed, half, debian).state == "unknown"
    rpm = rpm_query("libc6").key
    on_rhel = {rpm: CommandResult(0, stdout="2.34-100.el9_4.2\n")}
    got = parse_read(version, on_rhel, rhel)
    assert (got.value, got.host_type) == ("2.34-100.el9_4.2", "rpm")
    gone = {rpm: CommandResult(1, stdout="package libc6 is not installed\n")}
    assert parse_read(installed, gone, rhel).value is False
    # Which manager, when os-release does not say: the one whose program exists.
    only_rpm = {**on_rhel, dpkg: CommandResult(127, stderr="dpkg-query: not found")}
    assert parse_read(version, only_rpm, unknown).value == "2.34-100.el9_4.2"
    both = {**on_rhel, dpkg: CommandResult(0, stdout="installed\t2.36-9\n")}
    assert parse_read(version, both, unknown).state == "unknown"
    # Refused or not recorded: never a value.
    assert parse_read(installed, {}, debian).state == "unknown"
    denied = {dpkg: CommandResult(2, stderr="dpkg-query: error: cannot access archive")}
    assert parse_read(installed, denied, debian).state == "unknown"


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-1, max_value=127), st.text(max_size=200), st.text(max_size=80))
def test_whatever_dpkg_or_rpm_print_is_never_made_up(status: int, out: str, err: str) -> None:
    """Hostile output: never an exception; installed only when a line says so."""
    from endpoint_audit.model.platform import PlatformInfo
    from endpoint_audit.model.rule import PackageRead
    from endpoint_audit.rules.linux import dpkg_query, rpm_query

    installed = PackageRead.model_validate({"package": "telnetd"})
    version = PackageRead.model_validate({"package": "telnetd", "property": "version"})
    debian = PlatformInfo(family="linux", distro="debian")
    rhel = PlatformInfo(family="linux", distro="rhel")
    answer = CommandResult(status, stdout=out, stderr=err)
    on_debian = {dpkg_query("telnetd").key: answer}
    got = parse_read(installed, on_debian, debian)
    if got.state == "value" and got.value is True:
        assert status == 0 and any(
            line.partition("\t")[0].strip() in ("installed", "triggers-awaited", "triggers-pending")
            for line in out.splitlines()
        )
    assert parse_read(version, on_debian, debian).state in ("value", "absent", "unknown")
    on_rhel = {rpm_query("telnetd").key: answer}
    got = parse_read(installed, on_rhel, rhel)
    if got.state == "value" and got.value is True:
        assert status == 0 and out.strip()


def _sshd(text: str) -> Any:
    read = IniRead.model_validate(
        {"ini": "/etc/ssh/sshd_config", "key": "PermitRootLogin", "separator": " "}
    )
    results = {
        stat_of("/etc/ssh/sshd_config").key: CommandResult(0, stdout="644 root root 1700000000\n"),
        "file:/etc/ssh/sshd_config": CommandResult(0, stdout=text),
    }
    return parse_read(read, results)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # sshd compares keywords without case, and the first one wins.
        ("permitrootlogin yes\nPermitRootLogin no\n", "yes"),
        # `keyword=value` and `keyword = value` are read by sshd too.
        ("PermitRootLogin=yes\nPermitRootLogin no\n", "yes"),
        ("PermitRootLogin = yes\nPermitRootLogin no\n", "yes"),
        ('PermitRootLogin "no"\n', "no"),
    ],
)
def test_sshd_style_keywords_are_read_as_sshd_reads_them(text: str, value: str) -> None:
    read = _sshd(text)
    assert (read.state, read.value) == ("value", value)


def test_sshd_style_settings_inside_a_match_block_are_not_the_global_value() -> None:
    """After `Match`, settings apply only to the connections it matches."""
    read = _sshd("Match User backup\n    PermitRootLogin no\n")
    assert read.state == "absent"
    read = _sshd("PermitRootLogin yes\nMatch Address 10.0.0.0/8\n    PermitRootLogin no\n")
    assert (read.state, read.value) == ("value", "yes")


@pytest.mark.parametrize(
    "text",
    [
        # Ubuntu's default: the drop-ins come first, and the first value wins.
        "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\n",
        "include /etc/ssh/sshd_config.d/*.conf\n",
    ],
)
def test_an_include_before_the_setting_makes_it_unknown(text: str) -> None:
    read = _sshd(text)
    assert read.state == "unknown"
    assert read.reason is not None and read.reason.key == "rule.reason.include_not_read"


def test_an_include_after_the_setting_does_not_matter() -> None:
    read = _sshd("PermitRootLogin no\nInclude /etc/ssh/sshd_config.d/*.conf\n")
    assert (read.state, read.value) == ("value", "no")


WORDS = st.sampled_from(["PermitRootLogin", "permitrootlogin", "PERMITROOTLOGIN", "Port", "X"])
SEPS = st.sampled_from([" ", "\t", "=", " = ", "  "])


@settings(max_examples=200)
@given(st.lists(st.tuples(WORDS, SEPS, st.sampled_from(["yes", "no", "22"])), max_size=6))
def test_the_value_read_is_the_first_sshd_would_take(lines: list[tuple[str, str, str]]) -> None:
    text = "".join(f"{k}{sep}{v}\n" for k, sep, v in lines)
    read = _sshd(text)
    first = next((v for k, _, v in lines if k.lower() == "permitrootlogin"), None)
    if first is None:
        assert read.state == "absent"
    else:
        assert (read.state, read.value) == ("value", first)
