from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from endpoint_audit.checkkit.fact import Fact


class UserScreenLock(BaseModel):
    """The effective screen-lock settings of one graphical (console) user."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user: str
    desktop: str  # gnome, kde, windows, macos, other
    lock_enabled: bool | None = None
    idle_seconds: int | None = None  # 0 = never
    lock_delay_seconds: int | None = None  # time after blank/screensaver before the lock
    enforced_by_policy: bool | None = None  # set and locked by admin policy
    detail: str = ""
    unknown_reason: str | None = None


class ScreenLockFacts(Fact):
    name: ClassVar[str] = "screen_lock"

    # False: no graphical environment installed. None: could not tell.
    graphical: bool | None = None
    graphical_detail: str = ""
    users: tuple[UserScreenLock, ...] = ()
    # Machine-wide lock after idle (Windows InactivityTimeoutSecs); None if not set.
    machine_idle_seconds: int | None = None
    # Why there is no user entry (nobody logged on), so the user part is unknown.
    no_user_reason: str | None = None
