"""Redaction of recorded hosts before a transcript leaves the machine (`collect --record`).

Pure: a HostTranscript in, a redacted copy out. What goes:

- host names (the platform's, `uname`'s, computer-name fields of PowerShell/JSON output),
- user names (console owner, `id -un`, `lsof -F` login names, socket and session owners,
  home-folder paths, user fields of facts and JSON output),
- serial numbers and hardware UUIDs (`Serial Number: ...`, `"SerialNumber": "..."`), and
  the machine id (/etc/machine-id, MachineGuid, IOPlatformUUID) wherever it appears,
- MAC addresses,
- recovery keys (BitLocker 48-digit recovery passwords, FileVault recovery keys),
- secrets in property lists: the value of a key naming a password, secret, token or private
  key (`profiles -C -o stdout-xml` prints payloads whole: a Wi-Fi password, an MDM enrolment
  secret, the AutologinPassword of a login window payload), the plist still valid.

Names are replaced by stable placeholders (`host-1`, `user-1`) everywhere at once, in
command keys as well as in output: the collector that replays `stat -f %u %Su
/dev/console` then asks for `sudo -u user-1 ...`, which is exactly the redacted key, so
a redacted transcript still replays. System accounts (root, SYSTEM, `_mdnsresponder`)
are kept: they identify nobody, and collectors rely on them (root at the console means
nobody is logged on).
"""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import re
from collections.abc import Callable, Iterable
from typing import Any

import msgspec.structs
from msgspec import Struct, field

from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.platform import PlatformInfo
from endpoint_audit.model.valid_text import loads_json
from endpoint_audit.transport.transcript import HostTranscript

# Accounts that name a role, not a person. Compared case-insensitively.
SYSTEM_ACCOUNTS = frozenset(
    {
        "root", "daemon", "nobody", "bin", "sys", "adm", "lp", "mail", "news", "uucp",
        "proxy", "www-data", "backup", "list", "irc", "gnats", "sync", "games", "man",
        "messagebus", "syslog", "avahi", "avahi-autoipd", "colord", "gdm", "lightdm",
        "sddm", "sshd", "polkitd", "rtkit", "pulse", "saned", "usbmux", "geoclue",
        "kernoops", "whoopsie", "dnsmasq", "tss", "uuidd", "tcpdump", "landscape",
        "fwupd-refresh", "cups-pk-helper", "speech-dispatcher", "nm-openvpn", "hplip",
        "lxd", "chrony", "ntp", "postfix", "mysql", "postgres", "redis", "apt", "dhcpcd",
        "statd", "rpc", "rpcuser", "nscd", "unbound", "loginwindow", "system",
        "local service", "network service", "nt authority", "administrator", "guest",
        "defaultaccount", "wdagutilityaccount", "trustedinstaller", "everyone",
        "administrators", "users", "wheel", "staff", "admin",
    }
)  # fmt: skip

_NAME_CHARS = r"A-Za-z0-9_"
# Account names: ASCII on POSIX, any script on Windows (`LGWAN\\佐藤花子`), inner spaces allowed.
_USER_TOKEN = re.compile(r"^\w(?:[\w.@ -]*[\w.-])?$")
_HOME_PATH = re.compile(
    r"(?:/Users/|/home/|[A-Za-z]:\\+Users\\+)([A-Za-z0-9_][A-Za-z0-9_.@ -]*?)(?=[/\\'\"\s]|$)"
)
_DEFERRED_USER = re.compile(r"for user '([^'\n]+)'")
# apt's history log: `Requested-By: taro (1000)`; loginctl: `Name=taro`, and its session
# table `SESSION UID USER SEAT TTY` (older systemd without JSON output).
_TEXT_USERS = re.compile(r"Requested-By: (\S+) \(\d+\)|^Name=(\S+)$", re.MULTILINE)
_LOGINCTL_ROW = re.compile(r"^\s*\S+\s+\d+\s+(\S+)(?:\s|$)", re.MULTILINE)
_USER_KEYS = re.compile(r"^(user|username|user_name|owner|account|accountname|login)$", re.I)
_HOST_KEYS = re.compile(
    r"^(ps)?computername$|^csname$|^dnshostname$|^hostname$|^machinename$", re.I
)

