"""Which hosts a fleet scan reaches: `--host`, inventory files, and `--limit`.

Three file formats are read without any other tool:
- this project's YAML: `vars`, `groups` (each with `vars` and `hosts`) and `hosts`;
- Ansible's YAML inventory: `all` / `children` / `hosts` / `vars`, with `ansible_host`,
  `ansible_user`, `ansible_port`, `ansible_ssh_private_key_file` and `ansible_become`;
- a plain list: one host a line (`user@host:port`), `#` starts a comment.

Host values are data, never shell text: addresses and users are checked against strict
character sets, and a name may be any printable text (it only labels reports).
"""

from __future__ import annotations

import fnmatch
import hashlib
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from endpoint_audit.baseline.load import is_path_ref
from endpoint_audit.baseline.yaml_lines import LinedDocument, PathKey, load_lined, read_text
from endpoint_audit.errors import ConfigError
from endpoint_audit.model.printable import one_line
from endpoint_audit.model.shard import ShardSpec, inventory_digest, shard_of
from endpoint_audit.safe_read import IDENTITY, INVENTORY, check_input

YAML_SUFFIXES = (".yaml", ".yml", ".json")
# DNS names and IPv4; IPv6 is checked by `ipaddress`. Nothing a shell would act on.
_DNS_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")
_ZONE = re.compile(r"[A-Za-z0-9._-]+")
# POSIX user names, plus `DOMAIN\\user` and `user@domain` for Windows accounts.
_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._@\\$-]{0,63}")
# Group names label reports (a 課 or site), so letters of any script count: 総務課, kyoto.
_GROUP = re.compile(r"\w[\w.-]{0,99}")
VAR_KEYS = ("user", "port", "baseline", "sudo", "identity_file")
ANSIBLE_VARS = {
    "ansible_host": "address",
    "ansible_user": "user",
    "ansible_ssh_user": "user",
    "ansible_port": "port",
    "ansible_ssh_port": "port",
    "ansible_ssh_private_key_file": "identity_file",
    "ansible_become": "sudo",
}
MAX_GROUP_DEPTH = 20


@dataclass(frozen=True)
class InventoryHost:
    """One host to audit. `name` labels it in reports; `address` is where to connect."""

    name: str
    address: str
    port: int | None = None
    user: str | None = None
    identity_file: str | None = None
    sudo: bool | None = None
    baseline: str | None = None
    groups: tuple[str, ...] = ()
    # Where the host is listed (`fleet.yaml:12`, `--host pc-01`), for messages only.
    place: str = field(default="", compare=False)

    def settings(self) -> dict[str, object]:
        """What decides how the host is reached and judged."""
        return {
            "address": self.address,
            "port": self.port,
            "user": self.user,
            "identity_file": self.identity_file,
            "sudo": self.sudo,
            "baseline": self.baseline,
        }


@dataclass(frozen=True)
class DuplicateHost:
    """A host listed again with the same settings: audited once, and named."""

    name: str
    first: str  # where it was listed first
    again: str  # where it was listed again


@dataclass
class GatheredHosts:
    hosts: list[InventoryHost]
    duplicates: list[DuplicateHost] = field(default_factory=list)


def conflict_error(known: InventoryHost, again: InventoryHost) -> ConfigError | None:
    """A host listed twice with different settings is refused: which account, port or
    baseline applies must never depend on the order of the lists."""
    first, second = known.settings(), again.settings()
    for key, value in first.items():
        if second[key] != value:
            return ConfigError(
                f"{again.place}: {one_line(again.name)}: listed again with {key} "
                f"{second[key]!r}, but {known.place} gives {value!r}; list the host once, "
                "or give every entry the same settings"
            )
    return None


def merge_listing(
    known: InventoryHost, again: InventoryHost, duplicates: list[DuplicateHost] | None
) -> InventoryHost:
    """One host from two entries of the same name (ConfigError when they conflict)."""
    problem = conflict_error(known, again)
    if problem is not None:
        raise problem
    if duplicates is not None:
        duplicates.append(DuplicateHost(known.name, known.place, again.place))
    groups = tuple(dict.fromkeys((*known.groups, *again.groups)))
    return replace(known, groups=groups)


@dataclass
class _Vars:
    values: dict[str, Any] = field(default_factory=dict)

    def merged(self, other: Mapping[str, Any]) -> _Vars:
        return _Vars({**self.values, **other})


def _looks_like_path(ref: str) -> bool:
    return is_path_ref(ref)  # the baseline loader's rule: a file needs a path


