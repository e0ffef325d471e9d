"""Output paths that are devices or pipes are written in place, never replaced: an
atomic rename onto `-o /dev/null` run as root would replace the machine's /dev/null."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

from endpoint_audit.cli.common import write_output


def test_a_fifo_is_written_in_place(tmp_path: Path) -> None:
    fifo = tmp_path / "report.pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as handle:
            received.append(handle.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    write_output(str(fifo), "ファイアウォール\n")
    reader.join(timeout=10)
    assert received == ["ファイアウォール\n".encode()]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert list(tmp_path.iterdir()) == [fifo]  # no temporary file left behind


def test_dev_null_stays_a_device() -> None:
    write_output(os.devnull, "{}\n")
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_a_regular_file_is_still_replaced_atomically(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old", encoding="utf-8")
    write_output(str(target), "new")
    assert target.read_text(encoding="utf-8") == "new"
    assert list(tmp_path.iterdir()) == [target]
