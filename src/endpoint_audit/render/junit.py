"""JUnit XML for CI dashboards: a testsuite per host, a testcase per finding.

fail -> <failure>, error and unknown -> <error> (the check could not verify), not_applicable
-> <skipped>. A failure or unknown under a waiver in force passes, with the waiver in
<system-out>; an expired waiver does not help (model.verdict decides, as of the judging
time; one lapsed since says so there). An unreachable host is one testcase with an
<error>, and so is a check of a host without any finding (`not_judged`) and a reachable
host with no finding at all (`no_findings`) or with every check not applicable
(`nothing_verified`: nothing was verified there). Built with
ElementTree, never by string concatenation; control characters that XML 1.0 cannot hold
are written as visible escapes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

from endpoint_audit.model import i18n
from endpoint_audit.model.result import Finding, HostReport, RunReport, Status
from endpoint_audit.model.verdict import expected_checks, host_rollup, is_waived
from endpoint_audit.render.base import Renderer, RenderOptions
from endpoint_audit.render.summary import waiver_note
from endpoint_audit.render.text import (
    check_title,
    finding_message,
    host_baseline,
    partial_text,
    platform_text,
    status_label,
    value_text,
    visible_controls,
)


def _text(value: str) -> str:
    return visible_controls(value, keep="\n\t")


def _attr(value: str) -> str:
    # Attributes are one line: newlines and tabs as escapes too.
    return visible_controls(value, keep="")


def _waiver_line(finding: Finding, lang: str, as_of: datetime | None) -> str:
    return waiver_note(finding, lang, as_of)


def _details(finding: Finding, message: str, lang: str, as_of: datetime | None) -> str:
    lines = [message]
    if finding.expected is not None:
        lines.append(f"{i18n.t(lang, 'html.col.expected')}: {value_text(finding.expected)}")
    if finding.actual is not None:
        lines.append(f"{i18n.t(lang, 'html.col.actual')}: {value_text(finding.actual)}")
    if finding.waiver is not None:
        lines.append(_waiver_line(finding, lang, as_of))
    for item in finding.evidence:
        lines.append(f"{i18n.t(lang, 'html.col.source')}: {item.source}")
        if item.excerpt:
            lines.append(item.excerpt)
    return _text("\n".join(lines))


def _seconds(host: HostReport) -> str:
    return f"{host.duration_seconds:.3f}" if host.duration_seconds is not None else "0"


class JunitRenderer(Renderer):
    name = "junit"
    extension = ".xml"
    description = "JUnit XML for CI: a testsuite per host, a testcase per finding."

    def render(self, report: RunReport, options: RenderOptions) -> str:
        lang = options.lang
        root = ET.Element("testsuites", {"name": _attr(f"endpoint-audit {report.baseline.id}")})
        totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        partial = partial_text(report, lang)
        if partial:
            # An interrupted run is not a passing build: one erroring testcase says so.
            suite = ET.SubElement(root, "testsuite", {"name": "endpoint-audit", "id": "partial"})
            case = ET.SubElement(suite, "testcase", {"name": "complete", "classname": "run"})
            ET.SubElement(case, "error", {"message": _attr(partial), "type": "partial"})
            for key, value in (("tests", 1), ("failures", 0), ("errors", 1), ("skipped", 0)):
                suite.set(key, str(value))
                totals[key] += value
        for index, host in enumerate(report.hosts):
            suite, counts = self._suite(report, host, index, lang, options.as_of)
            root.append(suite)
            for key in totals:
                totals[key] += counts[key]
        for key, value in totals.items():
            root.set(key, str(value))
        ET.indent(root)
        body = ET.tostring(root, encoding="unicode")
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"

    def _suite(
        self, report: RunReport, host: HostReport, index: int, lang: str, as_of: datetime | None
    ) -> tuple[ET.Element, dict[str, int]]:
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        suite = ET.Element("testsuite", {"name": _attr(host.target), "id": str(index)})
        stamp = host.started_at or report.started_at
        suite.set("timestamp", stamp.strftime("%Y-%m-%dT%H:%M:%S"))
        suite.set("time", _seconds(host))
        props = ET.SubElement(suite, "properties")
        baseline = host_baseline(report, host)
        for name, value in (
            ("baseline", f"{baseline.id} {baseline.version}"),
            ("baseline_sha256", baseline.sha256),
            ("platform", platform_text(host.platform)),
            ("host_status", host.status),
            *((("source", host.source),) if host.source else ()),
            *(
                (("collected_at", host.collected_at.isoformat()),)
                if host.collected_at is not None
                else ()
            ),
            *((("name_conflicts", ", ".join(host.name_conflicts)),) if host.name_conflicts else ()),
        ):
            ET.SubElement(props, "property", {"name": name, "value": _attr(value)})
        if host.status != "ok":
            case = ET.SubElement(
                suite, "testcase", {"name": "reachable", "classname": _attr(host.target)}
            )
            reason = host.reason or "unreachable"
            ET.SubElement(case, "error", {"message": _attr(reason), "type": "unreachable"})
            counts["tests"] += 1
            counts["errors"] += 1
        for finding in host.findings:
            suite.append(self._case(report, host, finding, lang, counts, as_of))
        rolled = host_rollup(host, expected_checks(report, host))
        # Nothing judged at all (a suite of zero tests), or only <skipped> cases: either
        # would read as a green build.
        if host.status == "ok" and not rolled.checks:
            note = i18n.t(lang, "html.no_findings")
            _host_error(suite, host.target, "judged", "no_findings", note, counts)
        if rolled.nothing_verified:
            note = i18n.t(lang, "html.nothing_verified")
            _host_error(suite, host.target, "verified", "nothing_verified", note, counts)
        for cid, state in rolled.checks.items():
            if not state.findings:  # checked nothing: not a pass
                case = ET.SubElement(
                    suite,
                    "testcase",
                    {"name": _attr(cid), "classname": _attr(f"{host.target}.{cid}")},
                )
                note = i18n.t(lang, "html.not_judged")
                ET.SubElement(case, "error", {"message": _attr(note), "type": "not_judged"})
                counts["tests"] += 1
                counts["errors"] += 1
        for counter, number in counts.items():
            suite.set(counter, str(number))
        return suite, counts

    def _case(
        self,
        report: RunReport,
        host: HostReport,
        finding: Finding,
        lang: str,
        counts: dict[str, int],
        as_of: datetime | None,
    ) -> ET.Element:
        name = finding.check_id + (f"[{finding.resource}]" if finding.resource else "")
        case = ET.Element(
            "testcase",
            {
                "name": _attr(name),
                "classname": _attr(f"{host.target}.{finding.check_id}"),
                "time": "0",
            },
        )
        counts["tests"] += 1
        message = finding_message(finding, report, lang)
        title = check_title(report, finding.check_id, lang)
        if is_waived(finding):
            out = ET.SubElement(case, "system-out")
            status = status_label(finding.status.value, lang)
            line = _waiver_line(finding, lang, as_of)
            out.text = _text(f"{title}: {status}: {message}\n{line}")
            return case
        kind = {
            Status.FAIL: "failure",
            Status.ERROR: "error",
            Status.UNKNOWN: "error",
            Status.NOT_APPLICABLE: "skipped",
        }.get(finding.status)
        if kind is None:
            return case
        counts[{"failure": "failures", "error": "errors", "skipped": "skipped"}[kind]] += 1
        attrs = {"message": _attr(f"{title}: {message}")}
        if kind != "skipped":
            attrs["type"] = f"{finding.status.value}/{finding.severity.value}"
        element = ET.SubElement(case, kind, attrs)
        if kind != "skipped":
            element.text = _details(finding, message, lang, as_of)
        return case


def _host_error(
    suite: ET.Element, target: str, name: str, kind: str, note: str, counts: dict[str, int]
) -> None:
    """One error case for the host as a whole, typed by what was missing."""
    case = ET.SubElement(suite, "testcase", {"name": name, "classname": _attr(target)})
    ET.SubElement(case, "error", {"message": _attr(note), "type": kind})
    counts["tests"] += 1
    counts["errors"] += 1
