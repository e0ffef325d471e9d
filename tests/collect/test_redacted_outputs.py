"""`collect --redact` (and `--record`) hide a host's identity in everything they write:
file names, file contents, signatures' comments; `evaluate DIR` still judges every host
of a redacted bundle folder, and still refuses a renamed one.

The hosts are SSH targets answered by a real recording (the Debian 12 container's, as
`collect --record` wrote it) with the host's name, address and machine id planted where
a real host shows them; the CLI runs as the auditor runs it."""

from __future__ import annotations

import json
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import msgspec.structs
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from endpoint_audit.cli.key_files import PASSWORD_ENV
from endpoint_audit.engine.host_outputs import RedactedLabels, bundle_text
from endpoint_audit.engine.run import Target
from endpoint_audit.inventory import InventoryHost, safe_file_name
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.transport.redact import target_address
from endpoint_audit.transport.replay import ReplayTransport
from endpoint_audit.transport.transcript import HostTranscript, load_bundle
from tests.signing.cli_helpers import PASSWORD, make_keys

FROZEN = Path(__file__).resolve().parents[1] / "fixtures" / "frozen"
RECORDING = FROZEN / "linux-recording-debian12.yaml"


def _recording() -> HostTranscript:
    (host,) = load_bundle(RECORDING)
    return host


ORIGINAL = bundle_text([_recording()], False).casefold()


def planted(target: str, name: str, machine_id: str | None) -> HostTranscript:
    """The recording as the SSH host `target` (host name `name`) would have given it."""
    host = _recording()
    assert host.platform is not None
    platform = host.platform.model_copy(
        update={"hostname": name, "transport": "ssh", "machine_id": machine_id}
    )
    commands = dict(host.commands)
    if machine_id is not None:
        commands["file:/etc/machine-id"] = CommandResult(0, stdout=machine_id + "\n")
    else:
        del commands["file:/etc/machine-id"]
    date = commands["date +%z"]
    # Where a host's own name and address show up in real output: a login banner.
    banner = f"Connected to {name} ({target})\n"
    commands["date +%z"] = CommandResult(date.exit_status, date.stdout, banner)
    return msgspec.structs.replace(host, target=target, platform=platform, commands=commands)


def secrets_of(target: str, name: str, machine_id: str | None) -> set[str]:
    """What no redacted file may show of the host: its names, its address, its id."""
    found = {name, name.split(".", 1)[0], target}
    address = target_address(target)
    if address is not None:
        found.add(address)
    else:
        found.add(target.split(":", 1)[0].split(".", 1)[0])
    if machine_id is not None:
        found.add(machine_id)
    return {s.casefold() for s in found}


def leaks(root: Path, secrets: set[str]) -> list[str]:
    """Every file name or content under `root` that shows one of `secrets`."""
    out: list[str] = []
    for path in sorted(root.rglob("*")):
        relative = str(path.relative_to(root)).casefold()
        out += [f"{relative}: in the name: {s}" for s in secrets if s in relative]
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace").casefold()
            out += [f"{relative}: inside: {s}" for s in secrets if s in text]
    return out


# (target as the auditor wrote it, host name the host reports, machine id)
FLEET = [
    ("pc-taro-0042.city.example.lg.jp", "pc-taro-0042.city.example.lg.jp", uuid.uuid4().hex),
    ("198.51.100.77:2222", "kiosk-hanako", uuid.uuid4().hex),
    ("[fd00::4242]:22", "lab-node-9", uuid.uuid4().hex),
    ("nomachineid-1", "nomachineid-1", None),
    ("nomachineid-2", "nomachineid-2", None),
]
# Two inventory names of one PC: one machine id.
SAME_PC = ("sato-laptop", "sato-laptop", "0f0e0d0c0b0a09080706050403020100")
SAME_PC_BY_ADDRESS = ("203.0.113.9", "sato-laptop", SAME_PC[2])


@pytest.fixture
def replayed_ssh(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, HostTranscript]]:
    """SSH targets answered by recordings (by inventory name), in this process."""
    answers: dict[str, HostTranscript] = {}

    def ssh_target(host: InventoryHost, options: object) -> Target:
        return Target(
            host.name,
            partial(ReplayTransport, answers[host.name]),
            groups=host.groups,
            address=host.address,
            login=host.user,
        )

    monkeypatch.setattr("endpoint_audit.engine.fleet.ssh_target", ssh_target)
    yield answers


def _collect(
    cli: Callable[..., Any],
    answers: dict[str, HostTranscript],
    fleet: list[tuple[str, str, str | None]],
    *args: str,
) -> Any:
    hosts: list[str] = []
    for target, name, machine_id in fleet:
        answers[target] = planted(target, name, machine_id)
        hosts += ["--host", target]
    return cli("collect", *hosts, "-b", "minimal", "--lang", "en", *args)


