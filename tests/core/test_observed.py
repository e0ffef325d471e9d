"""Observed[T]: a fact value seen on the host, or unknown with a reason; never a default."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from endpoint_audit.model.observed import Observed, Seen, Unknown, seen, unknown


class _Fact(BaseModel):
    count: Observed[int]
    names: Observed[tuple[str, ...]] = unknown("core.reason.not_read")


@given(st.one_of(st.integers(), st.none()), st.text(max_size=20))
def test_round_trip_keeps_state_value_and_reason(value: int | None, arg: str) -> None:
    obs: Observed[int] = seen(value) if value is not None else unknown("core.reason.x", arg=arg)
    fact = _Fact(count=obs)
    again = _Fact.model_validate_json(fact.model_dump_json())
    assert again == fact
    if value is None:
        assert isinstance(again.count, Unknown)
        assert again.count.reason.args == {"arg": arg}
    else:
        assert isinstance(again.count, Seen) and again.count.value == value


def test_unknown_is_the_default_and_has_no_value() -> None:
    fact = _Fact(count=seen(0))
    assert isinstance(fact.names, Unknown)
    assert not hasattr(fact.names, "value")


def test_json_without_a_state_is_refused() -> None:
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        _Fact.model_validate({"count": {"value": 3}})


def test_mypy_refuses_reading_a_value_that_may_be_unknown(tmp_path: Path) -> None:
    src = tmp_path / "reader.py"
    src.write_text(
        "from endpoint_audit.model.observed import Observed, Seen\n"
        "def ok(o: Observed[int]) -> int:\n"
        "    return o.value if isinstance(o, Seen) else -1\n"
        "def bad(o: Observed[int]) -> int:\n"
        "    return o.value\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(src)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 1, run.stdout
    errors = [line for line in run.stdout.splitlines() if ": error:" in line]
    assert errors and all("reader.py:5:" in line for line in errors), run.stdout


def test_a_reason_argument_renders_in_each_language_and_again_from_the_record() -> None:
    from endpoint_audit.checkkit.check import Outcome
    from endpoint_audit.engine.run import message_args
    from endpoint_audit.model import i18n
    from endpoint_audit.model.observed import Reason
    from endpoint_audit.model.result import Status

    reason = Reason(key="core.reason.command_failed", args={"command": "fdesetup", "status": 3})
    outcome = Outcome(status=Status.UNKNOWN, key="core.msg.fact_error", args={"reason": reason})
    recorded = message_args(outcome.args, "en")
    assert recorded["reason"] == "fdesetup exited with status 3"
    assert recorded["reason@key"] == "core.reason.command_failed"
    japanese = i18n.render_message("ja", "core.msg.fact_error", recorded)
    assert japanese is not None
    assert "fdesetup が終了コード 3 で終了しました" in japanese
    assert "exited" not in japanese
