"""secure_boot on macOS, by the Mac's security chip:

- Apple silicon (`sysctl -i hw.optional.arm64` prints `hw.optional.arm64: 1`; the OID's
  name in the answer tells it from output that is not sysctl's; an Intel kernel without
  the OID prints nothing): the boot chain is always checked by the chip's Boot ROM and
  the Secure Enclave keeps keys; the startup security level is read from the
  SecurityInfo dictionary `mdmclient QuerySecurityInfo` prints (as root): the key
  SecureBootLevel is `full`, `medium` (Reduced Security) or `off` in Apple's
  DeviceManagement schema. Only one exact `SecureBootLevel = <value>;` line is read.
- An Intel Mac with the T2 chip: the firmware sets the NVRAM variable
  94b73556-2197-4702-82a8-3e1337dafbfb:AppleSecureBootPolicy to %02 (Full Security),
  %01 (Medium Security) or %00 (No Security), which `nvram` prints as the variable name,
  a tab and the value.
- An Intel Mac without T2: no such variable, no Apple secure boot and no Secure Enclave.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from endpoint_audit.checkkit import Collector, Results, require
from endpoint_audit.checks.secure_boot.facts import (
    Firmware,
    SecureBootFacts,
    SecureBootState,
    TpmState,
)
from endpoint_audit.model.commands import Argv, Command, CommandResult
from endpoint_audit.model.observed import Observed, Unknown, seen, unknown
from endpoint_audit.model.platform import OsFamily, PlatformInfo

POLICY_VARIABLE = "94b73556-2197-4702-82a8-3e1337dafbfb:AppleSecureBootPolicy"
ARM64 = Argv(("sysctl", "-i", "hw.optional.arm64"))
ARM64_LINE = re.compile(r"hw\.optional\.arm64\s*[:=]\s*([01])")
POLICY = Argv(("nvram", POLICY_VARIABLE))
REASON = "secure_boot.reason"
POLICIES: dict[str, SecureBootState] = {"%02": "on", "%01": "medium", "%00": "off"}
NOT_SET = 1  # nvram's exit status when the variable does not exist
# mdmclient is not on PATH; it answers the SecurityInfo query only as root.
SECURITY_INFO = Argv(("/usr/libexec/mdmclient", "QuerySecurityInfo"), privileged=True)
LEVEL_KEY = "SecureBootLevel"
LEVEL_LINE = re.compile(r"[ \t]*SecureBootLevel = (full|medium|off);[ \t]*")
LEVELS: dict[str, SecureBootState] = {"full": "on", "medium": "medium", "off": "off"}
# SecurityInfo is a few kilobytes; more than this is not mdmclient's answer.
MAX_OUTPUT = 256 * 1024


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


def level_of(
    result: CommandResult, platform: PlatformInfo
) -> tuple[Observed[SecureBootState], str]:
    """Apple silicon's startup security level: pass-worthy only from exactly one line
    `SecureBootLevel = full;` (or medium, off); any other answer says what was missing."""
    needs_root = unknown(f"{REASON}.security_info_needs_root", output=result.excerpt(120))
    if result.privilege_refused:
        return needs_root, "mdmclient refused (root needed)"
    if not result.ok:
        if platform.is_admin is not True:
            return needs_root, "mdmclient failed (not root)"
        return unknown(f"{REASON}.mdmclient_failed", output=result.excerpt(120)), "mdmclient failed"
    if len(result.stdout) > MAX_OUTPUT:
        return unknown(
            f"{REASON}.security_info_too_long", size=len(result.stdout)
        ), "mdmclient output too long"
    lines = [line for line in result.stdout.splitlines() if LEVEL_KEY in line]
    if not lines:
        if platform.is_admin is not True:
            return needs_root, "no SecureBootLevel (not root)"
        return unknown(f"{REASON}.level_missing"), "no SecureBootLevel"
    if len(lines) > 1:
        return unknown(f"{REASON}.level_repeated", count=len(lines)), "SecureBootLevel repeated"
    match = LEVEL_LINE.fullmatch(lines[0])
    if match is None:
        shown = lines[0].strip()[:60]
        return unknown(f"{REASON}.level_unrecognised", value=shown), "SecureBootLevel unrecognised"
    return seen(LEVELS[match.group(1)]), f"SecureBootLevel = {match.group(1)}"


def is_apple_silicon(arm: CommandResult) -> bool:
    match = ARM64_LINE.fullmatch(arm.stdout.strip())
    return arm.ok and match is not None and match.group(1) == "1"


class MacosSecureBoot(Collector[SecureBootFacts]):
    family = OsFamily.MACOS
    fact_type = SecureBootFacts
    asks = (ARM64, POLICY)

    def commands(self, platform: PlatformInfo, results: Results) -> Sequence[Command]:
        # mdmclient runs as root only where it tells the level: on Apple silicon.
        arm = results.get(ARM64.key)
        if arm is not None and is_apple_silicon(arm):
            return [*self.asks, SECURITY_INFO]
        return list(self.asks)

    def probe_commands(self, platform: PlatformInfo) -> Sequence[Command]:
        return [*self.asks, SECURITY_INFO]

    def parse(self, results: Results, platform: PlatformInfo) -> SecureBootFacts:
        arm = require(results, ARM64)
        text = arm.stdout.strip()
        match = ARM64_LINE.fullmatch(text)
        if is_apple_silicon(arm):
            level, detail = level_of(require(results, SECURITY_INFO), platform)
            return SecureBootFacts(
                firmware=seen("apple_silicon"),
                secure_boot=level,
                secure_boot_detail=f"hw.optional.arm64: 1; {detail}",
                tpm=seen(TpmState(kind="secure_enclave", present=True, detail="Apple silicon")),
                sources=(ARM64.key, SECURITY_INFO.key),
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
