"""secure_boot: the PC starts with UEFI Secure Boot on and has a TPM that is ready; on
Windows, the 2023 Secure Boot certificates have replaced the 2011 ones, which expire from
June 2026. Three findings, one per resource, each judged on what was seen: a value the
probe could not read is unknown with its reason, never a pass. Pure: it reads facts only.
"""

from collections.abc import Iterable

from pydantic import Field

from endpoint_audit.checkkit import (
    Check,
    CheckMeta,
    CheckParams,
    EvalContext,
    FactView,
    Outcome,
)
from endpoint_audit.checks.secure_boot.facts import (
    CertificateUpdate,
    SecureBootFacts,
    TpmState,
)
from endpoint_audit.model.observed import Observed, Seen, Unknown, seen_or_none
from endpoint_audit.model.platform import OsFamily
from endpoint_audit.model.result import JsonScalar, Status

SECURE_BOOT = "secure_boot"
TPM = "tpm"
CERTIFICATES = "uefi_ca_2023"
UPDATED = "Updated"
KNOWN_PENDING = {"NotStarted": "ca2023_not_started", "InProgress": "ca2023_in_progress"}


class SecureBootParams(CheckParams):
    # The lowest TPM specification version that passes (Windows 11 needs 2.0).
    min_tpm_version: int = Field(2, ge=1, le=2)
    # A T2 Mac in Medium Security, or Apple silicon in Reduced Security (SecureBootLevel
    # medium), still checks signatures but starts any older signed macOS.
    allow_medium_security: bool = False
    # Judge the update to the 2023 Secure Boot certificates (Windows).
    certificate_update: bool = True


