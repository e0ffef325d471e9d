"""Text every document renderer needs: labels, messages in the chosen language, values.

Nothing here escapes: each format escapes for itself (Jinja2 autoescape, ElementTree,
csv neutralisation, Markdown escaping). These helpers only pick and flatten the words.
"""

from __future__ import annotations

import json
from typing import Any

from msgspec import Struct

from endpoint_audit.model import i18n
from endpoint_audit.model.platform import PlatformInfo
from endpoint_audit.model.printable import visible_controls
from endpoint_audit.model.result import (
    BaselineInfo,
    CheckInfo,
    Finding,
    HostReport,
    Reference,
    RunReport,
)


def pick(text: dict[str, str], lang: str, fallback: str = "") -> str:
    """A LocalizedText in `lang`, else English, else any language, else `fallback`."""
    return text.get(lang) or text.get(i18n.DEFAULT_LANGUAGE) or next(iter(text.values()), fallback)


def finding_message(finding: Finding, report: RunReport, lang: str) -> str:
    """The finding's sentence in `lang`. A report keeps the message in its own language plus
    the catalog key and arguments, so another language is rendered from the catalog; a
    message the catalog does not hold (a plugin's own text), or whose recorded arguments
    do not fill the catalog text (a report from another version, or edited), stays as
    recorded."""
    if lang == report.lang or not i18n.has(finding.message_key):
        return finding.message
    rendered = i18n.render_message(lang, finding.message_key, finding.message_args)
    return finding.message if rendered is None else rendered


def partial_text(report: RunReport, lang: str) -> str:
    """The warning every format carries when the run was interrupted; "" otherwise."""
    partial = report.partial
    if partial is None:
        return ""
    if partial.reason == "slices_missing" and report.shards is not None:
        return i18n.t(
            lang,
            "report.partial_slices",
            missing=", ".join(map(str, report.shards.missing)),
            count=report.shards.count,
            hosts=partial.hosts_reported,
            planned=partial.hosts_planned,
        )
    return i18n.t(
        lang,
        "report.partial",
        reason=i18n.t(lang, f"report.partial_reason.{partial.reason}"),
        hosts=partial.hosts_reported,
        planned=partial.hosts_planned,
    )


def host_baseline(report: RunReport, host: HostReport) -> BaselineInfo:
    """The baseline this host was judged with: its own in a report of several."""
    if host.baseline_sha256 is not None:
        for info in report.baselines:
            if info.sha256 == host.baseline_sha256:
                return info
    return report.baseline


def baseline_label(info: BaselineInfo, lang: str) -> str:
    """`Title (id version)`."""
    return f"{pick(info.title, lang, info.id)} ({info.id} {info.version})"


def baselines_in_use(report: RunReport) -> list[tuple[BaselineInfo, int]]:
    """Every baseline of a report whose hosts followed several, with its host count;
    empty when all hosts followed `report.baseline`."""
    if len(report.baselines) < 2:
        return []
    counts = {info.sha256: 0 for info in report.baselines}
    for host in report.hosts:
        key = host_baseline(report, host).sha256
        counts[key] = counts.get(key, 0) + 1
    return [(info, counts[info.sha256]) for info in report.baselines]


def check_title(report: RunReport, check_id: str, lang: str) -> str:
    info = report.checks.get(check_id)
    return pick(info.title, lang, check_id) if info else check_id


def remediation_for(info: CheckInfo | None, family: str | None, lang: str) -> str:
    """The remediation text for the host's OS family, or "" when the check has none."""
    if info is None or family is None:
        return ""
    text = info.remediation.get(family)
    return pick(text, lang) if text else ""


def references_for(info: CheckInfo | None, family: str | None) -> list[Reference]:
    """The framework items a check serves on this OS (all of them when the OS is unknown)."""
    if info is None:
        return []
    return [
        r for r in info.references if not r.platforms or family is None or family in r.platforms
    ]


