"""Host groups reach the reports: inventory groups on fleet targets, and the group a probe
script was exported for, written into its bundle (the sh script run here for real; the
PowerShell script parsed and its literal read as PowerShell reads it)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from endpoint_audit.engine.export import ExportOptions, export_script
from endpoint_audit.engine.fleet import ssh_target
from endpoint_audit.engine.registry import load_registry
from endpoint_audit.errors import ConfigError
from endpoint_audit.inventory import load_inventory
from endpoint_audit.model.platform import OsFamily
from endpoint_audit.transport.ssh import SshOptions
from endpoint_audit.transport.transcript import load_bundle, parse_bundle
from tests.probe_export.test_posix_script import run_script
from tests.probe_export.test_windows_script import syntax_errors
from tests.replay_cases import host_yaml_path

# Quotes, a backslash, a dollar, a percent sign and a placeholder-looking word: none of
# them may change the script or the JSON it writes.
HOSTILE_GROUP = "総務課 'a' \"b\" \\ $env:PATH %s __FORMAT__"


def test_japanese_inventory_groups_reach_the_fleet_targets(tmp_path: Path) -> None:
    inventory = tmp_path / "fleet.yaml"
    inventory.write_text(
        yaml.safe_dump(
            {"groups": {"総務課": {"hosts": ["pc-1.city.lg.jp"]},
                        "税務課": {"hosts": ["pc-2.city.lg.jp", "pc-1.city.lg.jp"]}}},
            allow_unicode=True, sort_keys=False,
        ),
        encoding="utf-8",
    )  # fmt: skip
    hosts = {h.name: h for h in load_inventory(inventory)}
    assert hosts["pc-1.city.lg.jp"].groups == ("総務課", "税務課")
    target = ssh_target(hosts["pc-2.city.lg.jp"], SshOptions())
    assert target.groups == ("税務課",)


def test_group_names_still_refuse_spaces_and_a_leading_dash(tmp_path: Path) -> None:
    for name in ("総務 課", "-x"):
        inventory = tmp_path / "bad.yaml"
        inventory.write_text(
            yaml.safe_dump({"groups": {name: {"hosts": ["pc-1"]}}}, allow_unicode=True),
            encoding="utf-8",
        )
        with pytest.raises(ConfigError, match="group name"):
            load_inventory(inventory)


def test_scan_replay_of_a_bundle_with_a_group_reports_it(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    fixture = host_yaml_path("win11-23h2-ja-compliant")
    data = yaml.safe_load(fixture.read_text(encoding="utf-8"))
    data["hosts"][0]["group"] = "総務課"
    bundle = tmp_path / "pc.yaml"
    bundle.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "r.json"
    result = cli("scan", "--replay", str(bundle), "-f", f"json:{out}")
    assert result.exit_code in (0, 1, 3), result.output  # type: ignore[attr-defined]
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["hosts"][0]["groups"] == ["総務課"]


def test_a_bundle_without_a_group_still_loads_and_a_bad_one_is_refused() -> None:
    host = {"target": "pc", "platform": None, "commands": {}}
    data = {"format": "endpoint-audit-bundle", "version": 1, "hosts": [host]}
    assert parse_bundle(data, "old.json")[0].group is None
    for bad in (42, "", "two\nlines", "x" * 101):
        data["hosts"] = [{**host, "group": bad}]
        with pytest.raises(ConfigError, match=r"old\.json: hosts\[0\]\.group"):
            parse_bundle(data, "old.json")


@pytest.mark.slow
def test_the_sh_probe_script_writes_its_group_into_the_bundle(tmp_path: Path) -> None:
    options = ExportOptions(20, 300, group=HOSTILE_GROUP)
    script = tmp_path / "probe.sh"
    script.write_text(export_script(load_registry(), OsFamily.LINUX, options))
    out = tmp_path / "share"
    out.mkdir()
    written = Path(run_script(script, out, tmp_path))
    raw = json.loads(written.read_text(encoding="utf-8"))
    assert raw["hosts"][0]["group"] == HOSTILE_GROUP
    (host,) = load_bundle(written)
    assert host.group == HOSTILE_GROUP


def test_the_powershell_probe_script_writes_its_group_as_an_ascii_json_literal() -> None:
    script = export_script(
        load_registry(), OsFamily.WINDOWS, ExportOptions(60, 600, group=HOSTILE_GROUP)
    )
    assert script.isascii()
    assert syntax_errors(script) == []
    line = next(s for s in script.splitlines() if "$EACollected + '\"' +" in s)
    # The single-quoted literal after `'"' +`, as PowerShell reads it ('' is one ').
    match = re.search(r"\$EACollected \+ '\"' \+ '((?:[^']|'')*)' \+ ','", line)
    assert match is not None, line
    field = match.group(1).replace("''", "'")
    assert json.loads('{"collected_at":"x"' + field + "}")["group"] == HOSTILE_GROUP
    plain = export_script(load_registry(), OsFamily.WINDOWS, ExportOptions(60, 600))
    assert "\"' + '' + ','" in plain  # no group: nothing added


@pytest.mark.parametrize("bad", ["", "two\nlines", "x" * 101])
def test_probe_export_refuses_a_group_that_is_not_one_line(bad: str, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("probe", "export", "--os", "linux", "--group", bad)
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "--group" in result.stderr  # type: ignore[attr-defined]