class SecureBoot(Check):
    meta = CheckMeta.from_package("secure_boot", __package__)
    Params = SecureBootParams
    requires = (SecureBootFacts,)

    def evaluate(
        self, facts: FactView, params: SecureBootParams, ctx: EvalContext
    ) -> Iterable[Outcome]:
        fact = facts.get(SecureBootFacts)
        yield self._secure_boot(fact, params)
        yield self._tpm(fact.tpm, params, ctx.platform.family)
        if fact.certificates is not None and params.certificate_update:
            yield self._certificates(fact, fact.certificates)

    def _secure_boot(self, fact: SecureBootFacts, params: SecureBootParams) -> Outcome:
        firmware = seen_or_none(fact.firmware)
        detail = fact.secure_boot_detail or "-"
        actual = {
            "firmware": firmware,
            "secure_boot": seen_or_none(fact.secure_boot),
            "detail": detail,
        }

        def outcome(status: Status, key: str, **args: JsonScalar) -> Outcome:
            return Outcome(
                status=status,
                key=key,
                args={"detail": detail, **args},
                resource=SECURE_BOOT,
                expected={"secure_boot": "on"},
                actual=actual,
            )

        # Legacy BIOS cannot check signatures at all, whatever else was read.
        if firmware == "legacy":
            return outcome(Status.FAIL, "legacy_boot")
        if firmware == "apple_intel":
            return outcome(Status.FAIL, "no_apple_secure_boot")
        state = fact.secure_boot
        if isinstance(state, Seen) and state.value != "off" and isinstance(fact.firmware, Unknown):
            # A legacy BIOS start fails whatever Secure Boot value was read, so "on" needs
            # the firmware seen too; "off" fails either way.
            state = fact.firmware
        if isinstance(state, Unknown):
            return Outcome(
                status=Status.UNKNOWN,
                key="secure_boot_unknown",
                args={"reason": state.reason},
                resource=SECURE_BOOT,
                expected={"secure_boot": "on"},
                actual=actual,
            )
        if state.value == "on":
            key = "apple_silicon" if firmware == "apple_silicon" else "secure_boot_on"
            return outcome(Status.PASS, key)
        # Apple silicon names its middle level Reduced Security; T2 Macs, Medium Security.
        silicon = firmware == "apple_silicon"
        if state.value == "medium":
            if params.allow_medium_security:
                return outcome(
                    Status.PASS,
                    "reduced_security_allowed" if silicon else "medium_security_allowed",
                )
            return outcome(Status.FAIL, "reduced_security" if silicon else "medium_security")
        return outcome(Status.FAIL, "apple_silicon_level_off" if silicon else "secure_boot_off")

    def _tpm(
        self, observed: Observed[TpmState], params: SecureBootParams, family: OsFamily
    ) -> Outcome:
        expected = {"present": True, "min_version": params.min_tpm_version, "ready": True}
        if isinstance(observed, Unknown):
            return Outcome(
                status=Status.UNKNOWN,
                key="tpm_unknown",
                args={"reason": observed.reason},
                resource=TPM,
                expected=expected,
            )
        tpm = observed.value
        actual = tpm.model_dump()

        def outcome(status: Status, key: str, **args: JsonScalar) -> Outcome:
            return Outcome(
                status=status,
                key=key,
                args={"detail": tpm.detail or "-", **args},
                resource=TPM,
                expected=expected,
                actual=actual,
            )

        if not tpm.present:
            return outcome(Status.FAIL, "no_secure_enclave" if tpm.kind != "tpm" else "no_tpm")
        if tpm.kind == "secure_enclave":
            return outcome(Status.PASS, "secure_enclave")
        if tpm.version is None:
            return outcome(Status.UNKNOWN, "tpm_version_unknown")
        if tpm.version < params.min_tpm_version:
            return outcome(
                Status.FAIL, "tpm_too_old", version=tpm.version, minimum=params.min_tpm_version
            )
        flags = {"enabled": tpm.enabled, "activated": tpm.activated, "owned": tpm.owned}
        off = [name for name, value in flags.items() if value is False]
        if tpm.ready is False:
            off.append("ready")
        if off:
            return outcome(Status.FAIL, "tpm_not_ready", states=", ".join(off))
        missing = [name for name, value in flags.items() if value is None]
        if len(missing) == len(flags) and family is OsFamily.LINUX:
            # Linux says no more than that the kernel registered the device, which it
            # does only after the TPM answered its start-up and self test. Windows says
            # more through Win32_Tpm: none of it read there is unknown, never a pass.
            return outcome(Status.PASS, "tpm_registered", version=tpm.version)
        if missing:
            return outcome(Status.UNKNOWN, "tpm_state_missing", states=", ".join(missing))
        return outcome(Status.PASS, "tpm_ready", version=tpm.version)

    def _certificates(
        self, fact: SecureBootFacts, observed: Observed[CertificateUpdate]
    ) -> Outcome:
        expected = {"UEFICA2023Status": UPDATED, "UEFICA2023Error": None}
        if seen_or_none(fact.firmware) == "legacy":
            return Outcome(
                status=Status.NOT_APPLICABLE,
                key="ca2023_legacy",
                resource=CERTIFICATES,
                expected=expected,
            )
        if isinstance(observed, Unknown):
            return Outcome(
                status=Status.UNKNOWN,
                key="ca2023_unknown",
                args={"reason": observed.reason},
                resource=CERTIFICATES,
                expected=expected,
            )
        update = observed.value
        actual = update.model_dump()
        status = update.status or "-"
        updates = update.available_updates
        args: dict[str, JsonScalar] = {
            "status": status[:40],
            "capable": "-" if update.capable is None else update.capable,
            "updates": "-" if updates is None else f"0x{updates:X}",
        }

        def outcome(result: Status, key: str, **more: JsonScalar) -> Outcome:
            return Outcome(
                status=result,
                key=key,
                args={**args, **more},
                resource=CERTIFICATES,
                expected=expected,
                actual=actual,
            )

        if update.error not in (None, 0):
            code = (update.error or 0) & 0xFFFFFFFF
            return outcome(Status.FAIL, "ca2023_error", error=f"0x{code:08X}")
        if update.status == UPDATED:
            return outcome(Status.PASS, "ca2023_updated")
        if update.status in KNOWN_PENDING:
            return outcome(Status.FAIL, KNOWN_PENDING[update.status])
        if update.status is None:
            return outcome(Status.UNKNOWN, "ca2023_no_status")
        return outcome(Status.UNKNOWN, "ca2023_unrecognised")
