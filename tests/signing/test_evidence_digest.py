"""Each host report carries the sha256 of the command transcript it was judged from, so
evidence kept elsewhere (the bundle) can be matched to the verdicts."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from endpoint_audit.model.commands import CommandResult, transcript_digest
from tests.core.test_cli_scan import run, write_baseline


def _bundle(path: Path, stderr: str) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "format": "endpoint-audit-bundle",
                "version": 1,
                "hosts": [
                    {
                        "target": "pc-01",
                        "platform": {"family": "linux", "distro": "debian", "transport": "ssh"},
                        "commands": {"ss -H -tulpn": {"exit_status": 127, "stderr": stderr}},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    return path


def test_digest_covers_output_and_status_not_timing() -> None:
    base = {"a": CommandResult(0, "out", "", duration=1.0)}
    assert transcript_digest(base) == transcript_digest({"a": CommandResult(0, "out", "", 9.0)})
    assert transcript_digest(base) != transcript_digest({"a": CommandResult(0, "out ", "")})
    assert transcript_digest(base) != transcript_digest({"a": CommandResult(1, "out", "")})
    assert transcript_digest(base) != transcript_digest({"b": CommandResult(0, "out", "")})


def test_the_report_names_the_digest_of_the_bundle_it_was_judged_from(tmp_path: Path) -> None:
    baseline = write_baseline(tmp_path / "b.yaml", {"open_ports": {}})
    digests = []
    for stderr in ("ss: not found", "ss: not found", "ss: not found!"):
        bundle = _bundle(tmp_path / "host.yaml", stderr)
        result = run("scan", "-b", str(baseline), "--replay", str(bundle), "-f", "json")
        assert result.returncode == 3, result.stderr
        digests.append(json.loads(result.stdout)["hosts"][0]["transcript_sha256"])
    expected = transcript_digest({"ss -H -tulpn": CommandResult(127, "", "ss: not found")})
    assert digests[0] == digests[1] == expected
    assert digests[2] != expected
