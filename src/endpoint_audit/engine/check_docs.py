"""The README's tables of checks, derived from the check packages' texts (English): what
each check verifies, and per OS what it reads and the rights it needs. `scripts/derived-docs`
writes them between markers in README.md; a test fails when README.md is stale."""

from __future__ import annotations

import re

from endpoint_audit.engine.registry import Registry
from endpoint_audit.model import i18n
from endpoint_audit.model.platform import OsFamily

BEGIN = "<!-- derived:{name} (scripts/derived-docs writes this table from the checks' texts) -->"
END = "<!-- /derived:{name} -->"
OS_ORDER = (OsFamily.LINUX, OsFamily.WINDOWS, OsFamily.MACOS)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def checks_table(registry: Registry) -> str:
    rows = ["| id | verifies | default severity |", "| --- | --- | --- |"]
    for cid, check in sorted(registry.checks.items()):
        summary = i18n.t("en", f"{cid}.summary")
        rows.append(f"| `{cid}` | {_cell(summary)} | {check.meta.severity.value} |")
    return "\n".join(rows)


def reads_table(registry: Registry, family: OsFamily) -> str:
    rows = ["| check | reads | privileges |", "| --- | --- | --- |"]
    for cid, check in sorted(registry.checks.items()):
        if family not in check.meta.platforms:
            continue
        reads = i18n.t("en", f"{cid}.reads.{family.value}")
        rights = i18n.t("en", f"{cid}.privileges.{family.value}")
        rows.append(f"| {cid} | {_cell(reads)} | {_cell(rights)} |")
    return "\n".join(rows)


def tables(registry: Registry) -> dict[str, str]:
    out = {"checks": checks_table(registry)}
    out.update({f"reads-{f.value}": reads_table(registry, f) for f in OS_ORDER})
    return out


def rewrite(text: str, registry: Registry) -> str:
    """`text` (README.md) with every derived table replaced; a missing marker is an error."""
    for name, table in tables(registry).items():
        begin, end = BEGIN.format(name=name), END.format(name=name)
        pattern = re.compile(re.escape(begin) + r"\n.*?\n" + re.escape(end), re.S)
        match = pattern.search(text)
        if match is None:
            raise ValueError(f"README.md has no {begin!r} ... {end!r}")
        text = f"{text[: match.start()]}{begin}\n{table}\n{end}{text[match.end() :]}"
    return text
