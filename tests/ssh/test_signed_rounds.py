"""Two fleet rounds over SSH with `--sign`: fleet.json and manifest.json are signed,
Debian's minisign verifies them, the second round's manifest chains to the first, and
`report verify` finds a host file edited afterwards."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from endpoint_audit.signing import minisign as m
from tests.conftest import require_tool
from tests.signing.cli_helpers import PASSWORD, cli, make_keys
from tests.ssh.lab import SshLab
from tests.ssh.test_collect_ssh import collect
from tests.ssh.test_fleet_outputs import host_file, inventory, manifest
from tests.ssh.test_fleet_scan import scan


def test_signed_rounds_form_a_chain_minisign_can_check(ssh_lab: SshLab, tmp_path: Path) -> None:
    minisign = require_tool("minisign")
    lab = ssh_lab
    (a,) = lab.start_fleet(1)
    lab.trust([a])
    keys = make_keys(tmp_path)
    password = tmp_path / "pw.txt"
    password.write_text(PASSWORD + "\n")
    inv = inventory(lab, tmp_path / "inv.yaml", {"pc-a": a})
    first, second = tmp_path / "audit-2026-11", tmp_path / "audit-2026-12"
    signing = ["--sign", str(keys.secret), "--password-file", str(password)]
    done = scan(lab, "-i", str(inv), "--output-dir", str(first), *signing, "--round", "2026-11")
    assert done.returncode in (0, 1), done.stderr
    done = scan(
        lab, "-i", str(inv), "--output-dir", str(second), *signing, "--round", "2026-12",
        "--previous-round", str(first),
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    assert manifest(second)["round"] == "2026-12"
    for folder in (first, second):
        for name in ("manifest.json", "fleet.json"):
            checked = subprocess.run(
                [minisign, "-Vm", str(folder / name), "-P", keys.line],
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert checked.returncode == 0, checked.stderr
    sig = m.parse_signature((second / "fleet.json.minisig").read_bytes())
    assert "round=2026-12" in sig.trusted_comment
    host = json.loads(host_file(second, "pc-a").read_text())["hosts"][0]
    assert host["ssh_host_key"].startswith("SHA256:")
    assert len(host["transcript_sha256"]) == 64
    verified = cli("report", "verify", str(first), str(second), "--pubkey", keys.line)
    assert verified.exit_code == 0, verified.stderr
    edited = host_file(second, "pc-a")
    edited.write_text(edited.read_text().replace('"status": "pass"', '"status": "fail"') + " ")
    broken = cli("report", "verify", str(first), str(second), "--pubkey", keys.line)
    assert broken.exit_code == 1
    [line] = broken.stderr.strip().splitlines()
    assert "pc-a.json: changed since manifest.json" in line


def test_a_signed_sliced_collection_verifies_offline_and_shows_tampering(
    ssh_lab: SshLab, tmp_path: Path
) -> None:
    """`collect --shard --bundle-dir --sign`: each bundle is signed as it is written and
    _manifest.json when the slice stops; minisign checks every file, `report verify DIR`
    checks the folder as a whole, and an edited, added or foreign-signed file is named."""
    minisign = require_tool("minisign")
    lab = ssh_lab
    a, b = lab.start_fleet(2)
    lab.trust([a, b])
    keys = make_keys(tmp_path)
    password = tmp_path / "pw.txt"
    password.write_text(PASSWORD + "\n")
    inv = inventory(lab, tmp_path / "inv.yaml", {"pc-a": a, "pc-b": b})
    folder = tmp_path / "slice-1"
    done = collect(
        lab, "-i", str(inv), "--shard", "1/1", "--round", "2026-W49", "--bundle-dir",
        str(folder), "--sign", str(keys.secret), "--password-file", str(password),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    listed = json.loads((folder / "_manifest.json").read_text())["hosts"]
    assert sorted(listed) == ["pc-a", "pc-b"]
    files = [folder / "_manifest.json", *(folder / e["path"] for e in listed.values())]
    for path in files:
        checked = subprocess.run(
            [minisign, "-Vm", str(path), "-P", keys.line],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert checked.returncode == 0, (path, checked.stderr)
    comment = m.parse_signature((folder / "_manifest.json.minisig").read_bytes()).trusted_comment
    assert "kind=collect-manifest" in comment and "slice=1/1" in comment
    assert "round=2026-W49" in comment and "state=complete" in comment
    bundle_comment = m.parse_signature(
        (folder / (listed["pc-a"]["path"] + ".minisig")).read_bytes()
    ).trusted_comment
    assert "kind=bundle" in bundle_comment and "host=pc-a" in bundle_comment

    verified = cli("report", "verify", str(folder), "--pubkey", keys.line)
    assert verified.exit_code == 0, verified.stderr
    assert "collection verified, slice 1/1, 2 bundle(s) match _manifest.json" in verified.stdout

    (folder / "stray.json").write_text("{}\n")
    edited = folder / listed["pc-b"]["path"]
    edited.write_text(edited.read_text() + " ")
    broken = cli("report", "verify", str(folder), "--pubkey", keys.line)
    assert broken.exit_code == 1
    lines = broken.stderr.strip().splitlines()
    assert any("changed since _manifest.json" in line and "pc-b" in line for line in lines)
    assert any("stray.json: not listed in _manifest.json (added)" in line for line in lines), lines

    other = make_keys(tmp_path, "other")
    foreign = cli("report", "verify", str(folder), "--pubkey", other.line)
    assert foreign.exit_code == 1
    assert "_manifest.json" in foreign.stderr
