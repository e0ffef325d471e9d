"""BitLocker states that Get-BitLockerVolume reports without a plain number: locked data
volumes (no VolumeStatus), free-space wipes, unknown protection; no missing value may pass."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.checks.disk_encryption.check import judge
from endpoint_audit.checks.disk_encryption.windows import (
    WindowsBitLocker,
    parse_bitlocker,
    volume_from,
)
from endpoint_audit.model.observed import Unknown
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import Status
from tests.observed_view import seen_value
from tests.windows.conftest import results_of
from tests.windows.probe_values import bitlocker, vol

WINDOWS = PlatformInfo(family=OsFamily.WINDOWS, transport="replay")


def one(**over: Any) -> tuple[Status, str]:
    entry = vol("D:", 1, 1, 1)
    entry.update(over)
    volume = volume_from(entry)
    assert volume is not None
    status, key, _ = judge(volume)
    return status, key


def test_recorded_locked_data_volume_is_encrypted() -> None:
    facts = WindowsBitLocker().parse(results_of("win11-24h2-en-bitlocker-locked-data"), WINDOWS)
    c, d = facts.volumes
    assert (c.volume, c.state) == ("C:", "encrypted")
    assert (d.volume, d.kind, d.state, seen_value(d.encrypted), d.percent) == (
        "D:",
        "data",
        "locked",
        True,
        None,
    )
    assert "LockStatus=Locked" in d.detail and "ProtectionStatus=Unknown" in d.detail
    assert judge(d)[:2] == (Status.PASS, "locked")


@pytest.mark.parametrize(
    ("over", "expected"),
    [
        # Locked: no VolumeStatus (it used to arrive as [int]$null = 0 = decrypted).
        (
            {
                "volume_status": None,
                "volume_status_name": None,
                "protection_status": 2,
                "lock_status": 1,
            },
            (Status.PASS, "locked"),
        ),
        ({"volume_status": 1, "protection_status": 2, "lock_status": 1}, (Status.PASS, "locked")),
        # Locked but still converting: part of it is plain.
        (
            {
                "volume_status": 2,
                "volume_status_name": "EncryptionInProgress",
                "protection_status": 2,
                "lock_status": 1,
            },
            (Status.FAIL, "state_encrypting"),
        ),
        # No VolumeStatus on a volume that is not locked, or whose lock state is missing.
        (
            {"volume_status": None, "volume_status_name": None, "lock_status": 0},
            (Status.UNKNOWN, "unknown"),
        ),
        (
            {"volume_status": None, "volume_status_name": None, "lock_status": None},
            (Status.UNKNOWN, "unknown"),
        ),
        # Fully encrypted, protection unknown or missing: never a pass.
        ({"protection_status": 2}, (Status.UNKNOWN, "unknown")),
        ({"protection_status": None}, (Status.UNKNOWN, "unknown")),
        ({"protection_status": 0}, (Status.FAIL, "suspended")),
        # Get-BitLockerVolume's wipe states: fully encrypted while free space is wiped.
        (
            {"volume_status": 6, "volume_status_name": "FullyEncryptedWipeInProgress"},
            (Status.PASS, "encrypted"),
        ),
        (
            {"volume_status": 7, "volume_status_name": "FullyEncryptedWipeSuspended"},
            (Status.PASS, "encrypted"),
        ),
        (
            {
                "volume_status": 6,
                "volume_status_name": "FullyEncryptedWipeInProgress",
                "protection_status": 0,
            },
            (Status.FAIL, "suspended"),
        ),
        # Numbers without names (older recordings, the WMI fallback): 0-5 only.
        ({"volume_status": 6, "volume_status_name": None}, (Status.UNKNOWN, "unknown")),
        ({"volume_status": 4, "volume_status_name": None}, (Status.FAIL, "state_paused")),
        # The module's enum spells the paused states "Suspended".
        (
            {"volume_status": 4, "volume_status_name": "EncryptionSuspended"},
            (Status.FAIL, "state_paused"),
        ),
        (
            {"volume_status": 1, "volume_status_name": "SomeStateOfANewerWindows"},
            (Status.UNKNOWN, "unknown"),
        ),
    ],
)
def test_states(over: dict[str, Any], expected: tuple[Status, str]) -> None:
    assert one(**over) == expected


def test_wmi_fallback_without_lock_status_is_read_as_before() -> None:
    value = bitlocker([vol("C:", 0, 1, 1, lock=None)], source="Win32_EncryptableVolume")
    value["volumes"][0]["volume_status_name"] = None
    (c,) = parse_bitlocker(value).volumes
    assert (c.state, seen_value(c.encrypted)) == ("encrypted", True)


STATUS = st.one_of(st.none(), st.integers(-2, 9))
NAMES = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "FullyEncrypted",
            "FullyDecrypted",
            "EncryptionInProgress",
            "FullyEncryptedWipeInProgress",
            "EncryptionSuspended",
            "Unknown",
        ]
    ),
)


@settings(max_examples=300)
@given(
    status=STATUS,
    name=NAMES,
    protection=st.one_of(st.none(), st.integers(-1, 3)),
    lock=st.one_of(st.none(), st.integers(-1, 2)),
    percent=st.one_of(st.none(), st.floats(0, 100)),
)
def test_a_pass_needs_protection_on_or_a_locked_volume(
    status: int | None,
    name: str | None,
    protection: int | None,
    lock: int | None,
    percent: float | None,
) -> None:
    entry = vol("D:", 1, None, None)
    entry.update(
        volume_status=status,
        volume_status_name=name,
        protection_status=protection,
        lock_status=lock,
        percent=percent,
    )
    volume = volume_from(entry)
    assert volume is not None
    verdict, key, _ = judge(volume)
    encrypted_names = ("FullyEncrypted", "FullyEncryptedWipeInProgress")
    if verdict is Status.PASS:
        fully = name in encrypted_names or (name is None and status == 1)
        unread = name is None and status is None
        locked = lock == 1 and (fully or unread)
        assert (fully and protection == 1) or locked, (entry, key)


def test_an_answer_without_the_os_volume_is_unknown_never_pass() -> None:
    # Win32_LogicalDisk unread (no fixed drives to compare with) and BitLocker listing an
    # encrypted data volume only: the OS volume, which Windows always has, was not seen.
    value = bitlocker([vol("D:", 1, 1, 1)], fixed=[])
    facts = parse_bitlocker(value)
    verdicts = [judge(v)[:2] for v in facts.volumes]
    assert (Status.PASS, "encrypted") in verdicts
    assert (Status.UNKNOWN, "unknown") in verdicts
    (os_volume,) = [v for v in facts.volumes if v.kind == "os"]
    assert judge(os_volume)[0] is Status.UNKNOWN


def test_an_answer_with_the_os_volume_adds_nothing() -> None:
    value = bitlocker([vol("C:", 0, 1, 1), vol("D:", 1, 1, 1)], fixed=["C:", "D:"])
    assert [v.volume for v in parse_bitlocker(value).volumes] == ["C:", "D:"]


def test_fixed_drives_not_listed_are_unknown_never_pass() -> None:
    # Win32_LogicalDisk failed (the probe records why): every volume BitLocker lists is
    # encrypted, but a fixed drive it does not list (a file system it cannot encrypt)
    # would go unseen. Before, the PC passed.
    failure = {"source": "Win32_LogicalDisk", "error": "Invalid class", "hresult": -2146233087}
    value = bitlocker([vol("C:", 0, 1, 1), vol("D:", 1, 1, 1)], fixed=[], failures=(failure,))
    facts = parse_bitlocker(value)
    assert [v.volume for v in facts.volumes] == ["C:", "D:", "fixed drives"]
    verdict, _, _ = judge(facts.volumes[-1])
    assert verdict is Status.UNKNOWN
    encrypted = facts.volumes[-1].encrypted
    assert isinstance(encrypted, Unknown)
    assert encrypted.reason.key == "disk_encryption.reason.fixed_drives_unlisted"
    assert encrypted.reason.args["output"].startswith("Win32_LogicalDisk: Invalid class")


def test_a_fixed_drive_the_wmi_class_calls_portable_is_judged() -> None:
    # Win32_EncryptableVolume says VolumeType 2 (portable) for a USB hard disk that
    # Win32_LogicalDisk lists as a fixed disk (DriveType 3); Get-BitLockerVolume calls
    # the same drive a data volume, and it is judged. It may not drop out unseen.
    value = bitlocker(
        [vol("C:", 0, 1, 1), vol("E:", 2, 0, 0, method=0)],
        fixed=["C:", "E:"],
        source="Win32_EncryptableVolume",
    )
    volumes = {v.volume: judge(v)[:2] for v in parse_bitlocker(value).volumes}
    assert volumes == {"C:": (Status.PASS, "encrypted"), "E:": (Status.FAIL, "not_encrypted")}


def test_a_removable_drive_not_listed_as_fixed_is_still_left_out() -> None:
    value = bitlocker([vol("C:", 0, 1, 1), vol("F:", 2, 0, 0)], fixed=["C:"])
    assert [v.volume for v in parse_bitlocker(value).volumes] == ["C:"]
