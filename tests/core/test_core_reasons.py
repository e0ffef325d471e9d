"""The reasons the engine and the kit give (replay misses, refused probes, sudo, output
that is not JSON) are message keys with arguments: a Japanese report says them in
Japanese, an English one as before, and the host's own text is kept as it was."""

from __future__ import annotations

import asyncio

import pytest

from endpoint_audit.checkkit.collector import check_privilege, json_output
from endpoint_audit.checkkit.windows_probe import probe_value
from endpoint_audit.engine.run import message_args
from endpoint_audit.errors import CollectorError, FactUnavailable, ReplayMissError
from endpoint_audit.model import i18n
from endpoint_audit.model.commands import (
    EXIT_DENIED,
    SUDO_REFUSED,
    CommandResult,
    PowerShell,
    ReadFile,
)
from endpoint_audit.model.observed import Reason
from endpoint_audit.transport.replay import ReplayTransport
from endpoint_audit.transport.transcript import HostTranscript

PROBE = PowerShell("firewall_profiles", "$result = 1")


def rendered(key: str, reason: Reason, lang: str, **more: object) -> str:
    args = message_args({"reason": reason, **more}, lang)  # type: ignore[dict-item]
    text = i18n.render_message(lang, key, args)
    assert text is not None
    return text


def test_a_replay_miss_names_the_recording_and_command_in_each_language() -> None:
    transport = ReplayTransport(HostTranscript(target="pc01", platform=None, source="pc01.json"))
    with pytest.raises(ReplayMissError) as caught:
        asyncio.run(transport.run(ReadFile("/etc/os-release"), 5))
    reason = caught.value.reason
    assert isinstance(reason, Reason) and reason.key == "core.reason.no_recording"
    assert str(caught.value) == "pc01.json: no recorded output for 'file:/etc/os-release'"
    ja = rendered("core.msg.replay_miss", reason, "ja")
    assert "pc01.json: 'file:/etc/os-release' の出力が記録されていません" in ja
    assert "no recorded" not in ja


def test_a_failed_probe_keeps_the_hosts_text_and_says_the_rest_in_japanese() -> None:
    failed = CommandResult(exit_status=1, stderr="Get-NetFirewallProfile : not recognized")
    with pytest.raises(CollectorError) as caught:
        probe_value({PROBE.key: failed}, PROBE)
    reason = caught.value.reason
    assert isinstance(reason, Reason)
    assert reason.args["output"] == "Get-NetFirewallProfile : not recognized"
    ja = rendered("core.msg.fact_error", reason, "ja")
    assert ja == (
        "プローブが失敗しました: PowerShell プローブ 'firewall_profiles' が失敗しました: "
        "Get-NetFirewallProfile : not recognized。"
    )


def test_a_probe_refused_by_the_language_mode_is_unknown_naming_the_probe() -> None:
    refused = CommandResult(
        exit_status=EXIT_DENIED,
        stderr="refused in PowerShell language mode ConstrainedLanguage: the probe needs .NET",
    )
    if refused.refused_language_mode is None:
        pytest.fail("the refusal text no longer matches LANGUAGE_MODE_REFUSED")
    with pytest.raises(FactUnavailable) as caught:
        probe_value({PROBE.key: refused}, PROBE)
    assert caught.value.language_mode == "ConstrainedLanguage"
    reason = caught.value.reason
    assert isinstance(reason, Reason)
    ja = rendered("core.msg.language_mode", reason, "ja", mode="ConstrainedLanguage")
    assert "PowerShell プローブ 'firewall_profiles' は実行されませんでした" in ja
    assert "was not run" not in ja


def test_sudo_refused_needs_privilege_in_each_language() -> None:
    refused = CommandResult(
        exit_status=EXIT_DENIED, stderr=f"{SUDO_REFUSED}: sudo: a password is required"
    )
    assert refused.privilege_refused
    with pytest.raises(FactUnavailable) as caught:
        check_privilege(refused, "iptables-save")
    exc = caught.value
    assert isinstance(exc.reason, Reason) and isinstance(exc.needs_privilege, Reason)
    en = rendered("core.msg.needs_privilege", exc.reason, "en", privilege=exc.needs_privilege)
    assert en == (
        f"Not enough evidence: iptables-save: {SUDO_REFUSED}: sudo: a password is required "
        "(needs root: passwordless sudo (--sudo) for the audit user)."
    )
    ja = rendered("core.msg.needs_privilege", exc.reason, "ja", privilege=exc.needs_privilege)
    assert "sudo が iptables-save の実行を拒否しました" in ja
    assert "passwordless" not in ja and "for the audit user" not in ja


def test_output_that_is_not_json_is_an_error_with_a_reason() -> None:
    with pytest.raises(CollectorError) as caught:
        json_output(CommandResult(exit_status=0, stdout="{oops"), "lsblk")
    assert str(caught.value).startswith("lsblk: output is not JSON (")
    reason = caught.value.reason
    assert isinstance(reason, Reason) and reason.args["line"] == 1
    assert "出力が JSON ではありません" in i18n.t("ja", reason.key, **reason.args)


def test_a_plain_string_reason_still_works_for_older_callers() -> None:
    exc = FactUnavailable("apt is not installed")
    assert exc.reason == "apt is not installed" and str(exc) == "apt is not installed"
