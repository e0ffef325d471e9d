"""`--help` of every command reads as a manual, at several terminal widths: values named
for people (no `<bool>`, `<list[str]>`, `<float range>`), one default per option, no
default split from its value, examples kept whole, no line past the width but those;
and the root help lists every command with its own summary without importing any."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from endpoint_audit.cli.app import app, keep_examples, load_command, summary_of
from endpoint_audit.cli.commands import COMMANDS
from endpoint_audit.cli.quick import quick_command, root_help

WIDTHS = (60, 80, 120)
# What Typer writes when an option has no name for its value, or a range in Python terms.
TYPE_NAMES = re.compile(
    r"<(?:str|int|float|bool|path|Path|datetime|list\[[^>]*\]|[a-z]+ range|[A-Za-z]+\|[^>]*)>"
    r"|\blist\[|\bx\s*[<>]=|[<>]=\s*x\b|\{[A-Za-z_]+\}"
)


def command_paths() -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = [()]
    for name in COMMANDS:
        command = load_command(name)
        paths.append((name,))
        sub = getattr(command, "commands", None)
        if sub:
            paths += [(name, child) for child in sub]
    return paths


PATHS = command_paths()


def help_text(path: tuple[str, ...], width: int) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], terminal_width=width)
    assert result.exit_code == 0, result.output
    return result.output


def option_entries(text: str) -> list[str]:
    """The entries of the Options/Arguments sections, each with its wrapped lines."""
    entries: list[str] = []
    section = False
    for line in text.splitlines():
        if line in ("Options:", "Arguments:"):
            section = True
            continue
        if not line.strip() or not line.startswith(" "):
            section = line in ("Options:", "Arguments:")
            continue
        if section:
            if re.match(r"^  \S", line):
                entries.append(line.strip())
            elif entries:
                entries[-1] += " " + line.strip()
    return entries


def test_every_command_is_covered() -> None:
    assert len(PATHS) > 20
    assert ("report", "diff") in PATHS and ("scan",) in PATHS


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "root")
def test_help_reads_as_a_manual(path: tuple[str, ...], width: int) -> None:
    text = help_text(path, width)
    assert not TYPE_NAMES.findall(text), TYPE_NAMES.findall(text)
    assert "\x00" not in text
    for line in text.splitlines():
        # A default is never split from its value, and nothing is cut with an ellipsis.
        if not line.startswith("Usage:"):
            assert not line.rstrip().endswith(("[default:", "...", "…")), line
        if not line.strip().startswith("endpoint-audit "):
            assert len(line) <= width, f"{len(line)} > {width}: {line!r}"
    for entry in option_entries(text):
        words = re.sub(r"--[\w-]+", "", entry)  # an option's own name may say "default"
        mentions = re.findall(r"\bdefault\b", words, flags=re.IGNORECASE)
        assert len(mentions) <= 1, f"two defaults: {entry}"


def test_examples_stay_whole_lines() -> None:
    text = help_text(("scan",), 60)
    assert "  endpoint-audit scan -i fleet.yaml --sudo -j 64 --output-dir audit-2026-04\n" in text
    kept = keep_examples("Intro.\n\nendpoint-audit a\n\nendpoint-audit b  # why\n\nAfter.")
    assert kept == "Intro.\n\n\b\n  endpoint-audit a\n  endpoint-audit b  # why\n\nAfter."


def test_root_summaries_are_the_commands_own() -> None:
    """The root help lists commands from a table (so it imports none of them); the table
    must say what each command's own help says."""
    for name, entry in COMMANDS.items():
        assert entry.summary == summary_of(load_command(name)), name


