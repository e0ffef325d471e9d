"""A host listed more than once (in several groups, inventories, or by --host too): the
same settings make one host and a warning naming both places; different settings (user,
port, address, key, sudo, baseline) are refused, naming both places. Ansible group
membership is not duplication: a host's own vars count wherever they are written."""

from __future__ import annotations

from pathlib import Path

import pytest

from endpoint_audit.errors import ConfigError
from endpoint_audit.inventory import gather_inventory, load_inventory
from tests.baselines.helpers import run


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_same_host_in_two_groups_is_one_host_and_both_places_are_named(tmp_path: Path) -> None:
    inv = write(
        tmp_path / "fleet.yaml",
        "vars: {user: audit}\n"
        "groups:\n"
        "  kyoto:\n"
        "    hosts: [pc-01, pc-02]\n"
        "  laptops:\n"
        "    hosts:\n"
        "      - pc-01\n",
    )
    got = gather_inventory([], [inv], None)
    assert [h.name for h in got.hosts] == ["pc-01", "pc-02"]
    assert got.hosts[0].groups == ("kyoto", "laptops")
    (dup,) = got.duplicates
    assert (dup.name, dup.first, dup.again) == ("pc-01", f"{inv}:4", f"{inv}:7")


@pytest.mark.parametrize(
    ("second", "key"),
    [
        ("{name: pc-01, user: root}", "user"),
        ("{name: pc-01, port: 2222}", "port"),
        ("{name: pc-01, baseline: minimal}", "baseline"),
        ("{name: pc-01, address: 192.0.2.9}", "address"),
    ],
)
def test_conflicting_entries_are_refused_naming_both_places(
    tmp_path: Path, second: str, key: str
) -> None:
    inv = write(
        tmp_path / "fleet.yaml",
        f"vars: {{user: audit}}\nhosts:\n  - pc-01\n  - {second}\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_inventory(inv)
    message = str(caught.value)
    assert message.startswith(f"{inv}:4: pc-01: listed again with {key} ")
    assert f"but {inv}:3 gives" in message
    assert "\n" not in message


def test_across_inventories_and_flags(tmp_path: Path) -> None:
    one = write(tmp_path / "a.txt", "audit@pc-01\npc-02\n")
    two = write(tmp_path / "b.txt", "# again\naudit@pc-01\n")
    got = gather_inventory(["pc-02"], [one, two], None)
    assert [h.name for h in got.hosts] == ["pc-02", "pc-01"]
    places = {(d.name, d.first, d.again) for d in got.duplicates}
    assert places == {("pc-02", "--host pc-02", f"{one}:2"), ("pc-01", f"{one}:1", f"{two}:2")}
    bad = write(tmp_path / "c.txt", "root@pc-01\n")
    with pytest.raises(ConfigError, match=rf"^{bad}:1: pc-01: listed again with user 'root'"):
        gather_inventory([], [one, bad], None)


def test_ansible_membership_is_not_duplication_but_conflicts_are_refused(
    tmp_path: Path,
) -> None:
    inv = write(
        tmp_path / "hosts.yml",
        "all:\n"
        "  vars: {ansible_user: audit}\n"
        "  children:\n"
        "    kyoto:\n"
        "      hosts:\n"
        "        pc-01: {ansible_host: 192.0.2.1}\n"
        "    laptops:\n"
        "      hosts:\n"
        "        pc-01:\n",
    )
    got = gather_inventory([], [inv], None)
    (host,) = got.hosts
    assert host.address == "192.0.2.1"  # the host's own var, from the other listing
    assert host.groups == ("kyoto", "laptops")
    assert got.duplicates == []
    clash = write(
        tmp_path / "clash.yml",
        "all:\n"
        "  children:\n"
        "    kyoto:\n"
        "      vars: {ansible_user: audit}\n"
        "      hosts: {pc-01: }\n"
        "    admins:\n"
        "      vars: {ansible_user: root}\n"
        "      hosts: {pc-01: }\n",
    )
    with pytest.raises(ConfigError, match="pc-01: listed again with user"):
        load_inventory(clash)
    twice = write(
        tmp_path / "twice.yml",
        "all:\n"
        "  children:\n"
        "    a: {hosts: {pc-01: {ansible_port: 22}}}\n"
        "    b: {hosts: {pc-01: {ansible_port: 2222}}}\n",
    )
    with pytest.raises(ConfigError, match=r"twice.yml:4: .*port 2222 here, but .*:3 gives 22"):
        load_inventory(twice)


def test_the_scan_warns_once_per_duplicate(tmp_path: Path) -> None:
    # Nothing listens on port 9 of this loopback address: the host is unreachable at
    # once, and the warning is what is under test.
    inv = write(tmp_path / "hosts.txt", "127.0.3.9:9\n127.0.3.9:9\n")
    ran = run("scan", "--host", "127.0.3.9:9", "-i", inv, "-f", "json", "--connect-timeout", "5")
    assert ran.code == 3, ran.stderr
    warnings = [line for line in ran.stderr.splitlines() if "warning:" in line]
    assert len(warnings) == 2, ran.stderr
    assert any(f"is listed at {inv}:1 and again at {inv}:2 " in w for w in warnings)
    assert any(f"is listed at --host 127.0.3.9:9 and again at {inv}:1 " in w for w in warnings)
    assert len(ran.json()["hosts"]) == 1
    conflict = write(tmp_path / "other.txt", "root@127.0.3.9:9\n")
    ran = run("scan", "--host", "127.0.3.9:9", "-i", conflict, "-f", "json")
    assert ran.code == 2
    assert "listed again with user 'root'" in ran.stderr
