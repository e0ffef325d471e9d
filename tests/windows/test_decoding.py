"""Output of Windows hosts that is not UTF-8 (the console's code page 932 on Japanese
Windows) is decoded as CP932 with a visible marker, never as replacement characters."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from endpoint_audit.model.commands import PowerShell
from endpoint_audit.transport.powershell import run_batch_locally
from endpoint_audit.transport.windows_text import CP932_MARKER, decode_windows_output
from tests.windows.captures import CLM_PROPERTY_SETTER_JA


def test_a_real_japanese_clm_error_in_cp932_is_readable() -> None:
    raw = CLM_PROPERTY_SETTER_JA.encode("cp932")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # what the transports did before: garbage
    text = decode_windows_output(raw)
    assert text.startswith(CP932_MARKER + " ")
    assert "プロパティを設定できません。" in text
    assert "PropertySetterNotSupportedInConstrainedLanguage" in text
    assert "\ufffd" not in text


def test_utf8_is_taken_as_it_is() -> None:
    text = "総務課-PC01: アクセスが拒否されました。"
    assert decode_windows_output(text.encode("utf-8")) == text


@given(st.text())
def test_any_utf8_text_comes_back_unchanged(text: str) -> None:
    assert decode_windows_output(text.encode("utf-8")) == text


@given(st.binary())
def test_any_bytes_decode_and_a_guess_is_always_marked(data: bytes) -> None:
    text = decode_windows_output(data)
    try:
        expected = data.decode("utf-8")
    except UnicodeDecodeError:
        assert text.startswith(CP932_MARKER)
    else:
        assert text == expected


# These encode to CP932 but decode to other code points (Microsoft's mapping table).
NOT_ROUND_TRIPPING = "\xa2\xa3\xac\u2016\u2212\u301c"


@given(
    st.text(
        alphabet=st.characters(codec="cp932", exclude_characters=NOT_ROUND_TRIPPING),
        min_size=1,
    )
)
def test_cp932_text_round_trips_when_it_is_not_utf8(text: str) -> None:
    raw = text.encode("cp932")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        assert decode_windows_output(raw) == f"{CP932_MARKER} {text}"


# Stands in for powershell.exe on a Japanese PC whose prelude failed: the error in the
# console's code page on stderr, no result document.
FAILING_POWERSHELL = """
import sys
sys.stderr.buffer.write(ERROR.encode("cp932"))
sys.exit(1)
"""


def test_local_batch_failure_reads_the_japanese_error(tmp_path: Path) -> None:
    path = tmp_path / "powershell.exe"
    path.write_text(
        f"#!{sys.executable}\nERROR = {CLM_PROPERTY_SETTER_JA!r}\n{FAILING_POWERSHELL}",
        encoding="utf-8",
    )
    path.chmod(0o755)
    probe = PowerShell("alpha", "$result = 1")
    results = asyncio.run(run_batch_locally([probe], 10, executable=str(path)))
    reason = results[probe.key].stderr
    assert results[probe.key].exit_status == 1
    assert "no result document" in reason
    assert CP932_MARKER in reason
    assert "プロパティを設定できません。" in reason