def test_nothing_written_under_redact_names_the_hosts(
    cli: Callable[..., Any], replayed_ssh: dict[str, HostTranscript], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    fleet = [*FLEET, SAME_PC, SAME_PC_BY_ADDRESS]
    done = _collect(
        cli, replayed_ssh, fleet,
        "--redact", "--bundle-dir", str(out / "bundles"), "-o", str(out / "all.json"),
        "--record", str(out / "recorded"),
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    secrets = set().union(*(secrets_of(*host) for host in fleet))
    assert leaks(out, secrets) == []
    # Not vacuous: the same run without --redact shows each of them.
    plain = tmp_path / "plain"
    again = _collect(cli, replayed_ssh, fleet, "--bundle-dir", str(plain))
    assert again.exit_code == 0, again.stderr
    shown = {line.rsplit(": ", 1)[1] for line in leaks(plain, secrets)}
    assert shown == secrets
    # Without --redact the files keep the auditor's names.
    assert sorted(p.name for p in plain.iterdir()) == sorted(
        f"{safe_file_name(target)}.json" for target, _, _ in fleet
    )

    files = sorted((out / "bundles").glob("*.json"))
    assert len(files) == len(fleet)  # one file per target: none replaced another's
    labels = []
    for file in files:
        (host,) = json.loads(file.read_text())["hosts"]
        # The file is named by the label inside it.
        assert file.stem == safe_file_name(host["target"])
        labels.append(host["target"])
    label = re.compile(r"host-[0-9a-f]{12}(\.city\.example\.lg\.jp)?")
    assert all(label.fullmatch(x) for x in labels), labels
    everything = json.loads((out / "all.json").read_text())["hosts"]
    assert len({h["target"] for h in everything}) == len(fleet)

    judged = cli("evaluate", str(out / "bundles"), "-b", "minimal", "-f", "json")
    assert "named for" not in judged.stderr and "same host" not in judged.stderr
    report = json.loads(judged.stdout)["hosts"]
    assert sorted(h["target"] for h in report) == sorted(labels)
    for host in report:
        assert host["status"] == "ok" and host["findings"], host["target"]
        assert all(f.get("message_key") != "core.msg.misnamed_results" for f in host["findings"])
    # The one bundle of all of them holds no host twice (a refusal: "the same host twice").
    whole = cli("evaluate", str(out / "all.json"), "-b", "minimal", "-f", "json")
    assert len(json.loads(whole.stdout)["hosts"]) == len(fleet), whole.stderr


def test_a_pc_keeps_its_file_name_from_run_to_run(
    cli: Callable[..., Any], replayed_ssh: dict[str, HostTranscript], tmp_path: Path
) -> None:
    bundles = tmp_path / "bundles"
    for _ in range(2):
        done = _collect(cli, replayed_ssh, FLEET[:3], "--redact", "--bundle-dir", str(bundles))
        assert done.exit_code == 0, done.stderr
    # host-<machine pseudonym>: the second run replaced the first run's files.
    assert len(list(bundles.glob("*.json"))) == 3


def test_a_renamed_redacted_bundle_is_refused(
    cli: Callable[..., Any], replayed_ssh: dict[str, HostTranscript], tmp_path: Path
) -> None:
    bundles = tmp_path / "bundles"
    done = _collect(cli, replayed_ssh, FLEET[1:3], "--redact", "--bundle-dir", str(bundles))
    assert done.exit_code == 0, done.stderr
    first, second = sorted(bundles.glob("*.json"))
    # One PC's bundle copied over another's: it stands for neither.
    shutil.copyfile(first, second)
    judged = cli("evaluate", str(bundles), "-b", "minimal", "-f", "json")
    assert judged.exit_code in (1, 3), judged.stderr  # 1: the other PC fails a check
    lines = [line for line in judged.stderr.splitlines() if "is named for" in line]
    assert len(lines) == 1 and first.stem in lines[0] and second.name in lines[0]
    statuses = {
        (Path(h["source"]).name, f["status"], f.get("message_key"))
        for h in json.loads(judged.stdout)["hosts"]
        for f in h["findings"]
    }
    assert {(n, s, k) for n, s, k in statuses if n == second.name} == {
        (second.name, "unknown", "core.msg.misnamed_results")
    }


def test_a_signed_redacted_bundle_names_no_host(
    cli: Callable[..., Any], replayed_ssh: dict[str, HostTranscript], tmp_path: Path
) -> None:
    keys = make_keys(tmp_path)
    out = tmp_path / "out"
    for target, name, machine_id in FLEET[:2]:
        replayed_ssh[target] = planted(target, name, machine_id)
    hosts = [arg for target, _, _ in FLEET[:2] for arg in ("--host", target)]
    done = cli(
        "collect", *hosts, "-b", "minimal", "--redact", "--bundle-dir", str(out),
        "--sign", str(keys.secret), env={PASSWORD_ENV: PASSWORD},
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    signatures = list(out.glob("*.minisig"))
    assert len(signatures) == 2
    # The signature's comment names the label, as the file does.
    assert all(f"host={p.name.split('.json')[0]}" in p.read_text() for p in signatures)
    assert leaks(out, secrets_of(*FLEET[0]) | secrets_of(*FLEET[1])) == []


_LABEL = st.from_regex(r"[A-Za-z][A-Za-z0-9]{2,9}(-[A-Za-z0-9]{1,6}){0,2}", fullmatch=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=_LABEL,
    domain=st.sampled_from(["", ".city.example.lg.jp", ".corp.example"]),
    address=st.one_of(
        st.none(),
        st.ip_addresses(v=4).map(str),
        st.ip_addresses(v=6).map(lambda a: f"[{a}]:22"),
    ),
    machine_id=st.one_of(st.none(), st.uuids().map(lambda u: u.hex)),
)
def test_no_redacted_bundle_or_its_file_name_shows_the_host(
    name: str, domain: str, address: str | None, machine_id: str | None
) -> None:
    # Words the recording itself holds (`debian`, `root`) or the placeholders are not
    # something a leak could be told from.
    assume(name.casefold() not in ORIGINAL and "host" not in name.casefold())
    assume(not any(name.casefold() in w for w in ("redacted-serial", "user-", "redacted")))
    target = address or f"{name}{domain}"
    if address is not None:
        bare = address.split("]")[0].strip("[").casefold()
        # Nor the documentation addresses an address is replaced by.
        # (A loopback one becomes the loopback every PC has: 127.0.0.1 and ::1 name none.)
        assume(bare not in ORIGINAL and bare not in "192.0.2.1 2001:db8::1 127.0.0.1 ::1")
    host = planted(target, f"{name}{domain}", machine_id)
    labels = RedactedLabels()
    clean = labels.redact(host)
    again = labels.redact(host)  # the same target again: the same label
    assert again.target == clean.target
    secrets = secrets_of(target, f"{name}{domain}", machine_id)
    file_name = f"{safe_file_name(clean.target)}.json".casefold()
    text = bundle_text([clean], False).casefold()
    assert [s for s in secrets if s in file_name or s in text] == []


@pytest.mark.parametrize(
    ("target", "hidden"),
    [
        ("db01", "db01"),  # hex digits only: still a name
        ("cafe:22", "cafe"),
        ("198.51.100.7:2222", "198.51.100.7"),
        ("[fd00::7]:22", "fd00::7"),
        ("FD00::7", "fd00::7"),
    ],
)
def test_a_target_is_hidden_however_it_is_written(target: str, hidden: str) -> None:
    from endpoint_audit.transport.redact import redact_host

    host = planted(target, "kiosk-hanako", None)
    clean, _ = redact_host(host)
    text = bundle_text([clean], False).casefold()
    assert re.fullmatch(r"host-1(:22)?", clean.target), clean.target  # a name keeps its port
    assert hidden not in text and "kiosk-hanako" not in text
    # An address stays an address where it was printed, so parsers still read it.
    if target_address(target) is not None:
        assert "192.0.2.1" in text or "2001:db8::1" in text


@pytest.mark.parametrize(
    ("target", "via"),
    [
        ("127.0.0.1:2201", None),  # a PC reached through a tunnel to this machine
        ("pc-tunnel", "127.0.1.5"),  # an inventory address on loopback
        ("[::1]:2201", None),
    ],
)
def test_a_loopback_address_stays_loopback(target: str, via: str | None) -> None:
    # Every PC has its own loopback: a listener there reaches nobody, and redaction
    # turning it into 192.0.2.1 made open_ports fail the PC for a port nothing can reach.
    from endpoint_audit.checks.open_ports.linux import SS, parse_ss
    from endpoint_audit.transport.redact import redact_host

    host = planted(target, "kiosk-hanako", None)
    lines = [
        'tcp LISTEN 0 244 127.0.0.1:5432 0.0.0.0:* users:(("postgres",pid=812,fd=6))',
        'tcp LISTEN 0 128 127.0.1.5:8080 0.0.0.0:* users:(("python3",pid=900,fd=3))',
        'tcp LISTEN 0 128 [::1]:631 [::]:* users:(("cupsd",pid=700,fd=7))',
        'tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=600,fd=3))',
    ]
    host = msgspec.structs.replace(
        host, commands={**host.commands, SS.key: CommandResult(0, stdout="\n".join(lines) + "\n")}
    )
    clean, _ = redact_host(host, reached_at=via)
    sockets = parse_ss(clean.commands[SS.key].stdout)
    assert [(s.port, s.loopback) for s in sockets] == [
        (5432, True),
        (8080, True),
        (631, True),
        (22, False),
    ]
    if via is not None:  # which loopback address it was reached at: still hidden
        assert via not in bundle_text([clean], False)
