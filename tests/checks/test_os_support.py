"""os_support: the release, edition and ESU licence against dated support data; stale,
broken or missing data and unclassified editions are unknown, never a pass."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from endpoint_audit.checkkit.check import EvalContext, FactView
from endpoint_audit.checkkit.collector import as_int
from endpoint_audit.checks.os_support import support_data as data_module
from endpoint_audit.checks.os_support.check import OsSupport, OsSupportParams
from endpoint_audit.checks.os_support.facts import OsSupportFacts
from endpoint_audit.checks.os_support.linux import support_end
from endpoint_audit.checks.os_support.office import OfficeProduct, office_products, release_of
from endpoint_audit.checks.os_support.windows import (
    CLIENT_SKUS,
    ENTERPRISE_SKUS,
    ESU_YEARS,
    LTSC_SKUS,
    edition_of,
    esu_years,
)
from endpoint_audit.engine.run import message_args
from endpoint_audit.model import i18n
from endpoint_audit.model.observed import Observed, Seen, Unknown, seen, unknown
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import Status


def judge(fact: OsSupportFacts, on: date, **params: object) -> tuple[Status, str]:
    ctx = EvalContext(
        platform=PlatformInfo(family=OsFamily.LINUX),
        now=datetime(on.year, on.month, on.day, 9, tzinfo=UTC),
    )
    (outcome,) = OsSupport().evaluate(
        FactView({OsSupportFacts: fact}), OsSupportParams.model_validate(params), ctx
    )
    return outcome.status, outcome.key


def linux(distro: str, version: str, stated: date | None = None) -> OsSupportFacts:
    return OsSupportFacts(product=seen(distro), release=seen(version), stated_end=stated)


def windows(build: str, sku: int, esu: Observed[tuple[int, ...]] | None = None) -> OsSupportFacts:
    return OsSupportFacts(
        product=seen("windows"),
        release=seen(build),
        edition=edition_of(sku, 1),
        sku=sku,
        esu_years=esu,
    )


@pytest.fixture(autouse=True)
def shipped_data_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(data_module.DATA_ENV, raising=False)
    monkeypatch.delenv(data_module.OVERRIDES_ENV, raising=False)
    monkeypatch.setattr(data_module, "installed_path", lambda: tmp_path / "none" / "x.toml")


def test_the_shipped_data_is_dated_and_names_its_source() -> None:
    data = data_module.support_data()
    assert data.dated == date(2026, 8, 22)
    assert "endoflife.date" in data.source
    assert data.windows["19045"].esu["3"] == date(2028, 10, 10)


@pytest.mark.parametrize(
    ("fact", "on", "expected"),
    [
        (linux("ubuntu", "24.04"), date(2026, 12, 1), (Status.PASS, "supported")),
        (linux("ubuntu", "22.04"), date(2027, 2, 1), (Status.PASS, "ending_soon")),
        (linux("ubuntu", "20.04"), date(2026, 12, 1), (Status.FAIL, "ended")),
        (linux("debian", "12"), date(2026, 12, 1), (Status.PASS, "supported_extended")),
        (linux("rhel", "9"), date(2026, 12, 1), (Status.PASS, "supported")),
        (linux("ubuntu", "99.04"), date(2026, 12, 1), (Status.UNKNOWN, "not_in_data")),
        (linux("fedora", "44", date(2027, 5, 19)), date(2026, 12, 1), (Status.PASS, "supported")),
        (linux("fedora", "44", date(2027, 5, 19)), date(2027, 6, 1), (Status.FAIL, "ended")),
        (linux("fedora", "44"), date(2026, 12, 1), (Status.UNKNOWN, "no_stated_end")),
        (windows("26100", 48), date(2026, 9, 1), (Status.PASS, "ending_soon")),
        (windows("26100", 4), date(2026, 9, 1), (Status.PASS, "supported")),
        (windows("26100", 125), date(2026, 12, 1), (Status.PASS, "supported")),
        (windows("19045", 48, seen((1,))), date(2026, 6, 1), (Status.PASS, "supported_esu")),
        # A year-1 licence covers year 1 only: after 2026-10-13 it is no support at all.
        (windows("19045", 48, seen((1,))), date(2026, 12, 1), (Status.FAIL, "ended")),
        (windows("19045", 48, seen((1, 2))), date(2026, 12, 1), (Status.PASS, "supported_esu")),
        (windows("19045", 48, seen((1,))), date(2026, 9, 1), (Status.PASS, "ending_soon_esu")),
        # Only today's year's licence covers today: a later year's alone leaves a gap.
        (windows("19045", 48, seen((3,))), date(2026, 12, 1), (Status.FAIL, "ended")),
        (windows("19045", 48, seen((1, 3))), date(2026, 12, 1), (Status.FAIL, "ended")),
        (windows("19045", 48, seen((2,))), date(2026, 12, 1), (Status.PASS, "supported_esu")),
        (windows("19045", 48, seen((2,))), date(2026, 6, 1), (Status.FAIL, "ended")),
        (windows("19045", 48, seen(())), date(2026, 12, 1), (Status.FAIL, "ended")),
        (windows("18363", 48, seen(())), date(2026, 12, 1), (Status.FAIL, "older_than_data")),
        (windows("99999", 48), date(2026, 12, 1), (Status.UNKNOWN, "not_in_data")),
    ],
)
def test_verdicts(fact: OsSupportFacts, on: date, expected: tuple[Status, str]) -> None:
    assert judge(fact, on) == expected


def test_extended_support_counts_only_where_the_baseline_says() -> None:
    assert judge(linux("debian", "12"), date(2026, 12, 1), extended_support=[]) == (
        Status.FAIL,
        "ended",
    )
    assert judge(linux("ubuntu", "20.04"), date(2026, 12, 1), extended_support=["ubuntu"]) == (
        Status.PASS,
        "supported_extended",
    )


def test_an_esu_licence_that_cannot_be_read_is_unknown_never_a_pass() -> None:
    fact = windows("19045", 48, unknown("os_support.reason.esu_unreadable", hresult="-1"))
    assert judge(fact, date(2026, 12, 1)) == (Status.UNKNOWN, "esu_unknown")


def test_an_unclassified_edition_passes_only_while_every_edition_is_supported() -> None:
    odd = windows("22631", 175)
    assert isinstance(odd.edition, Unknown)
    assert judge(odd, date(2025, 6, 1)) == (Status.PASS, "supported")
    assert judge(odd, date(2026, 9, 1)) == (Status.UNKNOWN, "edition_unknown")


def test_an_unclassified_edition_of_a_build_dated_only_for_ltsc_is_unknown() -> None:
    # 19044 is dated only for its LTSC editions: Home, Pro and Enterprise 21H2 have
    # ended, so the LTSC date is no lower bound for an edition that cannot be told
    # (SKU 175, Enterprise multi-session, ended with Enterprise 21H2).
    odd = windows("19044", 175)
    assert judge(odd, date(2026, 9, 1)) == (Status.UNKNOWN, "edition_undated")
    assert judge(windows("19044", 125), date(2026, 9, 1)) == (Status.PASS, "supported")


def test_an_unknown_release_is_unknown_with_its_reason() -> None:
    fact = OsSupportFacts(product=seen("arch"), release=unknown("os_support.reason.no_version_id"))
    assert judge(fact, date(2026, 12, 1)) == (Status.UNKNOWN, "release_unknown")


def test_stale_data_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    assert judge(linux("ubuntu", "24.04"), date(2027, 2, 18)) == (Status.PASS, "supported")
    assert judge(linux("ubuntu", "24.04"), date(2027, 2, 19)) == (Status.UNKNOWN, "data_stale")
    assert judge(linux("ubuntu", "24.04"), date(2027, 2, 19), max_data_age_days=365)[0] == (
        Status.PASS
    )


def test_a_data_file_and_overrides_replace_and_add(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data = tmp_path / "os-support.toml"
    data.write_text(
        'format = 1\ndated = 2027-06-01\nsource = "our own"\n'
        '[ubuntu]\n"24.04" = { name = "Ubuntu 24.04 LTS", eol = 2027-06-30 }\n',
        encoding="utf-8",
    )
    overrides = tmp_path / "over.toml"
    overrides.write_text('[debian]\n"14" = { name = "Debian 14", eol = 2030-01-01 }\n')
    monkeypatch.setenv(data_module.DATA_ENV, str(data))
    monkeypatch.setenv(data_module.OVERRIDES_ENV, str(overrides))
    assert judge(linux("ubuntu", "24.04"), date(2027, 6, 10)) == (Status.PASS, "ending_soon")
    assert judge(linux("debian", "14"), date(2027, 6, 10)) == (Status.PASS, "supported")
    assert judge(linux("debian", "12"), date(2027, 6, 10)) == (Status.UNKNOWN, "not_in_data")


@pytest.mark.parametrize(
    "text",
    [
        "dated = 2026-01-01\n",
        "not toml [",
        'dated = 2026-01-01\nsource = "x"\n[windows]\n"1" = 3\n',
    ],
)
def test_unusable_data_is_unknown_naming_the_file(
    text: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bad = tmp_path / "bad-support.toml"
    bad.write_text(text, encoding="utf-8")
    monkeypatch.setenv(data_module.DATA_ENV, str(bad))
    fact = linux("ubuntu", "24.04")
    ctx = EvalContext(
        platform=PlatformInfo(family=OsFamily.LINUX), now=datetime(2026, 9, 1, tzinfo=UTC)
    )
    (outcome,) = OsSupport().evaluate(FactView({OsSupportFacts: fact}), OsSupportParams(), ctx)
    assert outcome.status == Status.UNKNOWN and outcome.key == "data_unusable"
    ja = i18n.t("ja", "os_support.msg.data_unusable", **message_args(outcome.args, "ja"))
    en = i18n.t("en", "os_support.msg.data_unusable", **message_args(outcome.args, "en"))
    assert str(bad) in ja and str(bad) in en
    # Said in the report's language; only the TOML or pydantic library's own words (the
    # `output`) stay as they are.
    assert "cannot be read" not in ja and "is not TOML" not in ja
    assert ("TOML ではありません" in ja) == (text == "not toml [")


def test_editions_by_sku() -> None:
    assert all(edition_of(s, 1) == seen("client") for s in CLIENT_SKUS)
    assert all(edition_of(s, 1) == seen("enterprise") for s in ENTERPRISE_SKUS)
    assert all(edition_of(s, 1) == seen("ltsc") for s in LTSC_SKUS)
    assert edition_of(48, 3) == seen("server")
    assert isinstance(edition_of(None, None), Unknown)


@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "id": st.sampled_from([*ESU_YEARS, "0ff1ce15-a989-479d-af46-f275c6370663"])
                | st.text(max_size=8),
                "license_status": st.integers(-3, 5) | st.text(max_size=3),
            }
        ),
        max_size=4,
    )
)
def test_an_esu_year_is_seen_only_with_its_own_licence_activated(
    entries: list[dict[str, object]],
) -> None:
    got = esu_years({"esu": entries, "esu_error": None})
    assert isinstance(got, Seen)
    expected = {
        ESU_YEARS[str(e["id"])]
        for e in entries
        if str(e["id"]) in ESU_YEARS and as_int(e["license_status"]) == 1
    }
    assert set(got.value) == expected


@given(st.text(max_size=300))
def test_support_end_is_only_read_from_a_valid_line(text: str) -> None:
    got = support_end(text)
    if got is not None:
        assert any(
            line.strip().startswith("SUPPORT_END=") and got.isoformat() in line
            for line in text.splitlines()
        )


def test_support_end_reads_fedora_os_release() -> None:
    text = 'NAME="Fedora Linux"\nID=fedora\nSUPPORT_END=2027-05-19\n'
    assert support_end(text) == date(2027, 5, 19)
    assert support_end('SUPPORT_END="2027-05-19"\n') == date(2027, 5, 19)
    assert support_end("SUPPORT_END=soon\n") is None


# --- Office on Windows --------------------------------------------------------------


def office_findings(office: object, on: date, **params: object) -> list[tuple[str, Status, str]]:
    """(resource, status, key) of the Office findings for the probe's `office` answer."""
    fact = OsSupportFacts(
        product=seen("windows"),
        release=seen("26100"),
        edition=seen("client"),
        sku=48,
        office=office_products(office),
        sources=("ps:os_edition",),
    )
    ctx = EvalContext(
        platform=PlatformInfo(family=OsFamily.WINDOWS),
        now=datetime(on.year, on.month, on.day, 9, tzinfo=UTC),
    )
    outcomes = list(
        OsSupport().evaluate(
            FactView({OsSupportFacts: fact}), OsSupportParams.model_validate(params), ctx
        )
    )
    return [(o.resource or "", o.status, o.key) for o in outcomes if o.resource]


