"""Facts written into bundles are for people reading them: `evaluate` judges a bundle by
parsing its recorded command output again. So a bundle written before the fact families
became Observed (`reboot_required: null` beside `reboot_unknown_reason: ...`) is judged
with today's reasons, and facts written today load back into their models unchanged."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from endpoint_audit.checks.disk_encryption.facts import DiskEncryptionFacts
from endpoint_audit.checks.disk_encryption.linux import LinuxDiskEncryption
from endpoint_audit.checks.patch_level.facts import PatchFacts
from endpoint_audit.checks.patch_level.linux import LinuxPatches
from endpoint_audit.model.observed import Unknown
from endpoint_audit.transport.transcript import load_bundle

FROZEN = Path(__file__).resolve().parent.parent / "fixtures" / "frozen"
OLD = FROZEN / "linux-recording-debian12.yaml"


def test_an_old_bundle_keeps_its_old_facts_and_is_judged_from_its_output(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    stored = yaml.safe_load(OLD.read_text(encoding="utf-8"))["hosts"][0]["facts"]
    old_reason = stored["patches"]["reboot_unknown_reason"]
    assert stored["patches"]["reboot_required"] is None and old_reason
    out = tmp_path / "ja.json"
    cli("evaluate", str(OLD), "--lang", "ja", "-f", f"json:{out}")
    (host,) = json.loads(out.read_text(encoding="utf-8"))["hosts"]
    reboot = next(f for f in host["findings"] if f["resource"] == "reboot_required")
    assert reboot["status"] == "unknown"
    assert reboot["message_args"]["reason@key"] == "patch_level.reason.reboot_flag_unkept"
    assert old_reason not in reboot["message"] and "reboot-required" in reboot["message"]
    assert "ありません" in reboot["message"]


def test_facts_written_today_load_back_into_their_models() -> None:
    (host,) = load_bundle(OLD)
    assert host.platform is not None
    for collector, model in (
        (LinuxPatches(), PatchFacts),
        (LinuxDiskEncryption(), DiskEncryptionFacts),
    ):
        fact = collector.parse(host.commands, host.platform)
        data = json.loads(json.dumps(fact.model_dump(mode="json")))
        assert model.model_validate(data) == fact
    patches = LinuxPatches().parse(host.commands, host.platform)
    assert isinstance(patches.reboot_required, Unknown)
    dumped = patches.model_dump(mode="json")["reboot_required"]
    assert dumped == {
        "state": "unknown",
        "reason": {
            "key": "patch_level.reason.reboot_flag_unkept",
            "args": {"kernel": dumped["reason"]["args"]["kernel"]},
        },
    }
