"""False passes the property suite found, kept as examples."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from endpoint_audit.collectors.patches.windows import parse_windows_update
from tests.conftest import FIXTURES
from tests.hostile.run import assert_ran_clean, invoke

COMPLIANT = FIXTURES / "windows" / "win11-23h2-en-compliant.yaml"


def test_windows_update_answer_without_reboot_markers_is_not_no_reboot() -> None:
    """A Windows Update probe answer that does not say which pending-reboot markers it
    read (here `{"": null}`) used to pass `reboot_required` ("no marker in the
    registry"); the probe's answer now has to show each marker's key was read."""
    for value in ({"": None}, {"reboot_markers": []}, {"cbs_reboot_pending": False}):
        facts = parse_windows_update(value, None, "not run")
        assert facts.reboot_required is None, value
        assert facts.reboot_unknown_reason


def test_windows_update_garbage_through_the_cli(tmp_path: Path) -> None:
    data = yaml.safe_load(COMPLIANT.read_text("utf-8"))
    data["hosts"][0]["commands"]["ps:windows_update"]["stdout"] = '{"": null}'
    path = tmp_path / "pc.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "r.json"
    ran = invoke("evaluate", path, "-f", f"json:{out}")
    assert_ran_clean(ran)
    findings = json.loads(out.read_text("utf-8"))["hosts"][0]["findings"]
    patch = {f["resource"]: f["status"] for f in findings if f["check_id"] == "patch_level"}
    assert patch["reboot_required"] == "unknown"
    # The pending count comes from the other probe, still intact: that one may pass.
    assert patch["days_since_update"] == "unknown"
