"""Rules written into a baseline's YAML text, keeping everything else of the file as
written (comments, order, the other checks): a rule already there is replaced in place,
a new one is added at the end of `checks:`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from endpoint_audit.baseline.yaml_lines import load_lined
from endpoint_audit.errors import ConfigError
from endpoint_audit.model.rule import RuleEntry
from endpoint_audit.rules.sheet import rule_document


def rule_yaml(rule_id: str, rule: RuleEntry, indent: str) -> list[str]:
    text = yaml.safe_dump(
        {rule_id: rule_document(rule)}, allow_unicode=True, sort_keys=False, width=100
    )
    return [f"{indent}{line}\n" if line else "\n" for line in text.splitlines()]


def new_baseline(
    rules: Mapping[str, RuleEntry], baseline_id: str, title: dict[str, str], extends: str | None
) -> str:
    head: dict[str, Any] = {"id": baseline_id, "title": title, "version": "1"}
    if extends:
        head["extends"] = extends
    text = yaml.safe_dump(head, allow_unicode=True, sort_keys=False, width=100) + "checks:\n"
    for rule_id, rule in rules.items():
        text += "".join(rule_yaml(rule_id, rule, "  "))
    return text


def _is_filler(line: str) -> bool:
    return not line.strip() or line.lstrip().startswith("#")


def merge_rules(text: str, source: str, rules: Mapping[str, RuleEntry]) -> str:
    """`text` with `rules` written into its `checks:`. Raises ConfigError."""
    doc = load_lined(text, source)
    if not isinstance(doc.data, dict):
        raise ConfigError(f"{source}:1: (top): not a baseline (a mapping of id, title, checks)")
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    checks = doc.data.get("checks")
    if checks is None and "checks" not in doc.data:
        lines.append("checks:\n")
        for rule_id, rule in rules.items():
            lines += rule_yaml(rule_id, rule, "  ")
        return "".join(lines)
    at = doc.lines[("checks",)] - 1  # 0-based line of `checks:`
    after = lines[at].split("checks:", 1)[1] if "checks:" in lines[at] else ""
    block = re.sub(r"#.*", "", after).strip()
    if block in ("{}", "", "null", "~") and not checks:
        lines[at] = lines[at].replace(after.rstrip("\n"), "") if block else lines[at]
    elif block or not isinstance(checks, dict):
        raise ConfigError(
            f"{source}:{at + 1}: checks: write checks as a block (one id a line) to import "
            "rules into it"
        )
    top_keys = sorted(line for path, line in doc.lines.items() if len(path) == 1)
    end = next((line - 1 for line in top_keys if line - 1 > at), len(lines))
    while end > at + 1 and _is_filler(lines[end - 1]):
        end -= 1
    entries = sorted(
        (line - 1, str(path[1]))
        for path, line in doc.lines.items()
        if len(path) == 2 and path[0] == "checks"
    )
    indent = "  "
    if entries:
        first = lines[entries[0][0]]
        indent = first[: len(first) - len(first.lstrip())]
    spans: dict[str, tuple[int, int]] = {}
    for pos, (start, cid) in enumerate(entries):
        stop = entries[pos + 1][0] if pos + 1 < len(entries) else end
        while stop > start + 1 and _is_filler(lines[stop - 1]):
            stop -= 1
        spans[cid] = (start, stop)
    added = [cid for cid in rules if cid not in spans]
    out = (
        lines[:end]
        + [line for cid in added for line in rule_yaml(cid, rules[cid], indent)]
        + lines[end:]
    )
    for cid, (start, stop) in sorted(spans.items(), key=lambda item: -item[1][0]):
        if cid in rules:
            out[start:stop] = rule_yaml(cid, rules[cid], indent)
    return "".join(out)
