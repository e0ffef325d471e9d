"""The shipped table of Windows monthly cumulative updates and its loader."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from endpoint_audit.checks.patch_level.releases import (
    RELEASES_ENV,
    ReleaseKind,
    ReleaseTableError,
    parse_release_table,
    release_table,
    shipped_release_table,
)

TABLE = shipped_release_table()
CLIENT_BUILDS = {14393, 17763, 19044, 19045, 22000, 22621, 22631, 26100, 26200, 28000}


def small_table(**changes: object) -> str:
    data: dict[str, object] = {
        "format": "endpoint-audit-windows-releases",
        "version": 1,
        "as_of": "2024-12-01",
        "source": "test",
        "builds": {
            "22631": {
                "name": "Windows 11 23H2",
                "releases": [
                    {"date": "2024-10-08", "ubr": 4317, "kb": "KB5044285", "type": "monthly"},
                    {"date": "2024-11-12", "ubr": 4460, "kb": "KB5046633", "type": "monthly"},
                ],
            }
        },
    }
    data.update(changes)
    return yaml.safe_dump(data)


def test_shipped_table_is_dated_sourced_and_covers_the_client_builds() -> None:
    assert TABLE.as_of == date(2026, 8, 12)
    assert "support.microsoft.com" in TABLE.source
    assert set(TABLE.builds) == CLIENT_BUILDS
    assert TABLE.label == "windows-monthly-releases.yaml"


@pytest.mark.parametrize(
    ("build", "ubr", "kb", "day"),
    [
        # Values named in Microsoft's update history (KB article titles).
        (26100, 2314, "KB5046617", date(2024, 11, 12)),
        (22631, 4460, "KB5046633", date(2024, 11, 12)),
        (19045, 5131, "KB5046613", date(2024, 11, 12)),
        (19045, 4780, "KB5041580", date(2024, 8, 13)),
        (26100, 6584, "KB5065426", date(2025, 9, 9)),
        (26200, 6899, "KB5066835", date(2025, 10, 14)),
    ],
)
def test_known_monthly_releases(build: int, ubr: int, kb: str, day: date) -> None:
    release = TABLE.by_kb(build, kb)
    assert release is not None
    assert (release.ubr, release.date, release.type) == (ubr, day, ReleaseKind.MONTHLY)


def test_every_monthly_release_is_a_second_tuesday() -> None:
    for build, entry in TABLE.builds.items():
        for release in entry.releases:
            if release.type is ReleaseKind.MONTHLY:
                d = release.date
                assert d.weekday() == 1 and 8 <= d.day <= 14, (build, release)


def test_no_month_is_missing_between_a_builds_first_and_last_release() -> None:
    for build, entry in TABLE.builds.items():
        months = sorted({r.month for r in entry.releases if r.type is ReleaseKind.MONTHLY})
        index = [int(m[:4]) * 12 + int(m[5:]) for m in months]
        assert index == list(range(index[0], index[-1] + 1)), build


def test_level_is_the_newest_month_the_ubr_reaches() -> None:
    level = TABLE.level(22631, 4460)
    assert level is not None and level.month == "2024-11"
    preview = TABLE.level(19045, 5679)  # the March 2025 preview: still March
    assert preview is not None and preview.month == "2025-03"
    assert TABLE.level(22631, 1) is None
    assert TABLE.level(99999, 1) is None


def test_two_builds_of_one_update_start_the_month_at_the_lower() -> None:
    # April 2025: Microsoft lists 19045.5736 and 19045.5737 for KB5055518.
    low = TABLE.level(19045, 5736)
    assert low is not None and low.month == "2025-04"
    required = TABLE.required(19045, date(2025, 4, 30))
    assert required is not None and required.ubr == 5736


def test_hotpatch_counts_only_as_an_exact_match() -> None:
    # 26100.7781 is the hotpatch of February 2026 (KB5077212), below February's 7840.
    hot = TABLE.level(26100, 7781)
    assert hot is not None and hot.month == "2026-02"
    near = TABLE.level(26100, 7780)
    assert near is not None and near.month == "2026-01"
    # An unscheduled hotpatch belongs to the month before it.
    oob = TABLE.level(26100, 7982)
    assert oob is not None and oob.month == "2026-03"


def test_required_is_the_newest_monthly_release_by_the_cutoff() -> None:
    required = TABLE.required(22631, date(2024, 10, 21))
    assert required is not None and (required.ubr, required.kb) == (4317, "KB5044285")
    assert TABLE.required(22631, date(2023, 1, 1)) is None
    assert TABLE.newest_month(date(2024, 10, 21)) == "2024-10"


def test_replacement_file_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "releases.yaml"
    path.write_text(small_table(), encoding="utf-8")
    table = release_table({RELEASES_ENV: str(path)})
    assert table.label == str(path) and table.as_of == date(2024, 12, 1)
    assert release_table({}) is TABLE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[1, 2", "not valid YAML"),
        ("- 1\n", "expected a mapping"),
        (small_table(format="other"), "format is not"),
        (small_table(as_of="2024-11-01"), "after as_of"),
        (small_table(version=2), "version"),
        (small_table(builds={"22631": {"name": "x", "releases": []}}), "releases"),
        (
            small_table(
                builds={
                    "22631": {
                        "name": "x",
                        "releases": [
                            {
                                "date": "2024-10-08",
                                "ubr": 4460,
                                "kb": "KB1234567",
                                "type": "monthly",
                            },
                            {
                                "date": "2024-11-12",
                                "ubr": 4317,
                                "kb": "KB1234568",
                                "type": "monthly",
                            },
                        ],
                    }
                }
            ),
            "is not above",
        ),
        (
            small_table(
                builds={
                    "22631": {
                        "name": "x",
                        "releases": [
                            {"date": "2024-10-08", "ubr": 1, "kb": "5044285", "type": "monthly"}
                        ],
                    }
                }
            ),
            "kb",
        ),
    ],
)
def test_a_broken_table_is_one_line_naming_the_file(text: str, expected: str) -> None:
    with pytest.raises(ReleaseTableError) as caught:
        parse_release_table(text, "/srv/releases.yaml")
    message = str(caught.value)
    assert message.startswith("/srv/releases.yaml") and expected in message
    assert "\n" not in message


def test_a_missing_replacement_file_is_an_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ReleaseTableError, match=r"nope\.yaml"):
        release_table({RELEASES_ENV: str(missing)})


@given(st.text(max_size=300))
def test_any_text_is_a_table_or_a_release_table_error(text: str) -> None:
    try:
        parse_release_table(text, "x.yaml")
    except ReleaseTableError as exc:
        assert str(exc).startswith("x.yaml")
