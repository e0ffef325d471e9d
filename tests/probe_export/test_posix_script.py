"""The exported POSIX sh probe script, run here with `sh`: it writes one bundle file in
its output folder and nothing anywhere else, and `evaluate` judges that file as `scan`
judges this machine."""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from endpoint_audit.engine.export import (
    PLATFORM_VARIANTS,
    ExportOptions,
    export_script,
    posix_line,
    probe_commands,
)
from endpoint_audit.engine.registry import load_registry
from endpoint_audit.model.commands import Argv
from endpoint_audit.model.platform import PROBE_SCRIPT_TRANSPORT, OsFamily
from endpoint_audit.transport.transcript import load_bundle
from tests.conftest import require_tool

NETWORK_WORDS = re.compile(
    r"\b(curl|wget|nc|ncat|netcat|ssh|scp|sftp|ftp|telnet|ping|nslookup|dig|"
    r"rsync|apt-get|Invoke-WebRequest|Invoke-RestMethod|WebClient|"
    r"Start-BitsTransfer|Test-NetConnection|Net\.Sockets|HttpClient)\b",
    re.IGNORECASE,
)
NETWORK_PROGRAMS = frozenset(
    {"curl", "wget", "nc", "ssh", "scp", "ftp", "ping", "host", "dig", "softwareupdate"}
)
# Commands that refresh package indexes over the network.
NETWORK_COMMANDS = re.compile(
    r"apt(-get)? (update|upgrade)|(?<![/\w])dnf (?!-q -C )|yum |zypper ref"
)


def export(family: OsFamily, seconds: int = 60, total: int = 600) -> str:
    return export_script(load_registry(), family, ExportOptions(seconds, total))