def framework_label(framework: str, lang: str) -> str:
    key = f"frameworks.name.{framework}"
    return i18n.t(lang, key) if i18n.has(key) else framework


def value_text(value: Any) -> str:
    """Expected/actual values as one line: strings as they are, anything else as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def status_label(status: str, lang: str) -> str:
    return i18n.t(lang, f"report.status.{status}")


def severity_label(severity: str, lang: str) -> str:
    return i18n.t(lang, f"report.severity.{severity}")


def source_text(host: HostReport, lang: str) -> str:
    """Where a recorded host's result came from, when its commands ran (UTC), and which
    other files claim its name; "" for a host audited live."""
    parts: list[str] = []
    if host.source is not None:
        parts.append(i18n.t(lang, "report.source", file=host.source))
    if host.collected_at is not None:
        # A recorded result is as old as its collection, not as the report: say so.
        when = host.collected_at.strftime("%Y-%m-%d %H:%M")
        parts.append(i18n.t(lang, "report.collected", when=when))
    if host.name_conflicts:
        parts.append(i18n.t(lang, "report.name_conflict", files=", ".join(host.name_conflicts)))
    return " · ".join(parts)


def platform_text(platform: PlatformInfo | None) -> str:
    """`Windows 11 Pro 23H2 (10.0.22631.3447)` or the family, or ""."""
    if platform is None:
        return ""
    name = platform.pretty_name or platform.family.value
    if platform.build and platform.build not in name:
        return f"{name} ({platform.build})"
    return name


__all__ = [
    "ValueLine",
    "baseline_label",
    "baselines_in_use",
    "check_title",
    "finding_message",
    "framework_label",
    "host_baseline",
    "partial_text",
    "pick",
    "platform_text",
    "references_for",
    "remediation_for",
    "severity_label",
    "status_label",
    "value_lines",
    "value_summary",
    "value_text",
    "visible_controls",
]


# A list longer than this shows its first items and a count; the whole list is folded.
LIST_SHOWN = 5


class ValueLine(Struct, frozen=True):
    """One line of an expected or actual value, written for people: `label: text`, and
    for a long list, the whole list to fold under it."""

    label: str
    text: str
    items: tuple[str, ...] = ()  # the whole list when `text` shows only its start


def _scalar(value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return i18n.t(lang, "html.value.yes" if value else "html.value.no")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (str, int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _list_line(label: str, values: list[Any], lang: str) -> ValueLine:
    items = tuple(_scalar(v, lang) for v in values)
    if not items:
        return ValueLine(label, i18n.t(lang, "html.value.none"))
    if len(items) <= LIST_SHOWN:
        return ValueLine(label, ", ".join(items))
    shown = ", ".join(items[:LIST_SHOWN])
    return ValueLine(label, i18n.t(lang, "html.value.more", shown=shown, count=len(items)), items)


def value_lines(value: Any, lang: str, label: str = "") -> list[ValueLine]:
    """Expected/actual values as lines a person reads: mappings as `key: value` (nested
    keys joined with dots; keys without a value left out), lists as their items with a
    count past LIST_SHOWN, yes/no for booleans. The JSON report keeps the raw values."""
    if value is None:
        return []
    if isinstance(value, dict):
        out: list[ValueLine] = []
        for key, item in value.items():
            out += value_lines(item, lang, f"{label}.{key}" if label else str(key))
        return out
    if isinstance(value, (list, tuple)):
        if any(isinstance(v, (dict, list, tuple)) for v in value):
            return [ValueLine(label, _scalar(list(value), lang))]
        return [_list_line(label, list(value), lang)]
    return [ValueLine(label, _scalar(value, lang))]


def value_summary(value: Any, lang: str) -> str:
    """The same lines on one line (`key: value; key: value`), for text formats."""
    return "; ".join(
        f"{line.label}: {line.text}" if line.label else line.text
        for line in value_lines(value, lang)
    )
