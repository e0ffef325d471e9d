"""The Windows reads beyond the registry as a baseline writes them: secpol, auditpol,
cim, service and optional_feature; names are normalised, kinds fit the operators, and
nothing a PowerShell literal or a WQL filter could misread gets through."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from endpoint_audit.model.platform import OsFamily
from endpoint_audit.model.rule import (
    ANY,
    NUMBER,
    TEXT,
    TEXTS,
    AuditpolRead,
    CimRead,
    Condition,
    OptionalFeatureRead,
    SecpolRead,
    ServiceRead,
)

LOGON = "{0CCE9215-69AE-11D9-BED3-505054503030}"


def condition(read: dict[str, Any], expect: dict[str, Any]) -> Condition:
    return Condition.model_validate({"read": read, "expect": expect})


def test_secpol_section_is_canonical_and_rights_are_texts() -> None:
    got = condition(
        {"secpol": "[privilege rights]", "key": "SeDenyNetworkLogonRight"},
        {"regex": r"^\*S-1-5-32-546$"},
    ).read
    assert isinstance(got, SecpolRead)
    assert (got.secpol, got.kind, got.rights) == ("Privilege Rights", TEXTS, True)
    access = SecpolRead(secpol="System Access", key="MinimumPasswordLength")
    assert access.kind == ANY and not access.rights
    registry_key = "MACHINE\\System\\CurrentControlSet\\Control\\Lsa\\LimitBlankPasswordUse"
    assert SecpolRead(secpol="Registry Values", key=registry_key).key == registry_key


@pytest.mark.parametrize("given_guid", [LOGON, LOGON.lower(), LOGON.strip("{}"), f" {LOGON} "])
def test_auditpol_guid_is_normalised(given_guid: str) -> None:
    read = AuditpolRead.model_validate({"auditpol": given_guid, "subcategory": "ログオン"})
    assert read.auditpol == LOGON and read.kind == NUMBER
    assert read.label() == f"auditpol {LOGON} (ログオン)"


def test_cim_selector_shapes() -> None:
    read = CimRead.model_validate(
        {
            "cim": "Win32_UserAccount",
            "property": "Disabled",
            "where": {"LocalAccount": True, "SID": {"ends_with": "-501"}},
        }
    )
    assert read.namespace == "root/cimv2"
    assert read.selectors["LocalAccount"].eq is True
    assert read.selectors["SID"].ends_with == "-501"
    assert (
        CimRead.model_validate(
            {
                "cim": "Win32_Tpm",
                "property": "IsEnabled_InitialValue",
                "namespace": "root\\CIMV2\\Security\\MicrosoftTpm",
            }
        ).namespace
        == "root/CIMV2/Security/MicrosoftTpm"
    )


@pytest.mark.parametrize(
    "read",
    [
        {"cim": "Win32_UserAccount;", "property": "Disabled"},
        {"cim": "Win32_UserAccount", "property": "Dis abled"},
        {"cim": "Win32_UserAccount", "property": "Disabled", "namespace": "root/../x"},
        {"cim": "Win32_UserAccount", "property": "Disabled", "where": {"Na me": 1}},
        {"cim": "Win32_UserAccount", "property": "Disabled", "where": {"SID": {"ends_with": "%"}}},
        {"cim": "Win32_UserAccount", "property": "Disabled", "where": {"SID": {}}},
        {
            "cim": "Win32_UserAccount",
            "property": "Disabled",
            "where": {"SID": {"eq": "a", "ends_with": "b"}},
        },
        {"service": "Spooler'", "property": "state"},
        {"service": "Spooler", "property": "status"},
        {"optional_feature": "SMB1Protocol; x"},
        {"secpol": "System Access", "key": "Minimum Password Length"},
        {"auditpol": "{0CCE9215-69AE-11D9-BED3-50505450303}"},
    ],
)
def test_refused(read: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        condition(read, {"present": True})


def test_service_and_feature_kinds() -> None:
    assert (
        ServiceRead.model_validate({"service": "Spooler", "property": "start_type"}).kind == NUMBER
    )
    assert ServiceRead.model_validate({"service": "Spooler", "property": "state"}).kind == TEXT
    feature = OptionalFeatureRead.model_validate({"optional_feature": "SMB1Protocol"})
    assert (feature.prop, feature.kind) == ("state", NUMBER)


@pytest.mark.parametrize(
    "read",
    [
        {"secpol": "System Access", "key": "EnableGuestAccount"},
        {"auditpol": LOGON},
        {"cim": "Win32_UserAccount", "property": "Disabled"},
        {"service": "Spooler", "property": "start_type"},
        {"optional_feature": "SMB1Protocol"},
    ],
)
def test_windows_reads_stay_under_windows(read: dict[str, Any]) -> None:
    assert condition(read, {"present": True}).families == frozenset({OsFamily.WINDOWS})


@given(st.text(max_size=40))
def test_accepted_selector_text_holds_nothing_wql_or_powershell_reads_specially(text: str) -> None:
    try:
        read = CimRead.model_validate(
            {
                "cim": "Win32_UserAccount",
                "property": "Disabled",
                "where": {"Name": text, "SID": {"ends_with": text or "x"}},
            }
        )
    except ValidationError:
        return
    for match in read.selectors.values():
        value = match.eq if match.ends_with is None else match.ends_with
        assert isinstance(value, str)
        assert not set(value) & set("'\"\\%_[]^$`;\n\r\x00")
