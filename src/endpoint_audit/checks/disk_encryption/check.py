"""disk_encryption: every fixed volume that holds data is encrypted, with protection on."""

from collections.abc import Iterable
from typing import Annotated

from pydantic import AfterValidator, Field

from endpoint_audit.checkkit.check import (
    Check,
    CheckMeta,
    CheckParams,
    EvalContext,
    FactView,
    Outcome,
)
from endpoint_audit.checks.disk_encryption.facts import DiskEncryptionFacts, VolumeEncryption
from endpoint_audit.model.observed import Reason, Seen, Unknown
from endpoint_audit.model.result import JsonScalar, Status

# Linux boot partitions hold the kernel and boot loader, which must stay readable before
# the disk is unlocked; full-disk encryption setups leave them plain by design.
DEFAULT_EXCLUDED = ["/boot", "/boot/efi", "/efi"]
REASON = "disk_encryption.reason"
# A conversion under way or halted: the volume is partly plain.
IN_PROGRESS = ("encrypting", "decrypting", "paused")


# The volumes that hold the system and the users' data, as reports name them: left out,
# a PC would pass with them plain. Windows: the system drive (C:) and the names the
# check gives volumes it could not read (windows.py OS_VOLUME, FIXED_DRIVES,
# MOUNTED_VOLUMES); macOS: the FileVault volume; Linux: / and /home.
NEVER_EXCLUDED = (
    "/",
    "/home",
    "c:",
    "system",
    "os volume",
    "fixed drives",
    "folder-mounted volumes",
)
# The kinds of volume judged whatever `exclude_volumes` says, by whatever name.
SYSTEM_KINDS = ("os", "root")


def _not_the_system(name: str) -> str:
    if _normalise(name) in NEVER_EXCLUDED:
        raise ValueError(
            f"{name!r} holds the system or the users' data, and a PC would pass with it "
            "plain; exclude only volumes that hold no data at rest (the Linux boot "
            "partitions /boot and /boot/efi), or turn the check off with enabled: false"
        )
    return name


class DiskEncryptionParams(CheckParams):
    include_swap: bool = True
    exclude_volumes: list[Annotated[str, AfterValidator(_not_the_system)]] = Field(
        default_factory=lambda: list(DEFAULT_EXCLUDED)
    )


def _normalise(name: str) -> str:
    text = name.strip().lower()
    return text if text in ("/", "") else text.rstrip("/\\")


def _actual(vol: VolumeEncryption) -> dict[str, object]:
    # Data only: why a value is unknown is the message's reason, rendered per language.
    actual: dict[str, object] = {
        "encrypted": vol.encrypted.value if isinstance(vol.encrypted, Seen) else None,
        "state": vol.state,
        "protection_on": vol.protection_on,
        "method": vol.method,
        "percent": vol.percent,
        "device": vol.device,
        "kind": vol.kind,
        "detail": vol.detail,
    }
    if vol.deferred_user is not None:
        actual["deferred_user"] = vol.deferred_user
    if vol.also_mounted:
        actual["also_mounted"] = list(vol.also_mounted)
    if vol.swap_file_on is not None:
        actual["swap_file_on"] = vol.swap_file_on
    return actual


def _detail(vol: VolumeEncryption) -> JsonScalar | Reason:
    """The evidence line, with what the collector adds to it said in the report's language."""
    detail = vol.detail or "-"
    if vol.swap_file_on is not None:
        return Reason(
            key=f"{REASON}.detail_swap_file",
            args={"detail": detail, "mountpoint": vol.swap_file_on},
        )
    if vol.also_mounted:
        return Reason(
            key=f"{REASON}.detail_also_mounted",
            args={"detail": detail, "mounts": ", ".join(vol.also_mounted)},
        )
    return detail


def judge(vol: VolumeEncryption) -> tuple[Status, str, dict[str, JsonScalar | Reason]]:
    """Status, message key and arguments for one volume. Pass needs positive evidence."""
    encrypted = vol.encrypted.value if isinstance(vol.encrypted, Seen) else None
    args: dict[str, JsonScalar | Reason] = {
        "volume": vol.volume,
        "device": vol.device or "?",
        "method": vol.method or "?",
        "detail": _detail(vol),
    }
    if vol.state in IN_PROGRESS:
        pct = f"{vol.percent:g}%" if vol.percent is not None else "?"
        return Status.FAIL, f"state_{vol.state}", {**args, "percent": pct}
    if vol.state == "restart_pending":
        return Status.FAIL, "restart_pending", args
    if vol.state == "suspended" or (encrypted is True and vol.protection_on is False):
        return Status.FAIL, "suspended", args
    if vol.deferred_user is not None:
        # Said in the report's language: why FileVault is off now, and when it turns on.
        args["detail"] = Reason(
            key=f"{REASON}.deferred_enablement",
            args={"detail": vol.detail or "-", "user": vol.deferred_user or "?"},
        )
    if vol.why_plain is not None:
        # A mapping seen to leave data plain fails whatever else the fact says.
        return Status.FAIL, vol.why_plain, args
    if encrypted is False or vol.state == "decrypted":
        return Status.FAIL, "not_encrypted", args
    if isinstance(vol.encrypted, Unknown):
        return Status.UNKNOWN, "unknown", {**args, "reason": vol.encrypted.reason}
    if vol.state == "locked":
        return Status.PASS, "locked", args
    return Status.PASS, "encrypted", args


class DiskEncryption(Check):
    meta = CheckMeta.from_package("disk_encryption", __package__)
    Params = DiskEncryptionParams
    requires = (DiskEncryptionFacts,)

    def evaluate(
        self, facts: FactView, params: DiskEncryptionParams, ctx: EvalContext
    ) -> Iterable[Outcome]:
        fact = facts.get(DiskEncryptionFacts)
        if not fact.volumes:
            yield Outcome(status=Status.UNKNOWN, key="no_volumes", expected="encrypted")
            return
        excluded = {_normalise(v) for v in params.exclude_volumes}
        judged = 0
        for vol in fact.volumes:
            # The system volume is judged by whatever name it was excluded (C:\, a GUID).
            if _normalise(vol.volume) in excluded and vol.kind not in SYSTEM_KINDS:
                continue
            if vol.kind == "swap" and not params.include_swap:
                continue
            judged += 1
            status, key, args = judge(vol)
            yield Outcome(
                status=status,
                key=key,
                args=args,
                resource=vol.volume,
                expected={"encrypted": True, "protection_on": True},
                actual=_actual(vol),
            )
        if judged == 0:
            yield Outcome(
                status=Status.UNKNOWN,
                key="none_judged",
                args={"volumes": ", ".join(v.volume for v in fact.volumes)},
                expected="encrypted",
                actual=[v.volume for v in fact.volumes],
            )
