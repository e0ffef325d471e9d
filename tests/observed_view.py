"""Reading Observed values in tests: the value or None, and the reason as a sentence."""

from __future__ import annotations

from typing import Any

from endpoint_audit.model import i18n
from endpoint_audit.model.observed import Observed, Reason, Seen


def seen_value(obs: Observed[Any]) -> Any:
    """The value seen, or None when unknown (tests only: checks must narrow to Seen)."""
    return obs.value if isinstance(obs, Seen) else None


def reason_text(obs: Observed[Any], lang: str = "en") -> str | None:
    """Why `obs` is unknown, rendered in `lang`; None when it was seen."""
    if isinstance(obs, Seen):
        return None
    return i18n.t(lang, obs.reason.key, **obs.reason.args)


def reason_key(obs: Observed[Any]) -> str | None:
    return None if isinstance(obs, Seen) else obs.reason.key


def detail_text(detail: Reason | str | None, lang: str = "en") -> str | None:
    """A detail that is a catalog text rendered in `lang`; names and values as they are."""
    if isinstance(detail, Reason):
        return i18n.t(lang, detail.key, **detail.args)
    return detail