def c2r(ids: str, url: str = "", version: str = "16.0.14332.20011") -> dict[str, object]:
    config = {"ProductReleaseIds": ids, "VersionToReport": version, "CDNBaseUrl": url}
    return {"c2r": config, "msi": [], "error": None}


@pytest.mark.parametrize(
    ("product_id", "release"),
    [
        ("O365ProPlusRetail", "365"),
        ("O365BusinessRetail", "365"),
        ("ProPlus2019Volume", "2019"),
        ("ProPlus2019Retail", "2019"),
        ("ProPlus2021Retail", "2021"),
        ("ProPlus2021Volume", "2021-ltsc"),
        ("VisioPro2021Volume", "2021-ltsc"),
        ("ProPlus2024Volume", "2024-ltsc"),
        ("HomeBusiness2024Retail", "2024"),
        ("ProPlusRetail", "2016"),
        ("VisioProXVolume", "2016"),
        ("VisioProRetail", None),
        ("Mondo2030Retail", None),
        ("", None),
    ],
)
def test_office_releases_by_product_id(product_id: str, release: str | None) -> None:
    assert release_of(product_id)[0] == release


def test_office_products_by_release() -> None:
    on = date(2026, 3, 1)
    assert office_findings(c2r("ProPlus2019Retail,LanguagePack"), on) == [
        ("office:ProPlus2019Retail", Status.FAIL, "ended")
    ]
    assert office_findings(c2r("ProPlus2021Volume"), on) == [
        ("office:ProPlus2021Volume", Status.PASS, "supported")
    ]
    assert office_findings(c2r("ProPlus2021Volume"), date(2026, 10, 14)) == [
        ("office:ProPlus2021Volume", Status.FAIL, "ended")
    ]
    assert office_findings(c2r("ProPlus2024Volume,VisioPro2024Volume"), on) == [
        ("office:ProPlus2024Volume", Status.PASS, "supported"),
        ("office:VisioPro2024Volume", Status.PASS, "supported"),
    ]
    msi = {"c2r": None, "msi": ["{90160000-0012-0000-1000-0000000ff1ce}"], "error": None}
    assert office_findings(msi, on) == [
        ("office:{90160000-0012-0000-1000-0000000FF1CE}", Status.FAIL, "ended")
    ]
    # Other Office 2016 MSI components (a language pack, a C2R licence component) are no suite.
    other = {"c2r": None, "msi": ["{90160000-008F-0000-1000-0000000FF1CE}"], "error": None}
    assert office_findings(other, on) == [("office", Status.NOT_APPLICABLE, "office_absent")]


