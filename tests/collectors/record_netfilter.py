"""Record what `nft -j list ruleset` and `iptables-save` print for the rulesets under
tests/fixtures/linux/netfilter/, each loaded into a fresh network namespace.

Run as root: `.venv/bin/python -m tests.collectors.record_netfilter`. It writes
tests/fixtures/linux/netfilter/recorded.json (scenario -> command key -> exit status,
stdout, stderr); the Linux firewall replay cases (checks/firewall/cases/linux-*.yaml) hold
these listings, each case's `source` naming its scenario: after changing a ruleset,
record again and copy the new listing into its case. Files per scenario:
`NAME.nft` (nft -f), `NAME.v4` / `NAME.v6` (iptables-restore / ip6tables-restore, the
nft variant, or the legacy one for names starting with `iptables-legacy`),
`NAME.legacy-v4` (iptables-legacy-restore). The kernel here has no modules to load, and the
namespaces are deleted afterwards.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from pathlib import Path

from endpoint_audit.checks.firewall import linux as fw

HERE = Path(__file__).resolve().parent.parent / "fixtures" / "linux" / "netfilter"
LISTINGS = (fw.NFT, fw.IPTABLES_SAVE, fw.IP6TABLES_SAVE, fw.IPTABLES_LEGACY_SAVE,
            fw.IP6TABLES_LEGACY_SAVE)  # fmt: skip


def _run(ns: str, *argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ip", "netns", "exec", ns, *argv],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"},
    )


def record(name: str) -> dict[str, list[object]]:
    ns = f"ea-rec-{secrets.token_hex(4)}"
    subprocess.run(["ip", "netns", "add", ns], check=True, timeout=30)
    try:
        legacy = name.startswith("iptables-legacy")
        loaders = {
            ".nft": ("nft", "-f", "-"),
            ".v4": ("iptables-legacy-restore",) if legacy else ("iptables-nft-restore",),
            ".v6": ("ip6tables-legacy-restore",) if legacy else ("ip6tables-nft-restore",),
            ".legacy-v4": ("iptables-legacy-restore",),
        }
        for suffix, argv in loaders.items():
            path = HERE / f"{name}{suffix}"
            if path.exists():
                done = _run(ns, *argv, stdin=path.read_text(encoding="utf-8"))
                if done.returncode != 0:
                    raise SystemExit(f"{path.name}: {done.stderr.strip()}")
        out: dict[str, list[object]] = {}
        for command in LISTINGS:
            done = _run(ns, *command.argv)
            out[command.key] = [done.returncode, done.stdout, done.stderr]
        return out
    finally:
        subprocess.run(["ip", "netns", "delete", ns], check=False, timeout=30)


def main() -> None:
    names = sorted({p.name.split(".")[0] for p in HERE.iterdir() if p.suffix != ".json"})
    recorded = {name: record(name) for name in names}
    (HERE / "recorded.json").write_text(
        json.dumps(recorded, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
