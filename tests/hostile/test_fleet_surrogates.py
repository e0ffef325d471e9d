"""A fleet scan over real SSH where one host's PowerShell answers carry lone surrogate
escapes (`\\ud800`): every host is saved and the fleet report is written.

The hosts are OpenSSH servers on loopback (tests/ssh/lab.py). Windows cannot run here,
so the remote side of a Windows PC is played by programs on the session's PATH: `uname`
is missing (as on Windows), `cmd /c ver` prints the Windows version line, and
`powershell.exe` answers the batch it is sent with the recorded answers of a real
Windows 11 fixture, JSON-escaped as PowerShell writes them, with lone surrogates in the
process names on the bad host. Before the fix, the surrogate broke the host's JSON save
and aborted the whole fleet scan.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import require_tool
from tests.replay_cases import host_yaml_path
from tests.ssh.lab import USER_NOSUDO, SshLab, remove_lab_accounts, start_lab

pytestmark = [pytest.mark.sshd]

FIXTURE = host_yaml_path("win11-23h2-ja-rdp-listening")

FAKE_POWERSHELL = r'''#!__PYTHON__
"""powershell.exe on a recorded Windows PC: answers each probe of the batch it is sent."""
import base64, json, os, re, sys
argv = sys.argv[1:]
script = base64.b64decode(argv[argv.index("-EncodedCommand") + 1]).decode("utf-16-le")
if "$EAOut[" not in script:  # the constant bootstrap: the batch comes on stdin
    script = sys.stdin.buffer.read().decode("utf-8")
answers = json.load(open(os.path.join(os.path.dirname(__file__), "answers.json")))
bad = os.environ.get("USER", "") == os.environ.get("EA_BAD_USER", "-")
out = {}
for name in dict.fromkeys(re.findall(r"\$EAOut\['([a-z_]+)'\]", script)):
    value = answers.get(name)
    if value is None:
        out[name] = {"ok": False, "error": "no recorded answer", "ms": 1}
        continue
    if bad and name == "listening_sockets":
        for proc in value["processes"].values():
            proc["name"] = proc["name"][:2] + "\ud800" + proc["name"][2:]
    out[name] = {"ok": True, "value": value, "ms": 3}
print("<<<ENDPOINT-AUDIT-JSON")
print(json.dumps(out))  # ensure_ascii: the lone surrogate is written as \ud800
print("ENDPOINT-AUDIT-JSON>>>")
'''


@pytest.fixture(scope="module")
def windows_lab() -> Iterator[tuple[SshLab, Path]]:
    require_tool("sshd", "/usr/sbin/sshd")
    require_tool("ssh-keygen")
    if os.geteuid() != 0:
        pytest.skip("the SSH lab starts sshd and creates test users, which needs root")
    root = Path(tempfile.mkdtemp(prefix="endpoint-audit-winlab-"))
    lab = start_lab(root)
    try:
        fake = root / "winbin"
        fake.mkdir()
        data = yaml.safe_load(FIXTURE.read_text("utf-8"))
        commands = data["hosts"][0]["commands"]
        answers = {
            key.removeprefix("ps:"): json.loads(result["stdout"])
            for key, result in commands.items()
            if key.startswith("ps:") and result["exit_status"] == 0
        }
        (fake / "answers.json").write_text(json.dumps(answers), encoding="utf-8")
        # The system Python: the lab's users cannot read this checkout's virtualenv.
        python = require_tool("/usr/bin/python3", "/usr/local/bin/python3")
        script = FAKE_POWERSHELL.replace("__PYTHON__", python)
        (fake / "powershell.exe").write_text(script, encoding="utf-8")
        (fake / "cmd").write_text(
            "#!/bin/sh\nprintf '\\r\\nMicrosoft Windows [Version 10.0.22631.4460]\\r\\n'\n"
        )
        for name in ("powershell.exe", "cmd"):
            (fake / name).chmod(0o755)
        for path in (fake, fake / "answers.json"):
            path.chmod(path.stat().st_mode | 0o755 if path.is_dir() else 0o644)
        # No `uname` on this PATH: the transport takes the host for Windows, as it would.
        lab.session_env["PATH"] = str(fake)
        lab.session_env["EA_BAD_USER"] = lab.user(USER_NOSUDO)
        yield lab, fake
    finally:
        lab.stop()
        remove_lab_accounts(lab)
        shutil.rmtree(root, ignore_errors=True)


def test_a_surrogate_from_one_host_costs_no_host(
    windows_lab: tuple[SshLab, Path], tmp_path: Path
) -> None:
    lab, _ = windows_lab
    addresses = lab.start_fleet(2)
    lab.trust(addresses)
    inventory = tmp_path / "fleet.yaml"
    hosts = {
        "pc-good-1": {"address": addresses[0], "user": lab.user("ok")},
        "pc-bad": {"address": addresses[1], "user": lab.user(USER_NOSUDO)},
        "pc-good-2": {"address": addresses[0], "user": lab.user("hang")},
    }
    inventory.write_text(
        yaml.safe_dump(
            {"vars": {"port": lab.port}, "hosts": [dict(name=k, **v) for k, v in hosts.items()]}
        ),
        encoding="utf-8",
    )
    out = tmp_path / "audit"
    done = subprocess.run(
        [sys.executable, "-m", "endpoint_audit", "scan", "-i", str(inventory),
         "--output-dir", str(out), "-f", f"json:{tmp_path / 'fleet-copy.json'}",
         "-f", f"html:{tmp_path / 'f.html'}"],
        env=lab.env(),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1, done.stderr  # RDP listens on every host: a failure
    fleet = json.loads((out / "fleet.json").read_bytes().decode("utf-8"))
    by_name = {h["target"]: h for h in fleet["hosts"]}
    assert set(by_name) == set(hosts)
    assert all(h["status"] == "ok" for h in by_name.values()), fleet["hosts"]
    saved = sorted(p.name for p in (out / "hosts").glob("*.json"))
    assert len(saved) == 3, saved
    bad = json.dumps(by_name["pc-bad"], ensure_ascii=False)
    assert "\ufffd" in bad and "\\ud800" not in bad
    good = json.dumps(by_name["pc-good-1"], ensure_ascii=False)
    assert "\ufffd" not in good
    for path in (tmp_path / "fleet-copy.json", tmp_path / "f.html"):
        path.read_bytes().decode("utf-8")