_MAC = re.compile(
    r"(?<![0-9A-Fa-f:-])(?:[0-9A-Fa-f]{2}([:-]))(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}(?![0-9A-Fa-f:-])"
)
_BITLOCKER_KEY = re.compile(r"(?<!\d)\d{6}(?:-\d{6}){7}(?!\d)")
_FILEVAULT_KEY = re.compile(r"(?<![A-Z0-9-])[A-Z0-9]{4}(?:-[A-Z0-9]{4}){5}(?![A-Z0-9-])")
# `Serial Number (system): C02XYZ`, `"SerialNumber": "PF3ABC"`, `serial_number=...`,
# `Hardware UUID: ...`, `"IOPlatformSerialNumber" = "..."`, `RecoveryPassword : ...`.
_SECRET_FIELD = re.compile(
    r"""(?P<key>["']?(?:Serial\s*Number(?:\s*\([^)\n]*\))?|SerialNumber|serial_number|"""
    r"""serial|IOPlatformSerialNumber|Hardware\s*UUID|IOPlatformUUID|Provisioning\s*UDID|"""
    r"""RecoveryPassword|RecoveryKey|BiosSerial|IdentifyingNumber|MachineGuid|machine_guid|"""
    r"""machine_id)["']?\s*[:=]\s*["']?)"""
    r"""(?P<value>[^"'\s,}<>][^"',}<>\n]*?)(?=["',}<>\n]|\s*$)""",
    re.IGNORECASE | re.MULTILINE,
)
# A plist value under a key that names a secret (EnrollSecret, Password, PayloadCertificate-
# Password, AutologinPassword, PrivateKey, ...): replaced, the plist kept valid.
_PLIST_SECRET = re.compile(
    r"(<key>[^<]*?(?:password|passphrase|secret|token|privatekey|psk|credential)[^<]*</key>"
    r"\s*<(string|data)>)([^<]*)(</\2>)",
    re.IGNORECASE,
)
_REDACTED_DATA = "UkVEQUNURUQ="  # base64 of REDACTED: a <data> value must stay base64
# Domain or machine identifiers inside account SIDs (the RID at the end names no one).
_SID = re.compile(r"\bS-1-5-21-(\d+-\d+-\d+)(?=-\d+\b)")
_BYHOST_UUID = re.compile(
    r"(ByHost/[\w.]+?\.)([0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12})"
)
_LSOF_LOGIN = re.compile(r"(?m)^L(.+)$")
# Files whose whole content is a serial or a machine id.
_SECRET_FILES = ("product_serial", "board_serial", "chassis_serial", "product_uuid", "machine-id")


class RedactionSummary(Struct):
    """How many distinct values of each kind were replaced (never the values)."""

    hosts: int = 0
    users: int = 0
    macs: int = 0
    serials: int = 0
    recovery_keys: int = 0
    secrets: int = 0


class _Mapper(Struct):
    prefix: str
    seen: dict[str, str] = field(default_factory=dict)

    def __call__(self, value: str) -> str:
        key = value.lower()
        if key not in self.seen:
            # A placeholder given beforehand (the host's own label) is never handed out
            # again to another value.
            taken = set(self.seen.values())
            number = len(self.seen) + 1
            while f"{self.prefix}{number}" in taken:
                number += 1
            self.seen[key] = f"{self.prefix}{number}"
        return self.seen[key]


def is_system_account(name: str) -> bool:
    low = name.strip().lower()
    return (
        low in SYSTEM_ACCOUNTS
        or low.startswith(("_", "systemd-", "nt service\\", "nt authority\\"))
        or low.endswith("$")  # machine accounts
    )


def _walk_json(value: Any, visit: Callable[[str, str], None], key: str = "") -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _walk_json(v, visit, str(k))
    elif isinstance(value, list):
        for item in value:
            _walk_json(item, visit, key)
    elif isinstance(value, str):
        visit(key, value)


def _json_of(text: str) -> Any:
    stripped = text.strip()
    if not stripped or stripped[0] not in "[{":
        return None
    try:
        # Names are learned from every value, a repeated key's too: the judging reader
        # refuses such text, but what it names must still be hidden.
        return loads_json(stripped, unique_keys=False)
    except ValueError:
        return None


def _add_user(users: set[str], raw: str) -> None:
    name = raw.strip().rsplit("\\", 1)[-1]  # DOMAIN\user -> user
    if name and _USER_TOKEN.match(name) and len(name) >= 2 and not is_system_account(name):
        users.add(name)


def _add_host(hosts: set[str], raw: str | None) -> None:
    name = (raw or "").strip()
    if not name or name.lower() in ("localhost", "localhost.localdomain"):
        return
    # An address, not a name (`198.51.100.7:2222` names no host `198`); a name of hex
    # digits only (`db01`, `cafe:22`) is a name.
    if target_address(name) is not None:
        return
    name = _target_name(name)
    if re.fullmatch(r"[\d.]+", name) or ":" in name:
        return
    short = name.split(".", 1)[0]
    if len(short) >= 2 and re.fullmatch(r"[A-Za-z0-9_-]+", short):
        hosts.add(short)


