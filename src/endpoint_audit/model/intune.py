"""The rules file of an Intune custom compliance policy, as Microsoft documents it:
"Custom compliance JSON files for Microsoft Intune" (MicrosoftDocs/memdocs,
intune/device-security/compliance/create-custom-json.md, ms.date 08/15/2025).

A policy is `{"Rules": [...]}`, at most 100 KB and 100 rules. Each rule names a setting
the discovery script writes (SettingName, case-sensitive), an Operator, a DataType, the
Operand, a MoreInfoUrl, and RemediationStrings (at least one for en_US) shown in the
Company Portal, where `{ActualValue}` stands for the value discovered.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_POLICY_BYTES = 100 * 1024
MAX_RULES = 100
# The limits of create-custom-script.md for a Windows discovery script.
MAX_SCRIPT_BYTES = 1024 * 1024
MAX_OUTPUT_BYTES = 1024 * 1024
MAX_WINDOWS_SECONDS = 600

Operator = Literal[
    "IsEquals", "NotEquals", "GreaterThan", "GreaterEquals", "LessThan", "LessEquals"
]
DataType = Literal["Boolean", "Int64", "Double", "String", "DateTime", "Version"]
Language = Literal[
    "cs_CZ", "da_DK", "de_DE", "el_GR", "en_US", "es_ES", "fi_FI", "fr_FR", "hu_HU", "it_IT",
    "ja_JP", "ko_KR", "nb_NO", "nl_NL", "pl_PL", "pt_BR", "ro_RO", "ru_RU", "sv_SE", "tr_TR",
    "zh_CN", "zh_TW",
]  # fmt: skip


class RemediationString(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    language: Language = Field(alias="Language")
    title: str = Field(alias="Title")
    description: str = Field(alias="Description")


class IntuneRule(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    setting_name: str = Field(alias="SettingName")
    operator: Operator = Field(alias="Operator")
    data_type: DataType = Field(alias="DataType")
    operand: bool | int | float | str = Field(alias="Operand")
    more_info_url: str = Field(alias="MoreInfoUrl")
    remediation_strings: list[RemediationString] = Field(alias="RemediationStrings")


class IntunePolicy(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    rules: list[IntuneRule] = Field(alias="Rules")

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2) + "\n"


__all__ = [
    "MAX_OUTPUT_BYTES",
    "MAX_POLICY_BYTES",
    "MAX_RULES",
    "MAX_SCRIPT_BYTES",
    "MAX_WINDOWS_SECONDS",
    "DataType",
    "IntunePolicy",
    "IntuneRule",
    "Operator",
    "RemediationString",
]
