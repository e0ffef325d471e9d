"""`endpoint-audit scan` as a whole process: reports, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.conftest import require_tool

CMD = [sys.executable, "-m", "endpoint_audit"]


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CMD, *args], capture_output=True, text=True, timeout=timeout, env=_env()
    )


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["LANG"] = "C.UTF-8"
    env.pop("LC_ALL", None)
    return env


def write_baseline(path: Path, checks: dict[str, object]) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "id": "test",
                "title": {"ja": "テスト", "en": "Test"},
                "version": "1",
                "checks": checks,
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    return path


def test_version_is_fast_path() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("endpoint-audit ")


# Runs inside a private network namespace (only its own loopback exists), so the listener
# bound to 0.0.0.0 that the check must catch is reachable from nowhere.
NETNS_DRIVER = """
import json, socket, subprocess, sys, time
port, baseline = int(sys.argv[1]), sys.argv[2]
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("0.0.0.0", port))
srv.listen()
scan = [sys.executable, "-m", "endpoint_audit", "scan", "-b", baseline, "-f", "json"]
first = subprocess.run(scan, capture_output=True, text=True, timeout=120)
srv.close()
second = subprocess.run(scan, capture_output=True, text=True, timeout=120)
runs = [[r.returncode, r.stdout, r.stderr] for r in (first, second)]
print(json.dumps({"pid": __import__("os").getpid(), "runs": runs}))
"""


def test_listener_on_forbidden_port_fails_then_clears(tmp_path: Path) -> None:
    unshare = require_tool("unshare")
    require_tool("ip", "/usr/sbin/ip", "/sbin/ip")
    if os.geteuid() != 0:
        pytest.skip("a private network namespace needs root")
    port = 8765
    baseline = write_baseline(
        tmp_path / "b.yaml", {"open_ports": {"params": {"forbidden_ports": [str(port)]}}}
    )
    done = subprocess.run(
        [unshare, "--net", "--", sys.executable, "-c", NETNS_DRIVER, str(port), str(baseline)],
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(),
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    (code1, out1, err1), (code2, out2, err2) = result["runs"]
    assert code1 == 1, err1
    [bad] = [f for f in json.loads(out1)["hosts"][0]["findings"] if f["status"] == "fail"]
    assert bad["resource"] == f"0.0.0.0:{port}/tcp"
    assert str(port) in bad["message"] and "python" in bad["message"]
    assert bad["actual"]["pid"] == result["pid"]
    assert code2 == 0, out2 + err2
    assert [f["status"] for f in json.loads(out2)["hosts"][0]["findings"]] == ["pass"]


def test_json_report_validates_against_published_schema(tmp_path: Path) -> None:
    baseline = write_baseline(tmp_path / "b.yaml", {"open_ports": {}})
    out = tmp_path / "r.json"
    result = run("scan", "-b", str(baseline), "-f", f"json:{out}")
    assert result.returncode in (0, 1), result.stderr
    schema = json.loads(run("report", "schema").stdout)
    report = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.validate(report, schema)
    assert report["schema_version"] == "1.0"
    assert report["tool"]["name"] == "endpoint-audit"
    assert len(report["baseline"]["sha256"]) == 64
    host = report["hosts"][0]
    assert host["status"] == "ok" and host["platform"]["family"] == "linux"
    for key in ("check_id", "status", "severity", "message", "expected", "actual", "evidence"):
        assert key in host["findings"][0]


@pytest.mark.parametrize(
    ("content", "expected_line", "needle"),
    [
        (
            "id: x\ntitle: {ja: a, en: b}\nversion: 1\nchecks:\n  open_port: {}\n",
            5,
            "unknown check id 'open_port'; did you mean 'open_ports'?",
        ),
        (
            "id: x\ntitle: {ja: a, en: b}\nversion: 1\nchecks:\n  open_ports:\n    params:\n"
            "      include_loopback: [1, 2]\n",
            7,
            "checks.open_ports.params.include_loopback",
        ),
        ("id: x\ntitle: {ja: a, en: b\nversion: 1\n", 3, "invalid YAML"),
    ],
)
def test_bad_baseline_is_one_line_exit_2(
    tmp_path: Path, content: str, expected_line: int, needle: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    result = run("scan", "-b", str(path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"endpoint-audit: error: {path}:{expected_line}: ")
    assert needle in lines[0]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_incomplete_evidence_exits_3(tmp_path: Path) -> None:
    """A recorded Linux host without `ss`: the ports cannot be seen, so exit 3, not 0."""
    bundle = tmp_path / "host.yaml"
    bundle.write_text(
        yaml.safe_dump(
            {
                "format": "endpoint-audit-bundle",
                "version": 1,
                "hosts": [
                    {
                        "target": "pc-01",
                        "platform": {"family": "linux", "distro": "debian", "transport": "ssh"},
                        "commands": {
                            "ss -H -tulpn": {"exit_status": 127, "stderr": "ss: not found"}
                        },
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    baseline = write_baseline(tmp_path / "b.yaml", {"open_ports": {}})
    result = run("scan", "-b", str(baseline), "--replay", str(bundle), "-f", "json")
    assert result.returncode == 3, result.stderr
    [finding] = json.loads(result.stdout)["hosts"][0]["findings"]
    assert finding["status"] == "unknown"
    assert "ss" in finding["message"]


def test_unknown_format_and_bad_lang_are_usage_errors() -> None:
    assert run("scan", "-f", "pdf").returncode == 2
    assert run("scan", "--lang", "fr").returncode == 2
    assert run("scan", "--only", "no_such_check").returncode == 2


def test_output_file_is_written_atomically(tmp_path: Path) -> None:
    baseline = write_baseline(tmp_path / "b.yaml", {"open_ports": {}})
    out = tmp_path / "sub" / "report.json"
    result = run("scan", "-b", str(baseline), "-f", "json", "-o", str(out))
    assert result.returncode in (0, 1)
    assert result.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8"))["hosts"]
    assert [p.name for p in out.parent.iterdir()] == ["report.json"]


def test_terminal_report_in_japanese(tmp_path: Path) -> None:
    baseline = write_baseline(tmp_path / "b.yaml", {"open_ports": {}})
    result = run("scan", "-b", str(baseline), "--lang", "ja")
    assert result.returncode in (0, 1)
    assert "基準: テスト" in result.stdout
    assert "遠隔操作" in result.stdout


def test_report_file_gets_the_usual_mode(tmp_path: Path) -> None:
    import stat

    out = tmp_path / "schema.json"
    old = os.umask(0o022)
    try:
        result = run("report", "schema", "-o", str(out))
    finally:
        os.umask(old)
    assert result.returncode == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
