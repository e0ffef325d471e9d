"""Bundles as the exported probe scripts write them, made from recorded hosts.

The Windows script stores the PowerShell batch document itself (`powershell_batch`:
`{name: {ok, value | error, ms}}`, what `$EAOut` holds) with no platform; the POSIX
script stores each command's output in base64. `fleet_folder` fills a folder with many
such files and a few broken ones, for the fleet test and bench/evaluate_dir.py.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from endpoint_audit.model.commands import CommandResult
from endpoint_audit.transport.transcript import (
    BUNDLE_FORMAT,
    BUNDLE_VERSION,
    PROBE_SCRIPT_VERSION,
    HostTranscript,
)
from tests.replay_cases import host_names, host_transcript


def batch_entry(result: CommandResult) -> dict[str, Any]:
    """What the batch template stores for one probe (transport/powershell.py)."""
    ms = int(result.duration * 1000)
    if result.ok:
        return {"ok": True, "value": json.loads(result.stdout), "ms": ms}
    if result.refused_language_mode:  # what the batch writes for a probe CLM refused
        return {"ok": False, "refused": result.refused_language_mode, "ms": ms}
    return {"ok": False, "error": result.stderr, "ms": ms}


def windows_script_bundle(host: HostTranscript, target: str | None = None) -> dict[str, Any]:
    """The bundle the PowerShell probe script writes on the PC `host` was recorded on."""
    batch = {
        key.removeprefix("ps:"): batch_entry(result)
        for key, result in host.commands.items()
        if key.startswith("ps:")
    }
    collected = host.collected_at.strftime("%Y-%m-%dT%H:%M:%SZ") if host.collected_at else None
    return {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "script_version": PROBE_SCRIPT_VERSION,
        "tool_version": "0.1.0",
        "hosts": [
            {
                "target": target or host.target,
                "collected_at": collected,
                "platform": None,
                "probe": {"os": "windows", "total_seconds": 600},
                "commands": {},
                "powershell_batch": batch,
            }
        ],
    }


def posix_script_bundle(host: HostTranscript, target: str, family: str) -> dict[str, Any]:
    """The bundle the sh probe script writes (every stream in base64)."""

    def b64(text: str) -> str:
        return base64.b64encode(text.encode("utf-8")).decode("ascii")

    commands = {
        key: {
            "exit_status": r.exit_status,
            "timed_out": r.timed_out,
            "duration": int(r.duration),
            "stdout_b64": b64(r.stdout),
            "stderr_b64": b64(r.stderr),
        }
        for key, r in host.commands.items()
    }
    return {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "script_version": PROBE_SCRIPT_VERSION,
        "tool_version": "0.1.0",
        "hosts": [
            {
                "target": target,
                "collected_at": host.collected_at.isoformat() if host.collected_at else None,
                "platform": None,
                "probe": {"os": family, "command_seconds": 60, "total_seconds": 600},
                "commands": commands,
            }
        ],
    }


def windows_cases() -> dict[str, HostTranscript]:
    out: dict[str, HostTranscript] = {}
    for name in host_names("windows"):
        out[name] = host_transcript(name)
    return out


# Five ways a file on a share goes bad: cut off while copied, not JSON at all, written by
# an unknown script version, some other JSON document, and empty.
CORRUPT: dict[str, str] = {
    "truncated": "",  # filled from a good bundle
    "not-json": "PK\x03\x04 this is a zip file, not a bundle\n",
    "unknown-version": "",
    "wrong-format": json.dumps({"format": "some-other-tool", "version": 1, "hosts": []}),
    "empty": "",
}


def fleet_folder(folder: Path, hosts: int = 500, corrupt: int = 5) -> dict[str, str]:
    """`hosts` files in `folder`: `corrupt` of them broken (one of each kind in CORRUPT,
    cycling), the others script bundles of the recorded Windows PCs under distinct
    names. Returns {file name: corruption kind} for the broken ones."""
    cases = list(windows_cases().items())
    good = hosts - corrupt
    folder.mkdir(parents=True, exist_ok=True)
    sample = ""
    for i in range(good):
        name, host = cases[i % len(cases)]
        target = f"PC-{i:04d}-{name}"
        text = json.dumps(windows_script_bundle(host, target))
        sample = sample or text
        (folder / f"endpoint-audit-{target}-20241120T030000Z.json").write_text(text)
    kinds = list(CORRUPT)
    broken: dict[str, str] = {}
    for j in range(corrupt):
        kind = kinds[j % len(kinds)]
        if kind == "truncated":
            text = sample[: len(sample) // 2]
        elif kind == "unknown-version":
            data = json.loads(sample)
            data["script_version"] = PROBE_SCRIPT_VERSION + 41
            text = json.dumps(data)
        else:
            text = CORRUPT[kind]
        file = f"endpoint-audit-BROKEN-{j:02d}-{kind}.json"
        (folder / file).write_text(text)
        broken[file] = kind
    return broken
