"""The Windows screen-lock parser on arbitrary probe answers: a setting is Seen only
when the answer holds it, and each Unknown has a reason its catalogs can say."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.checks.screen_lock.windows import DEFAULT_GRACE_SECONDS, parse_screen_lock
from endpoint_audit.errors import CollectorError
from endpoint_audit.model import i18n
from endpoint_audit.model.observed import Seen, Unknown

NAMES = ("ScreenSaveActive", "ScreenSaverIsSecure", "ScreenSaveTimeOut", "SCRNSAVE.EXE")
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5000),
    st.text(max_size=8),
    st.sampled_from(["0", "1", "600", "-1", " 900 ", "x", "scrnsave.scr", ""]),
)
values = st.dictionaries(st.sampled_from(NAMES), scalars, max_size=4)
users = st.fixed_dictionaries(
    {},
    optional={
        "user": st.text(max_size=6),
        "sid": st.text(max_size=6),
        "read_error": st.one_of(st.none(), st.text(max_size=10)),
        "hive_loaded": st.one_of(st.none(), st.booleans()),
        "user_values": st.one_of(st.none(), values),
        "policy_values": st.one_of(st.none(), values),
    },
)
answers = st.fixed_dictionaries(
    {},
    optional={
        "inactivity_timeout_secs": scalars,
        "grace_period": scalars,
        "grace_period_redirected": st.one_of(st.none(), st.booleans()),
        "users": st.one_of(st.none(), st.lists(users, max_size=3), users),
    },
)


def _effective(entry: dict[str, Any]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for source in (entry.get("user_values"), entry.get("policy_values")):
        if isinstance(source, dict):
            merged.update({k: str(v) for k, v in source.items() if v is not None})
    return merged


@settings(max_examples=300, deadline=None)
@given(answers)
def test_a_setting_is_seen_only_when_the_answer_holds_it(value: dict[str, Any]) -> None:
    try:
        fact = parse_screen_lock(value)
    except CollectorError:
        return  # output not understood: an error, never a value
    raw_users = value.get("users")
    # A PowerShell collection: null is none, a lone item (unrolled) is one.
    entries = raw_users if isinstance(raw_users, list) else [] if raw_users is None else [raw_users]
    if not isinstance(fact.users, Seen):
        assert not entries
        return
    by_name = sorted(fact.users.value, key=lambda u: u.user)
    assert len(by_name) == len(entries)
    for user in by_name:
        for setting in (
            user.lock_enabled,
            user.idle_seconds,
            user.lock_delay_seconds,
            user.enforced_by_policy,
        ):
            if isinstance(setting, Unknown):
                key = setting.reason.key
                assert i18n.has(key) and i18n.t("en", key, **setting.reason.args) != key
        if isinstance(user.lock_delay_seconds, Seen):
            assert value.get("grace_period_redirected") is not True
            grace = value.get("grace_period")
            seen_grace = str(grace).strip() if grace is not None else ""
            assert (
                user.lock_delay_seconds.value == DEFAULT_GRACE_SECONDS
                or str(user.lock_delay_seconds.value) == seen_grace
            )
    # Every idle time seen is a ScreenSaveTimeOut some user's answer holds, never 0 or
    # Windows' own default taken for a missing value.
    timeouts = {v.strip() for e in entries for k, v in _effective(e).items() if k == NAMES[2]}
    for user in by_name:
        if isinstance(user.idle_seconds, Seen):
            assert str(user.idle_seconds.value) in timeouts
        if isinstance(user.lock_enabled, Seen) and user.lock_enabled.value:
            assert any(
                _effective(e).get("ScreenSaveActive") == "1"
                and _effective(e).get("ScreenSaverIsSecure") == "1"
                for e in entries
            )
