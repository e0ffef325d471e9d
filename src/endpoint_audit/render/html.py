"""HTML: one self-contained file for managers and auditors, in Japanese or English.

The page makes no request of any kind: CSS and the one script are inline, no fonts or
images are fetched, and a Content-Security-Policy forbids everything else, so a viewer
that opens it offline sees the same thing. Host data is hostile: the template is
rendered with autoescape on and StrictUndefined, and anchors use positions, never names.
The script only enhances (filter, sort, open evidence for printing); without it the page
is complete.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field

from endpoint_audit.model import i18n
from endpoint_audit.model.compliance import Verdict, framework_compliance
from endpoint_audit.model.result import CheckInfo, Evidence, Finding, RunReport, Status
from endpoint_audit.model.verdict import finding_waiver
from endpoint_audit.render.base import Renderer, RenderOptions
from endpoint_audit.render.summary import (
    SEVERITY_ORDER,
    STATUS_ORDER,
    STATUS_RANK,
    CheckState,
    HostSummary,
    ReportSummary,
    format_percent,
    summarize,
    verdict_parts,
    waiver_day,
    waiver_note,
)
from endpoint_audit.render.text import (
    ValueLine,
    baseline_label,
    baselines_in_use,
    check_title,
    finding_message,
    framework_label,
    host_baseline,
    partial_text,
    pick,
    platform_text,
    references_for,
    remediation_for,
    severity_label,
    source_text,
    status_label,
    value_lines,
    visible_controls,
)

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATE = "report.html.j2"
SCRIPT = "report.js"
STYLE = "report.css"


@cache
def _environment() -> Environment:
    # Imported here: jinja2 is only needed when an HTML report is written.
    from jinja2 import Environment, FunctionLoader, StrictUndefined
    from markupsafe import Markup

    folder = resources.files("endpoint_audit") / "templates"

    def load(name: str) -> str | None:
        entry = folder / name
        return entry.read_text("utf-8") if entry.is_file() else None

    def finalize(value: Any) -> Any:
        # Every printed string from the report: control characters become visible text.
        # Markup (the package's own CSS and script) is not host data and stays as is.
        if isinstance(value, str) and not isinstance(value, Markup):
            return visible_controls(value)
        return value

    env = Environment(
        loader=FunctionLoader(load),
        finalize=finalize,
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


@cache
def _asset(name: str) -> str:
    return (resources.files("endpoint_audit") / "templates" / name).read_text("utf-8")


def script_hash(script: str) -> str:
    """The CSP source that allows exactly this inline script and no other."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


class FindingView(Struct, frozen=True):
    status: str
    status_label: str
    resource: str
    message: str
    expected: list[ValueLine]
    actual: list[ValueLine]
    waiver: str  # one sentence, "" when none
    waiver_state: str  # "", or model.verdict's WaiverStanding: in_force, expired, pending, lapsed


class CheckView(Struct, frozen=True):
    number: int  # anchor of the check in the catalogue
    id: str
    title: str
    status: str
    status_label: str
    severity: str
    severity_label: str
    waived: bool
    judged: bool  # False: the host has no finding of this check (it counts as unknown)
    findings: list[FindingView]
    evidence: list[Evidence]
    remediation: str
    references: list[tuple[str, str, str]]  # framework label, item id, item title


class HostView(Struct, frozen=True):
    anchor: str
    number: int
    target: str
    platform: str
    family: str
    reachable: bool
    reason: str
    state: str  # worst check status, or "unreachable"
    state_label: str
    score: str
    checks_line: str
    source: str  # the file a recorded host came from, and name conflicts; "" live
    conflict: bool
    failed: dict[str, int]
    unknown: int
    error: int
    checks: list[CheckView] = field(default_factory=list)
    baseline: str = ""  # the host's own baseline, in a report of several; else ""
    nothing_verified: bool = False  # reached, every check not applicable: unknown


class RequirementView(Struct, frozen=True):
    id: str
    title: str
    checks: list[str]  # check titles
    verdict: str
    verdict_label: str
    counts: list[tuple[str, str, int]]  # verdict, label, hosts


class FrameworkView(Struct, frozen=True):
    label: str
    requirements: list[RequirementView]


class CatalogueEntry(Struct, frozen=True):
    number: int
    id: str
    title: str
    severity: str
    severity_label: str
    description: str
    rationale: str
    remediation: list[tuple[str, str]]  # OS label, text
    references: list[tuple[str, str, str]]
    rate: str
    rate_value: float  # 0-100 for the bar; 0 when nothing applies
    compliant: int
    applicable: int
    counts: dict[str, int]
    waived_hosts: int


def _evidence(findings: tuple[Finding, ...]) -> list[Evidence]:
    """Evidence of a check on a host, once each: findings of one check share their sources."""
    seen: dict[tuple[str, str], Evidence] = {}
    for finding in findings:
        for item in finding.evidence:
            seen.setdefault((item.source, item.excerpt), item)
    return list(seen.values())


def _waiver_text(finding: Finding, lang: str, as_of: datetime | None) -> tuple[str, str]:
    standing = finding_waiver(finding, as_of)
    if standing is None:
        return "", ""
    return waiver_note(finding, lang, as_of), standing.value


