from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from endpoint_audit.checkkit.fact import Fact
from endpoint_audit.model.observed import Observed, Unknown, seen


class UserScreenLock(BaseModel):
    """The effective screen-lock settings of one graphical (console) user. A setting that
    could not be read is Unknown with the reason, never a default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user: str
    desktop: str  # gnome, kde, windows, macos, other
    lock_enabled: Observed[bool]
    idle_seconds: Observed[int]  # 0 = never
    lock_delay_seconds: Observed[int]  # time after blank/screensaver before the lock
    enforced_by_policy: Observed[bool]  # set and locked by admin policy
    # The desktop refuses to lock whatever its lock setting says (GNOME:
    # org.gnome.desktop.lockdown disable-lock-screen true); lock_enabled is then off.
    lock_screen_disabled: bool = False
    detail: str = ""

    @classmethod
    def unread(cls, user: str, desktop: str, why: Unknown, detail: str = "") -> "UserScreenLock":
        """A user whose settings could not be read at all."""
        return cls(
            user=user,
            desktop=desktop,
            lock_enabled=why,
            idle_seconds=why,
            lock_delay_seconds=why,
            enforced_by_policy=why,
            detail=detail,
        )


class ScreenLockFacts(Fact):
    name: ClassVar[str] = "screen_lock"

    # Seen(False): no graphical environment installed.
    graphical: Observed[bool]
    graphical_detail: str = ""  # what showed it ("/usr/bin/gnome-shell"; ∅: nothing)
    # Unknown: no user entry could be made (nobody logged on, sessions not listed).
    users: Observed[tuple[UserScreenLock, ...]] = Field(default=seen(()), validate_default=True)
    # Machine-wide lock after idle (Windows InactivityTimeoutSecs); None: not set.
    machine_idle_seconds: int | None = None
