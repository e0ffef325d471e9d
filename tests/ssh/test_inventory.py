"""Inventories: --host specs, this project's YAML, Ansible YAML, plain lists, --limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from endpoint_audit.errors import ConfigError
from endpoint_audit.inventory import (
    InventoryHost,
    gather_inventory,
    load_inventory,
    parse_host_spec,
    safe_file_name,
    select,
)


@pytest.mark.parametrize(
    ("spec", "address", "port", "user", "name"),
    [
        ("pc-001.city.lg.jp", "pc-001.city.lg.jp", None, None, "pc-001.city.lg.jp"),
        ("audit@10.0.0.5", "10.0.0.5", None, "audit", "10.0.0.5"),
        ("audit@10.0.0.5:2222", "10.0.0.5", 2222, "audit", "10.0.0.5:2222"),
        ("[::1]:2222", "::1", 2222, None, "[::1]:2222"),
        ("root@[fe80::1%eth0]:22", "fe80::1%eth0", 22, "root", "[fe80::1%eth0]:22"),
        ("2001:db8::7", "2001:db8::7", None, None, "2001:db8::7"),
        (r"CORP\taro@pc-9", "pc-9", None, r"CORP\taro", "pc-9"),
        ("taro@corp.example@pc-9:22", "pc-9", 22, "taro@corp.example", "pc-9:22"),
    ],
)
def test_host_specs(spec: str, address: str, port: int | None, user: str | None, name: str) -> None:
    host = parse_host_spec(spec)
    assert (host.address, host.port, host.user, host.name) == (address, port, user, name)


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        ("a;touch /tmp/x", "not a DNS name"),
        ("$(id)", "not a DNS name"),
        ("`id`", "not a DNS name"),
        ("-oProxyCommand=x", "may not start with '-'"),
        ("host\nother", "not a DNS name"),
        ("host:0", "1 to 65535"),
        ("host:99999", "1 to 65535"),
        ("host:ssh", "1 to 65535"),
        ("[::1", "missing ']'"),
        ("[::1]2222", "expected ':port'"),
        ("$(id)@host", "login name"),
        ("-l@host", "login name"),
        ("a b@host", "login name"),
        ("::zz", "not an IPv6"),
        ("", "empty host"),
    ],
)
def test_bad_host_specs(spec: str, why: str) -> None:
    with pytest.raises(ValueError, match=why.replace("(", r"\(")):
        parse_host_spec(spec)


def test_flag_errors_name_the_flag() -> None:
    with pytest.raises(ConfigError, match=r"^--host 'a;b': "):
        gather_inventory(["a;b"], [], None)


NATIVE = """\
vars:
  user: audit
  sudo: true
groups:
  kyoto:
    vars: {port: 2222, baseline: minimal}
    hosts:
      - kyoto-pc-01
      - {name: kyoto-pc-02, address: 192.0.2.2, user: taro}
  osaka:
    vars: {identity_file: ~/.ssh/osaka}
    hosts:
      osaka-pc-01: {address: 192.0.2.10}
      osaka-pc-02:
hosts:
  - standalone
"""


def test_native_yaml(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(NATIVE)
    hosts = {h.name: h for h in load_inventory(path)}
    assert list(hosts) == ["kyoto-pc-01", "kyoto-pc-02", "osaka-pc-01", "osaka-pc-02", "standalone"]
    assert hosts["kyoto-pc-01"].groups == ("kyoto",)
    pc2 = hosts["kyoto-pc-02"]
    assert (pc2.address, pc2.port, pc2.user, pc2.sudo, pc2.baseline) == (
        "192.0.2.2", 2222, "taro", True, "minimal"
    )  # fmt: skip
    assert hosts["osaka-pc-01"].identity_file == "~/.ssh/osaka"
    assert hosts["osaka-pc-01"].port is None
    assert hosts["standalone"] == InventoryHost(
        name="standalone", address="standalone", user="audit", sudo=True
    )


ANSIBLE = """\
all:
  vars:
    ansible_user: admin
    ansible_python_interpreter: /usr/bin/python3
  hosts:
    jump.example.jp:
  children:
    windows:
      vars: {ansible_user: "CORP\\\\audit", ansible_port: 22, ansible_connection: ssh}
      hosts:
        win-01: {ansible_host: 192.0.2.21}
    linux:
      vars: {ansible_become: "yes"}
      children:
        ubuntu:
          hosts:
            ubu-01: {ansible_host: 192.0.2.31, ansible_port: 2200, ansible_user: ubuntu}
            ubu-02: {ansible_host: "2001:db8::32", ansible_ssh_private_key_file: ~/.ssh/ubu}
