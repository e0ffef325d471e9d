"""Signing and verifying a round: figures for a fleet of N PCs.

    .venv/bin/python bench/signing.py [--hosts 500] [--size 40000]

Writes N host reports of SIZE bytes and a manifest listing them, in a temporary round
folder; then times: the key derivation of each --kdf setting (what `keys init` and every
`--sign` cost once), signing every host file and the manifest, and `report verify DIR`'s
check of the folder (the manifest's signature, every file's sha256, files added).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from endpoint_audit.engine.round_check import check_round  # noqa: E402
from endpoint_audit.engine.run_folder import HostEntry, RunManifest, RunParameters  # noqa: E402
from endpoint_audit.engine.signing import sign_file  # noqa: E402
from endpoint_audit.model.result import ToolInfo  # noqa: E402
from endpoint_audit.signing import minisign  # noqa: E402
from endpoint_audit.signing.trusted_keys import single  # noqa: E402


def timed(what: str, action: object) -> float:
    start = time.perf_counter()
    action()  # type: ignore[operator]
    seconds = time.perf_counter() - start
    print(f"{what}: {seconds:.3f} s")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--size", type=int, default=40_000)
    args = parser.parse_args()
    key = minisign.SecretKey.generate()
    for name, ops, mem in (
        ("interactive", minisign.OPSLIMIT_INTERACTIVE, minisign.MEMLIMIT_INTERACTIVE),
        ("sensitive", minisign.OPSLIMIT_SENSITIVE, minisign.MEMLIMIT_SENSITIVE),
    ):
        text = minisign.encode_secret_key(key, "pw", opslimit=ops, memlimit=mem)
        timed(f"key derivation --kdf {name} (open the key once)",
              lambda text=text: minisign.decode_secret_key(text, "pw"))  # fmt: skip
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "hosts").mkdir()
        hosts = {}
        for i in range(args.hosts):
            data = os.urandom(args.size // 2).hex().encode()
            path = root / "hosts" / f"pc-{i:04d}.json"
            path.write_bytes(data)
            hosts[f"pc-{i:04d}"] = HostEntry(
                path=f"hosts/{path.name}", sha256=hashlib.sha256(data).hexdigest(),
                size=len(data), written_at=now, target=f"pc-{i:04d}", status="ok", plan="p",
            )  # fmt: skip
        manifest = RunManifest(
            run_id="bench", tool=ToolInfo(version="bench"), created_at=now, updated_at=now,
            parameters=RunParameters(baseline="b"), hosts=hosts,
        )  # fmt: skip
        (root / "manifest.json").write_text(manifest.model_dump_json(indent=2))
        files = sorted((root / "hosts").iterdir())
        total = timed(
            f"sign {len(files)} host files of {args.size} bytes",
            lambda: [sign_file(key, p, {"kind": "report"}) for p in files],
        )
        print(f"  per file: {1000 * total / len(files):.2f} ms")
        timed("sign manifest.json", lambda: sign_file(key, root / "manifest.json", {}))
        result: list[object] = []
        timed(
            f"report verify DIR ({args.hosts} hosts, each file's signature too)",
            lambda: result.append(check_round(root, single(key.public_key()))),
        )
        problems = result[0].problems  # type: ignore[attr-defined]
        print(f"  problems found: {len(problems)} (0 expected)")


if __name__ == "__main__":
    main()
