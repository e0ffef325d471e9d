"""The console user's screen-lock settings in one constant command, for probe scripts.

A probe script (`probe export`) cannot ask the collector between rounds which user to
read, so it runs this fixed sh script instead: it finds the console user itself, checks
the name, and runs the same per-user commands the collector's second round would run
(as that user when the script runs as root). Its output frames each command's exit
status, stdout and stderr behind a marker drawn at run time, which no output can
predict. `derive_user_results` turns the frames back into results under the keys of the
second round, so `parse()` judges them exactly as it judges a scan's.
"""

from __future__ import annotations

import re

from endpoint_audit.errors import CollectorError
from endpoint_audit.model.commands import Argv, CommandResult

# Runs as whoever runs the probe script. Nothing from the host is placed in a command
# unchecked: the user name must be a macOS short name and the uid digits.
_SCRIPT = r"""
m=EA$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$m"
owner=$(stat -f '%u %Su' /dev/console) || exit 3
uid=${owner%% *}
user=${owner#* }
case $uid in ''|*[!0-9]*) exit 4 ;; esac
case $user in ''|[.-]*|*[!A-Za-z0-9_.-]*) exit 4 ;; esac
case $user in
    root|loginwindow|_mbsetupuser) printf '%s N %s %s\n' "$m" "$uid" "$user"; exit 0 ;;
esac
printf '%s U %s %s\n' "$m" "$uid" "$user"
me=$(id -un)
as_user() {
    if [ "$me" = "$user" ]; then "$@"; else launchctl asuser "$uid" sudo -n -u "$user" "$@"; fi
}
frame() {
    printf '%s O %s %s\n%s\n%s E %s\n%s\n' "$m" "$1" "$2" "$3" "$m" "$1" "$4"
}
capture() {
    n=$1
    shift
    o=$("$@" 2>/dev/null)
    s=$?
    e=
    [ "$s" -eq 0 ] || e=$("$@" 2>&1 >/dev/null)
    frame "$n" "$s" "$o" "$e"
}
capture idle as_user defaults -currentHost read com.apple.screensaver idleTime
capture ask as_user defaults read com.apple.screensaver askForPassword
e=$(as_user sysadminctl -screenLock status 2>&1)
frame sysadminctl "$?" "" "$e"
profile="/Library/Managed Preferences/$user/com.apple.screensaver.plist"
capture managed_user plutil -convert xml1 -o - "$profile"
printf '%s Z\n' "$m"
"""

# `sudo -n`: never waits for a password; refused, the frames say so and parse() reports
# the settings as readable only as root.
CONSOLE_USER_SETTINGS = Argv(("sh", "-c", _SCRIPT.strip() + "\n"), privileged=True)

_MARKER = re.compile(r"EA[0-9a-f]{16}")
_NAMES = ("idle", "ask", "sysadminctl", "managed_user")


class ConsoleUserFrames:
    """What CONSOLE_USER_SETTINGS printed: the console user and each command's result."""

    def __init__(self, uid: str, user: str, logged_on: bool, results: dict[str, CommandResult]):
        self.uid = uid
        self.user = user
        self.logged_on = logged_on
        self.results = results


def parse_frames(result: CommandResult) -> ConsoleUserFrames:
    """The frames of CONSOLE_USER_SETTINGS; CollectorError when they are not whole."""
    if not result.ok:
        raise CollectorError(
            f"the console user's settings could not be read (exit {result.exit_status}): "
            f"{result.excerpt(200)}"
        )
    lines = result.stdout.split("\n")
    marker = lines[0].strip() if lines else ""
    if not _MARKER.fullmatch(marker):
        raise CollectorError("the console user's settings: output without its marker")
    head = lines[1].split(" ") if len(lines) > 1 else []
    if len(head) != 4 or head[0] != marker or head[1] not in ("U", "N"):
        raise CollectorError("the console user's settings: no console user line")
    uid, user = head[2], head[3]
    if head[1] == "N":
        return ConsoleUserFrames(uid, user, False, {})
    frame = re.compile(
        rf"^{marker} (?:O (?P<name>\w+) (?P<status>\d+)|E (?P<ename>\w+)|(?P<end>Z))$",
        re.MULTILINE,
    )
    body = "\n".join(lines[2:])
    matches = list(frame.finditer(body))
    if not matches or not matches[-1].group("end"):
        raise CollectorError("the console user's settings: output cut off")
    status: dict[str, int] = {}
    out: dict[str, str] = {}
    err: dict[str, str] = {}
    for index, match in enumerate(matches[:-1]):
        text = body[match.end() + 1 : matches[index + 1].start()].removesuffix("\n")
        if match.group("name"):
            status[match.group("name")] = int(match.group("status"))
            out[match.group("name")] = text
        elif match.group("ename"):
            err[match.group("ename")] = text
    missing = [n for n in _NAMES if n not in status or n not in err]
    if missing:
        raise CollectorError(f"the console user's settings: no frame for {', '.join(missing)}")
    results = {
        name: CommandResult(status[name], stdout=_line(out[name]), stderr=_line(err[name]))
        for name in _NAMES
    }
    return ConsoleUserFrames(uid, user, True, results)


def _line(text: str) -> str:
    """Command substitution dropped the final newline; put one back for non-empty text."""
    return text + "\n" if text else ""
