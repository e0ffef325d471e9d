"""Every command on an stdout that cannot encode Japanese: no traceback, the usual exit code.

Real subprocesses under the environments that make Python's stdout ASCII or Latin-1:
PYTHONIOENCODING, and the C locale with Python's UTF-8 mode and locale coercion off (as
on a minimal container or a cron job). Text the stream cannot encode is written as
backslash escapes; the reports themselves stay UTF-8.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.hostile.run import invoke, run_cli
from tests.replay_cases import host_yaml_path

ASCII_ENVIRONMENTS = {
    "PYTHONIOENCODING=ascii": {"PYTHONIOENCODING": "ascii", "LANG": "C.UTF-8"},
    "LC_ALL=C, no UTF-8 mode": {
        "LC_ALL": "C",
        "LANG": "C",
        "PYTHONUTF8": "0",
        "PYTHONCOERCECLOCALE": "0",
    },
}
BUNDLE = host_yaml_path("win11-23h2-ja-rdp-listening")


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "PYTHONIO"))}
    env.pop("PYTHONUTF8", None)
    env["ENDPOINT_AUDIT_LANG"] = "ja"
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("ascii")
    first, second = folder / "a.json", folder / "b.json"
    for path, fixture in (
        (first, BUNDLE),
        (second, host_yaml_path("win11-23h2-ja-compliant")),
    ):
        ran = invoke("evaluate", fixture, "-f", f"json:{path}", "--lang", "ja")
        assert ran.code in (0, 1, 3) and path.is_file(), ran.stderr
    return first, second


def _commands(reports: tuple[Path, Path]) -> list[tuple[list[str], set[int]]]:
    first, second = reports
    return [
        (["checks", "show", "disk_encryption", "--lang", "ja"], {0}),
        (["checks", "list", "--lang", "ja"], {0}),
        (["baseline", "list", "--lang", "ja"], {0}),
        (["baseline", "show", "jp-municipal-telework"], {0}),
        (["baseline", "diff", "minimal", "jp-municipal-telework", "--lang", "ja"], {0}),
        (["evaluate", str(BUNDLE), "--lang", "ja"], {1}),
        (["evaluate", str(BUNDLE), "--lang", "ja", "-f", "frameworks"], {1}),
        (["report", "render", str(first), "--lang", "ja"], {0}),
        (["report", "diff", str(second), str(first), "--lang", "ja"], {0, 1, 3}),
        # An error whose message names a Japanese file: stderr can be ASCII too.
        (["evaluate", str(first.parent / "存在しない.json"), "--lang", "ja"], {2}),
        (["--help"], {0}),
        (["scan", "--help"], {0}),
    ]


@pytest.mark.parametrize("name", list(ASCII_ENVIRONMENTS))
def test_commands_print_on_an_ascii_stdout(name: str, reports: tuple[Path, Path]) -> None:
    env = _env(ASCII_ENVIRONMENTS[name])
    commands = _commands(reports)
    if name != "PYTHONIOENCODING=ascii":  # every command once; here one of each kind
        commands = [commands[0], commands[5], commands[7], commands[9]]
    for args, codes in commands:
        done = run_cli(*args, env=env)
        assert "Traceback" not in done.stderr, (args, done.stderr)
        assert "UnicodeEncodeError" not in done.stderr, (args, done.stderr)
        assert done.returncode in codes, (args, done.returncode, done.stderr)
        assert done.stdout.strip() or (args[0] == "evaluate" and 2 in codes), args


def test_japanese_is_escaped_not_lost_on_an_ascii_stdout(reports: tuple[Path, Path]) -> None:
    env = _env(ASCII_ENVIRONMENTS["PYTHONIOENCODING=ascii"])
    done = run_cli("checks", "show", "disk_encryption", "--lang", "ja", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.isascii()
    # The title, readable back from its escapes.
    title = done.stdout.splitlines()[0].encode("ascii").decode("unicode_escape")
    assert "暗号化" in title
    failed = run_cli("evaluate", str(reports[0].parent / "存在しない.json"), env=env)
    assert failed.returncode == 2
    assert failed.stderr.count("\n") == 1 and "\\u5b58" in failed.stderr


def test_latin1_stdout() -> None:
    env = _env({"PYTHONIOENCODING": "latin-1", "LANG": "C.UTF-8"})
    for args in (
        ["checks", "show", "screen_lock", "--lang", "ja"],
        ["checks", "list", "--lang", "ja"],
    ):
        done = run_cli(*args, env=env)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr


def test_in_process_runner_with_an_ascii_stream() -> None:
    """The CLI called from other Python code whose stdout is ASCII (the Typer test runner
    with an ASCII charset) is protected too: the guard runs for every command."""
    from typer.testing import CliRunner

    from endpoint_audit.cli.app import app

    result = CliRunner(charset="ascii").invoke(
        app, ["checks", "show", "firewall", "--lang", "ja"], catch_exceptions=True
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 0