def run_script(script: Path, out: Path | None, tmp: Path, *, trace: Path | None = None) -> str:
    """Run the script as this user with its own HOME, TMPDIR and working folder."""
    for name in ("home", "tmp", "cwd"):
        (tmp / name).mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp / "home"),
        "TMPDIR": str(tmp / "tmp"),
    }
    args = [str(script)] if out is None else [str(script), str(out)]
    argv = ["sh", *args]
    if trace is not None:
        argv = [require_tool("strace"), "-f", "-qq", "-e", "trace=connect", "-o", str(trace)]
        argv += ["sh", *args]
    done = subprocess.run(
        argv, cwd=tmp / "cwd", env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture(scope="module")
def linux_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One run of the exported Linux script: (its bundle, the test's temp folder)."""
    base = tmp_path_factory.mktemp("probe")
    script = base / "endpoint-audit-probe-linux.sh"
    script.write_text(export(OsFamily.LINUX))
    out = base / "share"
    out.mkdir()
    written = Path(run_script(script, out, base))
    return written, base


def findings_of(report: dict[str, Any]) -> set[tuple[str, str | None, str, str]]:
    (host,) = report["hosts"]
    return {(f["check_id"], f["resource"], f["status"], f["message_key"]) for f in host["findings"]}


def test_scripts_are_posix_sh() -> None:
    dash = require_tool("dash")
    for family in (OsFamily.LINUX, OsFamily.MACOS):
        text = export(family)
        done = subprocess.run([dash, "-n"], input=text, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        # No bash-isms and no GNU-only flags where the script itself runs them.
        for bashism in ("[[", "function ", "local ", "$'", "<(", "&>", "pipefail", "-w0", "-w 0"):
            assert bashism not in text, bashism


def test_script_runs_every_command_the_collectors_may_ask_for() -> None:
    registry = load_registry()
    for family in (OsFamily.LINUX, OsFamily.MACOS):
        text = export(family)
        commands = probe_commands(registry, family)
        for command in commands:
            assert posix_line(command) in text
            assert shlex.quote(json.dumps(command.key)) in text
        for variant in PLATFORM_VARIANTS[family]:
            assert variant.transport == PROBE_SCRIPT_TRANSPORT


def test_no_network_commands() -> None:
    for family in (OsFamily.LINUX, OsFamily.MACOS, OsFamily.WINDOWS):
        code = "\n".join(
            line for line in export(family).splitlines() if not line.lstrip().startswith("#")
        )
        assert not NETWORK_WORDS.search(code), NETWORK_WORDS.search(code)
        assert not NETWORK_COMMANDS.search(code), NETWORK_COMMANDS.search(code)
        for command in probe_commands(load_registry(), family):
            if isinstance(command, Argv):
                assert Path(command.argv[0]).name not in NETWORK_PROGRAMS, command.key


def test_bundle_is_written_in_the_output_folder_only(linux_run: tuple[Path, Path]) -> None:
    written, base = linux_run
    assert written.parent == base / "share"
    assert sorted(p.name for p in (base / "share").iterdir()) == [written.name]
    host = os.uname().nodename
    assert re.fullmatch(rf"endpoint-audit-{re.escape(host)}-\d{{8}}T\d{{6}}Z\.json", written.name)
    for name in ("home", "tmp", "cwd"):
        assert list((base / name).iterdir()) == [], name


def test_bundle_is_a_probe_script_bundle(linux_run: tuple[Path, Path]) -> None:
    written, _ = linux_run
    data = json.loads(written.read_text())
    assert data["script_version"] == 1 and data["format"] == "endpoint-audit-bundle"
    (host,) = load_bundle(written)
    assert host.script_version == 1 and host.collected_at is not None
    assert host.collected_at.utcoffset() is not None
    keys = {c.key for c in probe_commands(load_registry(), OsFamily.LINUX)}
    assert set(host.commands) == keys
    assert all(not r.timed_out for r in host.commands.values())


def test_evaluate_judges_the_bundle_as_scan_judges_this_machine(
    linux_run: tuple[Path, Path], cli: Callable[..., Any]
) -> None:
    written, _ = linux_run
    evaluated = cli("evaluate", str(written.parent), "-b", "minimal", "-f", "json")
    scanned = cli("scan", "-b", "minimal", "-f", "json")
    got = json.loads(evaluated.stdout)
    assert got["hosts"][0]["platform"]["transport"] == "probe-script"
    assert {f[0] for f in findings_of(got)} == {
        "disk_encryption", "firewall", "open_ports", "patch_level", "screen_lock"
    }  # fmt: skip
    assert findings_of(got) == findings_of(json.loads(scanned.stdout))
    assert evaluated.exit_code == scanned.exit_code


def test_a_bundle_of_a_script_older_than_the_apt_all_versions_listing_still_judges(
    linux_run: tuple[Path, Path], cli: Callable[..., Any], tmp_path: Path
) -> None:
    """A script runs `apt list --upgradable --all-versions` where a scan asks follow-ups
    (`apt-cache policy` of named packages, which a script cannot know in advance).
    Scripts exported before it ran only `apt list --upgradable`: their bundles lack the
    listing (may_be_unrecorded), and patch_level judges from the candidates instead of
    failing as a missing command."""
    from endpoint_audit.checks.patch_level.linux import APT_ALL, APT_LIST

    written, _ = linux_run
    data = json.loads(written.read_text())
    commands = data["hosts"][0]["commands"]
    if APT_ALL.key not in commands or commands[APT_ALL.key]["exit_status"] == 127:
        pytest.skip("no apt on this machine")
    assert APT_LIST.key in commands  # the candidates, as a scan's first round
    assert not [k for k in commands if k.startswith("apt-cache")]  # no follow-ups
    del commands[APT_ALL.key]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data))
    report = json.loads(cli("evaluate", str(old), "-b", "minimal", "-f", "json").stdout)
    pending = {f[1]: (f[2], f[3]) for f in findings_of(report) if f[0] == "patch_level"}[
        "pending_security_updates"
    ]
    assert pending[1] != "core.msg.replay_miss" and pending[0] in ("fail", "unknown", "pass")
    if pending[0] == "pass":  # only when nothing at all is upgradable
        listing = base64.b64decode(commands[APT_LIST.key]["stdout_b64"]).decode()
        assert "upgradable from" not in listing


def test_time_budget_stops_a_hung_command(tmp_path: Path) -> None:
    """A command that never ends is stopped at its budget and recorded as timed out; the
    script still writes its file."""
    out = tmp_path / "share it's"
    out.mkdir()
    text = export_script(
        load_registry(), OsFamily.LINUX, ExportOptions(2, 2, default_output=str(out))
    )
    # Make the first command hang: a constant sleep in place of `uname -snm`.
    text = text.replace("( exec env LC_ALL=C uname -snm )", "( exec sleep 30 )", 1)
    script = tmp_path / "probe.sh"
    script.write_text(text)
    # No argument: the script writes to the folder given at export.
    written = Path(run_script(script, None, tmp_path))
    assert written.parent == out
    (host,) = load_bundle(written)
    first = host.commands["uname -snm"]
    assert first.timed_out and first.exit_status == 124
    assert "timed out after 2 s" in first.stderr
    # The budget is spent: later commands are recorded as not run, never as passing.
    later = host.commands["id -u"]
    assert later.exit_status == 124 and "time budget" in later.stderr


def test_script_opens_no_network_connection(tmp_path: Path) -> None:
    script = tmp_path / "probe.sh"
    script.write_text(export(OsFamily.LINUX))
    out = tmp_path / "share"
    out.mkdir()
    trace = tmp_path / "connect.trace"
    run_script(script, out, tmp_path, trace=trace)
    calls = trace.read_text().splitlines()
    inet = [c for c in calls if "AF_INET" in c]
    assert inet == []
