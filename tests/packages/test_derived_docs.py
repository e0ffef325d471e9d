"""The README's check tables and docs/baseline.schema.json are derived from the check
packages (scripts/derived-docs): a test fails when either is stale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from endpoint_audit.engine.check_docs import tables
from endpoint_audit.engine.registry import load_registry
from endpoint_audit.model import i18n

ROOT = Path(__file__).resolve().parent.parent.parent


def test_readme_and_schema_are_current() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "derived-docs"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_tables_say_what_the_catalogs_say() -> None:
    registry = load_registry()
    derived = tables(registry)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for cid, check in registry.checks.items():
        assert f"| `{cid}` | {i18n.t('en', f'{cid}.summary')} |" in derived["checks"]
        for family in check.meta.platforms:
            table = derived[f"reads-{family.value}"]
            assert f"| {cid} | " in table and table in readme