def check_address(address: str) -> str:
    """A host name or IP address, or ValueError saying why not."""
    if not address:
        raise ValueError("empty host")
    if address.startswith("-"):
        raise ValueError(f"host {address!r} may not start with '-'")
    if ":" in address:
        plain, _, zone = address.partition("%")
        try:
            ipaddress.IPv6Address(plain)
        except ValueError:
            raise ValueError(f"host {address!r} is not an IPv6 address") from None
        if zone and not _ZONE.fullmatch(zone):
            raise ValueError(f"host {address!r} has a bad IPv6 zone")
        return address
    if len(address) > 253 or not _DNS_NAME.fullmatch(address):
        raise ValueError(
            f"host {address!r} is not a DNS name or IP address (letters, digits, '.', '-', ':')"
        )
    return address


def check_user(user: str) -> str:
    if not _USER.fullmatch(user):
        raise ValueError(
            f"user {user!r} has characters a login name cannot have "
            "(letters, digits, '.', '_', '-', '@', '\\' only; not starting with '-')"
        )
    return user


def check_port(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"port {value!r} is not a number")
    text = str(value).strip()
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError(f"port {value!r} is not a number from 1 to 65535")
    return int(text)


def check_name(name: str) -> str:
    if not name or not name.isprintable():
        raise ValueError(f"host name {name!r} is empty or has control characters")
    if len(name) > 255:
        raise ValueError("host name is longer than 255 characters")
    return name


def parse_host_spec(spec: str) -> InventoryHost:
    """`host`, `user@host`, `host:port`, `user@host:port`, `[v6addr]:port`, bare IPv6."""
    text = spec.strip()
    user: str | None = None
    if "@" in text:
        user, _, text = text.rpartition("@")
        check_user(user)
    port: int | None = None
    if text.startswith("["):
        address, sep, rest = text[1:].partition("]")
        if not sep:
            raise ValueError(f"{spec!r}: missing ']' after an IPv6 address")
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"{spec!r}: expected ':port' after ']'")
            port = check_port(rest[1:])
    elif text.count(":") == 1:
        address, _, port_text = text.partition(":")
        port = check_port(port_text)
    else:
        address = text  # a name, IPv4, or an IPv6 address without a port
    check_address(address)
    name = address if port is None else f"{address}:{port}"
    if ":" in address and port is not None:
        name = f"[{address}]:{port}"
    return InventoryHost(name=name, address=address, port=port, user=user)


def hosts_from_flags(specs: Iterable[str]) -> list[InventoryHost]:
    out: list[InventoryHost] = []
    for spec in specs:
        try:
            host = parse_host_spec(spec)
        except ValueError as exc:
            raise ConfigError(f"--host {spec!r}: {exc}") from None
        out.append(replace(host, place=f"--host {one_line(spec)}"))
    return out


def load_inventory(
    path: Path, duplicates: list[DuplicateHost] | None = None
) -> list[InventoryHost]:
    """Every host a file names, in file order. Raises ConfigError `file:line: message`.
    A host listed twice with the same settings is one host (and added to `duplicates`);
    with different settings it is an error naming both places."""
    text = read_text(path, kind=INVENTORY)
    if path.suffix.lower() in YAML_SUFFIXES:
        doc = load_lined(text, str(path))
        if not isinstance(doc.data, dict):
            raise doc.error((), "an inventory is a mapping (hosts, groups, vars, or Ansible's all)")
        reader: _Reader
        reader = _NativeReader(doc) if _is_native(doc.data) else _AnsibleReader(doc)
        reader.duplicates = duplicates
        hosts = reader.read()
    else:
        hosts = _read_plain(text, str(path), duplicates)
    if not hosts:
        raise ConfigError(f"{path}:1: the inventory names no host")
    return hosts


def _is_native(data: dict[Any, Any]) -> bool:
    keys = set(data)
    return (
        "all" not in keys
        and keys <= {"hosts", "groups", "vars"}
        and ("groups" in keys or isinstance(data.get("hosts"), list))
    )


def _read_plain(
    text: str, source: str, duplicates: list[DuplicateHost] | None = None
) -> list[InventoryHost]:
    hosts: dict[str, InventoryHost] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if len(line.split()) != 1:
            raise ConfigError(f"{source}:{number}: one host per line (got {line!r})")
        try:
            host = replace(parse_host_spec(line), place=f"{source}:{number}")
        except ValueError as exc:
            raise ConfigError(f"{source}:{number}: {exc}") from None
        known = hosts.get(host.name)
        hosts[host.name] = host if known is None else merge_listing(known, host, duplicates)
    return list(hosts.values())


