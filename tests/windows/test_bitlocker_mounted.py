"""Fixed volumes without a drive letter. Get-BitLockerVolume names a volume by its drive
letter, else by the DeviceID of Win32_EncryptableVolume (Microsoft's BitLocker.psm1,
Get-BitLockerVolume: `if ($_.DriveLetter) {...} else {... -MountPoint $_.DeviceId}`;
dsccommunity/xBitlocker issue #10: "mountpoint returned by Get-BitlockerVolume is
\\\\?\\Volume{<guid>}\\"). The GUID paths below are published ones: the example device id in
BitLocker.psm1's Get-Win32EncryptableVolumeInternal, and a letterless DriveType 3 volume of
a Win32_Volume listing (pastebin.com/HcJeR26R). The folder `C:\\Data\\` is an example
name, not a recording: no public capture of a folder-mounted volume was found."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.checks.disk_encryption.check import judge
from endpoint_audit.checks.disk_encryption.windows import MOUNTED_VOLUMES, parse_bitlocker
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.observed import Unknown
from endpoint_audit.model.result import Status
from tests.windows.probe_values import bitlocker, mounted_volume, vol

# BitLocker.psm1: "An example of a valid device id is: \\?\Volume{cb96dd9a-...}\"
DATA_ID = "\\\\?\\Volume{cb96dd9a-4f54-11e0-8d6c-806e6f6e6963}\\"
# pastebin.com/HcJeR26R: DriveLetter empty, DriveType 3, Name the same GUID path.
NO_FOLDER_ID = "\\\\?\\Volume{4293f4d0-c749-11e6-88bf-9fb7251967bc}\\"
FOLDER = "C:\\Data\\"
C_ON = vol("C:", 0, 1, 1)


def verdicts(value: dict[str, Any]) -> dict[str, tuple[Status, str]]:
    return {v.volume: judge(v)[:2] for v in parse_bitlocker(value).volumes}


def test_a_plain_fixed_volume_mounted_into_a_folder_fails() -> None:
    # Before, it was skipped as if it were a USB stick and the PC passed.
    value = bitlocker(
        [C_ON, vol(DATA_ID, 1, 0, 0, method=0, percent=0.0, protectors=())],
        fixed=["C:"],
        mounted=(mounted_volume(DATA_ID, FOLDER),),
    )
    assert verdicts(value) == {
        "C:": (Status.PASS, "encrypted"),
        FOLDER: (Status.FAIL, "not_encrypted"),
    }


def test_an_encrypted_fixed_volume_mounted_into_a_folder_passes() -> None:
    value = bitlocker(
        [C_ON, vol(DATA_ID, 1, 1, 1)], fixed=["C:"], mounted=(mounted_volume(DATA_ID, FOLDER),)
    )
    facts = parse_bitlocker(value)
    assert [(v.volume, v.kind) for v in facts.volumes] == [("C:", "os"), (FOLDER, "data")]
    assert verdicts(value)[FOLDER] == (Status.PASS, "encrypted")


def test_the_device_id_of_the_wmi_class_matches_too() -> None:
    # Win32_EncryptableVolume: DriveLetter NULL for a volume without a letter; the probe
    # adds its DeviceID ("use this to associate a volume with ... Win32_Volume").
    entry = {**vol("", 1, 0, 0, method=0), "device_id": DATA_ID.upper()}
    value = bitlocker(
        [C_ON, entry],
        fixed=["C:"],
        source="Win32_EncryptableVolume",
        mounted=(mounted_volume(DATA_ID, FOLDER),),
    )
    assert verdicts(value)[FOLDER] == (Status.FAIL, "not_encrypted")


def test_a_volume_with_no_folder_such_as_the_recovery_partition_is_not_judged() -> None:
    # A letterless volume named by its GUID path only, plain as the recovery partition is:
    # Win32_Volume cannot tell it from a data volume, judging it would fail every PC.
    value = bitlocker(
        [C_ON, vol(NO_FOLDER_ID, 1, 0, 0, method=0, protectors=())],
        fixed=["C:"],
        mounted=(mounted_volume(NO_FOLDER_ID, NO_FOLDER_ID),),
    )
    assert verdicts(value) == {"C:": (Status.PASS, "encrypted")}


def test_a_removable_volume_without_a_letter_is_not_judged() -> None:
    # Win32_Volume DriveType 2 is not listed; BitLocker still names it by its DeviceID.
    value = bitlocker([C_ON, vol(DATA_ID, 2, 0, 0, method=0)], fixed=["C:"], mounted=())
    assert verdicts(value) == {"C:": (Status.PASS, "encrypted")}


def test_a_folder_mounted_volume_bitlocker_does_not_list_is_unknown() -> None:
    value = bitlocker([C_ON], fixed=["C:"], mounted=(mounted_volume(DATA_ID, FOLDER),))
    (data,) = [v for v in parse_bitlocker(value).volumes if v.volume == FOLDER]
    assert judge(data)[0] is Status.UNKNOWN
    assert isinstance(data.encrypted, Unknown)
    assert data.encrypted.reason.key == "disk_encryption.reason.fixed_drive_unreported"


def test_win32_volume_unread_is_unknown_never_pass() -> None:
    failure = {"source": "Win32_Volume", "error": "Invalid class", "hresult": -2146233087}
    for value in (
        bitlocker([C_ON], fixed=["C:"], mounted=None, failures=(failure,)),
        bitlocker([C_ON], fixed=["C:"], mounted=None),
        bitlocker([C_ON], fixed=["C:"], mounted=(), failures=(failure,)),
    ):
        facts = parse_bitlocker(value)
        assert [v.volume for v in facts.volumes] == ["C:", MOUNTED_VOLUMES]
        unread = facts.volumes[-1].encrypted
        assert isinstance(unread, Unknown)
        assert unread.reason.key == "disk_encryption.reason.mounted_volumes_unlisted"
    assert "Win32_Volume: Invalid class" in unread.reason.args["output"]


def test_an_answer_of_the_probe_before_this_listing_is_read_as_before() -> None:
    value = bitlocker([C_ON], fixed=["C:"])
    del value["mounted_volumes"]
    assert verdicts(value) == {"C:": (Status.PASS, "encrypted")}


def test_a_japanese_folder_name_is_kept() -> None:
    folder = "C:\\共有データ\\"
    value = bitlocker(
        [C_ON, vol(DATA_ID, 1, 0, 0, method=0)],
        fixed=["C:"],
        mounted=(mounted_volume(DATA_ID, folder),),
    )
    assert verdicts(value)[folder] == (Status.FAIL, "not_encrypted")


def plain(mount: str, vtype: Any) -> dict[str, Any]:
    return {**vol(mount, 1, 0, 0, method=0, percent=0.0, protectors=()), "volume_type": vtype}


@settings(max_examples=400, deadline=None)
@given(
    mount=st.sampled_from([DATA_ID, DATA_ID.lower(), DATA_ID.rstrip("\\"), " " + DATA_ID]),
    vtype=st.sampled_from([1, 2, None, "1", 7]),
    by_device=st.booleans(),
    others=st.lists(
        st.sampled_from(
            [
                vol(NO_FOLDER_ID, 1, 1, 1),
                vol("D:", 1, 1, 1),
                vol(DATA_ID, 1, 1, 1),
                vol(DATA_ID, 0, 1, 1),
                {"mount": DATA_ID},
            ]
        ),
        max_size=3,
    ),
    listed_twice=st.booleans(),
)
def test_no_answer_makes_a_plain_folder_mounted_volume_pass(
    mount: str, vtype: Any, by_device: bool, others: list[dict[str, Any]], listed_twice: bool
) -> None:
    # Whatever else BitLocker says, the plain volume mounted at C:\Data\ is never seen
    # encrypted: the PC does not pass.
    entry = plain("", vtype) | {"device_id": mount} if by_device else plain(mount, vtype)
    mounted = [mounted_volume(DATA_ID, FOLDER)]
    if listed_twice:
        mounted.append(mounted_volume(DATA_ID.upper(), FOLDER))
    value = bitlocker([C_ON, entry, *others], fixed=["C:", "D:"], mounted=tuple(mounted))
    try:
        facts = parse_bitlocker(value)
    except CollectorError:  # an answer the parser refuses is an error, never a pass
        return
    judged = [judge(v)[0] for v in facts.volumes]
    assert judged and not all(s is Status.PASS for s in judged), value
