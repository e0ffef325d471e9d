"""Package updates on Linux (apt and dnf), from local state only: nothing here contacts
a repository, so a scan never changes the host or waits on the network.

apt (Debian, Ubuntu and derivatives):
- pending: `apt list --upgradable` (the candidates), then, for the upgradable packages
  whose candidate is not from a security suite, `apt-cache policy NAME...` (every
  version with its sources). A package is a security update when a version newer than
  the installed one, up to the candidate, comes from a suite whose name contains
  `-security` (jammy-security, bookworm-security, stable-security), as Ubuntu's
  update-notifier (`apt-check`) counts them: a security fix that a still newer version
  of another suite (-updates, a point release, a PPA) hides is still pending. The
  follow-up is asked only for packages the listing cannot decide, so a host with
  nothing upgradable, or only security candidates, runs no second apt.
  Recordings made before the follow-up have only the candidates: their security
  candidates are a lower bound, so they prove too many pending, or nothing upgradable at
  all, but never "no security update" while other updates wait. A probe script cannot
  run follow-ups carrying names: it runs `apt list --upgradable --all-versions`, the
  same versions for every upgradable package in one constant command.
- index age: mtimes of the security suites' Release files in /var/lib/apt/lists. apt
  gives a downloaded file the server's modification time and leaves it alone when the
  server has nothing new, so the newest of them is a lower bound on the last refresh.
- last update: the newest `End-Date` of an /var/log/apt/history.log block with an
  `Upgrade:` line and no `Error:`; else, in dpkg.log, the newest `status installed` of a
  package version an `upgrade` line brought in. Only upgrades of installed packages
  count: installing a new tool today says nothing about months without updates. Both
  logs are in local time, so `date +%z` gives the offset.
- reboot: /var/run/reboot-required, and a kernel in /boot newer than the running one.

dnf (RHEL, Fedora, Rocky, Alma):
- pending: `dnf -q -C updateinfo list --security` (-C: cached metadata only); a
  repository it says it ignored (no usable cache) makes the count unknown.
- index age: the oldest mtime of the cached repomd.xml files of the repositories that
  carry advisories (dnf touches them when it checks; a repository skipped by
  skip_if_unavailable keeps its old one).
- last update: the newest `SUBDEBUG Upgrade:` line of /var/log/dnf.rpm.log (each line
  carries its own UTC offset). The rpm database's INSTALLTIME cannot tell an upgrade from
  a first install, so it is not used.
- reboot: `needs-restarting -r` (exit 1: a reboot is needed).

`parse` never reads a clock: ages are the check's business, from the times given here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone

from msgspec import Struct

from endpoint_audit.checkkit.collector import Collector, Results, require
from endpoint_audit.checks.patch_level.facts import PatchFacts
from endpoint_audit.errors import CollectorError, FactUnavailable
from endpoint_audit.model.capabilities import Capability
from endpoint_audit.model.commands import Argv, Command, CommandResult, ReadFile
from endpoint_audit.model.observed import Observed, Reason, Seen, Unknown, seen
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import JsonScalar

# The candidates: the live first round (one apt, as cheap as apt gets).
APT_LIST = Argv(("apt", "list", "--upgradable"))
# Every version of each upgradable package, newest first (parse_apt_all_versions): what
# a probe script runs instead of the follow-ups. Bundles of older scripts lack it.
APT_ALL = Argv(("apt", "list", "--upgradable", "--all-versions"), may_be_unrecorded=True)
# `apt-cache policy NAME...` for the packages APT_LIST cannot decide, at most this many
# names (and bytes of names) a command, so its argv stays bounded.
POLICY_CHUNK_NAMES = 200
POLICY_CHUNK_BYTES = 16_000
APT_LISTS = Argv(
    ("find", "/var/lib/apt/lists", "-maxdepth", "1", "-name", "*Release", "-printf", "%T@ %p\\n")
)
APT_HISTORY = ReadFile("/var/log/apt/history.log")
DPKG_LOG = ReadFile("/var/log/dpkg.log")
UTC_OFFSET = Argv(("date", "+%z"))
REBOOT_FLAG = ReadFile("/var/run/reboot-required")
REBOOT_PKGS = ReadFile("/var/run/reboot-required.pkgs")
# Hooks that create the flag when a kernel is installed (Ubuntu's update-notifier,
# unattended-upgrades). Without one, a missing flag proves nothing.
KERNEL_HOOKS = Argv(("find", "/etc/kernel/postinst.d", "-maxdepth", "1", "-printf", "%f\\n"))
KERNEL_RUNNING = Argv(("uname", "-r"))
KERNEL_IMAGES = Argv(("find", "/boot", "-maxdepth", "1", "-name", "vmlinuz-*", "-printf", "%f\\n"))

DNF_SECURITY = Argv(("dnf", "-q", "-C", "updateinfo", "list", "--security"))
# The cached repository indexes (repomd.xml: their age) and security advisories
# (updateinfo): a repository without updateinfo lists no security update, ever.
DNF_CACHE = Argv(
    (
        "find",
        "/var/cache/dnf",
        "/var/cache/libdnf5",
        "-maxdepth",
        "3",
        "(",
        "-name",
        "repomd.xml",
        "-o",
        "-name",
        "*updateinfo*",
        ")",
        "-printf",
        "%T@ %p\\n",
    )
)
DNF_RPM_LOG = ReadFile("/var/log/dnf.rpm.log")
NEEDS_RESTARTING = Argv(("needs-restarting", "-r"))

REBOOT_HOOK_NAMES = frozenset({"update-notifier", "unattended-upgrades"})
MAX_NAMES = 50  # names kept in the fact; the count is always complete

_APT_LINE = re.compile(
    r"^(?P<name>[^/\s]+)/(?P<suites>\S+) (?P<version>\S+) (?P<arch>\S+)"
    r"(?: \[upgradable from: (?P<installed>[^\]\s]*)\])?$"
)
# Debian Policy 5.6.1 (Package): lower case letters, digits, +, - and ., at least two
# characters, starting with a letter or digit. Architectures (dpkg-architecture): lower
# case letters, digits and -. Names from the host that do not match are never passed on.
_DEB_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
_DEB_ARCH = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# `apt-cache policy` (cmdline/apt-cache.cc, Policy): `NAME[:ARCH]:` (FullName(true): the
# architecture only when foreign), `  Installed: V|(none)`, `  Candidate: V|(none)`,
# `  Version table:`, then per version ` *** V PRIO` (installed) or `     V PRIO`, each
# followed by its sources, printf("       %4i %s"): `PRIO URI SUITE/COMPONENT ARCH
# Packages`, or `100 /var/lib/dpkg/status`.
_POLICY_HEADER = re.compile(r"^(?P<package>[^\s:]+(?::[^\s:]+)?):$")
_POLICY_FIELD = re.compile(r"^  (?P<field>Installed|Candidate|Package pin): (?P<value>\S+)$")
_POLICY_VERSION = re.compile(r"^ (?P<mark>\*\*\*|   ) (?P<version>\S+) -?\d+$")
_POLICY_SOURCE = re.compile(r"^ {7,}-?\d+ (?P<source>\S.*)$")
# One version of `apt list --all-versions`: name/suites version arch [status]; the status
# marks the installed version and the candidate (apt-private/private-output.cc,
# ListSingleVersion).
_APT_VERSION_LINE = re.compile(
    r"^(?P<name>[^/\s]+)/(?P<suites>\S+) (?P<version>\S+) (?P<arch>\S+)"
    r"(?: \[(?P<status>[^\]]*)\])?$"
)
_APT_INSTALLED = re.compile(r"^installed,upgradable to: (?P<to>\S+)$")
_APT_CANDIDATE = re.compile(r"^upgradable from: (?P<from>\S+)$")
_APT_NOISE = ("Listing...", "N: ", "WARNING:", "W: ")
_DNF4_LINE = re.compile(r"^(?P<advisory>\S+)\s+(?P<severity>\S+)/Sec\.\s+(?P<nevra>\S+)$")
_DNF5_LINE = re.compile(
    r"^(?P<advisory>\S+)\s+security\s+(?P<severity>\S+)\s+(?P<nevra>\S+)\s+\d{4}-\d{2}-\d{2}"
)
_HISTORY_DATE = re.compile(r"^(Start|End)-Date:\s+(\d{4}-\d{2}-\d{2})\s+(\d{2}:\d{2}:\d{2})\s*$")
_DPKG_INSTALLED = re.compile(
    r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) status installed (\S+) (\S+)\s*$"
)
# `upgrade PKG OLD NEW`: dpkg replaces an installed version (a first install says
# `install PKG <none> NEW`).
_DPKG_UPGRADE = re.compile(r"^\S+ \S+ upgrade (\S+) (\S+) (\S+)\s*$")
# dnf.rpm.log: `2024-03-08T03:03:19+0000 SUBDEBUG Upgrade: openssl-libs-1:3.0.7-27.el9.x86_64`
_DNF_UPGRADE = re.compile(
    r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(Z|[+-]\d{2}(?::?\d{2})?) SUBDEBUG Upgrade: \S"
)
_OFFSET = re.compile(r"^([+-])(\d{2})(\d{2})$")


# --- helpers shared by both package managers -------------------------------------------


def why(name: str, **args: JsonScalar) -> Reason:
    """A reason of this check: `patch_level.reason.<name>` with its arguments."""
    return Reason(key=f"patch_level.reason.{name}", args=dict(args))


def parse_mtimes(text: str) -> list[tuple[datetime, str]]:
    """`find -printf '%T@ %p\\n'` lines: seconds since the epoch (fractional) and a path."""
    out: list[tuple[datetime, str]] = []
    for line in text.splitlines():
        stamp, _, path = line.strip().partition(" ")
        try:
            when = datetime.fromtimestamp(float(stamp), UTC)
        except (ValueError, OverflowError, OSError):
            continue
        out.append((when, path))
    return out


def parse_utc_offset(text: str) -> timezone | None:
    """`date +%z`: +0900, -0500."""
    match = _OFFSET.match(text.strip())
    if match is None:
        return None
    sign = -1 if match.group(1) == "-" else 1
    delta = timedelta(hours=int(match.group(2)), minutes=int(match.group(3)))
    if delta > timedelta(hours=14):
        return None
    return timezone(sign * delta)


def _local(date_text: str, time_text: str, tz: timezone) -> datetime | None:
    try:
        naive = datetime.fromisoformat(f"{date_text}T{time_text}")
    except ValueError:
        return None
    return naive.replace(tzinfo=tz).astimezone(UTC)


class Pending(Struct, frozen=True):
    count: Observed[int]
    names: tuple[str, ...] = ()
    total: int | None = None
    # A lower bound: packages whose versions were not recorded might hide more.
    partial: bool = False


def _not_counted(reason: Reason, total: int | None = None) -> Pending:
    return Pending(Unknown(reason=reason), total=total)


# --- apt ------------------------------------------------------------------------------


def _is_security(suites: str) -> bool:
    return any("-security" in suite for suite in suites.split(","))


class _Version(Struct, frozen=True):
    suites: str
    version: str
    status: str


def _apt_blocks(text: str) -> list[tuple[tuple[str, str], list[_Version]]] | Reason:
    """The versions of each package (name, architecture), in the order printed. A block
    ends at a blank line or where another package starts."""
    blocks: list[tuple[tuple[str, str], list[_Version]]] = []
    current: tuple[str, str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            current = None
            continue
        if line.startswith(_APT_NOISE):
            continue
        match = _APT_VERSION_LINE.match(line)
        if match is None:
            return why("apt_line_unreadable", line=line[:120])
        package = (match["name"], match["arch"])
        if package != current:
            blocks.append((package, []))
            current = package
        blocks[-1][1].append(_Version(match["suites"], match["version"], match["status"] or ""))
    return blocks


def _security_pending(versions: list[_Version]) -> bool | None:
    """Whether a version above the installed one, up to the candidate, is from a security
    suite; None when the lines cannot be placed. apt prints a package's versions in the
    order of the cache's version list (apt-private/private-list.cc, ListAllVersions walks
    VersionList()), which the cache generator keeps sorted newest first
    (apt-pkg/pkgcachegen.cc, NewVersion: "We know the list is sorted ... Insertion of new
    versions is done with correct sorting"). So the lines from the candidate down to the
    installed version are exactly those versions. Anything else (no installed line, two
    candidates, flags that disagree, the installed version above the candidate) is not a
    listing we understand."""
    installed = [i for i, v in enumerate(versions) if _APT_INSTALLED.match(v.status)]
    candidate = [i for i, v in enumerate(versions) if _APT_CANDIDATE.match(v.status)]
    flagged = [v for v in versions if v.status]
    if len(installed) != 1 or len(candidate) != 1 or len(flagged) != 2:
        return None
    mine, best = versions[installed[0]], versions[candidate[0]]
    to = _APT_INSTALLED.match(mine.status)
    from_ = _APT_CANDIDATE.match(best.status)
    if to is None or from_ is None or to["to"] != best.version or from_["from"] != mine.version:
        return None
    if candidate[0] > installed[0]:
        return None
    return any(_is_security(v.suites) for v in versions[candidate[0] : installed[0]])


def parse_apt_all_versions(text: str) -> Pending:
    """`apt list --upgradable --all-versions` (LC_ALL=C): each upgradable package counts
    as a security update when a version from the candidate down to (not including) the
    installed one is from a security suite. A package whose lines cannot be placed, or a
    line that cannot be read, makes the count unknown, never zero."""
    blocks = _apt_blocks(text)
    if isinstance(blocks, Reason):
        return _not_counted(blocks)
    seen_packages: set[tuple[str, str]] = set()
    security: set[str] = set()
    for package, versions in blocks:
        pending = _security_pending(versions)
        if pending is None or package in seen_packages:
            return _not_counted(why("apt_versions_unplaced", package=package[0][:120]))
        seen_packages.add(package)
        if pending:
            security.add(package[0])
    names = tuple(sorted(security))
    return Pending(seen(len(names)), names, len(blocks))


class Upgradable(Struct, frozen=True):
    """One line of `apt list --upgradable`: the candidate and the installed version."""

    name: str
    arch: str
    candidate: str
    installed: str
    security: bool  # the candidate itself is from a security suite

    @property
    def policy_arg(self) -> str | None:
        """How `apt-cache policy` is asked for it: NAME:ARCH (an architecture-all package
        lives under the native one: NAME), or None when the host's name or architecture
        is no Debian name (never passed on)."""
        if not _DEB_NAME.match(self.name) or not _DEB_ARCH.match(self.arch):
            return None
        return self.name if self.arch == "all" else f"{self.name}:{self.arch}"


def parse_apt_upgradable(text: str) -> list[Upgradable] | Reason:
    """`apt list --upgradable` (LC_ALL=C). An unreadable line is the reason returned: a
    format we do not understand must not read as "nothing pending"."""
    found: list[Upgradable] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(_APT_NOISE):
            continue
        match = _APT_LINE.match(line)
        if match is None:
            return why("apt_line_unreadable", line=line[:120])
        found.append(
            Upgradable(
                name=match["name"],
                arch=match["arch"],
                candidate=match["version"],
                installed=match["installed"] or "",
                security=_is_security(match["suites"]),
            )
        )
    return found


def _undecided(upgradable: list[Upgradable]) -> list[Upgradable]:
    """The packages whose candidate is not from a security suite: only their other
    versions can tell whether a security fix waits behind the candidate."""
    return [u for u in upgradable if not u.security]


def policy_commands(upgradable: list[Upgradable]) -> list[Argv]:
    """`apt-cache policy` for the undecided packages with Debian names, in chunks of at
    most POLICY_CHUNK_NAMES names and POLICY_CHUNK_BYTES bytes of names. The same list
    always gives the same commands, so parse() finds them again. Marked
    may_be_unrecorded: recordings made before this follow-up lack it."""
    args = sorted({a for u in _undecided(upgradable) if (a := u.policy_arg) is not None})
    chunks: list[list[str]] = []
    size = 0
    for arg in args:
        if (
            not chunks
            or len(chunks[-1]) >= POLICY_CHUNK_NAMES
            or size + len(arg) > POLICY_CHUNK_BYTES
        ):
            chunks.append([])
            size = 0
        chunks[-1].append(arg)
        size += len(arg) + 1
    return [Argv(("apt-cache", "policy", *chunk), may_be_unrecorded=True) for chunk in chunks]


class PolicyVersion(Struct, frozen=True):
    version: str
    installed: bool  # marked ***
    suites: tuple[str, ...]  # of its sources; /var/lib/dpkg/status has none


class Policy(Struct, frozen=True):
    installed: str | None
    candidate: str | None
    versions: tuple[PolicyVersion, ...]


def _source_suite(source: str) -> str:
    """`http://deb.debian.org/debian-security bookworm-security/main amd64 Packages` ->
    bookworm-security; `/var/lib/dpkg/status` -> ""."""
    parts = source.split()
    return parts[1].split("/", 1)[0] if len(parts) > 1 else ""


def parse_apt_policy(text: str) -> dict[str, Policy] | Reason:
    """`apt-cache policy NAME...` (LC_ALL=C) by the name each block starts with
    (cmdline/apt-cache.cc, Policy; see _POLICY_HEADER). The versions are printed in the
    order of the package's VersionList, newest first (as in _security_pending). A line
    that is none of apt's, a repeated package or a version table that is not one makes
    the reason returned."""
    blocks: dict[str, Policy] = {}
    package: str | None = None
    fields: dict[str, str] = {}
    versions: list[PolicyVersion] = []
    in_table = False

    def close() -> Reason | None:
        if package is None:
            return None
        if package in blocks or not in_table:
            return why("apt_versions_unplaced", package=package[:120])
        blocks[package] = Policy(
            installed=_version_or_none(fields.get("Installed")),
            candidate=_version_or_none(fields.get("Candidate")),
            versions=tuple(versions),
        )
        return None

    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip() or line.startswith(("N: ", "W: ")):
            continue
        header = _POLICY_HEADER.match(line)
        field_ = _POLICY_FIELD.match(line)
        version = _POLICY_VERSION.match(line) if in_table else None
        source = _POLICY_SOURCE.match(line) if in_table and versions else None
        if header is not None:
            failed = close()
            if failed is not None:
                return failed
            package, fields, versions, in_table = header["package"], {}, [], False
        elif package is not None and not in_table and field_ is not None:
            if field_["field"] in fields:
                return why("apt_policy_unreadable", line=line[:120])
            fields[field_["field"]] = field_["value"]
        elif package is not None and not in_table and line == "  Version table:":
            in_table = True
        elif version is not None:
            versions.append(PolicyVersion(version["version"], version["mark"] == "***", ()))
        elif source is not None:
            last = versions[-1]
            suite = _source_suite(source["source"])
            versions[-1] = PolicyVersion(last.version, last.installed, (*last.suites, suite))
        else:
            return why("apt_policy_unreadable", line=line[:120])
    failed = close()
    return failed if failed is not None else blocks


def _version_or_none(value: str | None) -> str | None:
    return None if value is None or value == "(none)" else value


def _policy_security_pending(policy: Policy, package: Upgradable) -> bool | None:
    """Whether a version newer than the installed one and not newer than the candidate
    (listed from the candidate down to, not including, the `***` line) has a source in
    a security suite; None when the table cannot be placed or disagrees with apt list
    (no Installed or Candidate, no single `***`, the candidate not above it)."""
    marked = [i for i, v in enumerate(policy.versions) if v.installed]
    at = [i for i, v in enumerate(policy.versions) if v.version == policy.candidate]
    if (
        policy.installed is None
        or policy.candidate is None
        or (policy.installed, policy.candidate) != (package.installed, package.candidate)
        or len(marked) != 1
        or policy.versions[marked[0]].version != policy.installed
        or len(at) != 1
        or at[0] >= marked[0]
        or any(not v.suites for v in policy.versions)  # apt lists a source for each
    ):
        return None
    return any(
        "-security" in suite for v in policy.versions[at[0] : marked[0]] for suite in v.suites
    )


def _policy_blocks(
    upgradable: list[Upgradable], results: Results
) -> dict[str, Policy] | Reason | None:
    """The policy blocks of every undecided package, by its argument; None when a
    follow-up is not among the results (a recording made before it)."""
    blocks: dict[str, Policy] = {}
    for command in policy_commands(upgradable):
        result = results.get(command.key)
        if result is None:
            return None
        if not result.ok:
            return why("apt_policy_failed", status=result.exit_status, output=result.excerpt(200))
        parsed = parse_apt_policy(result.stdout)
        if isinstance(parsed, Reason):
            return parsed
        asked = command.argv[2:]
        placed = _by_argument(asked, parsed)
        if isinstance(placed, Reason):
            return placed
        blocks.update(placed)
    return blocks


def _by_argument(asked: Sequence[str], parsed: dict[str, Policy]) -> dict[str, Policy] | Reason:
    """Each asked NAME[:ARCH] with its block. apt names a package by FullName(true), with
    the architecture only when foreign: `curl:amd64` on amd64 is printed `curl`. So a
    block under the bare name belongs to the one argument of that name no block names
    with its architecture. A block nobody asked for, or an argument left without one
    (apt found no such package), is a reason."""
    placed: dict[str, Policy] = {}
    bare: dict[str, list[str]] = {}
    for arg in asked:
        if arg in parsed:
            placed[arg] = parsed[arg]
        else:
            bare.setdefault(arg.split(":", 1)[0], []).append(arg)
    for name, args in bare.items():
        if name not in parsed or len(args) != 1:
            return why("apt_versions_unplaced", package=args[0][:120])
        placed[args[0]] = parsed[name]
    used = {a for a in asked if a in parsed} | set(bare)
    extra = sorted(set(parsed) - used)
    if extra:
        return why("apt_versions_unplaced", package=extra[0][:120])
    return placed


def apt_pending(results: Results) -> Pending:
    """The pending security updates from the candidates (APT_LIST) and, for the
    packages they cannot decide, the policy follow-ups; or, from a probe script, the
    all-versions listing (APT_ALL). Without either (a recording made before them), the
    security candidates are a lower bound and "none" beside other updates is unknown."""
    full = results.get(APT_ALL.key)
    if full is not None:
        if not full.ok:
            return _not_counted(
                why("apt_list_failed", status=full.exit_status, output=full.excerpt(200))
            )
        return parse_apt_all_versions(full.stdout)
    upgradable = parse_apt_upgradable(require(results, APT_LIST).stdout)
    if isinstance(upgradable, Reason):
        return _not_counted(upgradable)
    total = len(upgradable)
    security = {u.name for u in upgradable if u.security}
    undecided = _undecided(upgradable)
    if undecided:
        unnamed = next((u for u in undecided if u.policy_arg is None), None)
        if unnamed is not None:
            return _not_counted(why("apt_name_unreadable", package=unnamed.name[:120]), total)
        blocks = _policy_blocks(upgradable, results)
        if blocks is None:
            if not security:
                return _not_counted(why("apt_policy_unrecorded"), total)
            names = tuple(sorted(security))
            return Pending(seen(len(names)), names, total, partial=True)
        if isinstance(blocks, Reason):
            return _not_counted(blocks, total)
        for package in undecided:
            arg = package.policy_arg
            policy = blocks.get(arg) if arg is not None else None
            pending = _policy_security_pending(policy, package) if policy is not None else None
            if pending is None:
                return _not_counted(why("apt_versions_unplaced", package=package.name[:120]), total)
            if pending:
                security.add(package.name)
    names = tuple(sorted(security))
    return Pending(seen(len(names)), names, total)


def _is_security_list(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return "security" in name


def apt_index_age(result: CommandResult) -> tuple[datetime | None, str | None, Reason | None]:
    """(refreshed, source, reason-if-unknown) from the Release files' mtimes."""
    if not result.ok and not result.stdout.strip():
        return None, None, why("apt_lists_unlisted", output=result.excerpt(200))
    stamps = parse_mtimes(result.stdout)
    if not stamps:
        return None, None, why("apt_lists_missing")
    security = [s for s in stamps if _is_security_list(s[1])]
    if not security:
        return None, None, why("apt_security_suite_missing")
    when, path = max(security)
    return when, path, None


def apt_history_last(text: str, tz: timezone) -> datetime | None:
    """End time of the newest history.log block that upgraded installed packages."""
    best: datetime | None = None
    end: datetime | None = None
    changed = failed = False

    def close() -> None:
        nonlocal best
        if end is not None and changed and not failed and (best is None or end > best):
            best = end

    for line in text.splitlines():
        date_match = _HISTORY_DATE.match(line)
        if date_match is not None and date_match.group(1) == "Start":
            close()
            end, changed, failed = None, False, False
        elif date_match is not None:
            end = _local(date_match.group(2), date_match.group(3), tz)
        elif line.startswith("Upgrade:"):
            changed = True
        elif line.startswith("Error:"):
            failed = True
    close()
    return best


def dpkg_log_last(text: str, tz: timezone) -> datetime | None:
    """When the newest upgrade finished: the `status installed` line of a version that an
    `upgrade` line brought in (an upgrade that never got configured does not count)."""
    best: datetime | None = None
    upgrading: dict[str, str] = {}  # package -> the version an upgrade is bringing in
    for line in text.splitlines():
        upgrade = _DPKG_UPGRADE.match(line)
        if upgrade is not None:
            upgrading[upgrade.group(1)] = upgrade.group(3)
            continue
        match = _DPKG_INSTALLED.match(line)
        if match is None or upgrading.get(match.group(3)) != match.group(4):
            continue
        del upgrading[match.group(3)]
        when = _local(match.group(1), match.group(2), tz)
        if when is not None and (best is None or when > best):
            best = when
    return best


def _kernel_key(release: str) -> tuple[str, tuple[int, ...]]:
    """(flavour, numbers): 6.1.0-18-amd64 -> ("amd64", (6, 1, 0, 18)). Only kernels of
    one flavour are compared; their numbers order like their versions."""
    numbers = tuple(int(n) for n in re.findall(r"\d+", release.split("-", 2)[0]))
    rest = release.split("-")[1:]
    build = tuple(int(p) for p in rest if p.isdigit())
    flavour = "-".join(p for p in rest if not p.isdigit())
    return flavour, numbers + build


def newer_kernel(running: str, images: list[str]) -> str | None:
    """A kernel in /boot newer than the running one, or the newest one when the running
    kernel's own image is gone (replaced by an upgrade)."""
    releases = [i.removeprefix("vmlinuz-") for i in images if i.startswith("vmlinuz-")]
    releases = [r for r in releases if "rescue" not in r]
    if not releases or not running:
        return None
    flavour, mine = _kernel_key(running)
    same = [r for r in releases if _kernel_key(r)[0] == flavour]
    newer = [r for r in same if _kernel_key(r)[1] > mine]
    if newer:
        return max(newer, key=lambda r: _kernel_key(r)[1])
    if running not in releases and same:
        return max(same, key=lambda r: _kernel_key(r)[1])
    return None


class Reboot(Struct, frozen=True):
    required: Observed[bool]
    detail: Reason | None = None  # what shows it, said in the report's language


def apt_reboot(results: Results) -> Reboot:
    flag = require(results, REBOOT_FLAG)
    if flag.ok:
        pkgs = require(results, REBOOT_PKGS)
        names = (
            sorted({p.strip() for p in pkgs.stdout.splitlines() if p.strip()}) if pkgs.ok else []
        )
        if names:
            listed = ", ".join(names[:10]) + ("…" if len(names) > 10 else "")
            return Reboot(seen(True), why("restart_flag_for", packages=listed))
        return Reboot(seen(True), why("restart_flag"))
    if flag.exit_status != 1:
        return Reboot(Unknown(reason=why("reboot_flag_unreadable", output=flag.excerpt(200))))
    running = require(results, KERNEL_RUNNING).stdout.strip()
    images_result = require(results, KERNEL_IMAGES)
    images = images_result.stdout.split() if images_result.ok else []
    newer = newer_kernel(running, images)
    if newer is not None:
        return Reboot(seen(True), why("restart_newer_kernel", installed=newer, running=running))
    hooks_result = require(results, KERNEL_HOOKS)
    hooks = set(hooks_result.stdout.split()) & REBOOT_HOOK_NAMES if hooks_result.ok else set()
    if hooks:
        return Reboot(seen(False), why("restart_flag_kept", hooks=", ".join(sorted(hooks))))
    if running and running in {i.removeprefix("vmlinuz-") for i in images}:
        return Reboot(seen(False), why("restart_kernel_newest", running=running))
    return Reboot(Unknown(reason=why("reboot_flag_unkept", kernel=running or "?")))


def parse_apt(results: Results) -> PatchFacts:
    listing = require(results, APT_LIST)
    if listing.not_found:
        raise FactUnavailable("apt is not installed")
    refreshed: datetime | None = None
    index_source: str | None = None
    if not listing.ok:
        pending = _not_counted(
            why("apt_list_failed", status=listing.exit_status, output=listing.excerpt(200))
        )
    else:
        pending = apt_pending(results)
        refreshed, index_source, stale_reason = apt_index_age(require(results, APT_LISTS))
        if stale_reason is not None and isinstance(pending.count, Seen):
            pending = _not_counted(stale_reason, pending.total)
    counted = isinstance(pending.count, Seen)
    offset_result = require(results, UTC_OFFSET)
    tz = parse_utc_offset(offset_result.stdout) if offset_result.ok else None
    zone_known = tz is not None
    tz = tz or UTC
    last, last_source = _apt_last_update(results, tz)
    reboot = apt_reboot(results)
    return PatchFacts(
        manager="apt",
        pending_security_updates=pending.count,
        pending_security_names=pending.names[:MAX_NAMES],
        pending_updates=pending.total,
        pending_incomplete=pending.partial and counted,
        index_refreshed=refreshed if counted else None,
        index_source=index_source if counted else None,
        last_update=last,
        last_update_source=(
            last_source
            if last_source is None or zone_known
            else why("source_read_as_utc", path=last_source)
        ),
        reboot_required=reboot.required,
        reboot_detail=reboot.detail,
    )


def _apt_last_update(results: Results, tz: timezone) -> tuple[Observed[datetime], str | None]:
    history = require(results, APT_HISTORY)
    if history.ok:
        last = apt_history_last(history.stdout, tz)
        if last is not None:
            return seen(last), APT_HISTORY.path
    dpkg = results.get(DPKG_LOG.key)
    if dpkg is None:
        return Unknown(reason=why("dpkg_log_not_read")), None
    if dpkg.ok:
        last = dpkg_log_last(dpkg.stdout, tz)
        if last is not None:
            return seen(last), DPKG_LOG.path
    return Unknown(reason=why("apt_upgrade_not_logged")), None


def _needs_dpkg_log(results: Results) -> bool:
    history = results.get(APT_HISTORY.key)
    if history is None:
        return False
    if not history.ok:
        return True
    return apt_history_last(history.stdout, UTC) is None


# --- dnf ------------------------------------------------------------------------------


def _rpm_name(nevra: str) -> str:
    """NetworkManager-1:1.54.3-5.el9_8.aarch64 -> NetworkManager."""
    parts = nevra.rsplit("-", 2)
    return parts[0] if len(parts) == 3 else nevra


# dnf -C with skip_if_unavailable: "Error: Cache-only enabled but no cache for 'X'" and
# "Ignoring repositories: X", then it answers from the other repositories (exit 0).
_DNF_IGNORED = re.compile(r"^Ignoring repositories:\s*(?P<repos>.*)$", re.MULTILINE)


def parse_dnf_security(result: CommandResult) -> Pending:
    ignored = _DNF_IGNORED.search(f"{result.stderr}\n{result.stdout}")
    if ignored is not None:
        repos = ignored["repos"].strip()[:200] or "?"
        return _not_counted(why("dnf_repos_ignored", repos=repos))
    if not result.ok:
        text = result.excerpt(200)
        if "cache" in text.lower() and "only" in text.lower():
            return _not_counted(why("dnf_cache_empty", output=text))
        return _not_counted(why("dnf_failed", status=result.exit_status, output=text))
    packages: set[str] = set()
    for raw in result.stdout.splitlines():
        line = raw.strip()
        if not line or line.startswith(("Name ", "Last metadata expiration")):
            continue
        match = _DNF4_LINE.match(line) or _DNF5_LINE.match(line)
        if match is None:
            return _not_counted(why("dnf_line_unreadable", line=line[:120]))
        packages.add(match["nevra"])
    names = tuple(sorted({_rpm_name(p) for p in packages}))
    return Pending(seen(len(packages)), names)


def _repo_folder(path: str) -> str:
    return path.rsplit("/", 1)[0]


def dnf_index_age(result: CommandResult) -> tuple[datetime | None, str | None, Reason | None]:
    """The age of the oldest index among the repositories that carry advisories. With
    skip_if_unavailable, `dnf makecache` skips a repository it cannot reach and keeps its
    old metadata, which `dnf -C` then reads: a fresh index of another repository does
    not vouch for it."""
    # find exits 1 when one of the two cache folders (dnf 4 or dnf 5) does not exist.
    found = parse_mtimes(result.stdout) if result.exit_status in (0, 1) else []
    indexes = [f for f in found if f[1].endswith("/repomd.xml")]
    if not indexes:
        return None, None, why("dnf_metadata_missing")
    advised = {_repo_folder(path) for _, path in found if "updateinfo" in path.rsplit("/", 1)[-1]}
    security = [f for f in indexes if _repo_folder(f[1]) in advised]
    if not security:
        return None, None, why("dnf_advisories_missing")
    when, path = min(security)
    return when, path, None


def _dnf_time(stamp: str, offset: str) -> datetime | None:
    if offset == "Z":
        offset = "+00:00"
    elif len(offset) == 3:  # `+00`, as some dnf versions write it
        offset += ":00"
    try:
        return datetime.fromisoformat(stamp + offset).astimezone(UTC)
    except ValueError:
        return None


def dnf_last_upgrade(result: CommandResult) -> Observed[datetime]:
    """The newest `Upgrade:` of dnf.rpm.log; `Installed:` (a first install) never counts."""
    if not result.ok:
        name = "dnf_log_missing" if result.exit_status == 1 else "dnf_log_unreadable"
        output = result.excerpt(120) or f"exit {result.exit_status}"
        return Unknown(reason=why(name, path=DNF_RPM_LOG.path, output=output))
    best: datetime | None = None
    for line in result.stdout.splitlines():
        match = _DNF_UPGRADE.match(line)
        if match is None:
            continue
        when = _dnf_time(match.group(1), match.group(2))
        if when is not None and (best is None or when > best):
            best = when
    if best is None:
        return Unknown(reason=why("dnf_upgrade_not_logged", path=DNF_RPM_LOG.path))
    return seen(best)


def dnf_reboot(result: CommandResult) -> Reboot:
    """`needs-restarting -r`: exit 1 with "Reboot is required" = needed, exit 0 = not.
    dnf also exits 1 on its own errors, so exit 1 without that sentence is not believed."""
    if result.not_found:
        return Reboot(Unknown(reason=why("needs_restarting_missing")))
    updated = [
        line.strip()[2:].strip()
        for line in result.stdout.splitlines()
        if line.strip().startswith("* ")
    ]
    if result.exit_status == 0 and not result.timed_out:
        return Reboot(seen(False), why("needs_restarting_clean"))
    if result.exit_status == 1 and "reboot is required" in result.stdout.lower():
        what = ", ".join(updated[:10]) + ("…" if len(updated) > 10 else "") if updated else "?"
        return Reboot(seen(True), why("needs_restarting_updated", updated=what))
    reason = why("needs_restarting_failed", status=result.exit_status, output=result.excerpt(200))
    return Reboot(Unknown(reason=reason))


def parse_dnf(results: Results) -> PatchFacts:
    security = require(results, DNF_SECURITY)
    if security.not_found:
        raise FactUnavailable("dnf is not installed")
    pending = parse_dnf_security(security)
    refreshed, index_source, reason = dnf_index_age(require(results, DNF_CACHE))
    if isinstance(pending.count, Seen) and reason is not None:
        pending = _not_counted(reason)
    counted = isinstance(pending.count, Seen)
    last = dnf_last_upgrade(require(results, DNF_RPM_LOG))
    reboot = dnf_reboot(require(results, NEEDS_RESTARTING))
    return PatchFacts(
        manager="dnf",
        pending_security_updates=pending.count,
        pending_security_names=pending.names[:MAX_NAMES],
        index_refreshed=refreshed if counted else None,
        index_source=index_source if counted else None,
        last_update=last,
        last_update_source=DNF_RPM_LOG.path if isinstance(last, Seen) else None,
        reboot_required=reboot.required,
        reboot_detail=reboot.detail,
    )


# --- the collector --------------------------------------------------------------------

APT_COMMANDS = (
    APT_LIST,
    APT_LISTS,
    APT_HISTORY,
    UTC_OFFSET,
    REBOOT_FLAG,
    REBOOT_PKGS,
    KERNEL_HOOKS,
    KERNEL_RUNNING,
    KERNEL_IMAGES,
)
DNF_COMMANDS = (DNF_SECURITY, DNF_CACHE, DNF_RPM_LOG, NEEDS_RESTARTING)


def apt_follow_ups(platform: PlatformInfo, results: Results) -> list[Command]:
    """The policy follow-ups for the packages the candidates cannot decide (none when
    nothing upgradable, or only security candidates, waits); a probe script, which runs
    no follow-ups with values, runs the all-versions listing instead."""
    if not platform.can(Capability.FOLLOW_UPS):
        return [APT_ALL]
    listing = results.get(APT_LIST.key)
    if listing is None or not listing.ok:
        return []
    upgradable = parse_apt_upgradable(listing.stdout)
    if isinstance(upgradable, Reason):
        return []  # parse() says why the count is unknown
    return list(policy_commands(upgradable))


def package_manager(platform: PlatformInfo, results: Results) -> str | None:
    """apt or dnf from os-release; for other distributions, whichever program exists."""
    if platform.is_like("debian", "ubuntu"):
        return "apt"
    if platform.is_like("rhel", "fedora", "centos"):
        return "dnf"
    apt = results.get(APT_LIST.key)
    if apt is not None and not apt.not_found:
        return "apt"
    dnf = results.get(DNF_SECURITY.key)
    if dnf is not None and not dnf.not_found:
        return "dnf"
    return None


class LinuxPatches(Collector[PatchFacts]):
    family = OsFamily.LINUX
    fact_type = PatchFacts

    def commands(self, platform: PlatformInfo, results: Results) -> Sequence[Command]:
        manager = package_manager(platform, results)
        if manager == "apt":
            extra = [DPKG_LOG] if _needs_dpkg_log(results) else []
            return [*APT_COMMANDS, *extra, *apt_follow_ups(platform, results)]
        if manager == "dnf":
            return list(DNF_COMMANDS)
        # First round on an unknown distribution: probe.
        return [APT_LIST, DNF_SECURITY]

    def probe_commands(self, platform: PlatformInfo) -> Sequence[Command]:
        # The manager comes from os-release, or on other distributions from whichever of
        # apt and dnf answers; dpkg.log is read only when apt's history says nothing.
        # APT_ALL stands for the policy follow-ups, whose names a script cannot know.
        apt: list[Command] = [*APT_COMMANDS, DPKG_LOG, APT_ALL]
        dnf: list[Command] = list(DNF_COMMANDS)
        manager = package_manager(platform, {})
        if manager == "apt":
            return apt
        if manager == "dnf":
            return dnf
        return [*apt, *dnf]

    def parse(self, results: Results, platform: PlatformInfo) -> PatchFacts:
        manager = package_manager(platform, results)
        if manager == "apt":
            return parse_apt(results)
        if manager == "dnf":
            return parse_dnf(results)
        if {APT_ALL.key, APT_LIST.key, DNF_SECURITY.key} & set(results):
            raise FactUnavailable("no supported package manager (apt or dnf) is installed")
        raise CollectorError("no package manager command was run")
