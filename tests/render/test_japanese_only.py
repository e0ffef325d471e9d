"""A Japanese report is Japanese: no English sentence of the message catalogs appears in
any Japanese output of the recorded Windows, macOS and Linux cases (terminal, HTML,
Markdown, CSV, JUnit, frameworks). The JSON report is left out: it carries every check
text in both languages by design.

Collector reasons (the `reason`, `detail`... arguments a collector puts into a message)
and the expected/actual values the checks write are checked apart: none holds an English
sentence, only the host's own output (`...@output`) and names.
"""

from __future__ import annotations

import html
import re
import shutil
import string
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from endpoint_audit.model import i18n
from endpoint_audit.model.result import RunReport
from endpoint_audit.render.base import RenderOptions
from endpoint_audit.render.builtin import BUILTIN_RENDERERS
from tests.replay_cases import recorded_paths

CASES = [*recorded_paths("windows"), *recorded_paths("macos"), *recorded_paths("linux")]

# Words that make a run of Latin letters a sentence rather than a name or a list.
FUNCTION_WORDS = frozenset(
    "the is not no could be of to and was for with has are cannot there nothing on but "
    "from this were it an a or by as nor found lists read used default".split()
)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> RunReport:
    folder = tmp_path_factory.mktemp("cases")
    for case in CASES:
        shutil.copy(case, folder / case.name)
    out = folder.parent / "ja.json"
    exe = [sys.executable, "-m", "endpoint_audit", "scan", "--replay", str(folder)]
    subprocess.run(
        [*exe, "--lang", "ja", "-f", f"json:{out}"], capture_output=True, text=True, timeout=600
    )
    return RunReport.model_validate_json(out.read_bytes())


def english_fragments() -> dict[str, str]:
    """Every literal run of three or more English words in the en catalog that the ja text
    of the same key does not share (command names and the like are in both)."""
    en, ja = i18n.catalog("en"), i18n.catalog("ja")
    out: dict[str, str] = {}
    for key, text in en.items():
        for literal, *_ in string.Formatter().parse(text):
            for piece in (literal or "").split("`"):
                piece = piece.strip(" .,;:()")
                words = re.findall(r"[A-Za-z]{2,}", piece)
                if len(words) >= 3 and piece not in ja.get(key, ""):
                    out[piece] = key
    return out


NEUTRAL = "〓"  # stands for data: a collector reason, a host's output


def _neutral(value: Any) -> Any:
    if isinstance(value, str):
        return NEUTRAL
    if isinstance(value, dict):
        return {k: _neutral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_neutral(v) for v in value]
    return value


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def catalog_text_only(report: RunReport, lang: str) -> RunReport:
    """The report with every message argument, unreachable reason and evidence excerpt
    replaced by NEUTRAL and the messages rendered again in `lang`: what is left in an
    output is what the catalogs (and host names) put there. Collector reasons are
    checked apart, below."""
    hosts = []
    for host in report.hosts:
        findings = []
        for finding in host.findings:
            args = {
                k: NEUTRAL if isinstance(v, str) else v for k, v in finding.message_args.items()
            }
            message = (
                i18n.t(lang, finding.message_key, **args)
                if i18n.has(finding.message_key)
                else finding.message
            )
            evidence = [e.model_copy(update={"excerpt": NEUTRAL}) for e in finding.evidence]
            values = {"expected": _neutral(finding.expected), "actual": _neutral(finding.actual)}
            findings.append(
                finding.model_copy(
                    update={
                        "message_args": args,
                        "message": message,
                        "evidence": evidence,
                        **values,
                    }
                )
            )
        reason = NEUTRAL if host.reason else None
        hosts.append(host.model_copy(update={"findings": findings, "reason": reason}))
    return report.model_copy(update={"hosts": hosts, "lang": lang})


