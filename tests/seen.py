"""Reading Observed fact values in tests: the value seen, or None when it was unknown."""

from __future__ import annotations

from typing import Any

from endpoint_audit.model.observed import Seen, Unknown


def v(observed: Any) -> Any:
    """The value of a Seen, None for an Unknown (which asserts can then compare)."""
    if isinstance(observed, Seen):
        return observed.value
    assert isinstance(observed, Unknown), observed
    return None


def why(observed: Any) -> str:
    """The English text of an Unknown's reason ("" for a Seen)."""
    from endpoint_audit.model import i18n

    if isinstance(observed, Unknown):
        return i18n.t("en", observed.reason.key, **observed.reason.args)
    return ""
