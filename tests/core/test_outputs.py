"""Output files: every path is checked before the audit, each output is written on its
own (one that fails is one line and exit 4; the others are still written), a full disk
is a line and not a traceback, rewriting keeps the file's mode and owner, read-only files
are refused, and an interrupted run never replaces a report file.

The disk-full cases use a real, small tmpfs mounted in a private mount namespace
(`unshare --mount`), so nothing outside the test sees it and it disappears with the
process."""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from endpoint_audit.atomic_file import (
    ReadOnlyOutput,
    is_read_only,
    output_problem,
    write_atomically,
)
from endpoint_audit.cli.outputs import OutputSpec, partial_path, render_outputs
from endpoint_audit.engine.exit_policy import ExitCode
from endpoint_audit.model.result import PartialInfo
from tests.baselines.helpers import COMPLIANT, RDP, run
from tests.conftest import IN_CI, require_tool
from tests.render.corpus import sample_report

PY = [sys.executable, "-m", "endpoint_audit"]
ENV = {**os.environ, "ENDPOINT_AUDIT_LANG": "en"}


def one_error_line(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("endpoint-audit: error:")]
    assert len(errors) == 1, stderr
    assert "Traceback" not in stderr
    return errors[0]


# --- checked before the audit ----------------------------------------------------------


def test_a_300_character_name_is_one_line_before_anything_is_audited(tmp_path: Path) -> None:
    name = "a" * 300 + ".json"
    ran = run("scan", "--replay", COMPLIANT, "-f", "json", "-o", tmp_path / name)
    assert ran.code == ExitCode.CONFIG
    line = one_error_line(ran.stderr)
    assert "file or folder name of 305 bytes" in line
    assert ran.stdout == ""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: (d / "folder").mkdir() or d / "folder", "is a folder"),
        (lambda d: (d / "file").write_text("x") and d / "file" / "r.json", "is a file"),
        (lambda d: d / "a" / ("b" * 256) / "r.json", "name of 256 bytes"),
    ],
)
def test_each_bad_output_path_is_named_before_the_audit(
    tmp_path: Path, make: object, expected: str
) -> None:
    assert callable(make)
    bad = make(tmp_path)
    good = tmp_path / "good.json"
    ran = run("scan", "--replay", COMPLIANT, "-f", f"json:{good}", "-f", f"html:{bad}")
    assert ran.code == ExitCode.CONFIG
    assert expected in one_error_line(ran.stderr)
    assert not good.exists()  # nothing was audited, so nothing written


