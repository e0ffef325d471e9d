"""CheckData: a dated data file a check judges against (support periods, release
tables), which an administrator replaces offline with `endpoint-audit data update FILE`.

A check package declares its data files (`CheckPackage.data`); the `data` commands find
them through the registry and name no check, so a new check with data needs no change
outside its folder. Each one says how to read and validate a file, and where the data
now in use comes from.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from msgspec import Struct

from endpoint_audit.errors import EndpointAuditError, _WithReason
from endpoint_audit.model.observed import Reason


class DataFileError(_WithReason, EndpointAuditError):
    """A data file that cannot be read or is not data of its kind; the reason names the
    file and the problem as a message key."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(self._set_reason(reason))


class DataInfo(Struct, frozen=True):
    """What a data file says of itself."""

    dated: date  # when its facts were gathered
    source: str  # where they come from (and their licence)
    where: str  # the file it was read from ("shipped" for the packaged one)


class CheckData(Struct, frozen=True):
    name: str  # the kind, and the file's stem in the user's data folder (<name>.toml)
    # Reads and validates a file; DataFileError names the problem.
    read: Callable[[Path], DataInfo]
    # The data a scan now uses (an environment variable's file, the installed one, or
    # the shipped one); DataFileError when that is unusable.
    in_use: Callable[[], DataInfo]
    # Where `data update` installs a file: a scan reads it from there.
    installed: Callable[[], Path]
    # A scan judges with data older than this as unknown.
    stale_after_days: int
