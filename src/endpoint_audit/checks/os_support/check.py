"""os_support: the operating system is a release its vendor still supports.

Judged on the audit date against a dated data file of support periods (support_data.py).
A data file older than `max_data_age_days` makes the check unknown: stale dates would
call an ended release supported. Extended support counts where it is proven (a Windows 10
ESU licence found on the PC) or needs no enrolment (the products in `extended_support`,
by default Debian, whose LTS is free for everyone).

On Windows each Office product installed is a finding of its own (resource
`office:<product ID or MSI product code>`), judged against the same data by its release;
no Office is one `not_applicable` finding (resource `office`). Microsoft 365 Apps are
supported by channel and version, which the data does not date: unknown, never pass.
"""

from collections.abc import Iterable
from datetime import date

from msgspec.structs import replace
from pydantic import Field

from endpoint_audit.checkkit import (
    Check,
    CheckMeta,
    CheckParams,
    EvalContext,
    FactView,
    Outcome,
)
from endpoint_audit.checks.os_support.facts import OsSupportFacts
from endpoint_audit.checks.os_support.office import OfficeProduct
from endpoint_audit.checks.os_support.support_data import (
    Release,
    SupportData,
    SupportDataError,
    support_data,
)
from endpoint_audit.model.observed import Seen, Unknown
from endpoint_audit.model.result import Evidence, JsonScalar, Status

# Distributions that state their own end of support in os-release.
STATED_END = ("fedora",)
OFFICE = "office"  # the resource of the finding when Office is absent or unreadable


class OsSupportParams(CheckParams):
    warn_days: int = Field(90, ge=0)
    max_data_age_days: int = Field(180, ge=1)
    extended_support: list[str] = Field(default_factory=lambda: ["debian"])


def _older_than_listed(product: str, release: str, listed: dict[str, Release]) -> bool:
    """A Windows build or macOS version older than every general (not LTSC-only) release
    the data lists: its support ended before theirs."""

    def number(text: str) -> float | None:
        try:
            return float(text)
        except ValueError:
            return None

    general = [k for k, r in listed.items() if r.client or r.enterprise or product == "macos"]
    here = number(release)
    known = [n for n in (number(k) for k in general) if n is not None]
    return (
        product in ("windows", "macos") and here is not None and bool(known) and here < min(known)
    )


def _esu_end(base: date, esu: dict[str, date], held: tuple[int, ...], today: date) -> date | None:
    """The last day the ESU licences held cover; None when none is held.

    Each year's licence covers its own year only, from the end of the year before it (or
    of support without ESU) to its own end: support runs from the held year that holds
    today through the years held after it without a gap. A later year's licence never
    covers an earlier year; without today's year support ended with the last year held
    before today. Written without sorting, step for step as the Intune snippet."""
    years = {str(y) for y in held}
    ends = [e for y, e in esu.items() if y.isascii() and y.isdigit()]
    running: date | None = None
    before: date | None = None
    for year, year_end in esu.items():
        if year not in years:
            continue
        start = max([base, *(e for e in ends if e < year_end)])
        if start < today <= year_end:
            running = year_end if running is None else max(running, year_end)
        elif year_end < today:
            before = year_end if before is None else max(before, year_end)
    while running is not None:
        later = [e for e in ends if e > running]
        if not later:
            break
        step = min(later)
        if not any(esu[y] == step for y in years if y in esu):
            break
        running = step
    return running if running is not None else before


def _windows_end(rel: Release, fact: OsSupportFacts) -> tuple[date | None, str]:
    """The end date for this edition, and how it was chosen."""
    edition = fact.edition
    if isinstance(edition, Seen):
        chosen = {"client": rel.client, "enterprise": rel.enterprise, "ltsc": rel.ltsc}
        return chosen.get(edition.value), edition.value
    if rel.client is None or rel.enterprise is None:
        # A class without a date may have ended (19044 is dated for LTSC only): the
        # earliest date listed is then no lower bound for an edition not told.
        return None, "undated"
    dates = [d for d in (rel.client, rel.enterprise, rel.ltsc) if d is not None]
    return min(dates), "earliest"


