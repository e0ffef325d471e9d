"""The weekly report as one self-contained HTML file: inline CSS and inline SVG charts,
no script at all, and a Content-Security-Policy that forbids every request. Printable on
A4; charts and badges carry their values as text and differ by pattern and shape, not
colour alone. Host data (names, groups, messages) is escaped by Jinja2's autoescape."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from endpoint_audit.model import i18n
from endpoint_audit.model.weekly import Bucket, WeeklyReport
from endpoint_audit.render.summary import format_percent
from endpoint_audit.render.text import severity_label, status_label, visible_controls
from endpoint_audit.render.weekly_charts import (
    BarChart,
    LineChart,
    Sparkline,
    bar_chart,
    line_chart,
    percent_label,
    sparkline,
)

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATE = "weekly.html.j2"
STYLES = ("report.css", "weekly.css")
CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
# Buckets drawn with a pattern, so the ones that need action stand out without colour.
# Longer lists are cut here, with a note naming the command that gives them all.
ROWS_SHOWN = 50
LATE_BUCKETS = {"d30_89": "hatch", "ge90": "cross", "p31_60": "hatch", "gt60": "cross"}


@cache
def _environment() -> Environment:
    from jinja2 import Environment, FunctionLoader, StrictUndefined
    from markupsafe import Markup

    folder = resources.files("endpoint_audit") / "templates"

    def load(name: str) -> str | None:
        entry = folder / name
        return entry.read_text("utf-8") if entry.is_file() else None

    def finalize(value: Any) -> Any:
        if isinstance(value, str) and not isinstance(value, Markup):
            return visible_controls(value)
        return value

    return Environment(
        loader=FunctionLoader(load),
        finalize=finalize,
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@cache
def _style() -> str:
    folder = resources.files("endpoint_audit") / "templates"
    return "\n".join((folder / name).read_text("utf-8") for name in STYLES)


def delta_text(value: float | None, lang: str) -> str:
    if value is None:
        return "—"
    rounded = round(value, 1)
    sign = "+" if rounded > 0 else "−" if rounded < 0 else "±"
    return i18n.t(lang, "weekly.pt", sign=sign, value=percent_label(abs(rounded)))


def delta_sentence(value: float | None, lang: str, partial: bool = False) -> str:
    if partial:
        return i18n.t(lang, "weekly.delta_partial")
    if value is None:
        return i18n.t(lang, "weekly.no_delta")
    rounded = round(value, 1)
    if rounded == 0:
        return i18n.t(lang, "weekly.delta_same")
    key = "weekly.delta_up" if rounded > 0 else "weekly.delta_down"
    return i18n.t(lang, key, value=percent_label(abs(rounded)))


def day(value: date | datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "—"


def stamp(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"


def bucket_chart(buckets: list[Bucket], lang: str) -> BarChart:
    return bar_chart(
        [
            (
                i18n.t(lang, f"weekly.bucket.{b.key}"),
                float(b.count),
                str(b.count),
                LATE_BUCKETS.get(b.key, "solid"),
            )
            for b in buckets
        ],
        label_width=150.0,
    )


class _View:
    """The report as the template needs it: charts drawn, numbers formatted."""

    def __init__(self, report: WeeklyReport) -> None:
        self.report = report
        self.lang = report.lang

    def t(self, key: str, **args: Any) -> str:
        return i18n.t(self.lang, key, **args)

    def trend_chart(self) -> LineChart:
        points = self.report.trend
        return line_chart(
            [p.finished_at.strftime("%m-%d") for p in points],
            [
                ("rate", [p.rate for p in points], "circle", ""),
                ("coverage", [p.coverage for p in points], "square", "6 4"),
            ],
            [p.partial for p in points],
        )

    def group_chart(self) -> BarChart:
        none = self.t("weekly.group_none")
        return bar_chart(
            [
                (g.group or none, g.rate or 0.0, format_percent(g.rate), "solid")
                for g in self.report.groups
            ],
            scale=100.0,
        )

    def sparklines(self) -> list[Sparkline]:
        return [sparkline(c.rates) for c in self.report.check_trends]

    def context(self) -> dict[str, Any]:
        r = self.report
        lang = self.lang
        latest = r.latest
        return {
            "lang": lang,
            "t": self.t,
            "r": r,
            "csp": CSP,
            "style": _style(),
            "day": day,
            "stamp": stamp,
            "pct": format_percent,
            "delta": lambda v: delta_text(v, lang),
            "severity": lambda s: severity_label(s, lang),
            "status": lambda s: status_label(s, lang),
            "headline_delta": delta_sentence(
                r.trend[-1].delta if r.trend else None, lang, bool(r.trend and r.trend[-1].partial)
            ),
            "trend_chart": self.trend_chart() if r.trend else None,
            "sparklines": self.sparklines(),
            "ageing_chart": bucket_chart(r.ageing, lang),
            "patch_chart": bucket_chart(r.patch.buckets, lang),
            "group_chart": self.group_chart() if r.groups else None,
            "any_partial": any(p.partial for p in r.trend),
            "latest": latest,
            "changes": r.diff.counts if r.diff else None,
            "new": [e for e in r.diff.entries if e.change.value == "new"] if r.diff else [],
            "fixed": [e for e in r.diff.entries if e.change.value == "fixed"] if r.diff else [],
            "unverified": [e for e in r.diff.entries if e.change.value == "not_verified"]
            if r.diff
            else [],
            "oldest_more": max(0, r.open_failures - len(r.oldest)),
            "shown": ROWS_SHOWN,
            "median": "—" if r.patch.median_days is None else percent_label(r.patch.median_days),
        }


class WeeklyHtmlRenderer:
    name = "html"
    extension = ".html"
    encoding = "utf-8"

    def render(self, report: WeeklyReport) -> str:
        return _environment().get_template(TEMPLATE).render(_View(report).context())
