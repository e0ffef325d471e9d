"""A JSON object that names a key twice is refused, never read as its last value.

Python's json keeps the last of duplicate keys, other readers the first: a probe answer
or a bundle that repeats a key (`"sockets": [...], "sockets": []`) can be read as two
different answers. No probe or collector writes one (PowerShell's ConvertTo-Json and the
bundle writer serialise dictionaries), so such text is forged or corrupt: not JSON this
tool reads, which makes the finding an error (a probe) or the file unreadable (a bundle).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.errors import ConfigError
from endpoint_audit.model.valid_text import loads_json
from endpoint_audit.transport.transcript import load_bundle
from tests.replay_cases import case_path, host_yaml_path

RDP_CASE = "open_ports/win11-23h2-ja-rdp-listening"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=10,
)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "a": 2}',
        '{"a": 1, "b": {"c": [], "c": [1]}}',
        '[{"x": true}, {"y": 1, "y": 1}]',
    ],
)
def test_a_repeated_key_is_not_json_this_tool_reads(text: str) -> None:
    with pytest.raises(json.JSONDecodeError, match="duplicate key"):
        loads_json(text)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_json_without_repeated_keys_reads_as_written(value: Any) -> None:
    assert loads_json(json.dumps(value)) == value


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=3), json_values, min_size=1, max_size=4), st.data())
def test_any_key_written_twice_is_refused(value: dict[str, Any], data: st.DataObject) -> None:
    key = data.draw(st.sampled_from(sorted(value)))
    again = data.draw(json_values)
    text = json.dumps(value)[:-1] + ", " + json.dumps(key) + ": " + json.dumps(again) + "}"
    with pytest.raises(ValueError, match="duplicate key"):
        loads_json(text)


def _rdp_bundle(tmp_path: Path, edit: Callable[[str], str]) -> Path:
    data = json.loads(case_path(RDP_CASE).read_text("utf-8"))
    command = data["hosts"][0]["commands"]["ps:listening_sockets"]
    command["stdout"] = edit(command["stdout"])
    path = tmp_path / "pc-0042.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return path


def test_a_probe_answer_that_repeats_its_socket_list_is_never_a_pass(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    # The recorded PC listens on RDP (a fail); the same list named again, empty, after it.
    forged = _rdp_bundle(tmp_path, lambda stdout: stdout[:-1] + ', "sockets": []}')
    result = cli("evaluate", str(forged), "-b", "minimal", "--only", "open_ports", "-f", "json")
    (host,) = json.loads(result.stdout)["hosts"]
    (finding,) = [f for f in host["findings"] if f["check_id"] == "open_ports"]
    assert finding["status"] == "error", finding
    assert "duplicate key 'sockets'" in finding["message"]


def test_a_bundle_that_repeats_its_hosts_is_refused(tmp_path: Path) -> None:
    text = case_path(RDP_CASE).read_text("utf-8")
    path = tmp_path / "twice.json"
    path.write_text(text[:-1] + ', "hosts": []}', "utf-8")
    with pytest.raises(ConfigError, match="duplicate key"):
        load_bundle(path)


def test_a_yaml_bundle_that_names_a_command_twice_is_refused(tmp_path: Path) -> None:
    text = host_yaml_path("win11-23h2-ja-rdp-listening").read_text("utf-8")
    again = "    ps:listening_sockets:\n      exit_status: 0\n      stdout: '{\"sockets\": []}'\n"
    at = text.index("    ps:listening_sockets:\n")
    path = tmp_path / "twice.yaml"
    path.write_text(text[:at] + again + text[at:], "utf-8")
    with pytest.raises(ConfigError, match="duplicate key 'ps:listening_sockets'"):
        load_bundle(path)
    # The same file without the second entry is read.
    (tmp_path / "once.yaml").write_text(text, "utf-8")
    assert load_bundle(tmp_path / "once.yaml")


def test_a_yaml_merge_key_may_still_be_overridden(tmp_path: Path) -> None:
    path = tmp_path / "merge.yaml"
    path.write_text(
        "format: endpoint-audit-bundle\nversion: 1\nbase: &b {target: a}\n"
        "hosts:\n- <<: *b\n  target: pc-01\n",
        "utf-8",
    )
    (host,) = load_bundle(path)
    assert host.target == "pc-01"


def test_a_yaml_bundle_cut_off_inside_a_command_s_output_is_refused(tmp_path: Path) -> None:
    # YAML cut off inside a literal block is still YAML: the block just ends early. A
    # listener list cut short would be judged as a shorter list.
    from endpoint_audit.engine.host_outputs import bundle_text
    from endpoint_audit.model.commands import CommandResult
    from endpoint_audit.transport.transcript import HostTranscript

    listing = "".join(
        f"tcp   LISTEN 0      128          0.0.0.0:{port}          0.0.0.0:*\n"
        for port in (22, 80, 443, 3389)
    )
    host = HostTranscript(
        target="pc-01", platform=None, commands={"ss -H -tulpn": CommandResult(0, listing)}
    )
    text = bundle_text([host], as_yaml=True)
    whole = tmp_path / "whole.yaml"
    whole.write_text(text, "utf-8")
    (got,) = load_bundle(whole)
    assert got.commands["ss -H -tulpn"].stdout == listing
    cut = tmp_path / "cut.yaml"
    cut.write_text(text[: text.index(":3389")], "utf-8")
    with pytest.raises(ConfigError, match="cut off"):
        load_bundle(cut)
