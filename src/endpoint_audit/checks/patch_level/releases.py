"""The table of Windows monthly cumulative updates: per client build, each release's date,
UBR and KB article (`data/windows-monthly-releases.yaml`, replaceable offline).

patch_level judges a PC's build and UBR against it, and the Windows collector uses it to
tell monthly cumulative updates from the other hotfixes a PC lists (.NET, servicing stack).
The table is only as complete as its `as_of` date: what Microsoft released later is not in
it, so a table older than the check's grace period cannot vouch for a pass.
"""

from __future__ import annotations

import os
from bisect import bisect_right
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from functools import cache, cached_property
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from endpoint_audit.errors import EndpointAuditError
from endpoint_audit.safe_read import InputKind, InputRefused, read_input

TABLE_FORMAT = "endpoint-audit-windows-releases"
SHIPPED_FILE = "windows-monthly-releases.yaml"
# Path of a table that replaces the shipped one (an updated copy, kept offline).
RELEASES_ENV = "ENDPOINT_AUDIT_WINDOWS_RELEASES"
MAX_TABLE_BYTES = 4 * 1024 * 1024


class ReleaseTableError(EndpointAuditError):
    """The release table cannot be read; the message names the file."""


class ReleaseKind(StrEnum):
    MONTHLY = "monthly"  # the security update of the second Tuesday
    PREVIEW = "preview"  # optional non-security preview
    OUT_OF_BAND = "out-of-band"
    HOTPATCH = "hotpatch"  # the monthly security update on the hotpatch line
    HOTPATCH_OUT_OF_BAND = "hotpatch-out-of-band"


# Hotpatch releases have UBRs below the month's normal release: they count only as an exact
# match, never by "at least this UBR".
HOTPATCH_KINDS = frozenset({ReleaseKind.HOTPATCH, ReleaseKind.HOTPATCH_OUT_OF_BAND})


