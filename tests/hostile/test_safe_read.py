"""Every input file is checked before it is read: real pipes, devices, folders, links to
devices, huge sparse files on tmpfs and files that grow while they are read, through
every loader the CLI has (baseline, extends, waivers, inventory, identity file, bundle,
bundle folder, report, --resume's saved reports).

Before this, a pipe made the command hang and /dev/zero ran to MemoryError.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from endpoint_audit.safe_read import (
    BASELINE,
    BUNDLE,
    InputKind,
    InputRefused,
    check_input,
    read_input,
)
from tests.hostile.run import assert_ran_clean, invoke, run_cli
from tests.replay_cases import host_yaml_path

GOOD_BUNDLE = host_yaml_path("win11-23h2-en-compliant")
TMPFS = Path("/dev/shm")


@pytest.fixture
def sparse_on_tmpfs() -> Iterator[Path]:
    """A 64 GB file on tmpfs that uses no memory: only stat() can tell its size."""
    if not TMPFS.is_dir():
        pytest.skip("no tmpfs at /dev/shm")
    path = TMPFS / f"endpoint-audit-sparse-{secrets.token_hex(4)}.json"
    with path.open("wb") as handle:
        handle.truncate(64 * 1024**3)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def special_files(tmp_path: Path, sparse: Path) -> dict[str, tuple[Path, str]]:
    """name -> (path, words the error must contain)."""
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    link = tmp_path / "zero-link.yaml"
    link.symlink_to("/dev/zero")
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    return {
        "fifo": (fifo, "is a named pipe (FIFO), not a regular"),
        "dev-zero": (Path("/dev/zero"), "is a character device, not a regular"),
        "link-to-device": (link, "is a character device, not a regular"),
        "folder": (folder, "is a folder, not a regular"),
        "sparse-64GB": (sparse, "file is 65536.0 MB"),
    }


def _baseline_extending(tmp_path: Path, parent: Path) -> Path:
    child = tmp_path / "child.yaml"
    text = f'id: child\ntitle: {{ja: 子, en: child}}\nversion: "1"\nextends: "{parent}"\n'
    child.write_text(text + "checks: {}\n", encoding="utf-8")
    return child


def _inventory_with_key(tmp_path: Path, key: Path) -> Path:
    inventory = tmp_path / "fleet.yaml"
    inventory.write_text(
        f"groups:\n  office:\n    vars: {{identity_file: '{key}'}}\n    hosts: [pc-01, pc-02]\n",
        encoding="utf-8",
    )
    return inventory


# loader -> how to make the CLI read `path` with it
LOADERS: dict[str, Callable[[Path, Path], list[str | Path]]] = {
    "baseline": lambda p, _t: ["baseline", "validate", p],
    "scan -b": lambda p, _t: ["scan", "--replay", GOOD_BUNDLE, "-b", p],
    "extends": lambda p, t: ["baseline", "validate", _baseline_extending(t, p)],
    "waivers": lambda p, _t: ["scan", "--replay", GOOD_BUNDLE, "--waivers", p],
    "inventory": lambda p, _t: ["scan", "-i", p],
    "identity_file": lambda p, t: ["scan", "-i", _inventory_with_key(t, p)],
    "bundle": lambda p, _t: ["evaluate", p],
    "report render": lambda p, _t: ["report", "render", p],
    "report merge": lambda p, t: ["report", "merge", p, "-o", t / "merged.json"],
    "report diff": lambda p, _t: ["report", "diff", p, p],
}
FOLDER_IS_FINE = {"bundle", "report merge"}  # both take folders of files


@pytest.mark.timeout(120)
@pytest.mark.parametrize("loader", list(LOADERS))
def test_every_loader_refuses_special_files(
    loader: str, tmp_path: Path, sparse_on_tmpfs: Path
) -> None:
    for name, (path, words) in special_files(tmp_path, sparse_on_tmpfs).items():
        if name == "folder" and loader in FOLDER_IS_FINE:
            continue
        started = time.monotonic()
        ran = invoke(*LOADERS[loader](path, tmp_path))
        seconds = time.monotonic() - started
        assert_ran_clean(ran)
        assert ran.code == 2, (loader, name, ran.code, ran.stderr)
        [line] = ran.stderr.strip().splitlines()
        assert str(path) in line and words in line, (loader, name, line)
        assert seconds < 20, (loader, name, seconds)


@pytest.mark.timeout(120)
def test_a_pipe_never_hangs_the_real_command(tmp_path: Path) -> None:
    """As a user runs it: a FIFO nobody writes to, given as the baseline, the inventory
    and the bundle. Each returns at once (a hang would hit the subprocess timeout)."""
    fifo = tmp_path / "pc-01.json"
    os.mkfifo(fifo)
    for args in (["baseline", "validate", fifo], ["scan", "-i", fifo], ["evaluate", fifo]):
        done = run_cli(*args, timeout=60)
        assert done.returncode == 2, (args, done.stderr)
        assert "named pipe" in done.stderr and done.stderr.count("\n") == 1, done.stderr


def test_a_pipe_in_a_bundle_folder_is_reported_and_the_rest_judged(tmp_path: Path) -> None:
    (tmp_path / "pc-good.yaml").write_bytes(GOOD_BUNDLE.read_bytes())
    os.mkfifo(tmp_path / "pc-pipe.json")
    (tmp_path / "pc-zero.json").symlink_to("/dev/zero")
    report = tmp_path / "out" / "fleet.json"
    ran = invoke("evaluate", tmp_path, "-f", f"json:{report}")
    assert_ran_clean(ran)
    assert ran.code == 3, ran.stderr  # two files could not be read: incomplete
    assert "pc-pipe.json" in ran.stderr and "named pipe" in ran.stderr
    assert "pc-zero.json" in ran.stderr and "character device" in ran.stderr
    import json

    hosts = {h["target"]: h for h in json.loads(report.read_text("utf-8"))["hosts"]}
    assert hosts["win11-23h2-en-compliant"]["status"] == "ok"
    assert hosts["win11-23h2-en-compliant"]["findings"]
    assert hosts["pc-pipe.json"]["status"] == "unreachable"
    assert hosts["pc-zero.json"]["status"] == "unreachable"


def test_resume_passes_over_a_pipe_in_the_output_folder(tmp_path: Path) -> None:
    """--resume reads the run manifest and the saved host reports; a pipe there means
    "cannot be used" (the hosts run again) instead of a hang."""
    from endpoint_audit.engine.run_folder import FleetStore

    store = FleetStore(tmp_path)
    os.mkfifo(store.manifest_path)
    started = time.monotonic()
    assert store.load_previous() is None
    assert store.previous_problem is not None and "named pipe" in store.previous_problem
    assert time.monotonic() - started < 5


# --- the reader itself ------------------------------------------------------------------


def test_a_file_that_outgrows_what_stat_said_is_refused() -> None:
    """/proc/self/smaps: a regular file of size 0 to stat() that reads as tens of KB."""
    smaps = Path("/proc/self/smaps")
    if not smaps.is_file():
        pytest.skip("no /proc/self/smaps here")
    assert smaps.stat().st_size == 0
    kind = InputKind("test", 8 * 1024)
    with pytest.raises(InputRefused, match="grew past 8 KB while it was read"):
        read_input(smaps, kind)


def test_a_file_growing_while_read_never_yields_more_than_the_cap(tmp_path: Path) -> None:
    """Another process appends while the file is read: whatever the timing, the reader
    returns at most the cap or refuses the file in one line, and never hangs."""
    kind = InputKind("test", 256 * 1024)
    path = tmp_path / "growing.json"
    path.write_bytes(b"{")
    stop = threading.Event()

    def append() -> None:
        deadline = time.monotonic() + 20
        with path.open("ab") as handle:
            while not stop.is_set() and time.monotonic() < deadline:
                handle.write(b" " * 4096)
                handle.flush()

    writer = threading.Thread(target=append)
    writer.start()
    outcomes: set[str] = set()
    try:
        for _ in range(200):
            try:
                data = read_input(path, kind)
            except InputRefused as exc:
                assert "\n" not in str(exc)
                outcomes.add("grew" if "grew past" in exc.reason else "too large")
            else:
                assert len(data) <= kind.max_bytes
                outcomes.add("read")
            if "too large" in outcomes:
                break
    finally:
        stop.set()
        writer.join()
    assert outcomes  # at least one read happened, none hung


def test_check_input_reads_nothing_and_follows_links(tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    check_input(key, BUNDLE)
    link = tmp_path / "key-link"
    link.symlink_to("/dev/null")
    with pytest.raises(InputRefused, match="character device"):
        check_input(link, BUNDLE)
    with pytest.raises(InputRefused, match="no such file"):
        check_input(tmp_path / "missing", BUNDLE)


def test_ordinary_files_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    data = os.urandom(300_000)
    path.write_bytes(data)
    assert read_input(path, BASELINE) == data
