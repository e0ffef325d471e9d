"""Exception hierarchy. Library code raises these; only the CLI turns them into exits."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports this module before anything heavy (pydantic)
    from endpoint_audit.model.observed import Reason


class EndpointAuditError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(EndpointAuditError):
    """A baseline, waiver file, inventory or flag is wrong. Exit code 2.

    The message is one line that names the file and line where one is known.
    """


class TransportError(EndpointAuditError):
    """A host could not be reached or a session broke. The host becomes unreachable."""


def english(reason: str | Reason) -> str:
    """A reason as one English line (logs, bundles, `str()` of an error)."""
    if isinstance(reason, str):
        return reason
    from endpoint_audit.model import i18n  # the catalogs load on first use only

    return i18n.t("en", reason.key, **reason.args)


class _WithReason:
    """An error that says why as a Reason (message key with arguments), which reports
    render in their own language. A plain string is an English sentence of older code."""

    reason: str | Reason

    def _set_reason(self, reason: str | Reason) -> str:
        self.reason = reason
        return english(reason)


class ReplayMissError(_WithReason, TransportError):
    """A replayed transcript holds no record of a command that was asked for."""

    def __init__(self, reason: str | Reason) -> None:
        super().__init__(self._set_reason(reason))


class CollectorError(_WithReason, EndpointAuditError):
    """A probe's output could not be understood. Checks that need the fact say `error`."""

    def __init__(self, reason: str | Reason) -> None:
        super().__init__(self._set_reason(reason))


class FactUnavailable(_WithReason, EndpointAuditError):
    """A probe could not see enough evidence. Checks that need the fact say `unknown`."""

    def __init__(
        self,
        reason: str | Reason,
        *,
        needs_privilege: str | Reason | None = None,
        language_mode: str | None = None,
    ) -> None:
        super().__init__(self._set_reason(reason))
        self.needs_privilege = needs_privilege
        # The PowerShell language mode (ConstrainedLanguage) that refused the probe.
        self.language_mode = language_mode