class _Reader:
    def __init__(self, doc: LinedDocument) -> None:
        self.doc = doc
        self.hosts: dict[str, InventoryHost] = {}
        self.order: list[str] = []
        self.duplicates: list[DuplicateHost] | None = None

    def place(self, path: PathKey) -> str:
        return f"{self.doc.source}:{self.doc.line_of(path)}"

    def err(self, path: PathKey, message: str) -> ConfigError:
        line = self.doc.line_of(path)
        # Keys come from the file: escape control characters so the error stays one line.
        where = ".".join(one_line(p) for p in path) or "(top)"
        return ConfigError(f"{self.doc.source}:{line}: {where}: {message}")

    def mapping(self, value: Any, path: PathKey, what: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.err(path, f"{what} must be a mapping")
        return value

    def add(self, host: InventoryHost, path: PathKey, *, membership: bool = False) -> None:
        """Add a host, or merge a later entry of the same name into it: the same
        settings make one host (a duplicate, named unless it is only `membership` of
        another group), different settings are an error naming both places."""
        host = replace(host, place=self.place(path))
        known = self.hosts.get(host.name)
        if known is None:
            self.hosts[host.name] = host
            self.order.append(host.name)
            return
        self.hosts[host.name] = merge_listing(known, host, None if membership else self.duplicates)

    def build(
        self, name: Any, values: Mapping[str, Any], groups: Sequence[str], path: PathKey
    ) -> InventoryHost:
        if not isinstance(name, str):
            raise self.err(path, f"host name {name!r} must be text")
        try:
            check_name(name)
            address = values.get("address")
            if address is None:
                address = name
            if not isinstance(address, str):
                raise ValueError(f"address {address!r} must be text")
            check_address(address)
            port = values.get("port")
            user = values.get("user")
            if user is not None and not isinstance(user, str):
                raise ValueError(f"user {user!r} must be text")
            sudo = values.get("sudo")
            if sudo is not None and not isinstance(sudo, bool):
                raise ValueError(f"sudo must be true or false, not {sudo!r}")
            identity = values.get("identity_file")
            if identity is not None and (not isinstance(identity, str) or not identity.strip()):
                raise ValueError(f"identity_file {identity!r} must be a path")
            baseline = values.get("baseline")
            if baseline is not None and not isinstance(baseline, str):
                raise ValueError(f"baseline {baseline!r} must be a name or a path")
            if baseline is not None and _looks_like_path(baseline):
                # A baseline file named in an inventory is found beside the inventory.
                # Absolute: `./city` beside `fleet.yaml` must not shrink to `city`, which
                # would name a shipped baseline.
                found = Path(self.doc.source).parent / Path(baseline).expanduser()
                baseline = str(found.absolute())
            return InventoryHost(
                name=name,
                address=address,
                port=check_port(port) if port is not None else None,
                user=check_user(user) if user is not None else None,
                identity_file=identity,
                sudo=sudo,
                baseline=baseline,
                groups=tuple(groups),
            )
        except ValueError as exc:
            raise self.err(path, str(exc)) from None

    def result(self) -> list[InventoryHost]:
        return [self.hosts[n] for n in self.order]


class _NativeReader(_Reader):
    """hosts: [...], groups: {name: {vars: {...}, hosts: [...]}}, vars: {...}."""

    def read(self) -> list[InventoryHost]:
        data = self.doc.data
        top = self.vars(data.get("vars"), ("vars",))
        groups = self.mapping(data.get("groups"), ("groups",), "groups")
        for gname, body in groups.items():
            gpath: PathKey = ("groups", str(gname))
            if not isinstance(gname, str) or not _GROUP.fullmatch(gname):
                raise self.err(gpath, f"group name {gname!r}: letters, digits, '_', '.', '-'")
            body = self.mapping(body, gpath, "a group")
            unknown = set(body) - {"vars", "hosts"}
            if unknown:
                raise self.err((*gpath, str(sorted(unknown)[0])), "unknown key; use vars or hosts")
            gvars = top.merged(self.vars(body.get("vars"), (*gpath, "vars")).values)
            self.host_list(body.get("hosts"), (*gpath, "hosts"), gvars, [gname])
        self.host_list(data.get("hosts"), ("hosts",), top, [])
        return self.result()

    def vars(self, value: Any, path: PathKey) -> _Vars:
        values = self.mapping(value, path, "vars")
        for key in values:
            if key not in VAR_KEYS:
                near = get_close_matches(str(key), VAR_KEYS, n=1)
                hint = f"; did you mean {near[0]}?" if near else f"; use {', '.join(VAR_KEYS)}"
                raise self.err((*path, str(key)), f"unknown variable{hint}")
        return _Vars(dict(values))

    def host_list(self, value: Any, path: PathKey, inherited: _Vars, groups: list[str]) -> None:
        if value is None:
            return
        items: list[tuple[Any, Any, PathKey]]
        if isinstance(value, list):
            items = []
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    items.append((item.get("name"), item, (*path, i)))
                else:
                    items.append((item, {}, (*path, i)))
        elif isinstance(value, dict):
            items = [(k, v or {}, (*path, str(k))) for k, v in value.items()]
        else:
            raise self.err(path, "hosts must be a list or a mapping")
        for name, body, hpath in items:
            if name is None:
                raise self.err(hpath, "a host entry needs a name")
            if not isinstance(body, dict):
                raise self.err(hpath, "host settings must be a mapping")
            own = {k: v for k, v in body.items() if k != "name"}
            unknown = set(own) - {*VAR_KEYS, "address"}
            if unknown:
                key = str(sorted(unknown)[0])
                raise self.err((*hpath, key), f"unknown key; use address, {', '.join(VAR_KEYS)}")
            self.add(self.build(name, inherited.merged(own).values, groups, hpath), hpath)


class _AnsibleReader(_Reader):
    """Ansible's YAML inventory: groups with hosts, vars and children, `all` at the top."""

    def read(self) -> list[InventoryHost]:
        data = self.doc.data
        self.group_vars: dict[str, dict[str, Any]] = {}
        self.parents: dict[str, list[str]] = {}
        self.members: dict[str, list[tuple[str, dict[str, Any], PathKey]]] = {}
        for gname, body in data.items():
            self.group(gname, body, (str(gname),), None, 0)
        # A host's own vars belong to the host wherever they are written (as in
        # Ansible); the same variable with two values is refused.
        host_vars: dict[Any, dict[str, tuple[Any, PathKey]]] = {}
        for members in self.members.values():
            for hname, hvars, hpath in members:
                merged = host_vars.setdefault(hname, {})
                for key, value in hvars.items():
                    if key in merged and merged[key][0] != value:
                        raise self.err(
                            hpath,
                            f"{key} {value!r} here, but {self.place(merged[key][1])} gives "
                            f"{merged[key][0]!r}; set it once",
                        )
                    merged.setdefault(key, (value, hpath))
        # Resolve each host's vars: all < ancestors (outermost first) < group < host.
        # A host in several groups is Ansible group membership, not a duplicate; groups
        # whose vars disagree for the host are refused (Ansible's precedence rules are
        # not guessed at for an account, a port or a baseline).
        for gname, members in self.members.items():
            for hname, _, hpath in members:
                lineage = self.lineage(gname)
                values: dict[str, Any] = {}
                for group in lineage:
                    values.update(self.group_vars.get(group, {}))
                values.update({k: v for k, (v, _) in host_vars.get(hname, {}).items()})
                groups = [g for g in lineage if g != "all"]
                self.add(self.build(hname, values, groups, hpath), hpath, membership=True)
        return self.result()

    def lineage(self, group: str) -> list[str]:
        """The group and its ancestors, outermost first (`all` first of all)."""
        out: list[str] = []
        stack = [group]
        while stack and len(out) < 1000:
            g = stack.pop()
            if g in out:
                continue
            out.append(g)
            stack.extend(self.parents.get(g, []))
        out.reverse()
        if "all" in out:
            out.remove("all")
        return ["all", *out]

    def group(self, name: Any, body: Any, path: PathKey, parent: str | None, depth: int) -> None:
        if depth > MAX_GROUP_DEPTH:
            raise self.err(path, f"groups nest deeper than {MAX_GROUP_DEPTH} levels")
        if not isinstance(name, str) or not _GROUP.fullmatch(name):
            raise self.err(path, f"group name {name!r}: letters, digits, '_', '.', '-'")
        body = self.mapping(body, path, f"group {name}")
        unknown = set(body) - {"hosts", "vars", "children"}
        if unknown:
            key = str(sorted(unknown)[0])
            raise self.err(
                (*path, key), "unknown key in an Ansible group; use hosts, vars, children"
            )
        if parent is not None:
            self.parents.setdefault(name, []).append(parent)
        self.group_vars.setdefault(name, {}).update(
            self.ansible_vars(body.get("vars"), (*path, "vars"))
        )
        hosts = body.get("hosts")
        if hosts is not None:
            if not isinstance(hosts, dict):
                raise self.err((*path, "hosts"), "Ansible hosts must be a mapping of names")
            for hname, hbody in hosts.items():
                hpath = (*path, "hosts", str(hname))
                hvars = self.ansible_vars(hbody, hpath)
                self.members.setdefault(name, []).append((hname, hvars, hpath))
        children = self.mapping(body.get("children"), (*path, "children"), "children")
        for child, cbody in children.items():
            self.group(child, cbody, (*path, "children", str(child)), name, depth + 1)

    def ansible_vars(self, value: Any, path: PathKey) -> dict[str, Any]:
        """The variables this tool uses; Ansible's many others are left alone."""
        values = self.mapping(value, path, "vars")
        out: dict[str, Any] = {}
        for key, val in values.items():
            mapped = ANSIBLE_VARS.get(str(key)) or (str(key) if key in VAR_KEYS else None)
            if mapped is None:
                continue
            if mapped == "sudo" and isinstance(val, str):
                lowered = val.strip().lower()
                if lowered in ("true", "yes", "1"):
                    val = True
                elif lowered in ("false", "no", "0"):
                    val = False
            out[mapped] = val
        return out


def select(hosts: Sequence[InventoryHost], limit: str | None) -> list[InventoryHost]:
    """`--limit`: comma-separated fnmatch patterns on name, address or group; `!` excludes."""
    if not limit:
        return list(hosts)
    patterns = [p.strip() for p in limit.split(",") if p.strip()]
    if not patterns:
        raise ConfigError(f"--limit {limit!r}: no pattern")
    include = [p for p in patterns if not p.startswith("!")]
    exclude = [p[1:] for p in patterns if p.startswith("!")]

    def matches(host: InventoryHost, pattern: str) -> bool:
        keys = (host.name, host.address, *host.groups)
        return any(fnmatch.fnmatchcase(k, pattern) for k in keys)

    chosen = [
        h
        for h in hosts
        if (not include or any(matches(h, p) for p in include))
        and not any(matches(h, p) for p in exclude)
    ]
    if not chosen:
        raise ConfigError(f"--limit {limit!r} matches none of the {len(hosts)} host(s)")
    return chosen


def gather_inventory(
    specs: Sequence[str], inventories: Sequence[Path], limit: str | None
) -> GatheredHosts:
    """Hosts from every --host and --inventory, then --limit. A host named in several
    places with the same settings is audited once and reported in `duplicates`; with
    different settings it is a ConfigError naming both places."""
    duplicates: list[DuplicateHost] = []
    merged: dict[str, InventoryHost] = {}
    sources = [hosts_from_flags(specs)]
    for path in inventories:
        sources.append(load_inventory(path, duplicates))
        check_identity_files(sources[-1], str(path))
    for hosts in sources:
        for host in hosts:
            known = merged.get(host.name)
            merged[host.name] = host if known is None else merge_listing(known, host, duplicates)
    return GatheredHosts(select(list(merged.values()), limit), duplicates)


def check_identity_files(hosts: Iterable[InventoryHost], source: str) -> None:
    """Each identity file the hosts name is a readable regular file of sane size
    (safe_read), checked once before any host is contacted: a wrong path is one line
    naming the inventory and host, never a hang (a pipe) or a failure on every host."""
    seen: set[str] = set()
    for host in hosts:
        identity = host.identity_file
        if identity is None or identity in seen:
            continue
        seen.add(identity)
        label = f"{source}: host {one_line(host.name)}: identity_file {one_line(identity)}"
        check_input(Path(identity).expanduser(), IDENTITY, label)


def safe_file_name(name: str) -> str:
    """A file name for a host's report that no host name can turn into a path."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "host"
    if cleaned != name:
        cleaned = f"{cleaned[:80]}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    return cleaned[:120]


def slice_of(hosts: Sequence[InventoryHost], spec: ShardSpec) -> tuple[list[InventoryHost], str]:
    """`--shard I/N`: the hosts of slice I (inventory order kept), and the digest of the
    whole list they were cut from (every name, setting and group)."""
    digest = inventory_digest({**h.settings(), "name": h.name, "groups": h.groups} for h in hosts)
    return [h for h in hosts if shard_of(h.name, spec.count) == spec.index], digest
