"""A loopback fleet: real OpenSSH servers on 127.0.1.N, test users, and broken hosts.

Every address is a distinct "host" to the client. One sshd listens on at most 16
addresses, so a fleet of N hosts runs ceil(N / 16) servers. Users log in with a key made
here; their shell is /bin/sh with a HOME holding no rc files, so remote commands start
fast (root's own ~/.bashrc on these machines is slow). Everything started is stopped by
its PID, and every user and sudoers file made is removed.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

SSHD = "/usr/sbin/sshd"
ADDRESSES_PER_SSHD = 16
# Roles of the lab's users. Names get a per-lab suffix so that two test runs on one
# machine never share (or delete) each other's accounts.
USER_OK = "ok"  # passwordless sudo
USER_NOSUDO = "nosudo"  # no sudo rights at all
USER_HANG = "hang"  # sudo finds a `ss` that never returns
# Accounts whose platform cannot be told: a nologin shell, or a `uname` earlier in PATH
# that fails, hangs, names another kernel or prints garbage.
USER_NOLOGIN = "nologin"
FAKE_UNAME = {
    "unamefail": 'echo "uname: cannot get system name" >&2; exit 1',
    "unamehang": "echo $$ >> {hang_pids}; exec sleep 120",
    "unamebsd": 'echo "FreeBSD pc-bsd amd64"',
    "unamejunk": "printf '\\033[2J\\007%s\\n' 'hello from the login banner'",
}
ROLES = (USER_OK, USER_NOSUDO, USER_HANG, USER_NOLOGIN, *FAKE_UNAME)
SUDOERS_DIR = Path("/etc/sudoers.d")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(address: str, port: int, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((address, port), 0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {address}:{port} after {seconds} s")


def keygen(path: Path, comment: str) -> str:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
    )
    return Path(f"{path}.pub").read_text().strip()


class SilentServer:
    """Accepts TCP connections and never says a word (a wedged SSH server)."""

    def __init__(self, address: str, port: int) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((address, port))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.accepted: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        deadline = time.monotonic() + 3600  # bounded even if nobody stops it
        while not self.stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        for conn in self.accepted:
            conn.close()
        self.sock.close()


@dataclass
class SshLab:
    root: Path
    port: int
    host_key_pub: str
    client_home: Path
    hang_pids: Path
    marker_dir: Path
    suffix: str = ""
    servers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    silent: list[SilentServer] = field(default_factory=list)
    session_env: dict[str, str] = field(default_factory=dict)

    def user(self, role: str) -> str:
        return f"ea{self.suffix}_{role}"

    @property
    def users(self) -> list[str]:
        return [self.user(role) for role in ROLES]

    @property
    def sudoers(self) -> Path:
        return SUDOERS_DIR / f"endpoint-audit-tests-{self.suffix}"

    @property
    def known_hosts(self) -> Path:
        return self.client_home / ".ssh" / "known_hosts"

    @property
    def client_key(self) -> Path:
        return self.client_home / ".ssh" / "id_ed25519"

    def env(self) -> dict[str, str]:
        """Environment for a client process: its own HOME, no agent."""
        env = {k: v for k, v in os.environ.items() if k != "SSH_AUTH_SOCK"}
        env["HOME"] = str(self.client_home)
        return env

    def known_line(self, address: str, port: int | None = None) -> str:
        return f"[{address}]:{port or self.port} {self.host_key_pub}"

    def trust(self, addresses: list[str]) -> None:
        """Write known_hosts with the right key for these addresses."""
        lines = [self.known_line(a) for a in addresses]
        self.known_hosts.write_text("\n".join(lines) + "\n")

    def start_fleet(self, count: int) -> list[str]:
        """Make sure `count` addresses answer SSH; return them."""
        while len(self.addresses) < count:
            first = len(self.addresses)
            batch = [f"127.0.1.{first + i + 1}" for i in range(ADDRESSES_PER_SSHD)]
            self._start_sshd(batch)
            self.addresses.extend(batch)
        return self.addresses[:count]

    def use_apt_package_cache(self) -> None:
        """Give the lab's sessions the apt package cache a real PC has.

        Docker-derived images (like this machine's) turn apt's pkgcache.bin off, so every
        `apt list` rebuilds it from the package lists: about 1 CPU-second per call instead
        of about 0.25. A PC keeps the cache. This builds one in the lab folder and points
        the lab's sessions at it (APT_CONFIG, set by sshd), changing nothing on the machine.
        Call it before start_fleet.
        """
        if self.servers:
            raise RuntimeError("call use_apt_package_cache before starting servers")
        parts = self.root / "apt.conf.d"
        parts.mkdir()
        for part in Path("/etc/apt/apt.conf.d").iterdir():
            if part.is_file() and "Dir::Cache::pkgcache" not in part.read_text(errors="replace"):
                shutil.copyfile(part, parts / part.name)
        cache = self.root / "apt-cache"
        cache.mkdir()
        config = self.root / "apt.conf"
        config.write_text(f'Dir::Etc::Parts "{parts}";\nDir::Cache "{cache}/";\n')
        env = {**os.environ, "APT_CONFIG": str(config)}
        subprocess.run(["apt-cache", "gencaches"], env=env, check=True, stdout=subprocess.DEVNULL)
        for built in cache.iterdir():
            built.chmod(0o644)
        self.session_env["APT_CONFIG"] = str(config)

    def _start_sshd(self, addresses: list[str]) -> None:
        index = len(self.servers)
        config = self.root / f"sshd_config.{index}"
        listen = "\n".join(f"ListenAddress {a}:{self.port}" for a in addresses)
        set_env = " ".join(f"{k}={v}" for k, v in self.session_env.items())
        config.write_text(
            f"""{listen}
{f"SetEnv {set_env}" if set_env else ""}
HostKey {self.root}/ssh_host_ed25519_key
PidFile none
AuthorizedKeysFile {self.root}/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
StrictModes no
AllowUsers {" ".join(self.users)}
MaxStartups 400:30:800
MaxSessions 32
LogLevel ERROR
PrintMotd no
Subsystem sftp internal-sftp
"""
        )
        with open(self.root / f"sshd.{index}.log", "wb") as log:
            proc = subprocess.Popen(
                [SSHD, "-D", "-e", "-f", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        self.servers.append(proc)
        for address in addresses:
            wait_for_port(address, self.port)

    def silent_server(self, address: str) -> str:
        self.silent.append(SilentServer(address, self.port))
        return address

    def stop(self) -> None:
        for server in self.silent:
            server.close()
        # Sessions outlive the listening sshd; end the ones our servers started, by PID.
        sessions = []
        for proc in self.servers:
            with contextlib.suppress(psutil.Error):
                sessions.extend(psutil.Process(proc.pid).children(recursive=True))
        for proc in self.servers:
            proc.terminate()
        for session in sessions:
            with contextlib.suppress(psutil.Error):
                session.kill()
        for proc in self.servers:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if self.hang_pids.exists():
            for line in self.hang_pids.read_text().split():
                with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
                    os.kill(int(line), signal.SIGKILL)


def _make_user(name: str, home: Path, shell: str = "/bin/sh") -> None:
    # `*` is an unusable password that sshd does not treat as a locked account.
    subprocess.run(["useradd", "-M", "-d", str(home), "-s", shell, "-p", "*", name], check=True)
    home.mkdir(parents=True, exist_ok=True)
    shutil.chown(home, name, name)


def start_lab(root: Path) -> SshLab:
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    for parent in root.parents:  # sshd and sudo users must reach the files below
        if parent == Path("/"):
            break
        parent.chmod(parent.stat().st_mode | 0o011)
    port = free_port()
    host_pub = keygen(root / "ssh_host_ed25519_key", "lab-host")
    client_home = root / "client"
    (client_home / ".ssh").mkdir(parents=True, mode=0o700)
    client_pub = keygen(client_home / ".ssh" / "id_ed25519", "lab-client")
    (root / "authorized_keys").write_text(client_pub + "\n")
    (root / "authorized_keys").chmod(0o644)
    hang_bin = root / "hangbin"
    hang_bin.mkdir()
    hang_pids = root / "hang.pids"
    hang_pids.touch()
    hang_pids.chmod(0o666)
    fake_ss = hang_bin / "ss"
    # Records its PID so the lab can end it; bounded by sleep itself.
    fake_ss.write_text(f"#!/bin/sh\necho $$ >> {hang_pids}\nexec sleep 120\n")
    fake_ss.chmod(0o755)
    marker_dir = root / "markers"
    marker_dir.mkdir(mode=0o777)
    marker_dir.chmod(0o777)
    lab = SshLab(
        root=root,
        port=port,
        host_key_pub=host_pub,
        client_home=client_home,
        hang_pids=hang_pids,
        marker_dir=marker_dir,
        suffix=secrets.token_hex(3),
    )
    shells = _role_shells(root, hang_pids)
    try:
        for role in ROLES:
            user = lab.user(role)
            _make_user(user, root / "home" / user, shells.get(role, "/bin/sh"))
        ok, hang = lab.user(USER_OK), lab.user(USER_HANG)
        sudoers = (
            f"{ok} ALL=(root) NOPASSWD: ALL\n"
            f'Defaults:{hang} secure_path="{hang_bin}:/usr/sbin:/usr/bin:/sbin:/bin"\n'
            f"{hang} ALL=(root) NOPASSWD: ALL\n"
        )
        staged = root / "sudoers"
        staged.write_text(sudoers)
        subprocess.run(["visudo", "-c", "-q", "-f", str(staged)], check=True)
        shutil.copyfile(staged, lab.sudoers)
        lab.sudoers.chmod(0o440)
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation dir
    except BaseException:
        remove_lab_accounts(lab)
        raise
    return lab


def _role_shells(root: Path, hang_pids: Path) -> dict[str, str]:
    """Login shells of the accounts whose platform cannot be told. sshd runs every
    command through the shell, so a wrapper that puts a fake `uname` first in PATH is
    what the client meets."""
    shells = {USER_NOLOGIN: "/usr/sbin/nologin"}
    for role, body in FAKE_UNAME.items():
        fake_bin = root / f"bin-{role}"
        fake_bin.mkdir()
        uname = fake_bin / "uname"
        uname.write_text(f"#!/bin/sh\n{body.format(hang_pids=hang_pids)}\n")
        uname.chmod(0o755)
        shell = root / f"shell-{role}"
        shell.write_text(f'#!/bin/sh\nPATH="{fake_bin}:$PATH"\nexport PATH\nexec /bin/sh "$@"\n')
        shell.chmod(0o755)
        shells[role] = str(shell)
    return shells


def remove_lab_accounts(lab: SshLab) -> None:
    lab.sudoers.unlink(missing_ok=True)
    for user in lab.users:
        with contextlib.suppress(KeyError):
            pwd.getpwnam(user)
            subprocess.run(["userdel", user], check=False, stderr=subprocess.DEVNULL)
