"""os_support for `probe export --intune-compliance`: the settings of
compliance/intune_settings.ps1 and the rules that judge them with the baseline's parameters
and the support data in use at export, embedded in the script.

    OsSupportState         String  Dated | Server | NotInData | EditionNotInData |
                                   OnlyLtsc | EditionUnknown | EsuUnknown | Unknown
                                                                 IsEquals Dated
    OsSupportDaysLeft      Int64   days to the end of support of the build and edition
                                   (Windows 10 ESU years licensed counted); -99999 not
                                   dated                         GreaterEquals 0
    OsSupportDataAgeDays   Int64   days since the embedded data's date; 99999 no usable
                                   data                          LessEquals max_data_age_days
    OfficeSupportDaysLeft  Int64   days to the end of support of the Office product that
                                   ends first; 99999 no Office; -99999 a product not dated
                                   (Microsoft 365 Apps, an ID not known) or Office not read
                                                                 GreaterEquals 0

Together the rules pass only where the check passes Windows and every Office product:
ending within warn_days is still a pass there (Intune has no warning level), so warn_days
gives no rule. The data is the one `evaluate` would use on the exporting machine
(support_data.py), as days since 0001-01-01; the PC counts days with its own clock (UTC),
so an export ages like the data file: export again after `data update`. Stricter than the
check where a build, product ID, product code or licence ID is not ASCII, and where a
value of the answer is of a type the probe never writes (docs/deploy-probes.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from endpoint_audit.checkkit.intune import (
    IntuneSettings,
    RuleMaker,
    compliance_script,
    ps_string,
)
from endpoint_audit.checks.os_support.check import OsSupportParams
from endpoint_audit.checks.os_support.office import AMBIGUOUS_IDS, NOT_PRODUCTS, OFFICE_2016_IDS
from endpoint_audit.checks.os_support.support_data import (
    Release,
    SupportData,
    SupportDataError,
    support_data,
)
from endpoint_audit.checks.os_support.windows import (
    CLIENT_SKUS,
    ENTERPRISE_SKUS,
    ESU_YEARS,
    LTSC_SKUS,
    OS_EDITION,
)
from endpoint_audit.model.intune import IntuneRule

TEXT = "os_support.intune"
UNREAD = 99999  # the snippet's $EAOsSupportUnread


def day_number(day: date) -> int:
    """A date as the snippet counts days: since 0001-01-01 ([datetime].Ticks / 1 day)."""
    return day.toordinal() - 1


def _day(day: date | None) -> str:
    return "$null" if day is None else f"[int64]{day_number(day)}"


def _numbers(values: Iterable[int]) -> str:
    return "@(" + ", ".join(str(v) for v in sorted(values)) + ")"


def _texts(values: Iterable[str]) -> str:
    return "@(" + ", ".join(ps_string(v) for v in sorted(values)) + ")"


def _digits(key: str) -> bool:
    return key.isascii() and key.isdigit()


def _release(rel: Release) -> str:
    years = sorted((y, end) for y, end in rel.esu.items() if _digits(y))
    esu = "; ".join(f"{ps_string(year)} = {_day(end)}" for year, end in years)
    return (
        f"@{{ client = {_day(rel.client)}; enterprise = {_day(rel.enterprise)}; "
        f"ltsc = {_day(rel.ltsc)}; esu = @{{ {esu} }} }}"
    )


def data_for_export() -> SupportData | None:
    """The data `evaluate` would judge with here; None when it is unusable (every PC is
    then not compliant, as the check says unknown)."""
    try:
        return support_data()
    except SupportDataError:
        return None


def prelude(params: OsSupportParams) -> str:
    data = data_for_export()
    # Only the keys the check can look up: a build is ASCII digits, an Office release
    # lower case (office.py), so no two keys differ in case alone (PowerShell's are not).
    windows = {k: r for k, r in (data.windows if data else {}).items() if _digits(k)}
    office = {
        k: r.eol
        for k, r in (data.office if data else {}).items()
        if r.eol and k.isascii() and k == k.lower()
    }
    lines = [
        f"# Support data dated {data.dated.isoformat()}." if data else "# No usable support data.",
        f"$EAOsSupportDated = {_day(data.dated) if data else '[int64]-1'}",
        "$EAOsSupportWindows = @{",
        *(f"    {ps_string(build)} = {_release(rel)}" for build, rel in sorted(windows.items())),
        "}",
        "$EAOsSupportOffice = @{",
        *(f"    {ps_string(key)} = {_day(end)}" for key, end in sorted(office.items())),
        "}",
        f"$EAOsSupportEnterprise = {_numbers(ENTERPRISE_SKUS)}",
        f"$EAOsSupportLtsc = {_numbers(LTSC_SKUS)}",
        f"$EAOsSupportClient = {_numbers(CLIENT_SKUS)}",
        "$EAOsSupportEsuIds = @{ "
        + "; ".join(f"{ps_string(i)} = {y}" for i, y in sorted(ESU_YEARS.items()))
        + " }",
        f"$EAOsSupport2016 = {_texts(OFFICE_2016_IDS)}",
        f"$EAOsSupportAmbiguous = {_texts(AMBIGUOUS_IDS)}",
        f"$EAOsSupportNotProducts = {_texts(NOT_PRODUCTS)}",
    ]
    return "\n".join(lines) + "\n"


_rule = RuleMaker(TEXT)


def rules(params: OsSupportParams, more_info_url: str) -> list[IntuneRule]:
    # A baseline's maximum never reaches the unread value: that must never pass.
    age = min(params.max_data_age_days, UNREAD - 1)
    return [
        _rule("OsSupportState", "IsEquals", "Dated", "state", more_info_url),
        _rule("OsSupportDaysLeft", "GreaterEquals", 0, "days_left", more_info_url),
        _rule("OsSupportDataAgeDays", "LessEquals", age, "data_age", more_info_url, maximum=age),
        _rule("OfficeSupportDaysLeft", "GreaterEquals", 0, "office", more_info_url),
    ]


INTUNE = IntuneSettings(
    check_id="os_support",
    probe=OS_EDITION,
    settings_script=compliance_script(__name__, "intune_settings"),
    settings=(
        "OsSupportState",
        "OsSupportDaysLeft",
        "OsSupportDataAgeDays",
        "OfficeSupportDaysLeft",
    ),
    rules=rules,
    prelude=prelude,
)
