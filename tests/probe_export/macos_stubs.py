"""Run the macOS console-user probe (a constant sh script) here, against stand-ins for
the macOS programs that answer with what a recorded Mac answered."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from endpoint_audit.checks.screen_lock.macos import (
    CONSOLE_OWNER,
    WHOAMI,
    MacosScreenLock,
    parse_console_owner,
)
from endpoint_audit.checks.screen_lock.macos.console_user import CONSOLE_USER_SETTINGS
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.transport.transcript import HostTranscript

_STUB = r"""#!/bin/sh
name=${0##*/}
if [ "$name" = launchctl ]; then
    # launchctl asuser UID sudo -n -u USER COMMAND...: run COMMAND (already that user here)
    shift 6
    exec "$@"
fi
key=$name
case "$name $*" in
    "defaults "*idleTime*) key=idle ;;
    "defaults "*askForPassword*) key=ask ;;
    plutil*) key=managed_user ;;
    id*) key=whoami ;;
esac
cat "$STUB_DIR/$key.out"
cat "$STUB_DIR/$key.err" >&2
exit "$(cat "$STUB_DIR/$key.status")"
"""
PROGRAMS = ("stat", "id", "launchctl", "defaults", "sysadminctl", "plutil")


def _answer(folder: Path, key: str, result: CommandResult) -> None:
    (folder / f"{key}.out").write_text(result.stdout)
    (folder / f"{key}.err").write_text(result.stderr)
    (folder / f"{key}.status").write_text(str(result.exit_status))


def console_user_settings(host: HostTranscript, folder: Path) -> CommandResult | None:
    """What CONSOLE_USER_SETTINGS prints on the recorded Mac; None when the recording
    lacks a per-user answer it needs."""
    commands = host.commands
    owner = commands.get(CONSOLE_OWNER.key)
    whoami = commands.get(WHOAMI.key)
    if owner is None or whoami is None or not owner.ok:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    _answer(folder, "stat", owner)
    _answer(folder, "whoami", whoami)
    console = parse_console_owner(owner.stdout)
    collector = MacosScreenLock()
    me = whoami.stdout.strip() if whoami.ok else None
    for name, command in collector._user_commands(console, me).items():
        recorded = commands.get(command.key)
        if recorded is None:
            if console.user in ("root", "loginwindow", "_mbsetupuser"):
                continue
            return None
        _answer(folder, name, recorded)
    bin_dir = folder / "bin"
    bin_dir.mkdir(exist_ok=True)
    for program in PROGRAMS:
        stub = bin_dir / program
        stub.write_text(_STUB)
        stub.chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "STUB_DIR": str(folder), "LC_ALL": "C"}
    done = subprocess.run(
        list(CONSOLE_USER_SETTINGS.argv),
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        cwd=folder,
    )
    assert "HOME" not in env and os.sep == "/"
    return CommandResult(done.returncode, stdout=done.stdout, stderr=done.stderr)