def test_every_bad_path_is_listed_not_only_the_first(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    ran = run(
        "scan", "--replay", COMPLIANT, "-f", f"json:{tmp_path / 'd'}",
        "-f", f"html:{tmp_path / ('x' * 300)}", "-f", f"csv:{tmp_path / 'ok.csv'}",
        "-f", f"markdown:{tmp_path / 'ok.csv'}",
    )  # fmt: skip
    assert ran.code == ExitCode.CONFIG
    errors = [line for line in ran.stderr.splitlines() if "error:" in line]
    assert len(errors) == 3, ran.stderr
    assert "named twice" in errors[2]


def test_missing_folders_are_created_as_before(tmp_path: Path) -> None:
    out = tmp_path / "new" / "deeper" / "r.json"
    ran = run("scan", "--replay", COMPLIANT, "-f", f"json:{out}")
    assert ran.code == 0, ran.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["hosts"]


def test_a_long_but_valid_name_is_written(tmp_path: Path) -> None:
    """The temporary file beside it must not need a longer name than the file itself."""
    out = tmp_path / ("報" * 80 + ".json")  # 240 bytes in UTF-8: valid, near the limit
    assert output_problem(out) is None
    write_atomically(out, b"{}\n")
    assert out.read_bytes() == b"{}\n"
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


# --- modes, owners and read-only files -------------------------------------------------


def test_rewriting_keeps_the_mode(tmp_path: Path) -> None:
    out = tmp_path / "private.json"
    out.write_text("old")
    out.chmod(0o600)
    ran = run("scan", "--replay", COMPLIANT, "-f", f"json:{out}")
    assert ran.code == 0, ran.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert json.loads(out.read_text(encoding="utf-8"))["hosts"]


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root")
def test_root_rewriting_a_users_report_keeps_its_owner(tmp_path: Path) -> None:
    out = tmp_path / "theirs.json"
    out.write_text("old")
    os.chown(out, 65534, 65534)
    out.chmod(0o640)
    write_atomically(out, b"new")
    info = out.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (65534, 65534, 0o640)


def test_a_read_only_file_is_refused_not_replaced(tmp_path: Path) -> None:
    out = tmp_path / "signed-off.json"
    out.write_text("approved by the manager")
    out.chmod(0o444)
    ran = run("scan", "--replay", COMPLIANT, "-f", f"json:{out}")
    assert ran.code == ExitCode.CONFIG
    assert "read-only file; not replaced" in one_error_line(ran.stderr)
    assert out.read_text() == "approved by the manager"
    assert is_read_only(out, out.stat())
    with pytest.raises(ReadOnlyOutput):
        write_atomically(out, b"x")
    assert out.read_text() == "approved by the manager"


def test_a_file_made_read_only_during_the_audit_is_refused_and_the_others_written(
    tmp_path: Path,
) -> None:
    """Checked again at write time: one line, exit 4, the other outputs written."""
    report = sample_report("en")
    first, second = tmp_path / "a.json", tmp_path / "b.html"
    first.write_text("keep")
    first.chmod(0o444)
    specs = [OutputSpec("json", str(first)), OutputSpec("html", str(second))]
    written = render_outputs(report, specs, "en")
    assert len(written.failures) == 1 and "read-only" in written.failures[0]
    assert first.read_text() == "keep"
    assert second.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


# --- an interrupted run's report -------------------------------------------------------


def test_a_partial_report_never_replaces_an_existing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = sample_report("en")
    report.partial = PartialInfo(reason="interrupted", hosts_planned=9, hosts_reported=3)
    kept = tmp_path / "fleet.json"
    kept.write_text('{"the": "complete report of last month"}')
    fresh = tmp_path / "new.csv"
    specs = [OutputSpec("json", str(kept)), OutputSpec("csv", str(fresh))]
    written = render_outputs(report, specs, "en")
    assert written.failures == []
    assert kept.read_text() == '{"the": "complete report of last month"}'
    beside = tmp_path / "fleet.partial.json"
    assert json.loads(beside.read_text(encoding="utf-8"))["partial"] == {
        "reason": "interrupted",
        "hosts_planned": 9,
        "hosts_reported": 3,
    }
    assert fresh.exists()  # nothing was there: the partial report goes where asked
    said = capsys.readouterr().err
    assert f"{kept} exists and was kept" in said and str(beside) in said
    assert f"written to {fresh}" in said


def test_partial_names() -> None:
    assert partial_path(Path("a/r.json")) == Path("a/r.partial.json")
    assert partial_path(Path("report")) == Path("report.partial")
    assert partial_path(Path("x.tar.gz")) == Path("x.tar.partial.gz")


def test_a_partial_report_without_hosts_writes_nothing(tmp_path: Path) -> None:
    report = sample_report("en")
    report.hosts = []
    report.partial = PartialInfo(reason="terminated", hosts_planned=5, hosts_reported=0)
    out = tmp_path / "r.json"
    written = render_outputs(report, [OutputSpec("json", str(out))], "en")
    assert written.failures == [] and not out.exists()


def test_a_whole_report_after_a_swallowed_interrupt_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An interrupt a library turned into another error (a plugin "not loaded" while its
    models were built) let the run go on as whole: that report may lack checks."""
    from endpoint_audit.cli import interrupts

    monkeypatch.setattr(interrupts, "_interrupts", [2])
    out = tmp_path / "r.json"
    out.write_text("kept")
    with pytest.raises(KeyboardInterrupt):
        render_outputs(sample_report("en"), [OutputSpec("json", str(out))], "en")
    assert out.read_text() == "kept"


# --- a full disk, for real -------------------------------------------------------------


def in_small_tmpfs(size: str, script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run `script` (sh) with a tmpfs of `size` mounted on $MNT, in a mount namespace of
    its own: the mount exists only for that shell and what it starts."""
    require_tool("unshare")
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail("mounting a tmpfs needs root (CI runs the tests as root)")
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "small"
    mnt.mkdir()
    wrapped = f'mount -t tmpfs -o size={size},mode=0755 tmpfs "$MNT" || exit 99\n{script}'
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", wrapped],
        env={**ENV, "MNT": str(mnt)}, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_disk_full_is_one_line_and_the_other_outputs_are_written(tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    other.mkdir()
    cli = " ".join(shlex.quote(a) for a in PY)
    script = (
        f"{cli} scan --replay {shlex.quote(str(RDP))} "
        f'-f "html:$MNT/report.html" -f json:{shlex.quote(str(other / "r.json"))} '
        f'-f "csv:$MNT/small.csv"\n'
        'echo "rc=$?"; ls -a "$MNT"\n'
    )
    # Room for the CSV (25 KB), not for the HTML report (95 KB).
    ran = in_small_tmpfs("48k", script, tmp_path)
    lines = ran.stdout.splitlines()
    assert "rc=4" in lines, (ran.stdout, ran.stderr)
    line = one_error_line(ran.stderr)
    assert "report.html: cannot write: No space left on device" in line
    # The JSON outside and the small CSV after the failed HTML were both written; the
    # failed file left nothing behind (no temporary file, no truncated report).
    assert json.loads((other / "r.json").read_text(encoding="utf-8"))["hosts"]
    listed = lines[lines.index("rc=4") + 1 :]
    assert sorted(listed) == [".", "..", "small.csv"], listed


def test_collect_on_a_full_disk_is_one_line(tmp_path: Path) -> None:
    cli = " ".join(shlex.quote(a) for a in PY)
    script = f'{cli} collect -b minimal -o "$MNT/facts.json"\necho "rc=$?"; ls -a "$MNT"\n'
    ran = in_small_tmpfs("4k", script, tmp_path)
    assert "rc=4" in ran.stdout.splitlines(), (ran.stdout, ran.stderr)
    assert "facts.json: cannot write: No space left on device" in one_error_line(ran.stderr)


# --- property: checking a path never breaks, and what it accepts can be written --------

NAME = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00/"),
    min_size=1,
    max_size=300,
)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=NAME, nested=st.booleans())
def test_any_name_is_checked_without_error_and_accepted_ones_write(
    tmp_path: Path, name: str, nested: bool
) -> None:
    target = tmp_path / "sub" / name if nested else tmp_path / name
    try:
        problem = output_problem(target)
    except Exception as exc:  # pragma: no cover - the property under test
        pytest.fail(f"output_problem raised {exc!r} for {name!r}")
    if problem is not None:
        assert "\n" not in problem
        return
    if name in (".", ".."):
        pytest.fail("a dot name was accepted")
    try:
        write_atomically(target, b"x")
    except OSError as exc:
        pytest.fail(f"accepted {name!r} but writing failed: {exc}")
    assert target.read_bytes() == b"x"
    target.unlink()


# --- options that do not apply are said, not ignored -----------------------------------


def test_output_dir_on_a_scan_of_no_fleet_is_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "audit"
    ran = run("scan", "--replay", COMPLIANT, "--output-dir", folder, "--resume", "--sudo",
              "-f", "json")  # fmt: skip
    assert ran.code == 0, ran.stderr
    warnings = [line for line in ran.stderr.splitlines() if "warning:" in line]
    assert len(warnings) == 3, ran.stderr
    assert "--output-dir applies to fleet scans (--host, --inventory) only" in warnings[0]
    assert "--resume applies to fleet scans" in warnings[1]
    assert "--sudo applies to fleet scans" in warnings[2]
    assert not folder.exists()
    assert ran.json()["hosts"]


def test_output_dir_is_no_option_of_collect(tmp_path: Path) -> None:
    """(`evaluate SHARE --output-dir` writes a round folder: tests/signing.)"""
    ran = run("collect", "--output-dir", tmp_path / "d")
    assert ran.code == ExitCode.CONFIG
    assert "No such option: --output-dir" in ran.stderr
    assert not (tmp_path / "d").exists()