def test_root_help_imports_no_command_module() -> None:
    code = (
        "import sys\n"
        "from endpoint_audit.cli import app\n"
        "try:\n    app.app(['--help'], prog_name='endpoint-audit')\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in sys.modules if m.startswith(('pydantic', 'endpoint_audit.engine',"
        " 'endpoint_audit.cli.scan_cmd', 'rich', 'yaml', 'jinja2', 'asyncssh'))]\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "Usage: endpoint-audit" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "HEAVY=", done.stdout.splitlines()[-1]


def test_checks_list_imports_no_check_and_no_pydantic() -> None:
    """`checks list` reads the packages' meta.toml and texts as files: importing a check
    package (and with it pydantic) would make it as slow as a scan's start."""
    code = (
        "import sys\n"
        "sys.argv = ['endpoint-audit', 'checks', 'list']\n"
        "from endpoint_audit.cli import main\n"
        "main()\n"
        "heavy = [m for m in sys.modules if m.startswith(('pydantic', 'endpoint_audit.engine',"
        " 'endpoint_audit.checks', 'endpoint_audit.checkkit', 'typer', 'yaml'))]\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    env = {**os.environ, "ENDPOINT_AUDIT_DISABLE_PLUGINS": "1", "COLUMNS": "100"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert "screen_lock" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "HEAVY=", done.stdout.splitlines()[-1]


@pytest.mark.parametrize("width", (50, 60, 80, 98))
def test_quick_root_help_is_the_applications_own(width: int) -> None:
    """`--help` alone is answered without Typer; it must print what Typer would."""
    assert root_help(width) == help_text((), width)


def test_quick_paths_take_only_what_they_fully_understand() -> None:
    assert quick_command(["--help"]) is not None and quick_command(["-h"]) is not None
    assert quick_command(["checks", "list"]) is not None
    assert quick_command(["checks", "list", "--lang", "ja"]) is not None
    assert quick_command(["checks", "list", "--lang=en"]) is not None
    for other in (
        [],
        ["scan", "--help"],
        ["checks", "list", "--lang", "fr"],
        ["checks", "list", "--json"],
        ["checks", "show", "firewall"],
        ["--help", "scan"],
    ):
        assert quick_command(other) is None, other


def test_checks_list_quick_path_matches_the_registry(tmp_path: object) -> None:
    """What `checks list` reads from the packages' meta.toml says what the check classes say."""
    from endpoint_audit.engine.registry import load_registry
    from endpoint_audit.model.check_index import builtin_index

    checks = load_registry().checks
    builtin = {cid: cls for cid, cls in checks.items() if "." not in cid}
    assert set(builtin) == set(builtin_index())
    for cid, cls in builtin.items():
        entry = builtin_index()[cid]
        assert cls.meta.severity.value == entry.severity
        assert sorted(f.value for f in cls.meta.platforms) == sorted(entry.platforms)


def test_checks_list_in_japanese_has_japanese_severities_and_whole_titles() -> None:
    env = {"COLUMNS": "80", "PATH": "/usr/bin:/bin"}
    exe = [sys.executable, "-m", "endpoint_audit", "checks", "list", "--lang", "ja"]
    done = subprocess.run(exe, capture_output=True, text=True, check=True, env=env)
    out = done.stdout
    assert "…" not in out and "..." not in out
    for label in ("緊急", "高", "中"):
        assert f" {label} " in out
    for word in ("critical", "high", "medium"):
        assert word not in out
    flat = "".join(cell.strip() for line in out.splitlines() for cell in line.split("│")[2:3])
    from endpoint_audit.model import i18n

    for cid in ("disk_encryption", "screen_lock"):
        assert i18n.t("ja", f"{cid}.title").replace(" ", "") in flat.replace(" ", "")


def test_checks_list_scans_for_plugins_again_when_the_import_path_changes(
    tmp_path: Path,
) -> None:
    """The answer to "is a third-party check installed?" is kept while the import path's
    folders are unchanged; installing a distribution into one of them is seen at once."""
    site = tmp_path / "site"
    site.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    env.pop("ENDPOINT_AUDIT_DISABLE_PLUGINS", None)
    code = (
        "import sys\n"
        "from endpoint_audit.cli.checks_list import _third_party_checks\n"
        "print(_third_party_checks(), 'importlib.metadata' in sys.modules)\n"
    )

    def ask() -> str:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        )
        return done.stdout.strip()

    assert ask() == "False True"  # scanned
    assert ask() == "False False"  # kept: the scan's library is not even imported
    info = site / "acme_usb-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-usb\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[endpoint_audit.checks.v1]\nacme = acme_usb:PACKAGE\n", encoding="utf-8"
    )
    assert ask() == "True True"  # the folder changed: scanned again
    assert ask() == "True False"