def _references(
    info: CheckInfo | None, family: str | None, lang: str
) -> list[tuple[str, str, str]]:
    return [
        (framework_label(r.framework, lang), r.id, r.title or "")
        for r in references_for(info, family)
    ]


class _Builder:
    """Turns the report into plain view objects, so the template only lays them out."""

    def __init__(self, report: RunReport, lang: str, as_of: datetime | None = None) -> None:
        self.report = report
        self.lang = lang
        self.as_of = as_of
        self.summary: ReportSummary = summarize(report, as_of)
        self.check_numbers = {r.check_id: i + 1 for i, r in enumerate(self.summary.check_rates)}
        self.fleet = len(report.hosts) > 1
        self.baselines = baselines_in_use(report)
        self.several_baselines = bool(self.baselines)

    def t(self, key: str, **args: Any) -> str:
        return i18n.t(self.lang, key, **args)

    def finding(self, finding: Finding) -> FindingView:
        waiver, waiver_state = _waiver_text(finding, self.lang, self.as_of)
        return FindingView(
            status=finding.status.value,
            status_label=status_label(finding.status.value, self.lang),
            resource=finding.resource or "",
            message=finding_message(finding, self.report, self.lang),
            expected=value_lines(finding.expected, self.lang),
            actual=value_lines(finding.actual, self.lang),
            waiver=waiver,
            waiver_state=waiver_state,
        )

    def check(self, state: CheckState, family: str | None) -> CheckView:
        info = self.report.checks.get(state.check_id)
        severity = (
            info.severity.value
            if info
            else state.findings[0].severity.value
            if state.findings
            else "info"
        )
        inline = not self.fleet  # a fleet report shows these once, in the catalogue
        return CheckView(
            number=self.check_numbers.get(state.check_id, 0),
            id=state.check_id,
            title=check_title(self.report, state.check_id, self.lang),
            status=state.status.value,
            status_label=status_label(state.status.value, self.lang),
            severity=severity,
            severity_label=severity_label(severity, self.lang),
            waived=state.waived,
            judged=state.judged,
            findings=[self.finding(f) for f in _worst_first(state)],
            evidence=_evidence(state.findings),
            remediation=remediation_for(info, family, self.lang)
            if inline and not state.compliant
            else "",
            references=_references(info, family, self.lang) if inline else [],
        )

    def host(self, summary: HostSummary) -> HostView:
        host = summary.host
        family = host.platform.family.value if host.platform else None
        if summary.reachable:
            state = summary.state.value if summary.state else Status.ERROR.value
            state_label = status_label(state, self.lang)
        else:
            state, state_label = "unreachable", self.t("html.unreachable")
        return HostView(
            anchor=summary.anchor,
            number=summary.index + 1,
            target=host.target,
            platform=platform_text(host.platform),
            family=family or "",
            reachable=summary.reachable,
            reason=host.reason or "",
            state=state,
            state_label=state_label,
            score=format_percent(summary.score),
            checks_line=self.t(
                "html.checks_compliant",
                compliant=summary.compliant,
                applicable=summary.applicable,
            )
            if summary.reachable
            else "",
            source=source_text(host, self.lang),
            conflict=bool(host.name_conflicts),
            failed={s.value: summary.failed_by_severity[s.value] for s in SEVERITY_ORDER},
            unknown=summary.finding_counts[Status.UNKNOWN.value],
            error=summary.finding_counts[Status.ERROR.value],
            checks=[self.check(c, family) for c in _worst_checks_first(summary.checks)],
            baseline=baseline_label(host_baseline(self.report, host), self.lang)
            if self.several_baselines
            else "",
            nothing_verified=summary.nothing_verified,
        )

    def catalogue(self) -> list[CatalogueEntry]:
        families = sorted(
            {h.platform.family.value for h in self.report.hosts if h.platform is not None}
        )
        out: list[CatalogueEntry] = []
        for rate in self.summary.check_rates:
            info = self.report.checks.get(rate.check_id)
            severity = info.severity.value if info else "info"
            remediation = []
            if info is not None:
                for os_family, text in info.remediation.items():
                    if not families or os_family in families:
                        remediation.append((self.t(f"html.os.{os_family}"), pick(text, self.lang)))
            out.append(
                CatalogueEntry(
                    number=self.check_numbers[rate.check_id],
                    id=rate.check_id,
                    title=check_title(self.report, rate.check_id, self.lang),
                    severity=severity,
                    severity_label=severity_label(severity, self.lang),
                    description=pick(info.description, self.lang) if info else "",
                    rationale=pick(info.rationale, self.lang) if info else "",
                    remediation=remediation,
                    references=_references(info, None, self.lang),
                    rate=format_percent(rate.rate),
                    rate_value=round(rate.rate or 0.0, 1),
                    compliant=rate.compliant,
                    applicable=rate.applicable,
                    counts={s.value: rate.counts[s.value] for s in STATUS_ORDER},
                    waived_hosts=rate.waived_hosts,
                )
            )
        return out

    def frameworks(self) -> list[FrameworkView]:
        """The baseline's framework requirements, rolled up by model.compliance."""
        out: list[FrameworkView] = []
        # Only requirements of the OSes in the report: a Linux host's report shows no
        # Windows or macOS CIS items (all of them would say "not applicable").
        present = {h.platform.family.value for h in self.report.hosts if h.platform}
        for framework in framework_compliance(self.report):
            shown = [
                req
                for req in framework.requirements
                if not present or not req.platforms or present & set(req.platforms)
            ]
            if not shown:
                continue
            requirements = [
                RequirementView(
                    id=req.id,
                    title=req.title or "",
                    checks=[check_title(self.report, cid, self.lang) for cid in req.checks],
                    verdict=req.verdict.value,
                    verdict_label=self.t(f"frameworks.verdict.{req.verdict.value}"),
                    counts=[
                        (v.value, self.t(f"frameworks.verdict.{v.value}"), req.counts[v])
                        for v in Verdict
                        if req.counts.get(v)
                    ],
                )
                for req in shown
            ]
            out.append(FrameworkView(framework_label(framework.framework, self.lang), requirements))
        return out

    def waivers(self) -> list[dict[str, str]]:
        rows: list[dict[str, str]] = []
        for summary in self.summary.hosts:
            for finding in summary.host.findings:
                standing = finding_waiver(finding, self.as_of)
                if finding.waiver is None or standing is None:
                    continue
                rows.append(
                    {
                        "anchor": summary.anchor,
                        "host": summary.host.target,
                        "check": check_title(self.report, finding.check_id, self.lang),
                        "resource": finding.resource or "",
                        "status": finding.status.value,
                        "status_label": status_label(finding.status.value, self.lang),
                        "justification": finding.waiver.justification,
                        "approver": finding.waiver.approver,
                        "expires": waiver_day(finding.waiver.expires, finding.waiver),
                        "state": standing.value,
                    }
                )
        return rows