def target_address(target: str) -> str | None:
    """The IP address a target names (`10.0.0.5`, `10.0.0.5:22`, `[fd00::5]:22`), or None
    for a host name."""
    text = target.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    text = text.split("%", 1)[0]
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return None
    return text


def _target_name(target: str) -> str:
    """The host part of a target, without a port."""
    text = target.strip()
    if text.count(":") == 1:
        text = text.split(":", 1)[0]
    return text


def _stand_in(address: str) -> str:
    """What an address is replaced by: a documentation address of its family, or for a
    loopback one (a tunnel's end, 127.0.1.1) the loopback address every PC has, since
    the host's own listeners on it reach nobody and must stay loopback to be judged so."""
    ip = ipaddress.ip_address(address)
    if ip.is_loopback:
        return "127.0.0.1" if ip.version == 4 else "::1"
    return "192.0.2.1" if ip.version == 4 else "2001:db8::1"


def _address_pattern(address: str) -> re.Pattern[str]:
    # Not inside a longer address (10.0.0.5 in 10.0.0.50 or 110.0.0.5, fd00::5 in
    # fd00::51); a port after an IPv4 address (`10.0.0.5:22`) is not part of it.
    if ":" in address:
        return re.compile(rf"(?<![0-9A-Za-z:.]){re.escape(address)}(?![0-9A-Za-z:.])", re.I)
    return re.compile(rf"(?<![0-9A-Za-z.]){re.escape(address)}(?![0-9A-Za-z]|\.\d)")


def discover(host: HostTranscript) -> tuple[set[str], set[str]]:
    """Host names and user names found in a recorded host."""
    hosts: set[str] = set()
    users: set[str] = set()
    _add_host(hosts, host.target)
    if host.platform is not None:
        _add_host(hosts, host.platform.hostname)

    def visit(key: str, value: str) -> None:
        if _USER_KEYS.match(key):
            _add_user(users, value)
        elif _HOST_KEYS.match(key):
            _add_host(hosts, value)

    for key, result in host.commands.items():
        argv0 = key.split(" ", 1)[0]
        out = result.stdout
        if key == "uname -snm":
            fields = out.split()
            _add_host(hosts, fields[1] if len(fields) > 1 else None)
        elif key in ("hostname", "uname -n", "file:/etc/hostname"):
            _add_host(hosts, out)
        elif key in ("id -un", "whoami", "logname"):
            _add_user(users, out)
        elif key.startswith("stat -f ") and key.endswith("/dev/console"):
            fields = out.split()
            if fields:
                _add_user(users, fields[-1])
        elif argv0 == "lsof":
            for line in out.splitlines():
                if line.startswith("L"):
                    _add_user(users, line[1:])
        elif argv0 == "loginctl" and not out.lstrip().startswith(("[", "{")):
            for match in _LOGINCTL_ROW.finditer(out):
                _add_user(users, match.group(1))
        for match in _DEFERRED_USER.finditer(out):
            _add_user(users, match.group(1))
        for match in _TEXT_USERS.finditer(out):
            _add_user(users, match.group(1) or match.group(2))
        for text in (key, out, result.stderr):
            for match in _HOME_PATH.finditer(text):
                _add_user(users, match.group(1))
        data = _json_of(out)
        if data is not None:
            _walk_json(data, visit)
    _walk_json(host.facts, visit)
    return hosts, users


def _name_pattern(name: str) -> str:
    """A name as a whole word. Names in other scripts (佐藤花子) stand next to text
    without spaces in Japanese, so they match anywhere."""
    if name.isascii():
        return rf"(?<![{_NAME_CHARS}]){re.escape(name)}(?![{_NAME_CHARS}])"
    return re.escape(name)


def machine_pseudonym(machine_id: str) -> str:
    """A stable stand-in for a machine id: the same PC gets the same one on every run,
    two PCs different ones, and the id cannot be read back from it (a one-way digest of
    a random 128-bit value)."""
    digest = hashlib.sha256(f"endpoint-audit machine id\0{machine_id.lower()}".encode())
    return digest.hexdigest()[:12]


