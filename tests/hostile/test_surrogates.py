"""A lone surrogate (`\\ud800`) from a host, a bundle or a file name never breaks an
output: every format is written as valid UTF-8, and a fleet keeps every host.

JSON can spell a lone surrogate as an escape; Python keeps it in a `str` that no UTF-8
writer accepts. Text is made valid where it enters (command results, probe JSON, bundles,
YAML) and JSON writers replace any that still get through.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from endpoint_audit.cli.common import write_output
from endpoint_audit.engine.registry import load_registry
from endpoint_audit.inventory import safe_file_name
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.result import Evidence, HostReport, Status, WaiverRef
from endpoint_audit.model.valid_text import loads_json, model_json
from endpoint_audit.render.base import RenderOptions
from tests.hostile.run import assert_ran_clean, invoke
from tests.render.corpus import finding, make_report, sample_hosts
from tests.replay_cases import host_yaml_path

RDP = host_yaml_path("win11-23h2-ja-rdp-listening")
FORMATS = ["json", "html", "csv", "junit", "markdown", "terminal", "frameworks"]
LONE = "\ud800"


def surrogate_bundle(path: Path) -> Path:
    """The RDP fixture with lone surrogates where a host puts text: every process name
    of the listening-sockets probe, the target name and the platform's pretty name. The
    JSON file spells them as escapes, exactly as a PowerShell probe would."""
    data = yaml.safe_load(RDP.read_text("utf-8"))
    host = data["hosts"][0]
    sockets = json.loads(host["commands"]["ps:listening_sockets"]["stdout"])
    for proc in sockets["processes"].values():
        proc["name"] = proc["name"][:3] + LONE + proc["name"][3:]
    host["commands"]["ps:listening_sockets"]["stdout"] = json.dumps(sockets)  # escapes
    host["target"] = f"pc-{LONE}-rdp"
    host["platform"]["pretty_name"] = f"Windows {LONE}11"
    path.write_text(json.dumps(data), encoding="ascii")
    return path


def _read_strict(path: Path) -> str:
    return path.read_bytes().decode("utf-8")  # raises on anything but valid UTF-8


def test_a_probe_answer_with_a_lone_surrogate_is_judged_in_every_format(tmp_path: Path) -> None:
    bundle = surrogate_bundle(tmp_path / "pc.json")
    out = tmp_path / "out"
    args: list[str | Path] = ["evaluate", bundle, "--lang", "ja"]
    for fmt in FORMATS:
        args += ["-f", f"{fmt}:{out / ('report.' + fmt)}"]
    ran = invoke(*args)
    assert_ran_clean(ran)
    assert ran.code == 1, ran.stderr  # RDP listens: the finding is still a failure
    for fmt in FORMATS:
        text = _read_strict(out / f"report.{fmt}")
        assert LONE not in text
    report = json.loads(_read_strict(out / "report.json"))
    (host,) = report["hosts"]
    assert host["target"] == "pc-\ufffd-rdp"
    failing = [f for f in host["findings"] if f["status"] == "fail"]
    assert any("\ufffd" in json.dumps(f, ensure_ascii=False) for f in failing)


def test_a_surrogate_bundle_next_to_a_good_one_keeps_both(tmp_path: Path) -> None:
    folder = tmp_path / "share"
    folder.mkdir()
    # In a share each file is named for the host inside, made safe for a file name, as
    # `collect --bundle-dir` names it (a file named for another PC is never judged).
    surrogate_name = safe_file_name("pc-\ufffd-rdp")
    surrogate_bundle(folder / f"{surrogate_name}.json")
    good = "win11-23h2-en-compliant"
    (folder / f"{good}.yaml").write_bytes((host_yaml_path(good)).read_bytes())
    report = tmp_path / "fleet.json"
    # Recorded captures keep their collection times: --max-age 0, so the RDP failure
    # is judged (old files are tests/probe_export/test_max_age.py's subject).
    ran = invoke("evaluate", folder, "-f", f"json:{report}", "-f", "terminal", "--max-age", "0")
    assert_ran_clean(ran)
    assert ran.code == 1
    targets = {h["target"] for h in json.loads(_read_strict(report))["hosts"]}
    assert targets == {"pc-\ufffd-rdp", "win11-23h2-en-compliant"}


def test_a_file_name_the_file_system_could_not_decode(tmp_path: Path) -> None:
    """A bundle file whose name is not UTF-8 (Python names it with surrogate escapes)
    and whose content is broken: its name becomes a host of the report, still valid."""
    folder = tmp_path / "share"
    folder.mkdir()
    raw_name = os.fsencode(folder) + b"/pc-\xff\xfe.json"
    with open(raw_name, "wb") as handle:
        handle.write(b"{not json")
    (folder / "pc-good.yaml").write_bytes((host_yaml_path("win11-23h2-en-compliant")).read_bytes())
    report = tmp_path / "fleet.json"
    # --max-age 0: exit 3 must come from the undecodable file, not the capture's age.
    ran = invoke("evaluate", folder, "-f", f"json:{report}", "--max-age", "0")
    assert_ran_clean(ran)
    assert ran.code == 3
    hosts = json.loads(_read_strict(report))["hosts"]
    assert len(hosts) == 2


def _surrogate_report() -> Any:
    bad = f"x{LONE}y\udcff"
    host = HostReport(
        target=bad,
        findings=[
            finding(
                "open_ports",
                Status.FAIL,
                "open_ports.msg.forbidden_port",
                resource=bad,
                endpoint=bad,
                process=bad,
                user=bad,
                expected={bad: [bad]},
                actual=bad,
                evidence=[Evidence(source=bad, excerpt=bad)],
                waiver=WaiverRef(justification=bad, approver=bad, expires="2099-01-01"),
            )
        ],
        reason=bad,
    )
    return make_report([*sample_hosts(), host, HostReport(target=bad, status="unreachable")])


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_writer_survives_a_surrogate_that_got_through(
    fmt: str, lang: str, tmp_path: Path
) -> None:
    """Defence in depth: a report built with lone surrogates in every field (as if one
    had slipped past the boundary) renders and is written as valid UTF-8."""
    renderer = load_registry().renderers[fmt]()
    text = renderer.render(_surrogate_report(), RenderOptions(lang=lang))
    path = tmp_path / f"r.{fmt}"
    write_output(str(path), text, renderer.encoding)
    content = _read_strict(path)
    if fmt == "json":
        assert "x\ufffdy\ufffd" in json.loads(content)["hosts"][-1]["target"]


def test_model_json_and_loads_json() -> None:
    assert LONE not in model_json(_surrogate_report())
    assert loads_json('{"a\\udc80": ["\\ud800", "\\ud83d\\ude00"]}') == {
        "a\ufffd": ["\ufffd", "\U0001f600"]
    }
    assert CommandResult(0, stdout=f"a{LONE}", stderr="\udcff").stdout == "a\ufffd"
