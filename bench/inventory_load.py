"""Load big YAML inventories, and refuse an alias bomb: time and peak memory.

    .venv/bin/python bench/inventory_load.py [--hosts 3000 20000]

Writes, for each size, a native inventory (100 hosts a group, per-host settings), the same
with the shared settings written once through a YAML anchor, and an Ansible inventory;
loads each with `load_inventory` (the code `scan -i` runs) and prints seconds and the peak
memory Python allocated (tracemalloc, measured in a second pass, since tracing slows
Python down). Last, the time to refuse the shipped billion-laughs fixture.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.hostile.test_alias_guard import ansible_inventory, native_inventory  # noqa: E402

from endpoint_audit.baseline.yaml_lines import load_lined  # noqa: E402
from endpoint_audit.errors import ConfigError  # noqa: E402
from endpoint_audit.inventory import load_inventory  # noqa: E402


def measure(path: Path) -> tuple[int, float, float]:
    started = time.perf_counter()
    count = len(load_inventory(path))
    seconds = time.perf_counter() - started
    tracemalloc.start()
    try:
        load_inventory(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, seconds, peak / 1048576


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, nargs="+", default=[3000, 20000])
    args = parser.parse_args()
    print(f"{'inventory':32} {'hosts':>6} {'bytes':>10} {'seconds':>8} {'peak MB':>8}")
    with tempfile.TemporaryDirectory(prefix="inventory-load-") as tmp:
        for hosts in args.hosts:
            kinds = {
                f"native-{hosts}": native_inventory(hosts, anchored=False),
                f"native-{hosts}-anchors": native_inventory(hosts, anchored=True),
                f"ansible-{hosts}": ansible_inventory(hosts),
            }
            for name, text in kinds.items():
                path = Path(tmp) / f"{name}.yaml"
                path.write_text(text, encoding="utf-8")
                count, seconds, peak = measure(path)
                size = path.stat().st_size
                print(f"{name:32} {count:6d} {size:10d} {seconds:8.2f} {peak:8.1f}")
    bomb = (ROOT / "tests/fixtures/broken/b14-alias-bomb.yaml").read_text("utf-8")
    started = time.perf_counter()
    try:
        load_lined(bomb, "b14-alias-bomb.yaml")
    except ConfigError as exc:
        seconds = time.perf_counter() - started
        print(f"\nbillion laughs (9**9 values) refused in {seconds * 1000:.1f} ms: {exc}")


if __name__ == "__main__":
    main()