def rendered(report: RunReport, fmt: str, lang: str) -> str:
    renderer = next(c for c in BUILTIN_RENDERERS if c.name == fmt)()
    # Wide enough that no table cell wraps a sentence in two.
    text = renderer.render(catalog_text_only(report, lang), RenderOptions(lang=lang, width=4000))
    return html.unescape(text.replace("\\", ""))


def test_cases_cover_every_platform(report: RunReport) -> None:
    families = {h.platform.family.value for h in report.hosts if h.platform}
    assert families == {"windows", "macos", "linux"}
    assert sum(len(h.findings) for h in report.hosts) > 200


@pytest.mark.parametrize("fmt", [c.name for c in BUILTIN_RENDERERS if c.name != "json"])
def test_no_english_catalog_sentence_in_a_japanese_output(report: RunReport, fmt: str) -> None:
    text = rendered(report, fmt, "ja")
    found = {key: piece for piece, key in english_fragments().items() if piece in text}
    assert found == {}


def test_the_check_catches_english(report: RunReport) -> None:
    """The control: the same scan rendered in English is full of catalog sentences."""
    text = rendered(report, "terminal", "en")
    assert len({k for p, k in english_fragments().items() if p in text}) > 20


# Reason arguments that hold data, neither a catalog's sentence nor a collector's: the
# host's own text (its stderr or stdout, shown as the host wrote it), a file's path.
DATA_ARGS = tuple(f"{i18n.REASON_MARK}{name}" for name in ("output", "source"))


def english_reasons(report: RunReport) -> set[tuple[str, str, str]]:
    found: set[tuple[str, str, str]] = set()
    for host in report.hosts:
        for finding in host.findings:
            data = [v for k, v in finding.message_args.items() if k.endswith(DATA_ARGS) and v]
            for name, value in finding.message_args.items():
                if name.endswith((*DATA_ARGS, f"{i18n.REASON_MARK}key")):
                    continue
                text = str(value)
                for shown in data:
                    text = text.replace(str(shown), "")
                words = {w.lower() for w in re.findall(r"[A-Za-z]+", text)}
                if isinstance(value, str) and len(words & FUNCTION_WORDS) >= 2:
                    found.add((finding.message_key, name, text))
            # Expected and actual values the checks write (shown in HTML, Markdown, CSV).
            for name, value in (("expected", finding.expected), ("actual", finding.actual)):
                for text in _strings(value):
                    words = {w.lower() for w in re.findall(r"[A-Za-z]+", text)}
                    if len(words & FUNCTION_WORDS) >= 2:
                        found.add((finding.message_key, name, text))
    return found


def test_every_collector_reason_and_value_is_japanese(report: RunReport) -> None:
    assert english_reasons(report) == set()


def test_a_real_scan_of_this_machine_is_japanese(tmp_path: Path) -> None:
    """The Linux probes run for real here: what they say about this machine (its reasons,
    details and values) is Japanese too, not only what the recorded cases say."""
    out = tmp_path / "local-ja.json"
    exe = [sys.executable, "-m", "endpoint_audit", "scan", "--lang", "ja", "-f", f"json:{out}"]
    subprocess.run(exe, capture_output=True, text=True, timeout=600, check=False)
    local = RunReport.model_validate_json(out.read_bytes())
    assert sum(len(h.findings) for h in local.hosts) >= 10
    assert english_reasons(local) == set()


def test_the_reason_check_catches_english(report: RunReport) -> None:
    """The control: an English sentence put into one reason and one actual value is found."""
    host = report.hosts[0]
    first = host.findings[0]
    english = "the file could not be read"
    changed = first.model_copy(
        update={"message_args": {**first.message_args, "reason": english}, "actual": [english]}
    )
    hosts = [host.model_copy(update={"findings": [changed, *host.findings[1:]]})]
    found = english_reasons(report.model_copy(update={"hosts": hosts}))
    assert {(key, name) for key, name, _ in found} == {
        (first.message_key, "reason"),
        (first.message_key, "actual"),
    }
