"""Importing a large HardeningKitty finding list, and the rule sheet round trip.

    .venv/bin/python bench/rules_import.py [--copies 20]

The list is the Windows 11 24H2 machine list of tests/fixtures/hardeningkitty (439 rows)
repeated COPIES times with distinct IDs. Prints the time to read and map the list, to
write and validate a baseline of one copy's rules (a baseline file is at most 1 MB), to
export all the rules as a sheet, and to import the sheet back.
"""

from __future__ import annotations

import argparse
import csv
import io
import tempfile
import time
from pathlib import Path

from endpoint_audit.engine.plan import load_plan_baseline
from endpoint_audit.engine.registry import load_registry
from endpoint_audit.rules import hardeningkitty, sheet
from endpoint_audit.rules.baseline_text import new_baseline
from endpoint_audit.rules.sheet_files import read_sheet

ROOT = Path(__file__).resolve().parents[1]
LISTS = ROOT / "tests" / "fixtures" / "hardeningkitty"
LIST = LISTS / "finding_list_msft_security_baseline_windows_11_24h2_machine.csv"


def big_list(copies: int, folder: Path) -> Path:
    with LIST.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(rows[0])
    for copy in range(copies):
        for row in rows[1:]:
            writer.writerow([f"{row[0]}-{copy}", *row[1:]])
    path = folder / "big.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=20)
    args = parser.parse_args()
    registry = load_registry()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = big_list(args.copies, folder)
        size = source.stat().st_size

        start = time.perf_counter()
        table = read_sheet(source)
        imported = hardeningkitty.import_rows(table)
        mapped = time.perf_counter() - start

        # A baseline file is at most 1 MB (safe_read.BASELINE): the one validated here
        # holds the rules of one copy of the list, as `rules import -o` writes it.
        one_copy = dict(list(imported.rules.items())[: len(imported.rules) // args.copies])
        start = time.perf_counter()
        text = new_baseline(one_copy, "bench", {"ja": "計測", "en": "Bench"}, None)
        baseline = folder / "bench.yaml"
        baseline.write_text(text, encoding="utf-8")
        loaded = load_plan_baseline(str(baseline), registry)
        validated = time.perf_counter() - start
        assert len(loaded.rules) == len(one_copy)

        start = time.perf_counter()
        csv_text = sheet.export_csv(imported.rules)
        exported = time.perf_counter() - start

        start = time.perf_counter()
        back = sheet.import_csv(csv_text)
        reimported = time.perf_counter() - start
        assert back == imported.rules

    rows = len(table) - 1
    print(f"HardeningKitty list: {rows} rows, {size / 1e6:.1f} MB")
    print(
        f"  read and map:        {mapped:6.2f} s  ({len(imported.rules)} rules, "
        f"{len(imported.skipped)} skipped; {rows / mapped:,.0f} rows/s)"
    )
    print(
        f"  write and validate:  {validated:6.2f} s  ({len(one_copy)} rules, "
        f"{len(text) / 1e3:.0f} KB of YAML)"
    )
    print(f"  export as a sheet:   {exported:6.2f} s  ({len(csv_text) / 1e6:.1f} MB)")
    print(f"  import the sheet:    {reimported:6.2f} s  (the same {len(back)} rules)")


if __name__ == "__main__":
    main()
