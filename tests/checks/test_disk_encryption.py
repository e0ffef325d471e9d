"""disk_encryption: every state the fact model allows, with status and message text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from endpoint_audit.checkkit.check import EvalContext, FactView, Outcome
from endpoint_audit.checks import builtin_packages
from endpoint_audit.checks.disk_encryption.check import DiskEncryption
from endpoint_audit.checks.disk_encryption.facts import DiskEncryptionFacts, VolumeEncryption
from endpoint_audit.engine.run import message_args
from endpoint_audit.model import i18n
from endpoint_audit.model.observed import seen, unknown
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import Severity, Status

CTX = EvalContext(
    platform=PlatformInfo(family=OsFamily.WINDOWS), now=datetime(2026, 3, 1, tzinfo=UTC)
)
LUKS_ROOT = VolumeEncryption(
    volume="/",
    kind="root",
    device="/dev/mapper/vg-root",
    encrypted=seen(True),
    method="LUKS",
    detail="/dev/nvme0n1p3 (part) -> /dev/mapper/luks (crypt) -> /dev/mapper/vg-root (lvm)",
)


def run(*volumes: VolumeEncryption, **params: Any) -> list[Outcome]:
    check = DiskEncryption()
    fact = DiskEncryptionFacts(volumes=volumes, sources=("lsblk",))
    return list(check.evaluate(FactView({DiskEncryptionFacts: fact}), check.Params(**params), CTX))


def message(outcome: Outcome, lang: str = "en") -> str:
    return i18n.t(lang, f"disk_encryption.msg.{outcome.key}", **message_args(outcome.args, lang))


def one(*volumes: VolumeEncryption, **params: Any) -> Outcome:
    (outcome,) = run(*volumes, **params)
    return outcome


def test_registered_with_catalog_texts_and_critical_default() -> None:
    assert DiskEncryption in [p.check for p in builtin_packages()]
    meta = DiskEncryption.meta
    assert meta.severity is Severity.CRITICAL
    assert set(meta.platforms) == {OsFamily.LINUX, OsFamily.MACOS, OsFamily.WINDOWS}
    for family in meta.platforms:
        for lang in ("en", "ja"):
            assert not meta.remediation[family][lang].startswith("disk_encryption.")
            assert not meta.reads[family][lang].startswith("disk_encryption.")
    assert meta.title["ja"] == "データを保持するすべての固定ボリュームが暗号化されている"


def test_luks_root_passes() -> None:
    outcome = one(LUKS_ROOT)
    assert outcome.status is Status.PASS
    assert outcome.resource == "/"
    assert message(outcome) == (
        "/ is encrypted (LUKS; /dev/nvme0n1p3 (part) -> /dev/mapper/luks (crypt) -> "
        "/dev/mapper/vg-root (lvm))."
    )
    assert message(outcome, "ja").startswith("/ は暗号化されています（LUKS、")


def test_bitlocker_fully_encrypted_with_protection_passes() -> None:
    vol = VolumeEncryption(
        volume="C:",
        kind="os",
        encrypted=seen(True),
        state="encrypted",
        protection_on=True,
        method="XTS-AES 128",
        percent=100,
    )
    outcome = one(vol)
    assert outcome.status is Status.PASS
    assert message(outcome) == "C: is encrypted (XTS-AES 128; -)."


def test_plain_volume_fails() -> None:
    vol = VolumeEncryption(
        volume="/", kind="root", device="/dev/vda", encrypted=seen(False), detail="/dev/vda (disk)"
    )
    outcome = one(vol)
    assert outcome.status is Status.FAIL
    assert message(outcome) == "/ is not encrypted (/dev/vda (disk))."
    assert message(outcome, "ja") == "/ は暗号化されていません（/dev/vda (disk)）。"


def test_decrypted_state_fails_even_if_encrypted_flag_says_otherwise() -> None:
    vol = VolumeEncryption(volume="D:", kind="fixed", encrypted=seen(True), state="decrypted")
    outcome = one(vol)
    assert outcome.status is Status.FAIL
    assert outcome.key == "not_encrypted"


def test_suspended_bitlocker_fails() -> None:
    vol = VolumeEncryption(
        volume="C:", kind="os", encrypted=seen(True), state="suspended", protection_on=False
    )
    outcome = one(vol)
    assert outcome.status is Status.FAIL
    assert message(outcome) == (
        "C: is encrypted but its protection is suspended, so the key is stored in the clear (-)."
    )


def test_protection_off_without_a_state_fails() -> None:
    vol = VolumeEncryption(volume="system", kind="os", encrypted=seen(True), protection_on=False)
    assert one(vol).status is Status.FAIL
    assert one(vol).key == "suspended"


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("encrypting", "C: is still being encrypted (42.5% done), so part of it is readable."),
        (
            "decrypting",
            "C: is being decrypted (reported progress: 42.5%), so its data is becoming readable.",
        ),
        ("paused", "Encryption of C: is paused (42.5% done), so part of it is readable."),
    ],
)
def test_conversion_states_fail_and_say_which(state: str, expected: str) -> None:
    vol = VolumeEncryption(
        volume="C:", kind="os", encrypted=seen(True), state=state, protection_on=True, percent=42.5
    )
    outcome = one(vol)
    assert outcome.status is Status.FAIL
    assert message(outcome) == expected


def test_encrypting_without_percentage() -> None:
    vol = VolumeEncryption(
        volume="system",
        kind="os",
        encrypted=unknown("disk_encryption.reason.no_volume_status"),
        state="encrypting",
    )
    outcome = one(vol)
    assert outcome.status is Status.FAIL
    assert message(outcome) == (
        "system is still being encrypted (? done), so part of it is readable."
    )


def test_unseen_volume_is_unknown_with_its_reason() -> None:
    vol = VolumeEncryption(
        volume="/",
        kind="root",
        encrypted=unknown("disk_encryption.reason.root_overlay"),
    )
    outcome = one(vol)
    assert outcome.status is Status.UNKNOWN
    assert message(outcome) == (
        "Whether / is encrypted could not be seen: root is an overlay file system "
        "(a container or live system); the disk under it cannot be seen from here."
    )
    japanese = message(outcome, "ja")
    assert "オーバーレイファイルシステム" in japanese and "overlay" not in japanese


def test_one_outcome_per_volume_and_boot_partitions_excluded_by_default() -> None:
    boot = VolumeEncryption(volume="/boot", kind="data", encrypted=seen(False))
    efi = VolumeEncryption(volume="/boot/efi", kind="data", encrypted=seen(False))
    swap = VolumeEncryption(volume="swap:/dev/sda5", kind="swap", encrypted=seen(False))
    outcomes = run(LUKS_ROOT, boot, efi, swap)
    assert [(o.resource, o.status) for o in outcomes] == [
        ("/", Status.PASS),
        ("swap:/dev/sda5", Status.FAIL),
    ]
    # An administrator can judge /boot too, and stop judging swap.
    outcomes = run(LUKS_ROOT, boot, swap, include_swap=False, exclude_volumes=[])
    assert [(o.resource, o.status) for o in outcomes] == [
        ("/", Status.PASS),
        ("/boot", Status.FAIL),
    ]


def test_exclusions_match_drive_letters_case_insensitively() -> None:
    data = VolumeEncryption(volume="D:", kind="fixed", encrypted=seen(False))
    outcomes = run(LUKS_ROOT, data, exclude_volumes=["d:"])
    assert [o.resource for o in outcomes] == ["/"]


def test_no_volumes_is_unknown_never_pass() -> None:
    outcome = one()
    assert outcome.status is Status.UNKNOWN
    assert message(outcome) == (
        "No volume was found to judge, so disk encryption cannot be confirmed."
    )


def test_everything_excluded_is_unknown_never_pass() -> None:
    boot = VolumeEncryption(volume="/boot", kind="data", encrypted=seen(True))
    outcome = one(boot)
    assert outcome.status is Status.UNKNOWN
    assert message(outcome) == (
        "Every volume found (/boot) is excluded by the baseline, so disk encryption "
        "cannot be confirmed."
    )


def test_params_are_strict() -> None:
    with pytest.raises(ValidationError):
        DiskEncryption.Params(include_swapp=False)  # type: ignore[call-arg]


def test_deferred_enablement_says_when_filevault_turns_on_in_each_language() -> None:
    vol = VolumeEncryption(
        volume="system",
        kind="os",
        encrypted=seen(False),
        state="decrypted",
        detail="FileVault=Off, DeferredEnablement=hanako",
        deferred_user="hanako",
    )
    outcome = one(vol)
    assert (outcome.status, outcome.key) == (Status.FAIL, "not_encrypted")
    assert "next logout or login" in message(outcome)
    japanese = message(outcome, "ja")
    assert "「hanako」" in japanese and "logout" not in japanese
    assert outcome.actual["deferred_user"] == "hanako"


def test_other_mounts_and_swap_files_are_said_in_each_language() -> None:
    root = LUKS_ROOT.model_copy(update={"also_mounted": ("/home",)})
    outcome = one(root)
    assert message(outcome).endswith("; also mounted at /home).")
    assert message(outcome, "ja").endswith("。/home にもマウントされています）。")
    assert outcome.actual["also_mounted"] == ["/home"]
    swap = VolumeEncryption(
        volume="swap:/swap.img",
        kind="swap",
        encrypted=seen(False),
        detail="/dev/sda (disk) -> /dev/sda1 (part)",
        swap_file_on="/",
    )
    (outcome,) = run(swap)
    assert message(outcome) == (
        "swap:/swap.img is not encrypted (file on /: /dev/sda (disk) -> /dev/sda1 (part))."
    )
    assert "/ 上のファイル" in message(outcome, "ja")


@pytest.mark.parametrize(
    ("why", "english", "japanese"),
    [
        ("null_cipher", "uses the null cipher (cipher_null)", "null 暗号（cipher_null）"),
        ("partly_plain", "is only partly encrypted", "一部しか暗号化されていません"),
    ],
)
def test_a_dm_crypt_mapping_that_leaves_data_plain_fails_saying_why(
    why: str, english: str, japanese: str
) -> None:
    vol = LUKS_ROOT.model_copy(update={"encrypted": seen(False), "method": None, "why_plain": why})
    outcome = one(vol)
    assert (outcome.status, outcome.key) == (Status.FAIL, why)
    assert english in message(outcome) and "/dev/mapper/luks (crypt)" in message(outcome)
    assert japanese in message(outcome, "ja")


def test_a_plain_mapping_fails_even_beside_a_contradicting_encrypted_flag() -> None:
    # The collector sets why_plain only with encrypted False; a fact that says both
    # (an edited bundle) is not protected, so it fails rather than passes.
    outcome = one(LUKS_ROOT.model_copy(update={"why_plain": "null_cipher"}))
    assert (outcome.status, outcome.key) == (Status.FAIL, "null_cipher")
    unseen = LUKS_ROOT.model_copy(
        update={"encrypted": unknown("disk_encryption.reason.dm_table_unrecorded")}
    )
    outcome = one(unseen)
    assert outcome.status is Status.UNKNOWN
    assert "no `dmsetup table`" in message(outcome)


@pytest.mark.parametrize(
    "name",
    [
        "/",
        "/home",
        "/home/",
        "C:",
        "c:\\",
        " C:/ ",
        "System",
        "OS volume",
        "fixed drives",
        # Stands for every folder-mounted volume when Win32_Volume was not read.
        "Folder-mounted volumes",
    ],
)
def test_the_system_and_the_users_data_cannot_be_excluded(name: str) -> None:
    # Left out, a PC would pass with its system drive or its users' files plain.
    with pytest.raises(ValidationError, match="holds the system or the users' data"):
        DiskEncryption.Params(exclude_volumes=["/boot", name])


@pytest.mark.parametrize("name", ["/boot", "/boot/efi", "D:", "/srv/cache", "swap:/dev/sda5"])
def test_other_volumes_can_be_excluded(name: str) -> None:
    assert DiskEncryption.Params(exclude_volumes=[name]).exclude_volumes == [name]


def test_the_os_volume_is_judged_by_whatever_name_it_was_excluded() -> None:
    # A volume without a drive letter is named by its GUID path: excluding that name
    # leaves a data volume out, never the one Windows runs from.
    guid = "\\\\?\\Volume{3f1b2c4d-0000-0000-0000-100000000000}\\"
    plain_os = VolumeEncryption(volume=guid, kind="os", encrypted=seen(False))
    outcomes = run(plain_os, exclude_volumes=[guid])
    assert [(o.resource, o.status) for o in outcomes] == [(guid, Status.FAIL)]
    plain_data = VolumeEncryption(volume=guid, kind="data", encrypted=seen(False))
    assert [o.resource for o in run(LUKS_ROOT, plain_data, exclude_volumes=[guid])] == ["/"]
