"""A Japanese report of the cases where a check could not see enough says why in
Japanese: every reason of those findings is a message key with arguments (recorded as
`reason@key`), rendered from the ja catalog; the English sentence is nowhere in it.
Only data stays as it was: the host's own output, paths, names."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from endpoint_audit.model import i18n
from endpoint_audit.model.result import RunReport, Status
from tests.replay_cases import all_cases, case_path

# The checks whose reasons are message keys throughout.
CHECKS = ("screen_lock", "open_ports", "firewall")
# Reason arguments that hold data, shown as the host or the user wrote it.
DATA = ("output", "source", "command", "user", "owner", "sid", "desktop", "interfaces")
NOT_SEEN = {Status.UNKNOWN, Status.ERROR, Status.NOT_APPLICABLE}
FUNCTION_WORDS = frozenset(
    "the is not no could be of to and was for with has are cannot there nothing on but "
    "from this were it an a or by as".split()
)


@pytest.fixture(scope="module")
def report() -> RunReport:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "cases"
        folder.mkdir()
        for ref in sorted(all_cases()):
            if ref.split("/", 1)[0] in CHECKS:
                path = case_path(ref)
                shutil.copy(path, folder / f"{ref.replace('/', '-')}.json")
        out = Path(tmp) / "ja.json"
        exe = [sys.executable, "-m", "endpoint_audit", "scan", "--replay", str(folder)]
        subprocess.run(
            [*exe, "--lang", "ja", "-f", f"json:{out}"], capture_output=True, text=True, timeout=600
        )
        return RunReport.model_validate_json(out.read_bytes())


def _unseen(report: RunReport) -> list[tuple[str, str, dict[str, object], str]]:
    return [
        (host.target, f.message_key, dict(f.message_args), f.message)
        for host in report.hosts
        for f in host.findings
        if f.check_id in CHECKS and f.status in NOT_SEEN
    ]


def _english(text: str) -> bool:
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", text)}
    return len(words & FUNCTION_WORDS) >= 2


def test_the_cases_show_unknowns_of_every_such_check(report: RunReport) -> None:
    keys = {key.split(".", 1)[0] for _, key, _, _ in _unseen(report)}
    assert keys >= {*CHECKS, "core"}
    assert len(_unseen(report)) > 30


def test_every_reason_is_a_key_rendered_in_japanese(report: RunReport) -> None:
    plain = []
    for target, key, args, message in _unseen(report):
        for name in ("reason", "detail", "note", "more"):
            value = args.get(name)
            if not isinstance(value, str) or value in ("", "-"):
                continue
            reason_key = args.get(f"{name}{i18n.REASON_MARK}key")
            if not isinstance(reason_key, str):
                plain.append((target, key, name, value))
                continue
            inner = {
                k.split(i18n.REASON_MARK, 1)[1]: v
                for k, v in args.items()
                if k.startswith(f"{name}{i18n.REASON_MARK}") and k != f"{name}@key"
            }
            english = i18n.t("en", reason_key, **inner)
            japanese = i18n.t("ja", reason_key, **inner)
            assert value == japanese, (target, key)
            if english != japanese:
                assert english not in message, (target, key, english)
    assert plain == []


def test_no_english_sentence_is_left_outside_the_hosts_data(report: RunReport) -> None:
    found = []
    for target, key, args, message in _unseen(report):
        text = message
        for name, value in args.items():
            if name.rsplit(i18n.REASON_MARK, 1)[-1] in DATA and isinstance(value, str):
                text = text.replace(value, "")
        if _english(text):
            found.append((target, key, text))
    assert found == []
