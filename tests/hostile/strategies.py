"""Hypothesis strategies for hostile input: text, JSON values, and mutations of real
bundles, reports, inventories, waiver files and baselines.

Every mutation starts from a real file (a recorded fixture, a shipped baseline, a report
the tool wrote) so that most cases get past the first check and reach the code behind it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from tests.replay_cases import case_path, host_yaml_path

# Text a host or a file may hold that breaks naive code: terminal sequences, lone
# surrogates, bidirectional controls, format specs, quotes, very long runs, Japanese.
NASTY = [
    "\x1b[2J",
    "\x1b]8;;http://127.0.0.1:9/\x07",
    "\r",
    "\x07",
    "\x00",
    "\x7f",
    "\x85",
    "\x9b",
    "\u202e",
    "\u2066",
    "\u200f",
    "\u2028",
    "\ufeff",
    "\ufffe",
    "\ud800",
    "\udcff",
    "\U0001f600",
    "{rate:.1f}",
    "{0}",
    "{",
    "}}",
    "%s%n",
    "'",
    '"',
    "\\",
    "${x}",
    "$(id)",
    "<script>",
    "=cmd|' /C calc'!A0",
    "監査$",
    "\u3000",
    "../",
    "~",
]

hostile_text = st.one_of(
    st.text(st.characters(blacklist_categories=()), max_size=30),
    st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=4)), max_size=8).map("".join),
    st.sampled_from(["", " ", "x*5000", "newline*200", "null", "true", "[]", "{}", "-1"]).map(
        lambda s: {"x*5000": "x" * 5000, "newline*200": "\n" * 200}.get(s, s)
    ),
)


def _number(name: str) -> int | float:
    # Named, so that Hypothesis's statistics do not print a 4000-digit number.
    return {"10**300": 10**300, "10**4000": 10**4000}.get(name) or float(name)


huge_numbers = st.one_of(
    st.sampled_from([2**63, -(2**63) - 1, 1e308, -1e308, 1e-320, 0.1, -0.0]),
    st.sampled_from(["10**300", "10**4000"]).map(_number),
)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    huge_numbers,
    st.floats(allow_nan=False, allow_infinity=False),
    hostile_text,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(hostile_text, inner, max_size=4)
    ),
    max_leaves=12,
)


def nested(value: Any, depth: int, as_dict: bool) -> Any:
    for _ in range(depth):
        value = {"v": value} if as_dict else [value]
    return value


deep_values = st.builds(
    nested, json_scalars, st.sampled_from([40, 99, 100, 101, 150, 900]), st.booleans()
)
any_value = st.one_of(json_values, deep_values)


# --- real files to start from -----------------------------------------------------------

COMPLIANT_BUNDLES = [
    host_yaml_path("win11-23h2-en-compliant"),
    host_yaml_path("win11-23h2-ja-compliant"),
    host_yaml_path("win10-22h2-en-wmi-fallback"),
    host_yaml_path("macos15-compliant"),
    host_yaml_path("macos14-user-managed-profile"),
    case_path("firewall/linux-ufw-active"),
    case_path("firewall/linux-nftables-drop"),
    case_path("firewall/linux-iptables-only"),
    case_path("firewall/linux-firewalld-running"),
    case_path("screen_lock/linux-gnome-idle-300"),
    case_path("screen_lock/linux-kde-immutable"),
]
OTHER_BUNDLES = [
    host_yaml_path("win11-23h2-ja-rdp-listening"),
    host_yaml_path("win11-24h2-ja-bitlocker-suspended"),
    host_yaml_path("macos15-decrypting-not-root"),
    case_path("firewall/linux-iptables-ipv6-open"),
]
# A Linux PC reached over SSH whose only listener is sshd on loopback: open_ports passes.
# (The recorded Linux fixtures cover the other checks; none records `ss`.)
LINUX_SS = Path("linux-ss-loopback-only")
COMPLIANT_BUNDLES.append(LINUX_SS)
_CACHE: dict[Path, Any] = {
    LINUX_SS: {
        "format": "endpoint-audit-bundle",
        "version": 1,
        "hosts": [
            {
                "target": "linux-ss-loopback-only",
                "collected_at": "2026-11-20T01:00:00+00:00",
                "platform": {"family": "linux", "distro": "debian", "transport": "ssh"},
                "commands": {
                    "ss -H -tulpn": {
                        "exit_status": 0,
                        "stdout": "tcp LISTEN 0 128 127.0.0.1:22 0.0.0.0:* "
                        'users:(("sshd",pid=812,fd=3))\n',
                    }
                },
            }
        ],
    }
}


def bundle_data(path: Path) -> dict[str, Any]:
    if path not in _CACHE:
        _CACHE[path] = yaml.safe_load(path.read_text("utf-8"))
    data: dict[str, Any] = copy.deepcopy(_CACHE[path])
    return data


# --- mutations ----------------------------------------------------------------------------


def _paths(value: Any, prefix: tuple[Any, ...] = (), limit: int = 400) -> list[tuple[Any, ...]]:
    """Every path into a JSON-like value (dict keys and list indexes), breadth first."""
    out: list[tuple[Any, ...]] = []
    queue: list[tuple[tuple[Any, ...], Any]] = [(prefix, value)]
    while queue and len(out) < limit:
        path, node = queue.pop(0)
        out.append(path)
        if isinstance(node, dict):
            queue.extend(((*path, k), v) for k, v in node.items())
        elif isinstance(node, list):
            queue.extend(((*path, i), v) for i, v in enumerate(node))
    return out


def _parent(root: Any, path: tuple[Any, ...]) -> Any:
    node = root
    for part in path[:-1]:
        node = node[part]
    return node


@st.composite
def mutated(draw: st.DrawFn, base: Any, rounds: int = 4) -> Any:
    """`base` with up to `rounds` edits: a value replaced by a hostile one, a key
    removed, a key added, a list element duplicated, a value nested deeper."""
    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, rounds))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        if not path:
            if draw(st.booleans()):
                data = draw(any_value)
            continue
        parent = _parent(data, path)
        key = path[-1]
        action = draw(st.sampled_from(["replace", "replace", "delete", "add", "dup", "deepen"]))
        if action == "replace":
            parent[key] = draw(any_value)
        elif action == "delete":
            del parent[key]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(hostile_text)] = draw(any_value)
        elif action == "dup" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
        elif action == "deepen":
            parent[key] = nested(
                parent[key], draw(st.sampled_from([1, 50, 120])), draw(st.booleans())
            )
    return data


def to_text(data: Any, as_yaml: bool) -> str:
    """JSON (lone surrogates spelled as escapes, as a host would) or YAML text."""
    if as_yaml:
        try:
            return yaml.safe_dump(data, allow_unicode=False, sort_keys=False, width=10_000)
        except (yaml.YAMLError, RecursionError, ValueError):
            pass  # what YAML cannot write (a lone surrogate): keep it JSON, also YAML
    try:
        return json.dumps(data, ensure_ascii=True)
    except (RecursionError, ValueError):
        return "{]"


@st.composite
def text_damage(draw: st.DrawFn, text: str) -> bytes:
    """The file's bytes, maybe damaged: cut short, a byte-order mark, bytes that are not
    UTF-8, a duplicated key, or left as they are."""
    raw = text.encode("utf-8", errors="surrogatepass")
    kind = draw(st.sampled_from(["none", "none", "none", "cut", "bom", "junk", "dupkey", "utf16"]))
    if kind == "cut" and raw:
        raw = raw[: draw(st.integers(0, len(raw) - 1))]
    elif kind == "bom":
        raw = b"\xef\xbb\xbf" + raw
    elif kind == "junk" and raw:
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=8)) + raw[at:]
    elif kind == "dupkey" and raw.startswith(b"{"):
        raw = b'{"hosts": [], "format": 1, ' + raw[1:]
    elif kind == "utf16":
        raw = text.encode("utf-16", errors="surrogatepass")
    return raw


# --- garbage command output ----------------------------------------------------------------

garbage_text = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=200).filter(
        lambda s: s.strip() != ""
    ),
    json_values.map(lambda v: json.dumps(v)).filter(lambda s: s not in ("[]", "{}", '""', "null")),
    st.lists(hostile_text, min_size=1, max_size=6).map("\n".join).filter(lambda s: s.strip() != ""),
)


@st.composite
def garbage_result(draw: st.DrawFn, key: str) -> dict[str, Any]:
    """A recorded command result that shows nothing: output that is not the command's
    (never empty, so it cannot read as "none found"), or a failure exit. A file read's
    exit 1 means "no such file", which is evidence, so files only fail otherwise."""
    exits = [0, 0, 0, 2, 124, 126, 127, 255] + ([] if key.startswith("file:") else [1])
    status = draw(st.sampled_from(exits))
    return {
        "exit_status": status,
        "stdout": draw(garbage_text),
        "stderr": draw(st.one_of(st.just(""), hostile_text)),
        "duration": 0.01,
        "timed_out": status == 124,
    }


# --- reports, inventories, waivers, baselines ------------------------------------------------

hostnames = st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True)


@st.composite
def valid_inventory(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A legitimate inventory (native format, maybe with anchors), and its host names."""
    names = draw(st.lists(hostnames, min_size=1, max_size=60, unique=True))
    anchored = draw(st.booleans())
    lines = ["vars: &common {user: audit, port: 22}" if anchored else "vars: {user: audit}"]
    lines.append("groups:")
    groups = draw(st.integers(1, 4))
    for g in range(groups):
        lines += [f"  g{g}:", "    hosts:"]
        for name in names[g::groups]:
            lines.append(f"      {name}: {'*common' if anchored else '{port: 22}'}")
    return "\n".join(lines) + "\n", names


WAIVER_TEMPLATE = {
    "waivers": [
        {
            "id": "2026-001",
            "check": "open_ports",
            "hosts": ["win11-*"],
            "resource": "*:3389/tcp",
            "justification": "保守業者の遠隔保守（契約 2026-17）",
            "approver": "情報政策課長",
            "approved": "2026-04-01",
            "expires": "2026-12-31",
        },
        {
            "check": "firewall",
            "hosts": ["*"],
            "justification": "VPN 製品が代替",
            "approver": "CISO",
            "expires": "2027-03-31",
        },
    ]
}
