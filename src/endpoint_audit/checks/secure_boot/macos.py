"""secure_boot on macOS, by the Mac's security chip (no administrator needed):

- Apple silicon (`sysctl -i hw.optional.arm64` prints `hw.optional.arm64: 1`; the OID's
  name in the answer tells it from output that is not sysctl's; an Intel kernel without
  the OID prints nothing): the boot chain is always checked
  by the chip's Boot ROM and the Secure Enclave keeps keys; its level (Full, Reduced or
  Permissive, each checking signatures) is set in recoveryOS and read only by `bputil`
  there, so it is not judged.
- An Intel Mac with the T2 chip: the firmware sets the NVRAM variable
  94b73556-2197-4702-82a8-3e1337dafbfb:AppleSecureBootPolicy to %02 (Full Security),
  %01 (Medium Security) or %00 (No Security), which `nvram` prints as the variable name,
  a tab and the value.
- An Intel Mac without T2: no such variable, no Apple secure boot and no Secure Enclave.
"""

from __future__ import annotations

import re

from endpoint_audit.checkkit import Collector, Results, require
from endpoint_audit.checks.secure_boot.facts import (
    Firmware,
    SecureBootFacts,
    SecureBootState,
    TpmState,
)
from endpoint_audit.model.commands import Argv, CommandResult
from endpoint_audit.model.observed import Observed, Unknown, seen, unknown
from endpoint_audit.model.platform import OsFamily, PlatformInfo

POLICY_VARIABLE = "94b73556-2197-4702-82a8-3e1337dafbfb:AppleSecureBootPolicy"
ARM64 = Argv(("sysctl", "-i", "hw.optional.arm64"))
ARM64_LINE = re.compile(r"hw\.optional\.arm64\s*[:=]\s*([01])")
POLICY = Argv(("nvram", POLICY_VARIABLE))
REASON = "secure_boot.reason"
POLICIES: dict[str, SecureBootState] = {"%02": "on", "%01": "medium", "%00": "off"}
NOT_SET = 1  # nvram's exit status when the variable does not exist


def policy_of(result: CommandResult) -> tuple[Observed[Firmware], Observed[SecureBootState], str]:
    """A T2 Mac only when nvram names the variable and gives one of its three values:
    any other answer shows neither the chip nor its policy."""
    if result.ok:
        name, _, value = result.stdout.strip().partition("\t")
        value = value.strip()
        state = POLICIES.get(value)
        if name.strip().lower() != POLICY_VARIABLE.lower() or state is None:
            shown = result.stdout.strip()[:40] or "-"
            reason = unknown(f"{REASON}.mac_policy_unrecognised", value=shown)
            return reason, reason, f"AppleSecureBootPolicy={shown}"
        return seen("apple_t2"), seen(state), f"AppleSecureBootPolicy={value}"
    if result.exit_status == NOT_SET:
        return seen("apple_intel"), seen("off"), "no AppleSecureBootPolicy variable"
    reason = unknown(f"{REASON}.nvram_failed", output=result.excerpt(120))
    return reason, reason, "nvram failed"


class MacosSecureBoot(Collector[SecureBootFacts]):
    family = OsFamily.MACOS
    fact_type = SecureBootFacts
    asks = (ARM64, POLICY)

    def parse(self, results: Results, platform: PlatformInfo) -> SecureBootFacts:
        arm = require(results, ARM64)
        text = arm.stdout.strip()
        match = ARM64_LINE.fullmatch(text)
        if arm.ok and match and match.group(1) == "1":
            return SecureBootFacts(
                firmware=seen("apple_silicon"),
                secure_boot=seen("on"),
                secure_boot_detail="hw.optional.arm64: 1",
                tpm=seen(TpmState(kind="secure_enclave", present=True, detail="Apple silicon")),
                sources=(ARM64.key,),
            )
        if not arm.ok or (text and not match):
            reason = unknown(f"{REASON}.sysctl_failed", output=arm.excerpt(120))
            return SecureBootFacts(firmware=reason, secure_boot=reason, tpm=reason)
        firmware, state, detail = policy_of(require(results, POLICY))
        chip: Observed[TpmState]
        if firmware == seen("apple_t2"):
            chip = seen(TpmState(kind="secure_enclave", present=True, detail="Apple T2"))
        elif firmware == seen("apple_intel"):
            chip = seen(TpmState(kind="secure_enclave", present=False, detail=detail))
        else:
            chip = state if isinstance(state, Unknown) else unknown(f"{REASON}.not_read")
        return SecureBootFacts(
            firmware=firmware,
            secure_boot=state,
            secure_boot_detail=f"{text or 'no hw.optional.arm64'}; {detail}",
            tpm=chip,
            sources=(ARM64.key, POLICY.key),
        )
