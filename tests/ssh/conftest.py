"""Session fixture: the loopback SSH lab (real sshd as root), stopped by PID at the end."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.conftest import require_tool
from tests.ssh.lab import SshLab, remove_lab_accounts, start_lab


@pytest.fixture(scope="session")
def ssh_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshLab]:
    require_tool("sshd", "/usr/sbin/sshd")
    require_tool("ssh-keygen")
    require_tool("sudo")
    if os.geteuid() != 0:
        pytest.skip("the SSH lab starts sshd and creates test users, which needs root")
    lab = start_lab(tmp_path_factory.mktemp("sshlab"))
    try:
        yield lab
    finally:
        lab.stop()
        remove_lab_accounts(lab)
