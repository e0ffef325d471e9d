"""What the collectors see of the antivirus products on a host.

Windows: Microsoft Defender Antivirus (`Get-MpComputerStatus`), the antivirus products
registered with Windows Security Center (client editions only) and the Defender for
Endpoint onboarding state. macOS: XProtect and XProtect Remediator from the install
history and the XProtect bundle. Linux and macOS: the agents a baseline may require
(ClamAV, Microsoft Defender for Endpoint `mdatp`).
"""

from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from endpoint_audit.checkkit import Fact
from endpoint_audit.checkkit.security_center import EntryLiveness, ProductState
from endpoint_audit.model.observed import Observed, Reason


class DefenderStatus(BaseModel):
    """MSFT_MpComputerStatus, booleans and numbers only (dates as ISO 8601 UTC)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # "Normal" (active), "Passive Mode", "EDR Block Mode", "SxS Passive Mode": a value of
    # the WMI class, the same in every display language. None: not reported (old builds).
    running_mode: str | None = None
    service_enabled: bool | None = None  # AMServiceEnabled
    antivirus_enabled: bool | None = None  # AntivirusEnabled
    real_time: bool | None = None  # RealTimeProtectionEnabled
    signature_age_days: int | None = None  # AntivirusSignatureAge (Defender's own count)
    signature_updated: datetime | None = None  # AntivirusSignatureLastUpdated
    signature_version: str = ""
    signatures_out_of_date: bool | None = None  # DefenderSignaturesOutOfDate
    tamper_protected: bool | None = None  # IsTamperProtected


class RegisteredProduct(EntryLiveness):
    """An antivirus product registered with Windows Security Center, its productState
    decoded (windows.py says from which public analysis), and whether it is alive
    (`EntryLiveness`: Security Center keeps the entries of uninstalled or broken products)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    product_state: int | None = None
    state: ProductState | None = None  # None: a state this tool cannot decode
    up_to_date: bool | None = None
    microsoft: bool | None = None  # the product is Microsoft's own (Defender)

    @property
    def protecting(self) -> bool:
        """What productState claims: on and up to date (not proof that it runs)."""
        return self.state == "on" and self.up_to_date is True


class XProtectStatus(BaseModel):
    """XProtect as the install history and the bundle show it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # The newest XProtectPlistConfigData record of /Library/Receipts/InstallHistory.plist.
    history_version: str | None = None
    updated: datetime | None = None
    # The newest XProtectPayloads record (XProtect Remediator), evidence only.
    remediator_version: str | None = None
    remediator_updated: datetime | None = None
    # CFBundleShortVersionString of /Library/Apple/System/Library/CoreServices/
    # XProtect.bundle: the signatures Software Update installed (None: no such bundle).
    bundle_version: str | None = None
    # macOS 15 and later: that of /var/protected/xprotect/XProtect.bundle, the copy XProtect
    # uses when it exists (the one above is then only its source and fallback).
    protected_version: str | None = None
    uses_protected: bool = False

    @property
    def in_use(self) -> str | None:
        """The version of the signatures XProtect uses now."""
        return self.protected_version if self.uses_protected else self.bundle_version


class AgentStatus(BaseModel):
    """A third-party agent on Linux or macOS (ClamAV, mdatp)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    installed: bool
    real_time: bool | None = None
    # The agent's own count of minutes since its last signature update (mdatp), or the
    # time the signatures were written (ClamAV), judged against the audit time.
    signature_age_minutes: int | None = None
    signature_updated: datetime | None = None
    tamper_protected: bool | None = None  # None: the agent has no such setting or unread
    has_tamper_protection: bool = False
    # The agent's own verdict on itself (mdatp `healthy`); None: unread or no such field.
    healthy: bool | None = None
    has_health: bool = False
    # What was read: the agent's own field values, or a catalog reason (not installed).
    detail: Reason | str = ""


class AntivirusFacts(Fact):
    name: ClassVar[str] = "antivirus"

    # Windows only (None elsewhere).
    defender: Observed[DefenderStatus] | None = None
    products: Observed[tuple[RegisteredProduct, ...]] | None = None
    edr_onboarded: Observed[bool] | None = None  # Defender for Endpoint OnboardingState
    # macOS only.
    xprotect: Observed[XProtectStatus] | None = None
    # Linux and macOS: agent id (clamav, mdatp) -> what was seen.
    agents: dict[str, Observed[AgentStatus]] = Field(default_factory=dict)