class Redactor:
    """Replaces one host's sensitive values; build with `for_host`.

    With a machine id, the host's own name becomes `host-<pseudonym>` (and the id
    `redacted-<pseudonym>`), so recordings of two PCs never share a name while one PC
    keeps its name from run to run; other host names become host-1, host-2, ..."""

    def __init__(
        self,
        hosts: Iterable[str],
        users: Iterable[str],
        own_names: Iterable[str] = (),
        machine_id: str | None = None,
        own_label: str | None = None,
        addresses: Iterable[str] = (),
    ) -> None:
        self.summary = RedactionSummary()
        self._hosts = _Mapper("host-")
        self.pseudonym = machine_pseudonym(machine_id) if machine_id else None
        self._machine_id = machine_id
        self._machine = re.compile(re.escape(machine_id), re.IGNORECASE) if machine_id else None
        own = sorted(own_names)
        # The host's own label: given (a bundle folder's unique name), else the machine's
        # pseudonym, else the first placeholder.
        label = own_label or (f"host-{self.pseudonym}" if self.pseudonym else None)
        if label is None:
            label = self._hosts(own[0]) if own else "host-1"
        self.label = label
        self._hosts.seen.setdefault("\0own", label)  # reserved even with no own name
        for name in own:
            self._hosts.seen.setdefault(name.lower(), label)
        # The target's address (an SSH host named by IP) becomes a documentation address of
        # its family (RFC 5737, RFC 3849), so parsers of socket listings still read it.
        self._addresses = [(_address_pattern(a), _stand_in(a)) for a in addresses]
        self._users = _Mapper("user-")
        self._macs = _Mapper("")
        self._serials = _Mapper("REDACTED-SERIAL-")
        self._keys = _Mapper("")
        self._secrets = _Mapper("")
        host_names = set(hosts)
        names = dict.fromkeys(host_names, "host") | {
            u: "user" for u in users if u not in host_names
        }
        # Longest first, so `taro-mba` (host) wins over `taro` (user) inside it.
        ordered = sorted(names, key=lambda n: (-len(n), n))
        self._kinds = {n.lower(): names[n] for n in ordered}
        self._sids = _Mapper("")
        self._names = (
            re.compile("|".join(_name_pattern(n) for n in ordered), re.IGNORECASE)
            if ordered
            else None
        )

    @classmethod
    def for_host(
        cls,
        host: HostTranscript,
        extra_users: Iterable[str] = (),
        extra_hosts: Iterable[str] = (),
        own_label: str | None = None,
        reached_at: str | None = None,
    ) -> Redactor:
        hosts, users = discover(host)
        for name in extra_users:
            _add_user(users, name)
        for name in extra_hosts:
            _add_host(hosts, name)
        own: set[str] = set()
        _add_host(own, host.target)
        if host.platform is not None:
            _add_host(own, host.platform.hostname)
        # The address the session went to (an inventory's `address`): this host too.
        _add_host(own, reached_at)
        hosts |= own
        address = target_address(host.target)
        reached_address = target_address(reached_at) if reached_at else None
        addresses = {a for a in (address, reached_address) if a}
        name = _target_name(host.target)
        if address is None and not own and len(name) >= 2:
            # A name no DNS rule admits (`佐藤のPC`, an inventory label): hidden as it is.
            own.add(name)
            hosts.add(name)
        machine_id = host.platform.machine_id if host.platform else None
        return cls(
            hosts,
            users,
            own_names=sorted(own),
            machine_id=machine_id,
            own_label=own_label,
            # As written and as the address is usually printed (`FD00::5`, `fd00::5`).
            addresses=sorted(addresses | {str(ipaddress.ip_address(a)) for a in addresses}),
        )

    def _name(self, match: re.Match[str]) -> str:
        text = match.group(0)
        kind = self._kinds[text.lower()]
        return self._hosts(text) if kind == "host" else self._users(text)

    def _mac(self, match: re.Match[str]) -> str:
        number = int(self._macs(match.group(0).lower().replace("-", ":")))
        sep = match.group(1)
        return sep.join(
            ["02", "00", "00", "00", f"{number // 256 % 256:02x}", f"{number % 256:02x}"]
        )

    def _secret(self, match: re.Match[str]) -> str:
        return match.group("key") + self._serials(match.group("value"))

    def _plist_secret(self, match: re.Match[str]) -> str:
        if match.group(3).strip() in ("", "REDACTED", _REDACTED_DATA):
            return match.group(0)
        self._secrets(match.group(3))
        masked = _REDACTED_DATA if match.group(2) == "data" else "REDACTED"
        return match.group(1) + masked + match.group(4)

    def text(self, value: str) -> str:
        """One string with every sensitive value replaced."""
        if not value:
            return value
        value = _BITLOCKER_KEY.sub(
            lambda m: "000000-" * 7 + f"{int(self._keys(m.group(0))):06d}", value
        )
        value = _FILEVAULT_KEY.sub(
            lambda m: "XXXX-XXXX-XXXX-XXXX-XXXX-" + f"{int(self._keys(m.group(0))):04d}", value
        )
        if self._machine is not None:
            value = self._machine.sub(f"redacted-{self.pseudonym}", value)
        value = _SECRET_FIELD.sub(self._secret, value)
        value = _PLIST_SECRET.sub(self._plist_secret, value)
        value = _BYHOST_UUID.sub(
            lambda m: m.group(1) + "00000000-0000-0000-0000-000000000000", value
        )
        value = _SID.sub(lambda m: f"S-1-5-21-{self._sids(m.group(1))}-0-0", value)
        value = _MAC.sub(self._mac, value)
        for pattern, stand_in in self._addresses:
            value = pattern.sub(stand_in, value)
        if self._names is not None:
            value = self._names.sub(self._name, value)
        return value

    def value(self, data: Any) -> Any:
        """A JSON-like value with every string (and mapping key) redacted."""
        if isinstance(data, dict):
            return {self.text(str(k)): self.value(v) for k, v in data.items()}
        if isinstance(data, list | tuple):
            return [self.value(v) for v in data]
        if isinstance(data, str):
            return self.text(data)
        return data

    def _lsof_login(self, match: re.Match[str]) -> str:
        name = match.group(1)
        if self._kinds.get(name.lower()) == "user":
            return "L" + self._users(name)
        return match.group(0)

    def result(self, key: str, result: CommandResult) -> CommandResult:
        if key.startswith("file:") and key.rsplit("/", 1)[-1] in _SECRET_FILES and result.ok:
            return dataclasses.replace(result, stdout=self._serials(result.stdout.strip()) + "\n")
        stdout = result.stdout
        if key.split(" ", 1)[0] == "lsof":
            # `lsof -F` glues the field letter to the value: `Lhanako` is login `hanako`.
            stdout = _LSOF_LOGIN.sub(self._lsof_login, stdout)
        return dataclasses.replace(
            result, stdout=self.text(stdout), stderr=self.text(result.stderr)
        )

    def platform(self, platform: PlatformInfo | None) -> PlatformInfo | None:
        if platform is None:
            return None
        data = platform.model_dump(mode="json")
        machine_id = data.pop("machine_id", None)
        redacted = self.value(data)
        if machine_id:
            redacted["machine_id"] = f"redacted-{machine_pseudonym(machine_id)}"
        return PlatformInfo.model_validate(redacted)

    def target(self, target: str) -> str:
        """The redacted target: the own label in place of the name (a domain after it is
        kept), or the label alone when the name is not what was replaced (an address)."""
        text = self.text(target)
        # The label as a whole name (host-1 is not in host-12.example).
        whole = rf"(?<![{_NAME_CHARS}-]){re.escape(self.label)}(?![{_NAME_CHARS}-])"
        return text if re.search(whole, text) else self.label

    def host(self, host: HostTranscript) -> HostTranscript:
        # replace() keeps every other field (collection time, probe-script version).
        redacted = msgspec.structs.replace(
            host,
            target=self.target(host.target),
            platform=self.platform(host.platform),
            commands={self.text(k): self.result(k, v) for k, v in host.commands.items()},
            facts=self.value(host.facts),
        )
        self.summary = RedactionSummary(
            hosts=len(set(self._hosts.seen.values())),
            users=len(self._users.seen),
            macs=len(self._macs.seen),
            serials=len(self._serials.seen) + (1 if self._machine_id else 0),
            recovery_keys=len(self._keys.seen),
            secrets=len(self._secrets.seen),
        )
        return redacted


def redact_host(
    host: HostTranscript,
    extra_users: Iterable[str] = (),
    extra_hosts: Iterable[str] = (),
    own_label: str | None = None,
    reached_at: str | None = None,
) -> tuple[HostTranscript, RedactionSummary]:
    """A copy of `host` with names, serials, MAC addresses and recovery keys replaced;
    the host's own names (and the address it was reached at, `reached_at` or its
    target's) become `own_label` (by default `host-<machine pseudonym>`, without a
    machine id `host-1`), an IP address a documentation address."""
    redactor = Redactor.for_host(host, extra_users, extra_hosts, own_label, reached_at)
    redacted = redactor.host(host)
    return redacted, redactor.summary
