"""The collector's start-up thresholds (cli.startup): raised while the tool starts, the
usual ones again once the command has what it needs, and after an in-process call."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator

import pytest

from endpoint_audit.cli import main, startup


@pytest.fixture(autouse=True)
def _usual_afterwards() -> Iterator[None]:
    usual = gc.get_threshold()
    yield
    startup.collect_as_usual()
    gc.set_threshold(*usual)


def test_rare_while_starting_then_as_usual() -> None:
    usual = gc.get_threshold()
    startup.collect_rarely()
    assert gc.get_threshold() == (startup.STARTUP_THRESHOLD, *usual[1:])
    startup.collect_rarely()  # a second call does not take the raised one for the usual
    startup.collect_as_usual()
    assert gc.get_threshold() == usual
    startup.collect_as_usual()
    assert gc.get_threshold() == usual
    assert gc.isenabled()


def test_an_in_process_call_leaves_the_usual_thresholds(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    usual = gc.get_threshold()
    monkeypatch.setattr(sys, "argv", ["endpoint-audit", "--version"])
    main()
    assert "endpoint-audit" in capsys.readouterr().out
    assert gc.get_threshold() == usual


def test_a_scan_collects_as_usual_while_its_hosts_run() -> None:
    """The hosts of a run (a long fleet run) see the usual thresholds."""
    code = (
        "import gc, sys\n"
        "import endpoint_audit.engine.pipeline as p\n"
        "real = p.PreparedRun.execute\n"
        "async def spy(self, *a, **k):\n"
        "    print('THRESHOLD', gc.get_threshold()[0], file=sys.stderr)\n"
        "    return await real(self, *a, **k)\n"
        "p.PreparedRun.execute = spy\n"
        "sys.argv = ['endpoint-audit', 'scan', '--only', 'os_support', '-f', 'json',"
        " '-o', '/dev/null']\n"
        "from endpoint_audit.cli import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith("THRESHOLD")]
    assert lines == [f"THRESHOLD {gc.get_threshold()[0]}"], done.stderr