def test_msi_office_2013_2010_and_2007_are_dated_never_absent() -> None:
    """Product codes {BRMMmmmm-PPPP-LLLL-p000-D000000FF1CE} (Microsoft, "Description of the
    numbering scheme for product code GUIDs in Office 2013"; KB928516 for 2007): MM 15 is
    Office 2013, 14 Office 2010, 12 Office 2007; any language-neutral product of the
    Office family of those versions is software Microsoft no longer updates."""
    on = date(2026, 3, 1)
    codes = [
        "{90150000-0011-0000-1000-0000000FF1CE}",  # Office Professional Plus 2013, 64-bit
        "{90140000-001B-0000-0000-0000000FF1CE}",  # Word 2010, 32-bit
        "{91120000-0012-0000-0000-0000000FF1CE}",  # Office Standard 2007 (retail)
    ]
    msi = {"c2r": None, "msi": codes, "error": None}
    assert office_findings(msi, on) == [
        (f"office:{code}", Status.FAIL, "ended") for code in sorted(codes)
    ]
    # A language part (LLLL not 0000) belongs to a product already counted; the 2007
    # Primary Interop Assemblies (release 5, a redistributable) are no Office.
    parts = {
        "c2r": None,
        "msi": ["{90150000-0011-0411-1000-0000000FF1CE}", "{50120000-1105-0000-0000-0000000FF1CE}"],
        "error": None,
    }
    assert office_findings(parts, on) == [("office", Status.NOT_APPLICABLE, "office_absent")]


