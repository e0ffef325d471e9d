"""password_policy on Linux: what PAM enforces when a password is changed and when
sign-ins fail.

A setting counts only where PAM loads the module that reads it: pwquality.conf proves
nothing unless pam_pwquality is in the password stack (required or requisite, above any
rule that can jump over it) with `enforcing` on, and faillock.conf nothing unless
pam_faillock is in the auth stack with both `preauth` and `authfail`. The stacks are
read from the files the distributions include everywhere: common-password and
common-auth (Debian, Ubuntu, SUSE), system-auth and password-auth (RHEL, Fedora); where
several exist, the weakest rule is taken.

- Length: pam_pwquality's `minlen` (module argument, else pwquality.conf and
  pwquality.conf.d/*.conf, default 8, never below 6) less the positive credits
  (`dcredit` ...), which let shorter passwords through; without pam_pwquality,
  pam_unix's `minlen` (default 6). /etc/login.defs PASS_MIN_LEN is shown as evidence only:
  with PAM, passwd does not use it (login.defs(5)).
- Character classes: the larger of `minclass` and the number of negative credits.
- Lockout: pam_faillock's `deny` (module argument, else faillock.conf, default 3); 0 never
  locks, and no pam_faillock is no lockout.

Where the configuration files disagree (pwquality.conf.d may override the main file),
the weakest value is taken. Modules this check does not interpret (pam_cracklib,
pam_passwdqc, pam_tally2) make a shortfall unknown rather than a fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from msgspec import Struct

from endpoint_audit.checkkit import Collector, Results, require
from endpoint_audit.checkkit.lines import host_lines
from endpoint_audit.checks.password_policy.facts import PasswordPolicyFacts, Setting
from endpoint_audit.model.commands import Argv, CommandResult, ReadFile
from endpoint_audit.model.observed import Observed, Reason, Unknown, seen, unknown
from endpoint_audit.model.platform import OsFamily, PlatformInfo

REASON = "password_policy.reason"
PASSWORD_STACKS = ("/etc/pam.d/common-password", "/etc/pam.d/system-auth")
AUTH_STACKS = ("/etc/pam.d/common-auth", "/etc/pam.d/system-auth", "/etc/pam.d/password-auth")
PWQUALITY = "/etc/security/pwquality.conf"
PWQUALITY_D = "/etc/security/pwquality.conf.d"
FAILLOCK = "/etc/security/faillock.conf"
LOGIN_DEFS = "/etc/login.defs"
READS = {p: ReadFile(p) for p in (*PASSWORD_STACKS, *AUTH_STACKS, PWQUALITY, FAILLOCK, LOGIN_DEFS)}
# Every *.conf of the drop-in folder, one `path:line` per line (grep exits 2 when the
# folder does not exist, 1 when it holds no line). -R: libpwquality opens a symbolic link
# that scandir lists like any file, and `grep -r` skips the links it meets in the folder.
PWQUALITY_DROPINS = Argv(("grep", "-R", "-H", "--include=*.conf", "", PWQUALITY_D))

PWQUALITY_MINLEN = 8  # pwquality.conf(5): minlen default 9 before 1.4, 8 since; the lower
PWQUALITY_FLOOR = 6  # pwquality.conf(5): minlen "Cannot be set to lower value than 6"
PAM_UNIX_MINLEN = 6  # pam_unix(8): minlen default
FAILLOCK_DENY = 3  # faillock.conf(5): deny default
CREDITS = ("dcredit", "ucredit", "lcredit", "ocredit")
UNREAD_QUALITY = ("pam_cracklib", "pam_passwdqc")
UNREAD_LOCKOUT = ("pam_tally2", "pam_tally")
ENFORCING = ("required", "requisite")


class PamLine(Struct, frozen=True):
    kind: str  # password, auth, ... (a leading "-" dropped)
    control: str
    module: str  # pam_pwquality (path and ".so" dropped)
    args: tuple[str, ...]
    # The leading "-": PAM skips the line silently when the module is not installed
    # (pam.conf(5)), so it enforces only as far as the module file exists.
    skipped_if_missing: bool = False


def pam_lines(text: str) -> list[PamLine]:
    """The rules of a pam.d file. Comments, includes and lines not understood are left
    out: they never add a rule this check relies on."""
    out: list[PamLine] = []
    for raw in host_lines(text.replace("\\\n", " ")):
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("@"):
            continue
        kind, _, rest = line.replace("\t", " ").partition(" ")
        rest = rest.strip()
        if rest.startswith("["):
            end = rest.find("]")
            if end < 0:
                continue
            control, rest = rest[: end + 1], rest[end + 1 :]
        else:
            control, _, rest = rest.partition(" ")
        words = rest.split()
        if not words:
            continue
        module = words[0].rsplit("/", 1)[-1].removesuffix(".so")
        out.append(
            PamLine(
                kind.lstrip("-").lower(),
                control,
                module,
                tuple(words[1:]),
                skipped_if_missing=kind.startswith("-"),
            )
        )
    return out


_NAME_VALUE = re.compile(r"(?P<key>[^\s=]+)\s*(?:=\s*)?(?P<value>.*)")


def key_values(text: str, *, fold_case: bool = False) -> dict[str, list[str]]:
    """Setting lines (pwquality.conf, faillock.conf) as their programs read them: every
    value each key is given; a key without a value (a flag) gets "". Comments are left
    out. The name ends at a blank or `=`, and the `=` is optional (`deny 0` sets deny in
    faillock_config.c, `minlen 8` minlen in libpwquality's settings.c); libpwquality
    compares names without case (`fold_case`)."""
    out: dict[str, list[str]] = {}
    for raw in host_lines(text):
        line = raw.split("#", 1)[0].strip()
        found = _NAME_VALUE.fullmatch(line)
        if found is None:
            continue
        key = found["key"].lower() if fold_case else found["key"]
        out.setdefault(key, []).append(found["value"].strip())
    return out


def login_defs_min_len(text: str) -> int | None:
    for raw in host_lines(text):
        words = raw.split("#", 1)[0].split()
        if len(words) == 2 and words[0] == "PASS_MIN_LEN" and words[1].isdigit():
            return int(words[1])
    return None


def _int(text: str) -> int | None:
    text = text.strip()
    body = text[1:] if text[:1] in "+-" else text
    if not body.isdigit() or len(body) > 6:
        return None
    return int(text)


def module_args(line: PamLine, *, fold_case: bool = False) -> dict[str, str]:
    """The module's `key=value` arguments, the last of each in force; pam_pwquality
    compares names without case (`fold_case`)."""
    out: dict[str, str] = {}
    for word in line.args:
        key, sep, value = word.partition("=")
        out[key.lower() if fold_case else key] = value if sep else ""
    return out


class Files(Struct, frozen=True):
    """The text of each file read, None when it does not exist; unreadable ones named."""

    text: dict[str, str | None]
    unreadable: dict[str, str]

    def get(self, path: str) -> str | None:
        return self.text.get(path)


def _weakest(values: Iterable[int], weakest_is_low: bool) -> int | None:
    found = list(values)
    if not found:
        return None
    return min(found) if weakest_is_low else max(found)


def _conf_values(confs: list[dict[str, list[str]]], key: str) -> list[int | None]:
    return [_int(v) for conf in confs for v in conf.get(key, [])]


class Quality(Struct, frozen=True):
    """What one password stack enforces: lengths and classes, with their evidence."""

    length: Setting | None
    classes: Setting | None
    problem: Reason | None = None


def _pwquality(
    line: PamLine, path: str, confs: list[dict[str, list[str]]], unsure: Reason | None
) -> Quality:
    args = module_args(line, fold_case=True)

    def value(key: str, default: int, weakest_is_low: bool) -> int | None:
        if key in args:
            return _int(args[key])
        found = _conf_values(confs, key)
        if any(v is None for v in found):
            return None
        return _weakest([v for v in found if v is not None], weakest_is_low) if found else default

    minlen = value("minlen", PWQUALITY_MINLEN, True)
    minclass = value("minclass", 0, True)
    credits = {c: value(c, 0, False) for c in CREDITS}
    numbers = [minlen, minclass, *credits.values()]
    if any(v is None for v in numbers) or minlen is None or minclass is None:
        return Quality(None, None, Reason(key=f"{REASON}.pwquality_value", args={"path": path}))
    positive = sum(max(v or 0, 0) for v in credits.values())
    negative = sum(1 for v in credits.values() if v is not None and v < 0)
    length = max(max(minlen, PWQUALITY_FLOOR) - positive, 1)
    credit_text = " ".join(f"{c}={v}" for c, v in credits.items())
    return Quality(
        Setting(
            value=length,
            source=f"{path}: pam_pwquality minlen={minlen} {credit_text}",
            unsure=unsure,
        ),
        Setting(
            value=min(max(minclass, negative), 4),
            source=f"{path}: pam_pwquality minclass={minclass} {credit_text}",
            unsure=unsure,
        ),
    )


def _may_skip(control: str) -> bool:
    """A control that can end the stack or jump over the next lines (`sufficient`,
    `[success=1 default=ignore]`, `done`)."""
    if control == "sufficient":
        return True
    return control.startswith("[") and (
        re.search(r"=\s*\d", control) is not None or "done" in control
    )


def _enforcing(line: PamLine, confs: list[dict[str, list[str]]]) -> bool:
    """pam_pwquality rejects a weak password only with `enforcing` on (the default); a
    value 0 anywhere (module argument or any configuration file) may switch it off."""
    args = module_args(line, fold_case=True)
    values = (
        [args["enforcing"]]
        if "enforcing" in args
        else [v for conf in confs for v in conf.get("enforcing", [])]
    )
    return all(_int(v) not in (0, None) for v in values)


def _optional(path: str, line: PamLine) -> Reason:
    return Reason(
        key=f"{REASON}.pam_optional_module",
        args={"path": path, "rule": f"-{line.kind} {line.control} {line.module}"},
    )


def quality(path: str, text: str, confs: list[dict[str, list[str]]], defs: int | None) -> Quality:
    lines = [p for p in pam_lines(text) if p.kind == "password"]
    others = sorted({p.module for p in lines if p.module in UNREAD_QUALITY})
    unsure = (
        Reason(key=f"{REASON}.pam_uninterpreted", args={"path": path, "modules": ", ".join(others)})
        if others
        else None
    )
    for line in lines:
        if line.module == "pam_pwquality" and line.control in ENFORCING and _enforcing(line, confs):
            if line.skipped_if_missing:
                return Quality(None, None, _optional(path, line))
            return _pwquality(line, path, confs, unsure)
        if _may_skip(line.control):
            break  # a pam_pwquality below this line can be jumped over: it proves nothing
    unix = [p for p in lines if p.module == "pam_unix"]
    if not unix:
        if unsure is not None:
            return Quality(None, None, unsure)
        return Quality(
            Setting(value=0, source=f"{path}: pam_pwquality ∅, pam_unix ∅"),
            Setting(value=0, source=f"{path}: pam_pwquality ∅"),
        )
    lengths = [_int(module_args(p).get("minlen", str(PAM_UNIX_MINLEN))) for p in unix]
    if any(v is None for v in lengths):
        return Quality(None, None, Reason(key=f"{REASON}.pwquality_value", args={"path": path}))
    shortest = min(v for v in lengths if v is not None)
    # PAM does not use login.defs' PASS_MIN_LEN: shown so an admin who set it sees it had
    # no effect (the arrow: not in force).
    defs_text = f"; {LOGIN_DEFS} PASS_MIN_LEN={defs} ↛ PAM" if defs is not None else ""
    return Quality(
        Setting(
            value=shortest,
            source=f"{path}: pam_pwquality ∅, pam_unix minlen={shortest}{defs_text}",
            unsure=unsure,
        ),
        Setting(value=0, source=f"{path}: pam_pwquality ∅", unsure=unsure),
    )


def lockout(path: str, text: str, conf: dict[str, list[str]]) -> Observed[Setting]:
    lines = [p for p in pam_lines(text) if p.kind == "auth"]
    faillock = [p for p in lines if p.module == "pam_faillock"]
    others = sorted({p.module for p in lines if p.module in UNREAD_LOCKOUT})
    unsure = (
        Reason(key=f"{REASON}.pam_uninterpreted", args={"path": path, "modules": ", ".join(others)})
        if others
        else None
    )
    modes = {word for p in faillock for word in p.args}
    optional = [p for p in faillock if p.skipped_if_missing]
    if optional and {"preauth", "authfail"} <= modes:
        return Unknown(reason=_optional(path, optional[0]))
    if not faillock or not {"preauth", "authfail"} <= modes:
        if unsure is not None:
            return Unknown(reason=unsure)
        what = "pam_faillock ∅" if not faillock else "pam_faillock ∌ preauth+authfail"
        return seen(Setting(value=0, source=f"{path}: {what}"))
    # Each line counts with its own deny (its argument, else faillock.conf's, else the
    # default): preauth refuses only when the tally reaches *its* deny, so a line that
    # never refuses (0) or allows more attempts decides. authsucc only resets the tally.
    counting = [p for p in faillock if "authsucc" not in p.args]
    from_conf = [_int(v) for v in conf.get("deny", [])] or [FAILLOCK_DENY]
    values: list[int | None] = []
    wheres: set[str] = set()
    for p in counting:
        args = module_args(p)
        if "deny" in args:
            values.append(_int(args["deny"]))
            wheres.add("pam.d")
        elif "conf" in args:
            # pam_faillock(8) conf=: this line reads another file, not faillock.conf.
            return unknown(f"{REASON}.faillock_other_conf", path=path, conf=args["conf"][:200])
        else:
            values.extend(from_conf)
            wheres.add(FAILLOCK if "deny" in conf else f"{FAILLOCK} ∅")
    if any(v is None or v < 0 for v in values):
        return unknown(f"{REASON}.faillock_value", path=path)
    numbers = [v for v in values if v is not None]
    deny = 0 if 0 in numbers else max(numbers, default=FAILLOCK_DENY)
    where = ", ".join(sorted(wheres)) or f"{FAILLOCK} ∅"
    return seen(
        Setting(value=deny, source=f"{path}: pam_faillock deny={deny} ({where})", unsure=unsure)
    )


def _file(result: CommandResult) -> tuple[str | None, str | None]:
    """(text, None), (None, None) for a missing file, or (None, why) when unreadable."""
    if result.ok:
        return result.stdout, None
    if result.exit_status == 1 and "No such file" in result.stderr:
        return None, None
    return None, result.excerpt(200)


def dropins(result: CommandResult) -> tuple[list[dict[str, list[str]]], str | None]:
    """The drop-in files as key/values; a problem when the folder could not be read."""
    missing = result.exit_status == 2 and "No such file" in result.stderr and not result.stdout
    if result.exit_status == 1 or missing:
        return [], None
    if not result.ok:
        return [], result.excerpt(200)
    files: dict[str, list[str]] = {}
    prefix = PWQUALITY_D + "/"
    for line in host_lines(result.stdout):
        if not line.startswith(prefix):
            continue
        name, _, content = line[len(prefix) :].partition(":")
        files.setdefault(name, []).append(content)
    return [key_values("\n".join(files[name]), fold_case=True) for name in sorted(files)], None


def _weakest_setting(settings: list[Setting], weakest_is_low: bool) -> Setting:
    return sorted(settings, key=lambda s: s.value, reverse=not weakest_is_low)[0]


def parse_files(files: Files, dropin: CommandResult) -> PasswordPolicyFacts:
    """The facts from the files read. A file that exists but could not be read makes
    the rules it feeds unknown: it may hold the setting that decides them."""

    def unread(paths: Iterable[str]) -> Observed[Setting] | None:
        for path in paths:
            if path in files.unreadable:
                return unknown(
                    f"{REASON}.file_unreadable", path=path, output=files.unreadable[path]
                )
        return None

    blocked = unread((PWQUALITY, *PASSWORD_STACKS))
    length, classes = (blocked, blocked) if blocked is not None else _quality_of(files, dropin)
    lock = unread((FAILLOCK, *AUTH_STACKS)) or _lockout_of(files)
    return _facts(length, lock, classes)


def _facts(
    length: Observed[Setting], lock: Observed[Setting], classes: Observed[Setting]
) -> PasswordPolicyFacts:
    return PasswordPolicyFacts(
        min_length=length,
        lockout_threshold=lock,
        char_classes=classes,
        sources=(*(c.key for c in READS.values()), PWQUALITY_DROPINS.key),
    )


def _quality_of(files: Files, dropin: CommandResult) -> tuple[Observed[Setting], Observed[Setting]]:
    confs_d, problem = dropins(dropin)
    if problem is not None:
        why = unknown(f"{REASON}.file_unreadable", path=PWQUALITY_D, output=problem)
        return why, why
    main = files.get(PWQUALITY)
    confs = ([key_values(main, fold_case=True)] if main is not None else []) + confs_d
    defs_text = files.get(LOGIN_DEFS)
    defs = login_defs_min_len(defs_text) if defs_text is not None else None
    stacks = [(p, files.get(p)) for p in PASSWORD_STACKS]
    found = [quality(p, text, confs, defs) for p, text in stacks if text is not None]
    if not found:
        why = unknown(f"{REASON}.no_pam_stack", paths=", ".join(PASSWORD_STACKS))
        return why, why
    for q in found:
        if q.problem is not None:
            return Unknown(reason=q.problem), Unknown(reason=q.problem)
    lengths = [q.length for q in found if q.length is not None]
    classes = [q.classes for q in found if q.classes is not None]
    return seen(_weakest_setting(lengths, True)), seen(_weakest_setting(classes, True))


def _lockout_of(files: Files) -> Observed[Setting]:
    conf_text = files.get(FAILLOCK)
    conf = key_values(conf_text) if conf_text is not None else {}
    found = [lockout(p, t, conf) for p in AUTH_STACKS if (t := files.get(p)) is not None]
    if not found:
        return unknown(f"{REASON}.no_pam_stack", paths=", ".join(AUTH_STACKS))
    for observed in found:
        if isinstance(observed, Unknown):
            return observed
    settings = [o.value for o in found if not isinstance(o, Unknown)]
    # Never locking (0) is the weakest; otherwise the most attempts allowed.
    never = [s for s in settings if s.value <= 0]
    return seen(never[0] if never else _weakest_setting(settings, False))


class LinuxPasswordPolicy(Collector[PasswordPolicyFacts]):
    family = OsFamily.LINUX
    fact_type = PasswordPolicyFacts
    asks = (*READS.values(), PWQUALITY_DROPINS)

    def parse(self, results: Results, platform: PlatformInfo) -> PasswordPolicyFacts:
        text: dict[str, str | None] = {}
        unreadable: dict[str, str] = {}
        for path, command in READS.items():
            content, why = _file(require(results, command))
            text[path] = content
            if why is not None:
                unreadable[path] = why
        return parse_files(Files(text, unreadable), require(results, PWQUALITY_DROPINS))
