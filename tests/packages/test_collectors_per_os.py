"""Collectors named per OS (`CollectorRef`, `per_os`): a scan imports only the collectors
of the OS it audits, and a collector that cannot be imported is a plugin problem."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from endpoint_audit.checkkit.package import CheckPackage, CollectorRef, per_os
from endpoint_audit.checks import builtin_packages
from endpoint_audit.engine.registry import Registry, _add_check, load_registry
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.platform import OsFamily, PlatformInfo

OTHER = {"Linux": ("macos", "windows"), "Darwin": ("linux", "windows")}


def test_every_builtin_collector_is_named_per_os_and_serves_it() -> None:
    for package in builtin_packages():
        assert package.collectors, package.id
        for entry in package.collectors:
            assert isinstance(entry, CollectorRef), (package.id, entry)
            assert entry.target.startswith(f"{package.home}.{entry.family.value}:"), entry
            cls = entry.load()
            assert cls.platforms == frozenset({entry.family}), entry
            assert cls.fact_type in package.check.requires, entry


def test_per_os_names_the_module_of_each_os() -> None:
    refs = per_os("acme_usb", linux="LinuxUsb", windows="WindowsUsb")
    assert refs == (
        CollectorRef(OsFamily.LINUX, "acme_usb.linux:LinuxUsb"),
        CollectorRef(OsFamily.WINDOWS, "acme_usb.windows:WindowsUsb"),
    )
    with pytest.raises(ValueError):
        per_os("acme_usb", solaris="SolarisUsb")


@pytest.mark.parametrize(
    ("target", "error"),
    [
        ("endpoint_audit.checks.firewall.linux", ValueError),  # no class named
        ("endpoint_audit.checks.firewall.nowhere:LinuxFirewall", ImportError),
        ("endpoint_audit.checks.firewall.linux:NoSuchClass", AttributeError),
        ("endpoint_audit.checks.firewall.check:Firewall", TypeError),  # a check
        ("endpoint_audit.checks.firewall.windows:WindowsFirewall", ValueError),  # other OS
    ],
)
def test_a_ref_that_names_no_collector_of_its_os_raises(target: str, error: type) -> None:
    with pytest.raises(error):
        CollectorRef(OsFamily.LINUX, target).load()


def test_a_broken_third_party_ref_is_a_problem_and_no_collector() -> None:
    builtin = next(p for p in builtin_packages() if p.id == "firewall")
    reg = Registry()
    broken = CollectorRef(OsFamily.LINUX, "acme_missing_module.linux:LinuxFirewall")
    package = CheckPackage(builtin.check, collectors=(broken,))
    provided = _add_check(reg, package, builtin=True)
    assert provided == ["firewall", broken]
    fact = builtin.check.requires[0]
    linux = PlatformInfo(family=OsFamily.LINUX)
    # The check's fact is an error (not "no collector", which is not applicable).
    stand_in = reg.collector_for(fact, linux)
    assert stand_in is not None and stand_in.fact_type is fact
    assert stand_in.id == f"linux.{fact.name}" and stand_in.applies(linux)
    assert list(stand_in.commands(linux, {})) == []
    with pytest.raises(CollectorError) as raised:
        stand_in.parse({}, linux)
    assert raised.value.reason.key == "core.reason.collector_bug"
    assert raised.value.reason.args["collector"] == broken.target
    assert "ModuleNotFoundError" in str(raised.value.reason.args["error"])
    assert [p.name for p in reg.problems] == [broken.target]
    assert "ModuleNotFoundError" in reg.problems[0].error
    # Another OS imports nothing and has no collector; another fact is not this one's.
    assert reg.collector_for(fact, PlatformInfo(family=OsFamily.WINDOWS)) is None
    other = next(p for p in builtin_packages() if p.id == "antivirus").check.requires[0]
    assert reg.collector_for(other, linux) is None
    assert reg.all_collectors() == []
    assert len(reg.problems) == 1  # the same problem once


def test_the_registry_finds_the_collector_of_the_hosts_os_only() -> None:
    registry = load_registry()
    fact = next(p for p in registry.packages.values() if p.id == "firewall").check.requires[0]
    for family in (OsFamily.LINUX, OsFamily.MACOS, OsFamily.WINDOWS):
        found = registry.collector_for(fact, PlatformInfo(family=family))
        assert found is not None and found.platforms == frozenset({family})
    assert registry.collector_for(fact, PlatformInfo(family=OsFamily.UNKNOWN)) is None
    every = registry.all_collectors()
    assert {c.id for c in every} >= {"linux.firewall", "macos.firewall", "windows.firewall"}


@pytest.mark.skipif(platform.system() not in OTHER, reason="a scan of this PC runs on Linux/macOS")
def test_a_scan_of_this_pc_imports_no_other_os_collector(tmp_path: Path) -> None:
    """Every check of the default baseline runs; no module of another OS is imported."""
    out = tmp_path / "report.json"
    others = tuple(
        f"endpoint_audit.{where}.{os_name}"
        for os_name in OTHER[platform.system()]
        for where in ("rules", *(f"checks.{p.id}" for p in builtin_packages()))
    )
    intune = tuple(f"endpoint_audit.checks.{p.id}.intune" for p in builtin_packages())
    code = (
        "import sys, atexit\n"
        f"sys.argv = ['endpoint-audit', 'scan', '-f', 'json', '-o', {str(out)!r}]\n"
        f"other = {(*others, *intune)!r}\n"
        "atexit.register(lambda: print('OTHER=' + ','.join(sorted(m for m in sys.modules"
        " if m.startswith(other)))))\n"
        "from endpoint_audit.cli import main\n"
        "main()\n"
    )
    env = {**os.environ, "ENDPOINT_AUDIT_DISABLE_PLUGINS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode in (0, 1, 3), done.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert len(report["checks"]) >= len(builtin_packages()), "not every check ran"
    assert done.stdout.strip().splitlines()[-1] == "OTHER=", done.stdout.splitlines()[-1]
