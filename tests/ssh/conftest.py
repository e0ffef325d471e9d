"""Session fixture: the loopback SSH lab (real sshd as root), stopped by PID at the end."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require_tool
from tests.ssh.lab import SshLab, remove_lab_accounts, start_lab


@pytest.fixture(scope="session")
def ssh_lab() -> Iterator[SshLab]:
    require_tool("sshd", "/usr/sbin/sshd")
    require_tool("ssh-keygen")
    require_tool("sudo")
    if os.geteuid() != 0:
        pytest.skip("the SSH lab starts sshd and creates test users, which needs root")
    # Not under pytest's basetemp: concurrent pytest runs prune each other's old
    # basetemps, which would delete the servers' keys and users' homes mid-run.
    root = Path(tempfile.mkdtemp(prefix="endpoint-audit-sshlab-"))
    lab = start_lab(root)
    try:
        yield lab
    finally:
        lab.stop()
        remove_lab_accounts(lab)
        shutil.rmtree(root, ignore_errors=True)