"""


def test_ansible_yaml(tmp_path: Path) -> None:
    path = tmp_path / "hosts.yml"
    path.write_text(ANSIBLE)
    hosts = {h.name: h for h in load_inventory(path)}
    assert set(hosts) == {"jump.example.jp", "win-01", "ubu-01", "ubu-02"}
    assert hosts["jump.example.jp"].user == "admin"
    win = hosts["win-01"]
    assert (win.address, win.user, win.port, win.groups) == (
        "192.0.2.21", "CORP\\audit", 22, ("windows",)
    )  # fmt: skip
    ubu = hosts["ubu-01"]
    assert (ubu.address, ubu.port, ubu.user, ubu.sudo) == ("192.0.2.31", 2200, "ubuntu", True)
    assert ubu.groups == ("linux", "ubuntu")
    assert hosts["ubu-02"].identity_file == "~/.ssh/ubu"
    assert hosts["ubu-02"].user == "admin"  # inherited from all


def test_ansible_top_level_group_without_all(tmp_path: Path) -> None:
    path = tmp_path / "hosts.yaml"
    path.write_text("branch:\n  hosts:\n    pc-1:\n    pc-2: {ansible_port: 22}\n")
    assert [h.name for h in load_inventory(path)] == ["pc-1", "pc-2"]


def test_plain_list(tmp_path: Path) -> None:
    path = tmp_path / "hosts.txt"
    path.write_text("# city hall\npc-1\n\n  audit@pc-2:2222   # 2F\n[::1]:22\n")
    hosts = load_inventory(path)
    assert [(h.name, h.user, h.port) for h in hosts] == [
        ("pc-1", None, None),
        ("pc-2:2222", "audit", 2222),
        ("[::1]:22", None, 22),
    ]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("a.txt", "pc-1\npc-2 pc-3\n", "a.txt:2: one host per line"),
        (
            "a.txt",
            "pc-1\n\nbob@pc-1\n",
            "a.txt:3: pc-1: listed again with user 'bob', but a.txt:1 gives None",
        ),
        ("a.txt", "ok\n$(id)\n", "a.txt:2: host '$(id)' is not a DNS name"),
        ("a.txt", "# nothing\n", "a.txt:1: the inventory names no host"),
        ("a.yaml", "hosts:\n  - pc-1\n  - pc;2\n", "a.yaml:3: hosts.1: host 'pc;2'"),
        (
            "a.yaml",
            "groups:\n  g:\n    vars:\n      usr: x\n    hosts: [a]\n",
            "a.yaml:4: groups.g.vars.usr: unknown variable; did you mean user?",
        ),
        (
            "a.yaml",
            "hosts:\n  - name: a\n    port: 70000\n",
            "a.yaml:2: hosts.0: port 70000 is not a number from 1 to 65535",
        ),
        ("a.yaml", "hosts:\n  - {name: a, sudo: maybe}\n", "a.yaml:2: hosts.0: sudo must be"),
        ("a.yaml", "hosts: [a\n", "invalid YAML"),
        ("a.yaml", "hosts: [a]\nhosts: [b]\n", "a.yaml:2: hosts: duplicate key"),
        ("a.yaml", "- a\n- b\n", "a.yaml:1: (top): an inventory is a mapping"),
        (
            "a.yml",
            "all:\n  hosts:\n    'a;touch x':\n",
            "a.yml:3: all.hosts.a;touch x: host 'a;touch x' is not a DNS name",
        ),
        (
            "a.yml",
            "all:\n  children:\n    web:\n      host: {a: }\n",
            "a.yml:4: all.children.web.host: unknown key in an Ansible group",
        ),
        (
            "a.yml",
            "all:\n  hosts:\n    a: {ansible_user: '$(id)'}\n",
            "a.yml:3: all.hosts.a: user '$(id)' has characters",
        ),
        ("a.yml", 'all:\n  hosts:\n    "x\\ny": {ansible_host: h}\n', "control characters"),
    ],
)
def test_inventory_errors_name_file_and_line(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_inventory(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.replace(str(tmp_path) + "/", "").startswith(expected) or expected in message


def _hosts() -> list[InventoryHost]:
    return [
        InventoryHost("kyoto-pc-01", "10.0.0.1", groups=("kyoto",)),
        InventoryHost("kyoto-pc-02", "10.0.0.2", groups=("kyoto", "lab")),
        InventoryHost("osaka-pc-01", "10.0.1.1", groups=("osaka",)),
    ]


@pytest.mark.parametrize(
    ("limit", "names"),
    [
        (None, ["kyoto-pc-01", "kyoto-pc-02", "osaka-pc-01"]),
        ("kyoto", ["kyoto-pc-01", "kyoto-pc-02"]),
        ("kyoto,!lab", ["kyoto-pc-01"]),
        ("*-01", ["kyoto-pc-01", "osaka-pc-01"]),
        ("!osaka", ["kyoto-pc-01", "kyoto-pc-02"]),
        ("10.0.1.*", ["osaka-pc-01"]),
    ],
)
def test_limit(limit: str | None, names: list[str]) -> None:
    assert [h.name for h in select(_hosts(), limit)] == names


def test_limit_matching_nothing_is_an_error() -> None:
    with pytest.raises(ConfigError, match="matches none of the 3 host"):
        select(_hosts(), "nagoya*")


def test_safe_file_names_cannot_escape() -> None:
    assert safe_file_name("pc-001.city.lg.jp") == "pc-001.city.lg.jp"
    for hostile in ("../../etc/passwd", "a;touch x", "..", "/", "x\ny"):
        name = safe_file_name(hostile)
        assert "/" not in name and not name.startswith(".") and "\n" not in name
    assert safe_file_name("a;b") != safe_file_name("a:b")


def test_baseline_files_are_found_beside_the_inventory(tmp_path: Path) -> None:
    folder = tmp_path / "site"
    folder.mkdir()
    path = folder / "fleet.yaml"
    path.write_text(
        "groups:\n  a:\n    vars: {baseline: strict.yaml}\n    hosts: [pc-1]\n"
        "  b:\n    vars: {baseline: minimal}\n    hosts: [pc-2]\n"
        "  c:\n    vars: {baseline: /etc/ea/x.yaml}\n    hosts: [pc-3]\n"
    )
    hosts = {h.name: h.baseline for h in load_inventory(path)}
    assert hosts == {
        "pc-1": str(folder / "strict.yaml"),
        "pc-2": "minimal",
        "pc-3": "/etc/ea/x.yaml",
    }


def test_host_names_that_yaml_1_1_reads_as_other_types_stay_names(tmp_path: Path) -> None:
    # `no`, `on`, `off`, `null` and `0123` are booleans, null and an octal number to a
    # YAML 1.1 reader; as mapping keys of an inventory they are the PCs' names.
    names = ["no", "on", "off", "null", "0123", "1e3"]
    text = "groups:\n  kaikei:\n    hosts:\n" + "".join(f"      {n}: {{}}\n" for n in names)
    path = tmp_path / "fleet.yaml"
    path.write_text(text, encoding="utf-8")
    assert [h.name for h in load_inventory(path)] == names
