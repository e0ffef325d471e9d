"""A check is one folder: nothing under src/ outside a check's package names its id, so
adding or removing a check touches no other file (the registry, the catalogs, the
baseline schema and the docs' tables are derived from the packages)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import endpoint_audit
from endpoint_audit.checks import builtin_packages

SRC = Path(endpoint_audit.__file__).resolve().parent
CHECKS = SRC / "checks"
# Deprecated import paths kept for old plugins: they re-export the kit, naming no check.
SHIMS = {SRC / "checks" / "base.py", SRC / "collectors" / "base.py"}
# The history store reads stored reports, which name checks by id as users' files do, and
# may come from releases with other checks; its weekly report singles out the patch level
# (days since updates, pending reboot) and disk encryption (a critical item). These uses,
# and only these, are allowed until the checks declare such roles themselves.
REPORT_READERS = {
    ("history/observe.py", 'PATCH_CHECK = "patch_level"'),
    ("history/migrations.py", "patch_days INTEGER,              -- patch_level: days since"),
}
IDS = sorted(p.id for p in builtin_packages())


def files_outside(check_id: str) -> list[Path]:
    """Every text file under src/endpoint_audit except the check's own folder. The
    symlinked folders (baselines/, templates/) are left out: they are the shipped
    baselines and report templates, which configure checks by id as users' files do."""
    own = CHECKS / check_id
    out: list[Path] = []
    for path in sorted(SRC.rglob("*")):
        if any(p.is_symlink() for p in (path, *path.parents) if p != SRC and SRC in p.parents):
            continue
        if not path.is_file() or "__pycache__" in path.parts or path in SHIMS:
            continue
        if own in path.parents:
            continue
        out.append(path)
    return out


def test_the_five_checks_are_packages() -> None:
    assert {"disk_encryption", "firewall", "open_ports", "patch_level", "screen_lock"} <= set(IDS)
    for check_id in IDS:
        folder = CHECKS / check_id
        assert (folder / "__init__.py").is_file()
        assert (folder / "check.py").is_file() and (folder / "facts.py").is_file()
        assert {p.name for p in (folder / "texts").iterdir()} >= {"en.toml", "ja.toml"}


def id_pattern(check_id: str) -> re.Pattern[str]:
    """Where a text names the check by its id. An id with an underscore is unmistakable
    anywhere. An id that is also an English word (`firewall`) counts where it is used
    as an identifier, not in prose ("the host firewall"): quoted alone, in a dotted name
    or catalog key (`firewall.msg.x`, `checks.firewall`), in a path (`checks/firewall`),
    in a comma-separated list of ids (`--only firewall,x`) or as a YAML key."""
    cid = re.escape(check_id)
    if "_" in check_id:
        return re.compile(rf"(?<![A-Za-z0-9_]){cid}(?![A-Za-z0-9_])")
    word = rf"(?<![A-Za-z0-9_]){cid}(?![A-Za-z0-9_])"
    uses = [
        rf"[\"'`]{cid}[\"'`]",
        rf"{word}\.[A-Za-z_]",
        rf"[A-Za-z0-9_]\.{word}",
        rf"/{word}|{word}/",
        rf"{word},[A-Za-z_]|[A-Za-z0-9_],{word}",
        rf"^\s*{cid}\s*:",
    ]
    return re.compile("|".join(f"(?:{u})" for u in uses))


@pytest.mark.parametrize("check_id", IDS)
def test_no_file_outside_the_package_names_the_check(check_id: str) -> None:
    pattern = id_pattern(check_id)
    found = []
    for path in files_outside(check_id):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            where = path.relative_to(SRC).as_posix()
            if any(where == f and line.strip().startswith(t) for f, t in REPORT_READERS):
                continue
            if pattern.search(line):
                found.append(f"{path.relative_to(SRC)}:{number}: {line.strip()[:120]}")
    assert found == []


def test_the_scan_sees_what_it_must() -> None:
    """The pattern finds an id where one is written, and not inside a longer name."""
    pattern = id_pattern("firewall")
    for named in (
        'keys = ["firewall.msg.x"]',
        "--only firewall,open_ports",
        "from endpoint_audit.checks.firewall import x",
        "see checks/firewall/texts",
        "  firewall:",
        '"check": "firewall"',
    ):
        assert pattern.search(named), named
    for prose in ("windows_firewall firewall_profiles Firewall", "the host firewall. It"):
        assert not pattern.search(prose), prose
    assert id_pattern("open_ports").search("the open_ports check")
    assert files_outside("firewall") and not any(
        CHECKS / "firewall" in p.parents for p in files_outside("firewall")
    )
