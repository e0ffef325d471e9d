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