def test_microsoft_365_apps_and_unknown_ids_are_unknown_never_a_pass() -> None:
    on = date(2026, 3, 1)
    url = "http://officecdn.microsoft.com/pr/55336b82-a18d-4dd6-b5f6-9e5095c314a6"
    assert office_findings(c2r("O365ProPlusRetail", url), on) == [
        ("office:O365ProPlusRetail", Status.UNKNOWN, "office_m365")
    ]
    assert office_products(c2r("O365ProPlusRetail", url)) == seen(
        (
            OfficeProduct(
                product_id="O365ProPlusRetail",
                install="c2r",
                release="365",
                version="16.0.14332.20011",
                channel="monthly_enterprise",
                channel_url=url,
            ),
        )
    )
    assert office_findings(c2r("VisioProRetail"), on) == [
        ("office:VisioProRetail", Status.UNKNOWN, "office_ambiguous")
    ]
    assert office_findings(c2r("Word2030Retail"), on) == [
        ("office:Word2030Retail", Status.UNKNOWN, "office_unrecognised")
    ]


def test_office_unread_is_unknown_and_absent_is_not_applicable() -> None:
    on = date(2026, 3, 1)
    assert office_findings(None, on) == [("office", Status.UNKNOWN, "office_unknown")]
    view = {"c2r": None, "msi": [], "error": "registry_view"}
    assert office_findings(view, on) == [("office", Status.UNKNOWN, "office_unknown")]
    denied = {"c2r": None, "msi": [], "error": "-2147024891"}
    assert office_products(denied) == unknown(
        "os_support.reason.office_unreadable", hresult="-2147024891"
    )
    absent = {"c2r": None, "msi": [], "error": None}
    assert office_findings(absent, on) == [("office", Status.NOT_APPLICABLE, "office_absent")]
    # A Click-to-Run key that lists only languages holds no product.
    assert office_findings(c2r("LanguagePack"), on) == [
        ("office", Status.NOT_APPLICABLE, "office_absent")
    ]


