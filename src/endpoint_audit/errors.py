"""Exception hierarchy. Library code raises these; only the CLI turns them into exits."""

from __future__ import annotations


class EndpointAuditError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(EndpointAuditError):
    """A baseline, waiver file, inventory or flag is wrong. Exit code 2.

    The message is one line that names the file and line where one is known.
    """


class TransportError(EndpointAuditError):
    """A host could not be reached or a session broke. The host becomes unreachable."""


class ReplayMissError(TransportError):
    """A replayed transcript holds no record of a command that was asked for."""


class CollectorError(EndpointAuditError):
    """A probe's output could not be understood. Checks that need the fact say `error`."""


class FactUnavailable(EndpointAuditError):
    """A probe could not see enough evidence. Checks that need the fact say `unknown`."""

    def __init__(
        self,
        reason: str,
        *,
        needs_privilege: str | None = None,
        language_mode: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.needs_privilege = needs_privilege
        # The PowerShell language mode (ConstrainedLanguage) that refused the probe.
        self.language_mode = language_mode