class Release(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    date: date
    ubr: int = Field(ge=0)
    kb: str = Field(pattern=r"^KB\d{6,8}$")
    type: ReleaseKind

    @property
    def month(self) -> str:
        return f"{self.date.year:04d}-{self.date.month:02d}"


class BuildReleases(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    releases: tuple[Release, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _monthly_ubrs_grow(self) -> BuildReleases:
        monthly = sorted(
            (r for r in self.releases if r.type is ReleaseKind.MONTHLY),
            key=lambda r: (r.date, r.ubr),
        )
        for older, newer in pairwise(monthly):
            if newer.date > older.date and newer.ubr <= older.ubr:
                raise ValueError(
                    f"monthly UBR {newer.ubr} of {newer.date} is not above {older.ubr} "
                    f"of {older.date}"
                )
        return self


class ReleaseTable(BaseModel):
    """Monthly cumulative updates per Windows client build."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["endpoint-audit-windows-releases"]
    version: Literal[1]
    as_of: date  # the table lists every release up to this day
    source: str = Field(min_length=1)
    builds: dict[int, BuildReleases]
    # Where the table was read from (not part of the file).
    origin: str = Field("", exclude=True)

    @model_validator(mode="after")
    def _nothing_after_as_of(self) -> ReleaseTable:
        for build, entry in self.builds.items():
            late = [r for r in entry.releases if r.date > self.as_of]
            if late:
                raise ValueError(
                    f"build {build}: {late[0].kb} of {late[0].date} is after as_of {self.as_of}"
                )
        return self

    @cached_property
    def _monthly(self) -> dict[int, tuple[Release, ...]]:
        return {
            build: tuple(
                sorted(
                    (r for r in entry.releases if r.type is ReleaseKind.MONTHLY),
                    key=lambda r: (r.date, r.ubr),
                )
            )
            for build, entry in self.builds.items()
        }

    def knows(self, build: int) -> bool:
        return build in self.builds

    def name(self, build: int) -> str | None:
        entry = self.builds.get(build)
        return entry.name if entry else None

    @cached_property
    def _by_kb(self) -> dict[tuple[int, str], Release]:
        index: dict[tuple[int, str], Release] = {}
        for build, entry in self.builds.items():
            for release in entry.releases:
                known = index.get((build, release.kb))
                if known is None or release.ubr < known.ubr:
                    index[(build, release.kb)] = release
        return index

    @cached_property
    def _monthly_dates(self) -> tuple[date, ...]:
        return tuple(sorted({r.date for rs in self._monthly.values() for r in rs}))

    def by_kb(self, build: int, kb: str) -> Release | None:
        """The release of `build` with this KB article (the lowest UBR if it has two)."""
        return self._by_kb.get((build, kb.upper()))

    def newest(self, build: int) -> Release | None:
        """The most recent release of `build` the table lists."""
        entry = self.builds.get(build)
        return max(entry.releases, key=lambda r: (r.date, r.ubr)) if entry else None

    def level(self, build: int, ubr: int) -> Release | None:
        """The newest monthly update a PC at build.ubr has: the last monthly release whose
        UBR it reaches, or a hotpatch release it matches exactly. None: older than every
        monthly release listed (or the build is unknown)."""
        entry = self.builds.get(build)
        if entry is None:
            return None
        best: Release | None = None
        for release in self._monthly.get(build, ()):
            if ubr >= release.ubr and (best is None or release.date > best.date):
                best = release
        for release in entry.releases:
            if release.type in HOTPATCH_KINDS and release.ubr == ubr:
                credit = self._cycle_of(build, release)
                if credit is not None and (best is None or credit.date > best.date):
                    best = credit
        return best

    def _cycle_of(self, build: int, hotpatch: Release) -> Release | None:
        """The monthly release whose month a hotpatch release belongs to: the one of the
        same second Tuesday, or the last one before an unscheduled hotpatch."""
        before = [r for r in self._monthly.get(build, ()) if r.date <= hotpatch.date]
        if not before:
            return None
        newest = max(r.date for r in before)
        return min((r for r in before if r.date == newest), key=lambda r: r.ubr)

    def required(self, build: int, cutoff: date) -> Release | None:
        """The newest monthly release of `build` published on or before `cutoff` (the
        lowest UBR when Microsoft lists two builds for one update)."""
        eligible = [r for r in self._monthly.get(build, ()) if r.date <= cutoff]
        if not eligible:
            return None
        newest = max(r.date for r in eligible)
        return min((r for r in eligible if r.date == newest), key=lambda r: r.ubr)

    def newest_month(self, cutoff: date) -> str | None:
        """The newest month (yyyy-mm) with a monthly release of any build by `cutoff`."""
        at = bisect_right(self._monthly_dates, cutoff)
        if at == 0:
            return None
        newest = self._monthly_dates[at - 1]
        return f"{newest.year:04d}-{newest.month:02d}"

    @property
    def label(self) -> str:
        return self.origin or SHIPPED_FILE


def parse_release_table(text: str, origin: str) -> ReleaseTable:
    """A release table from YAML text; ReleaseTableError names `origin` and the problem."""
    # Only a Windows host's build is judged by the table: a scan of another PC never
    # loads PyYAML for it.
    import yaml

    try:
        # The C loader where PyYAML has it: the pure-Python one takes half a second here.
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ReleaseTableError(f"{origin}{where}: not valid YAML") from None
    if not isinstance(data, dict):
        raise ReleaseTableError(f"{origin}: not a release table (expected a mapping)")
    if data.get("format") != TABLE_FORMAT:
        raise ReleaseTableError(f"{origin}: format is not {TABLE_FORMAT!r}")
    try:
        table = ReleaseTable.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top)"
        raise ReleaseTableError(f"{origin}: {where}: {first['msg']}") from None
    return table.model_copy(update={"origin": origin})


@cache
def shipped_release_table() -> ReleaseTable:
    text = (resources.files(__name__.rpartition(".")[0]) / "data" / SHIPPED_FILE).read_text("utf-8")
    table = parse_release_table(text, SHIPPED_FILE)
    return table.model_copy(update={"origin": ""})


@cache
def _release_table_file(path: str) -> ReleaseTable:
    try:
        # safe_read: a pipe or device named by the variable must not hang the scan.
        text = read_input(Path(path), InputKind("Windows release table", MAX_TABLE_BYTES)).decode(
            "utf-8"
        )
    except InputRefused as exc:
        raise ReleaseTableError(str(exc)) from None
    except UnicodeDecodeError:
        raise ReleaseTableError(f"{path}: not UTF-8 text") from None
    return parse_release_table(text, path)


def release_table(environ: Mapping[str, str] | None = None) -> ReleaseTable:
    """The table in use: the file named by ENDPOINT_AUDIT_WINDOWS_RELEASES, else the
    shipped one. Read once per process and path."""
    env = os.environ if environ is None else environ
    path = env.get(RELEASES_ENV, "").strip()
    return _release_table_file(path) if path else shipped_release_table()
