"""What the collectors see of the rules for new passwords and failed sign-ins."""

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from endpoint_audit.checkkit import Fact
from endpoint_audit.model.observed import Observed, Reason, unknown

NOT_READ = "password_policy.reason.not_read"


class Setting(BaseModel):
    """One number the OS enforces, and where it was read (data, the same in every
    language: the file and key, or the registry value; `∅` none there, `→ N` the default
    N in force, `↛ PAM` a value PAM does not use)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: int
    source: str
    # Set when the OS may enforce more than `value` (macOS policies that could not be
    # interpreted): a value that falls short is then unknown with this reason, not a fail.
    unsure: Reason | None = None


class PasswordPolicyFacts(Fact):
    name: ClassVar[str] = "password_policy"

    # The fewest characters a new password may have.
    min_length: Observed[Setting] = unknown(NOT_READ)
    # Failed sign-ins after which the account locks; 0 means it never locks.
    lockout_threshold: Observed[Setting] = unknown(NOT_READ)
    # How many character classes (lower, upper, digit, other) a new password must mix.
    char_classes: Observed[Setting] = unknown(NOT_READ)
    # Windows Hello PIN: the fewest characters a PIN may have. None where there is none.
    pin_min_length: Observed[Setting] | None = None
    # Windows: the PC is joined to a domain, whose own policy governs domain accounts.
    domain_joined: bool | None = None
