"""A results file whose name names one PC but whose inside is another PC's (copied over,
renamed, or forged) stands for neither: the exported scripts and `collect --bundle-dir`
always write the PC's own name in both places. Judged as if it were current, the file
showed the PC named inside as compliant from evidence filed under another PC's name,
with the waivers of the PC its name names (a false pass)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.probe_export.bundles import windows_cases, windows_script_bundle

# Checks whose verdict does not depend on the day they are judged (no update ages).
ONLY = ("--only", "firewall,disk_encryption")


def _bundle(pc: str, case: str = "win11-23h2-en-compliant") -> str:
    data = windows_script_bundle(windows_cases()[case], target=pc)
    recent = datetime.now(UTC) - timedelta(days=1)
    data["hosts"][0]["collected_at"] = recent.strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps(data)


def _hosts(stdout: str) -> list[dict[str, Any]]:
    return list(json.loads(stdout)["hosts"])


@pytest.mark.parametrize(
    ("name", "inside", "names_other"),
    [
        ("endpoint-audit-PC-0001-20261201T030000Z.json", "PC-0001", None),
        ("endpoint-audit-PC-0001-20261201T030000Z.json", "pc-0001", None),  # Windows: any case
        ("endpoint-audit-PC-0001-20261201T030000Z.json", "PC-0002", "PC-0001"),
        ("pc-a.json", "pc-a", None),
        ("pc-a.json", "pc-b", "pc-a"),
        # collect --record numbers two recordings whose hosts redact to one name; only
        # a recording (YAML) is read so.
        ("host-1a2b-2.yaml", "host-1a2b", None),
        ("pc-7.json", "pc", "pc-7"),
        # An older collect --bundle-dir --redact: the auditor's name outside, the
        # pseudonym inside.
        ("pc-a.json", "host-8e978e34f2ab", None),
        ("pc-a.json", "host-2", None),
        ("pc-a.json", "host-8e978e34f2abX", "pc-a"),
        # ... and now names the file by the pseudonym: one holding another was renamed.
        ("host-8e978e34f2ab.json", "host-8e978e34f2ab", None),
        ("host-8e978e34f2ab.json", "host-0123456789ab", "host-8e978e34f2ab"),
        # collect --bundle-dir names a file by the host as the inventory wrote it, made
        # safe for a file name.
        ("pc-7.example.jp_22-1a2b3c4d.json", "pc-7.example.jp:22", "pc-7.example.jp_22-1a2b3c4d"),
    ],
)  # fmt: skip
def test_which_file_names_another_host(name: str, inside: str, names_other: str | None) -> None:
    from endpoint_audit.engine.recorded import file_names_other_host
    from endpoint_audit.inventory import safe_file_name

    if ":" in inside:  # the real safe name of that inventory entry agrees
        assert file_names_other_host(f"{safe_file_name(inside)}.json", inside, share=True) is None
    assert file_names_other_host(name, inside, share=True) == names_other


def test_a_plain_file_name_given_by_hand_names_no_host() -> None:
    from endpoint_audit.engine.recorded import file_names_other_host

    # `collect -o facts.json` then `evaluate facts.json`: the user's own name for it.
    assert file_names_other_host("facts.json", "pc-7", share=False) is None
    # A probe script's file names its PC wherever it lies.
    probe = "endpoint-audit-PC-0001-20261201T030000Z.json"
    assert file_names_other_host(probe, "PC-0002", share=False) == "PC-0001"


def test_a_file_named_for_one_pc_holding_another_s_results_is_unknown(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    share = tmp_path / "share"
    share.mkdir()
    copied = share / "endpoint-audit-PC-0001-20261201T030000Z.json"
    copied.write_text(_bundle("PC-0002"))
    (share / "endpoint-audit-PC-0003-20261201T030000Z.json").write_text(_bundle("PC-0003"))
    result = cli("evaluate", str(share), *ONLY, "-f", "json")
    assert result.exit_code == 3, result.stderr  # it was 0: PC-0002 "compliant"
    by_target = {h["target"]: h for h in _hosts(result.stdout)}
    assert {f["status"] for f in by_target["PC-0003"]["findings"]} == {"pass"}
    misnamed = by_target["PC-0002"]["findings"]
    assert misnamed and {f["status"] for f in misnamed} == {"unknown"}
    assert all(f["message_key"] == "core.msg.misnamed_results" for f in misnamed)
    assert all("PC-0001" in f["message"] and "PC-0002" in f["message"] for f in misnamed)
    assert all(f["evidence"][0]["excerpt"].startswith("PASS: ") for f in misnamed)
    lines = [line for line in result.stderr.splitlines() if copied.name in line]
    assert len(lines) == 1 and "PC-0001" in lines[0] and "PC-0002" in lines[0]


@pytest.mark.parametrize("command", [("evaluate",), ("scan", "--replay")])
def test_one_probe_file_holding_another_pc_is_unknown_too(
    command: tuple[str, ...], cli: Callable[..., Any], tmp_path: Path
) -> None:
    copied = tmp_path / "endpoint-audit-PC-0001-20261201T030000Z.json"
    copied.write_text(_bundle("PC-0002"))
    result = cli(*command, str(copied), *ONLY, "-f", "json")
    assert result.exit_code == 3, result.stderr
    (host,) = _hosts(result.stdout)
    assert {f["status"] for f in host["findings"]} == {"unknown"}
    assert "PC-0001" in result.stderr and "PC-0002" in result.stderr


def test_in_a_share_a_plain_file_name_names_its_pc(cli: Callable[..., Any], tmp_path: Path) -> None:
    # `collect --bundle-dir` writes DIR/<host>.json: pc-a.json with pc-b inside was
    # copied over (or pc-b's file renamed), and waivers would match pc-a.
    share = tmp_path / "share"
    share.mkdir()
    (share / "pc-a.json").write_text(_bundle("pc-b"))
    (share / "pc-c.json").write_text(_bundle("PC-C"))
    result = cli("evaluate", str(share), *ONLY, "-f", "json")
    assert result.exit_code == 3, result.stderr
    by_target = {h["target"]: h for h in _hosts(result.stdout)}
    assert {f["status"] for f in by_target["pc-b"]["findings"]} == {"unknown"}
    assert {f["status"] for f in by_target["PC-C"]["findings"]} == {"pass"}
    # A file of several hosts names none of them: each is judged.
    many = json.loads(_bundle("pc-d"))
    many["hosts"].append(json.loads(_bundle("pc-e"))["hosts"][0])
    (share / "site-2.json").write_text(json.dumps(many))
    again = cli("evaluate", str(share), *ONLY, "-f", "json")
    by_target = {h["target"]: h for h in _hosts(again.stdout)}
    assert {f["status"] for f in by_target["pc-d"]["findings"]} == {"pass"}
    assert {f["status"] for f in by_target["pc-e"]["findings"]} == {"pass"}


def test_a_redacted_bundle_folder_is_judged(cli: Callable[..., Any], tmp_path: Path) -> None:
    # `collect --bundle-dir DIR --redact` names the file by the host's pseudonym, the
    # name written inside: judged as collected, not as misnamed.
    bundles = tmp_path / "bundles"
    done = cli("collect", "--bundle-dir", str(bundles), "--redact", "-b", "minimal")
    assert done.exit_code in (0, 3), done.stderr
    (file,) = bundles.glob("*.json")
    (host,) = json.loads(file.read_text())["hosts"]
    assert host["target"].startswith("host-") and file.stem == host["target"]
    judged = cli("evaluate", str(bundles), "-b", "minimal", "-f", "json")
    assert "named for" not in judged.stderr
    (report,) = _hosts(judged.stdout)
    assert all(f.get("message_key") != "core.msg.misnamed_results" for f in report["findings"])


def test_two_results_claiming_one_name_keep_a_host_file_each(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    # A file of several hosts names none of them, so it may hold a host another file
    # also holds: both are judged. The run folder kept one host file per name, the one
    # written last: the other file's pass as often as this PC's own failure.
    share = tmp_path / "share"
    share.mkdir()
    (share / "pc-1.json").write_text(_bundle("pc-1", "win10-22h2-en-bitlocker-off"))
    site = json.loads(_bundle("pc-1"))
    site["hosts"].append(json.loads(_bundle("pc-9"))["hosts"][0])
    (share / "site.json").write_text(json.dumps(site))
    out = tmp_path / "round"
    result = cli("evaluate", str(share), *ONLY, "--output-dir", str(out))
    assert result.exit_code == 1, result.stderr
    files = sorted(p.name for p in (out / "hosts").glob("*.json"))
    assert len(files) == 3, files
    by_source = {}
    for path in (out / "hosts").glob("*.json"):
        (host,) = json.loads(path.read_text())["hosts"]
        by_source[(host["target"], Path(host["source"]).name)] = host
    own = by_source[("pc-1", "pc-1.json")]
    assert any(f["status"] == "fail" for f in own["findings"])
    assert {f["status"] for f in by_source[("pc-1", "site.json")]["findings"]} == {"pass"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["hosts"]) == 3
    assert sorted(Path(e["path"]).name for e in manifest["hosts"].values()) == files
    import hashlib

    for entry in manifest["hosts"].values():  # each entry vouches for its own file
        assert hashlib.sha256((out / entry["path"]).read_bytes()).hexdigest() == entry["sha256"]