# How the root help names each built-in check; a new check must be added here and there.
CHECK_WORDS = {
    "antivirus": "antivirus",
    "disk_encryption": "disk encryption",
    "firewall": "firewall",
    "local_admins": "local administrators",
    "open_ports": "open ports",
    "os_support": "operating system and Office support",
    "password_policy": "password policy",
    "patch_level": "patches",
    "screen_lock": "screen lock",
    "secure_boot": "secure boot",
}


def test_root_help_and_checks_summary_name_every_builtin_check() -> None:
    from endpoint_audit.cli.commands import ROOT_HELP
    from endpoint_audit.model.check_index import builtin_index

    flat = " ".join(ROOT_HELP.split())
    checks_summary = COMMANDS["checks"].summary
    for cid in builtin_index():
        assert CHECK_WORDS[cid] in flat, cid
        assert CHECK_WORDS[cid] in checks_summary, cid
    assert "rules" in flat and "rules" in COMMANDS["scan"].summary


def test_checks_list_kept_table_is_the_one_rich_writes(tmp_path: Path) -> None:
    """The second `checks list` writes the table kept from the first without importing
    Rich; what it writes is what Rich writes, and a change of what the table depends on
    (the width, the language) is rendered anew, not served from the kept one."""
    code = (
        "import sys\n"
        "sys.argv = ['endpoint-audit', 'checks', 'list', *sys.argv[1:]]\n"
        "from endpoint_audit.cli import main\n"
        "main()\n"
        "print('RICH=' + str('rich.console' in sys.modules))\n"
    )
    base = {
        **os.environ,
        "ENDPOINT_AUDIT_DISABLE_PLUGINS": "1",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }

    def listed(columns: str, *args: str, cache: bool = True) -> tuple[str, bool]:
        env = {**base, "COLUMNS": columns}
        if not cache:
            env["XDG_CACHE_HOME"] = str(tmp_path / f"fresh-{columns}-{'-'.join(args)}")
        done = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env,
            check=True,
        )  # fmt: skip
        text, _, flag = done.stdout.rpartition("RICH=")
        return text, flag.strip() == "True"

    first, rich_first = listed("80")
    again, rich_again = listed("80")
    assert rich_first and not rich_again
    assert again == first == listed("80", cache=False)[0]
    assert "disk_encryption" in first
    wide, rich_wide = listed("140")
    assert rich_wide and wide == listed("140", cache=False)[0] != first
    japanese, rich_ja = listed("140", "--lang", "ja")
    assert rich_ja and japanese == listed("140", "--lang", "ja", cache=False)[0] != wide
    assert listed("140", "--lang", "ja") == (japanese, False)


# What only fleets, recordings, bundles, run folders, signing, the history store and the
# HTML report need: a scan of this PC to a JSON file must start without any of it.
NOT_FOR_A_LOCAL_SCAN = (
    "asyncssh",
    "cryptography",
    "jinja2",
    "sqlite3",
    "endpoint_audit.transport.ssh",
    "endpoint_audit.transport.replay",
    "endpoint_audit.transport.transcript",
    "endpoint_audit.transport.redact",
    "endpoint_audit.inventory",
    "endpoint_audit.engine.recorded",
    "endpoint_audit.engine.run_folder",
    "endpoint_audit.engine.collect_manifest",
    "endpoint_audit.engine.signing",
    "endpoint_audit.history",
    "endpoint_audit.signing",
    "endpoint_audit.render.html",
)


def test_local_scan_imports_no_fleet_recording_or_store_module(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    code = (
        "import sys\n"
        f"sys.argv = ['endpoint-audit', 'scan', '--only', 'os_support', '-f', 'json',"
        f" '-o', {str(out)!r}]\n"
        "import atexit\n"
        f"heavy = {NOT_FOR_A_LOCAL_SCAN!r}\n"
        "atexit.register(lambda: print('HEAVY=' + ','.join(sorted(m for m in sys.modules"
        " if m.startswith(heavy)))))\n"
        "from endpoint_audit.cli import main\n"
        "main()\n"
    )
    env = {**os.environ, "ENDPOINT_AUDIT_DISABLE_PLUGINS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode in (0, 1, 3), done.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["hosts"], "the scan wrote no report"
    assert done.stdout.strip().splitlines()[-1] == "HEAVY=", done.stdout.splitlines()[-1]