class OsSupport(Check):
    meta = CheckMeta.from_package("os_support", __package__)
    Params = OsSupportParams
    requires = (OsSupportFacts,)

    def evaluate(
        self, facts: FactView, params: OsSupportParams, ctx: EvalContext
    ) -> Iterable[Outcome]:
        fact = facts.get(OsSupportFacts)
        if fact.sources:
            yield from self._judged(fact, params, ctx)
            yield from self._office(fact, params, ctx)
            return
        # Linux and macOS: judged on what platform detection read; that is the evidence.
        read = " ".join(o.value for o in (fact.product, fact.release) if isinstance(o, Seen))
        evidence = (Evidence(source="platform", excerpt=f"{read} ({fact.label or '-'})"),)
        for outcome in self._judged(fact, params, ctx):
            yield replace(outcome, evidence=outcome.evidence or evidence)

    def _judged(
        self, fact: OsSupportFacts, params: OsSupportParams, ctx: EvalContext
    ) -> Iterable[Outcome]:
        today = ctx.now.date()
        for observed in (fact.product, fact.release):
            if isinstance(observed, Unknown):
                yield Outcome(
                    status=Status.UNKNOWN, key="release_unknown", args={"reason": observed.reason}
                )
                return
        if not (isinstance(fact.product, Seen) and isinstance(fact.release, Seen)):
            return  # both are Seen here; this tells mypy so
        product, release = fact.product.value, fact.release.value
        actual: dict[str, object] = {"product": product, "release": release, "label": fact.label}
        if product in STATED_END:
            yield self._stated(fact, params, today, actual)
            return
        try:
            data = support_data()
        except SupportDataError as exc:
            yield Outcome(status=Status.UNKNOWN, key="data_unusable", args={"problem": exc.reason})
            return
        stale = self._stale(data, params, today)
        if stale is not None:
            yield stale
            return
        about = {"data": data.source, "dated": data.dated.isoformat()}
        actual["data"] = {"source": data.source, "dated": data.dated.isoformat(), "path": data.path}
        if isinstance(fact.edition, Seen) and fact.edition.value == "server":
            yield Outcome(status=Status.UNKNOWN, key="server", args={**about}, actual=actual)
            return
        releases = data.releases(product)
        rel = releases.get(release)
        if rel is None:
            older = _older_than_listed(product, release, releases)
            yield Outcome(
                status=Status.FAIL if older else Status.UNKNOWN,
                key="older_than_data" if older else "not_in_data",
                args={"product": product, "release": release, "label": fact.label or "-", **about},
                actual=actual,
            )
            return
        yield self._judge(rel, fact, params, today, about, actual)

    def _office(
        self, fact: OsSupportFacts, params: OsSupportParams, ctx: EvalContext
    ) -> Iterable[Outcome]:
        """One finding per Office product installed (Windows only)."""
        office = fact.office
        if office is None:
            return
        if isinstance(office, Unknown):
            yield Outcome(
                status=Status.UNKNOWN,
                key="office_unknown",
                args={"reason": office.reason},
                resource=OFFICE,
            )
            return
        if not office.value:
            yield Outcome(status=Status.NOT_APPLICABLE, key="office_absent", resource=OFFICE)
            return
        today = ctx.now.date()
        try:
            data = support_data()
        except SupportDataError as exc:
            for product in office.value:
                yield Outcome(
                    status=Status.UNKNOWN,
                    key="data_unusable",
                    args={"problem": exc.reason},
                    resource=f"{OFFICE}:{product.product_id}",
                )
            return
        stale = self._stale(data, params, today)
        for product in office.value:
            resource = f"{OFFICE}:{product.product_id}"
            if stale is not None:
                yield replace(stale, resource=resource)
            else:
                yield replace(self._office_product(product, data, params, today), resource=resource)

    def _office_product(
        self, product: OfficeProduct, data: SupportData, params: OsSupportParams, today: date
    ) -> Outcome:
        about = {"data": data.source, "dated": data.dated.isoformat()}
        actual: dict[str, object] = {
            "product_id": product.product_id,
            "install": product.install,
            "release": product.release,
            "version": product.version,
            "channel": product.channel or product.channel_url,
            "data": {"source": data.source, "dated": data.dated.isoformat(), "path": data.path},
        }
        named = {"product_id": product.product_id}
        if product.release == "365":
            return Outcome(
                status=Status.UNKNOWN,
                key="office_m365",
                args={
                    **named,
                    "channel": product.channel or product.channel_url or "-",
                    "version": product.version or "-",
                },
                actual=actual,
            )
        if product.release is None:
            key = "office_ambiguous" if product.ambiguous else "office_unrecognised"
            return Outcome(status=Status.UNKNOWN, key=key, args=named, actual=actual)
        rel = data.releases("office").get(product.release)
        if rel is None or rel.eol is None:
            return Outcome(
                status=Status.UNKNOWN,
                key="not_in_data",
                args={"product": "office", "release": product.release, "label": product.product_id,
                      **about},
                actual=actual,
            )  # fmt: skip
        source = f"{about['data']}, {about['dated']}"
        return self._dated(rel.eol, rel.name, source, params, today, actual, "")

    def _stale(self, data: SupportData, params: OsSupportParams, today: date) -> Outcome | None:
        age = (today - data.dated).days
        args: dict[str, JsonScalar] = {
            "dated": data.dated.isoformat(),
            "days": age,
            "max": params.max_data_age_days,
            "path": data.path,
        }
        # Data made after the audit (a bundle judged later) only knows more: never stale.
        if age > params.max_data_age_days:
            return Outcome(status=Status.UNKNOWN, key="data_stale", args=args)
        return None

    def _stated(
        self, fact: OsSupportFacts, params: OsSupportParams, today: date, actual: dict[str, object]
    ) -> Outcome:
        if fact.stated_end is None:
            return Outcome(
                status=Status.UNKNOWN,
                key="no_stated_end",
                args={"label": fact.label or "-"},
                actual=actual,
            )
        return self._dated(
            fact.stated_end, fact.label or "-", "os-release SUPPORT_END", params, today, actual, ""
        )

    def _judge(
        self,
        rel: Release,
        fact: OsSupportFacts,
        params: OsSupportParams,
        today: date,
        about: dict[str, str],
        actual: dict[str, object],
    ) -> Outcome:
        source = f"{about['data']}, {about['dated']}"
        product = fact.product.value if isinstance(fact.product, Seen) else "-"
        via = ""
        if product == "windows":
            end, edition = _windows_end(rel, fact)
            actual["edition"] = edition
            if end is None and isinstance(fact.edition, Unknown):
                return Outcome(
                    status=Status.UNKNOWN,
                    key="edition_undated",
                    args={"name": rel.name, "reason": fact.edition.reason, **about},
                    actual=actual,
                )
            if end is None:
                only_ltsc = rel.ltsc is not None and edition in ("client", "enterprise")
                return Outcome(
                    status=Status.FAIL if only_ltsc else Status.UNKNOWN,
                    key="only_ltsc_supported" if only_ltsc else "edition_not_in_data",
                    args={"name": rel.name, "edition": edition, **about},
                    actual=actual,
                )
            if edition == "earliest" and end < today and isinstance(fact.edition, Unknown):
                # The earliest date of the build has passed, but this edition may end later.
                return Outcome(
                    status=Status.UNKNOWN,
                    key="edition_unknown",
                    args={
                        "name": rel.name,
                        "support_ends": end.isoformat(),
                        "reason": fact.edition.reason,
                    },
                    actual=actual,
                )
            if end < today and rel.esu and edition != "ltsc":
                licence = fact.esu_years
                if isinstance(licence, Unknown):
                    return Outcome(
                        status=Status.UNKNOWN,
                        key="esu_unknown",
                        args={
                            "name": rel.name,
                            "support_ends": end.isoformat(),
                            "reason": licence.reason,
                        },
                        actual=actual,
                    )
                held = licence.value if isinstance(licence, Seen) else ()
                covered = _esu_end(end, rel.esu, held, today)
                if covered is not None:
                    end, via = covered, "esu"
                actual["esu_years"] = list(licence.value) if isinstance(licence, Seen) else None
        else:
            if rel.eol is None:
                return Outcome(
                    status=Status.PASS,
                    key="supported_no_date",
                    args={"name": rel.name, **about},
                    actual=actual,
                )
            end = rel.eol
            if end < today and rel.extended is not None and product in params.extended_support:
                end, via = rel.extended, "extended"
        return self._dated(end, rel.name, source, params, today, actual, via)

    def _dated(
        self,
        end: date,
        name: str,
        source: str,
        params: OsSupportParams,
        today: date,
        actual: dict[str, object],
        via: str,
    ) -> Outcome:
        days = (end - today).days
        suffix = f"_{via}" if via else ""
        if days < 0:
            key = "ended"
            status = Status.FAIL
        elif days <= params.warn_days:
            key, status = f"ending_soon{suffix}", Status.PASS
        else:
            key, status = f"supported{suffix}", Status.PASS
        actual["support_ends"] = end.isoformat()
        return Outcome(
            status=status,
            key=key,
            args={
                "name": name,
                "support_ends": end.isoformat(),
                "days": abs(days),
                "source": source,
            },
            expected={"support_ends": f"after {today.isoformat()}", "warn_days": params.warn_days},
            actual=actual,
        )