def test_office_with_stale_or_missing_data_is_unknown(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert office_findings(c2r("ProPlus2021Volume"), date(2027, 12, 1)) == [
        ("office:ProPlus2021Volume", Status.UNKNOWN, "data_stale")
    ]
    shipped = (Path(data_module.__file__).parent / "data" / "support.toml").read_text(
        encoding="utf-8"
    )
    without = tmp_path / "no-office.toml"
    without.write_text(shipped.split("\n[office]\n")[0], encoding="utf-8")
    monkeypatch.setenv(data_module.DATA_ENV, str(without))
    assert office_findings(c2r("ProPlus2021Volume"), date(2026, 3, 1)) == [
        ("office:ProPlus2021Volume", Status.UNKNOWN, "not_in_data")
    ]


def test_office_data_is_endoflife_dates() -> None:
    data = data_module.support_data()
    office = {key: rel.eol for key, rel in data.office.items()}
    # endoflife.date products/office.md at commit 0107048: releaseCycle 2007, 2010, 2013 ...
    assert office == {
        "2007": date(2017, 10, 10),
        "2010": date(2020, 10, 13),
        "2013": date(2023, 4, 11),
        "2016": date(2025, 10, 14),
        "2019": date(2025, 10, 14),
        "2021": date(2026, 10, 13),
        "2021-ltsc": date(2026, 10, 13),
        "2024": date(2029, 10, 9),
        "2024-ltsc": date(2029, 10, 9),
    }


OFFICE_ID = st.sampled_from(
    ["O365ProPlusRetail", "ProPlus2019Volume", "ProPlus2021Volume", "ProPlusRetail",
     "VisioProRetail", "LanguagePack", "Word2030Retail"]
) | st.text(max_size=24)  # fmt: skip


@given(
    ids=st.lists(OFFICE_ID, max_size=5),
    url=st.text(max_size=60),
    msi=st.lists(
        st.sampled_from(
            ["{90160000-0011-0000-0000-0000000FF1CE}", "{90150000-0011-0000-1000-0000000FF1CE}"]
        )
        | st.text(max_size=40),
        max_size=3,
    ),
)
def test_any_office_answer_gives_a_finding_and_passes_only_a_dated_release(
    ids: list[str], url: str, msi: list[str]
) -> None:
    """Whatever the registry holds (it is the PC's, and may be hostile), parsing never
    fails, and only a product whose release the data dates can pass."""
    answer = {"c2r": {"ProductReleaseIds": ",".join(ids), "CDNBaseUrl": url}, "msi": msi}
    got = office_products({**answer, "error": None})
    assert isinstance(got, Seen)
    findings = office_findings({**answer, "error": None}, date(2026, 3, 1))
    assert findings
    by_id = {p.product_id: p for p in got.value}
    for resource, status, _ in findings:
        if status == Status.PASS:
            product = by_id[resource.removeprefix("office:")]
            assert product.release in ("2021", "2021-ltsc", "2024", "2024-ltsc")


@pytest.mark.parametrize(
    ("years", "on", "ends"),
    [
        ((1, 3), date(2026, 6, 1), "2026-10-13"),
        ((1, 2, 3), date(2026, 6, 1), "2028-10-10"),
        ((2, 3), date(2026, 12, 1), "2028-10-10"),
        ((1,), date(2026, 12, 1), "2026-10-13"),
    ],
)
def test_esu_support_ends_with_the_last_year_held_without_a_gap(
    years: tuple[int, ...], on: date, ends: str
) -> None:
    ctx = EvalContext(
        platform=PlatformInfo(family=OsFamily.WINDOWS),
        now=datetime(on.year, on.month, on.day, 9, tzinfo=UTC),
    )
    (outcome,) = OsSupport().evaluate(
        FactView({OsSupportFacts: windows("19045", 48, seen(years))}), OsSupportParams(), ctx
    )
    assert outcome.args["support_ends"] == ends


@pytest.mark.parametrize(
    "text",
    [
        # The shell (and systemd) take the last assignment, a first-match reader the
        # first: two different ends are no statement.
        "ID=fedora\nSUPPORT_END=2099-01-01\nSUPPORT_END=2024-05-14\n",
        "ID=fedora\nSUPPORT_END=2024-05-14\nSUPPORT_END='2099-01-01'\n",
        "ID=fedora\nSUPPORT_END=2024-05-14\nSUPPORT_END=not-a-date\n",
    ],
)
def test_support_end_stated_twice_differently_is_no_statement(text: str) -> None:
    assert support_end(text) is None
    fact = linux("fedora", "40", support_end(text))
    assert judge(fact, date(2026, 12, 1)) == (Status.UNKNOWN, "no_stated_end")


def test_support_end_stated_twice_alike_is_read() -> None:
    text = 'ID=fedora\nSUPPORT_END=2027-05-19\nSUPPORT_END="2027-05-19"\n'
    assert support_end(text) == date(2027, 5, 19)


@given(st.lists(st.dates().map(date.isoformat) | st.text(max_size=12), min_size=1, max_size=4))
def test_support_end_is_a_date_only_when_every_statement_agrees(values: list[str]) -> None:
    text = "".join(f"SUPPORT_END={v}\n" for v in values if "\n" not in v and "\r" not in v)
    got = support_end(text)
    if got is not None:
        assert all(got.isoformat() in line for line in text.splitlines())


@pytest.mark.parametrize(
    "text",
    [
        # A misspelt table would leave macOS 14 without its end: a pass for an ended release.
        '[macOS]\n"14" = { name = "macOS 14 Sonoma", eol = 2026-09-15 }\n',
        'macos = "14"\n',
    ],
)
def test_an_overrides_file_with_a_table_the_data_has_not_is_unusable(
    text: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    overrides = tmp_path / "over.toml"
    overrides.write_text(text, encoding="utf-8")
    monkeypatch.setenv(data_module.OVERRIDES_ENV, str(overrides))
    assert judge(linux("macos", "14"), date(2026, 12, 1)) == (Status.UNKNOWN, "data_unusable")


def test_an_overrides_file_ends_a_release(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert judge(linux("macos", "14"), date(2026, 12, 1)) == (Status.PASS, "supported_no_date")
    overrides = tmp_path / "over.toml"
    overrides.write_text('[macos]\n"14" = { name = "macOS 14 Sonoma", eol = 2026-09-15 }\n')
    monkeypatch.setenv(data_module.OVERRIDES_ENV, str(overrides))
    assert judge(linux("macos", "14"), date(2026, 12, 1)) == (Status.FAIL, "ended")


@given(
    st.sets(st.integers(-1, 5), max_size=5),
    st.dates(date(2025, 10, 15), date(2027, 2, 18)),  # after 22H2's end, data not stale
)
def test_windows_10_esu_passes_only_with_the_licence_of_todays_year(
    held: set[int], on: date
) -> None:
    years = data_module.support_data().windows["19045"].esu
    todays = next(int(y) for y, end in sorted(years.items()) if on <= end)
    status, _ = judge(windows("19045", 48, seen(tuple(sorted(held)))), on)
    assert (status == Status.PASS) is (todays in held)


def test_the_shipped_data_is_read_kept_and_a_bad_kept_copy_is_not_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from endpoint_audit.checks.os_support import support_data as sd

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    parsed = sd._shipped()
    kept_file = tmp_path / "xdg" / "endpoint-audit" / "os-support" / "shipped.json"
    assert kept_file.is_file()

    def refuse(path: object, what: str) -> dict[str, object]:
        raise AssertionError("parsed again")

    with monkeypatch.context() as m:
        m.setattr(sd, "_read", refuse)
        assert sd._shipped() == parsed
    kept = json.loads(kept_file.read_text(encoding="utf-8"))
    kept["data"]["dated"] = "2026-02-30"
    kept_file.write_text(json.dumps(kept), encoding="utf-8")
    assert sd._shipped() == parsed  # parsed again, and kept anew
    assert json.loads(kept_file.read_text(encoding="utf-8"))["data"]["dated"] != "2026-02-30"