def _worst_checks_first(checks: Sequence[CheckState]) -> list[CheckState]:
    """Failures first, the most severe first, as the terminal table orders its rows: the
    reader of a printed report meets what to fix before what passed. Stable: ties keep
    the baseline's order."""
    return sorted(
        checks,
        key=lambda c: (
            STATUS_RANK[c.status],
            -max((f.severity.rank for f in c.findings), default=0),
        ),
    )


def _worst_first(state: CheckState) -> list[Finding]:
    return sorted(state.findings, key=lambda f: STATUS_RANK[f.status])  # stable


def _timestamp(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


class HtmlRenderer(Renderer):
    name = "html"
    extension = ".html"
    description = "One self-contained HTML file (no external requests), printable on A4."

    def render(self, report: RunReport, options: RenderOptions) -> str:
        lang = options.lang
        builder = _Builder(report, lang, options.as_of)
        summary = builder.summary
        script = _asset(SCRIPT)
        views = [builder.host(h) for h in summary.hosts]
        verdict, verdict_label, verdict_sentence, verdict_notes = verdict_parts(
            report, lang, options.as_of
        )
        context = {
            "lang": lang,
            "t": builder.t,
            "report": report,
            "fleet": builder.fleet,
            "baseline_title": pick(report.baseline.title, lang, report.baseline.id),
            "started": _timestamp(report.started_at),
            "finished": _timestamp(report.finished_at),
            "score": format_percent(summary.score),
            "verdict": verdict.value,
            "verdict_label": verdict_label,
            "verdict_sentence": verdict_sentence,
            "verdict_notes": verdict_notes,
            "host_rate": format_percent(summary.host_rate),
            "compliant_hosts": summary.compliant_hosts,
            "unreachable": summary.unreachable,
            "status_counts": [
                (s.value, status_label(s.value, lang), summary.finding_counts[s.value])
                for s in STATUS_ORDER
            ],
            "severity_counts": [
                (s.value, severity_label(s.value, lang), summary.failed_by_severity[s.value])
                for s in SEVERITY_ORDER
            ],
            "severities": [(s.value, severity_label(s.value, lang)) for s in SEVERITY_ORDER],
            "waived": summary.waived,
            "waiver_expired": summary.waiver_expired,
            "waiver_lapsed": summary.waiver_lapsed,
            "catalogue": builder.catalogue() if builder.fleet else [],
            "host_rows": [views[h.index] for h in summary.worst_first()] if builder.fleet else [],
            "hosts": views,
            "waivers": builder.waivers(),
            "partial": partial_text(report, lang),
            "signature": options.signature.text(lang) if options.signature else "",
            "signature_state": options.signature.state if options.signature else "",
            "baselines": [
                {
                    "label": baseline_label(info, lang),
                    "sha256": info.sha256,
                    "count": count,
                    "source": info.source or "",
                }
                for info, count in builder.baselines
            ],
            "frameworks": builder.frameworks(),
            "style": _asset(STYLE),
            "script": script,
            "csp": (
                "default-src 'none'; style-src 'unsafe-inline'; "
                f"script-src {script_hash(script)}; "
                "base-uri 'none'; form-action 'none'"
            ),
        }
        return _environment().get_template(TEMPLATE).render(context)
