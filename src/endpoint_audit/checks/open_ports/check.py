"""open_ports: no remote-access or file-sharing service listens where the network can reach it.

Listeners are judged by their port and process. Ports that an OS listens on whatever
its settings (Windows: SMB 445/tcp and NetBIOS 137-139, owned by System) come with a
reachability judgement from the collector (`ListeningPortsFacts.exposure`): for those,
with `judge_exposure`, a forbidden port of that process fails only when the host firewall
lets the network reach it, and is unknown when that could not be told. Another process
on such a port is judged by its listening, like any other.
"""

from collections.abc import Iterable

from pydantic import Field, field_validator, model_validator

from endpoint_audit.checkkit.check import (
    Check,
    CheckMeta,
    CheckParams,
    EvalContext,
    FactView,
    Outcome,
)
from endpoint_audit.checks.open_ports.facts import (
    ListeningPortsFacts,
    ListeningSocket,
    Opening,
    PortExposure,
)
from endpoint_audit.model.observed import Reason, Seen, Unknown
from endpoint_audit.model.result import Evidence, Status

# Remote access and file sharing that must not face the network on a telework PC:
# FTP, SSH is allowed by default (IT uses it), telnet, rlogin/rsh/rexec, NetBIOS,
# SMB, NFS, RDP, VNC, X11, WinRM, AFP, Apple Remote Desktop.
DEFAULT_FORBIDDEN = [
    "21",
    "23",
    "69/udp",
    "111",
    "135",
    "137/udp",
    "138/udp",
    "139",
    "445",
    "512",
    "513",
    "514",
    "548",
    "2049",
    "3283",
    "3389",
    "5800",
    "5900-5903",
    "5985",
    "5986",
    "6000-6010",
]


# No listener's owner was named (a process in another namespace, or no root): said so,
# not printed as a bare dash.
_UNNAMED = Reason(key="open_ports.reason.processes_unnamed")


class PortRange:
    """`445`, `5900-5903`, `137/udp` or `22/tcp`."""

    def __init__(self, spec: str) -> None:
        text = spec.strip().lower()
        self.protocol: str | None = None
        if "/" in text:
            text, self.protocol = text.split("/", 1)
            if self.protocol not in ("tcp", "udp"):
                raise ValueError(f"{spec!r}: protocol must be tcp or udp")
        low, _, high = text.partition("-")
        try:
            self.low = int(low)
            self.high = int(high) if high else self.low
        except ValueError:
            raise ValueError(
                f"{spec!r}: expected a port, a range like 5900-5903, or 445/tcp"
            ) from None
        if not (0 < self.low <= self.high <= 65535):
            raise ValueError(f"{spec!r}: ports are 1-65535 and low <= high")

    def matches(self, sock: ListeningSocket) -> bool:
        return self.low <= sock.port <= self.high and self.protocol in (None, sock.protocol)


def _check_specs(values: list[str]) -> list[str]:
    for value in values:
        PortRange(str(value))
    return [str(v) for v in values]


PROTOCOLS = ("tcp", "udp")


def _ports(specs: list[str], protocol: str) -> list[tuple[int, int]]:
    """The ranges of `specs` that hold for `protocol`, merged and in order."""
    ranges = sorted(
        (r.low, r.high) for r in map(PortRange, specs) if r.protocol in (None, protocol)
    )
    merged: list[tuple[int, int]] = []
    for low, high in ranges:
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def covers_every_port(specs: list[str], protocol: str) -> bool:
    return _ports(specs, protocol) == [(1, 65535)]


def _inside(inner: list[tuple[int, int]], outer: list[tuple[int, int]]) -> bool:
    """Every port of `inner` is in `outer` (both merged, as _ports gives them)."""
    return all(any(lo <= low and high <= hi for lo, hi in outer) for low, high in inner)


class OpenPortsParams(CheckParams):
    forbidden_ports: list[str] = Field(default_factory=lambda: list(DEFAULT_FORBIDDEN))
    allowed_ports: list[str] = Field(default_factory=list)
    only_allowed: bool = False
    forbidden_processes: list[str] = Field(default_factory=list)
    allowed_processes: list[str] = Field(default_factory=list)
    include_loopback: bool = False
    judge_exposure: bool = True

    @field_validator("forbidden_ports", "allowed_ports", mode="before")
    @classmethod
    def _valid_specs(cls, value: object) -> object:
        return _check_specs(value) if isinstance(value, list) else value

    @field_validator("allowed_ports")
    @classmethod
    def _allows_not_everything(cls, value: list[str]) -> list[str]:
        # An allowed port is an exception to forbidden_ports and the whole list under
        # only_allowed: allowing every port of a protocol judges none of them.
        for protocol in PROTOCOLS:
            if covers_every_port(value, protocol):
                raise ValueError(
                    f"covers every {protocol} port (1-65535), so no {protocol} listener "
                    "could fail; name the ports to allow, e.g. ['135', '5900/tcp'], or, to "
                    "judge processes only, write forbidden_ports: [] with forbidden_processes"
                )
        return value

    @model_validator(mode="after")
    def _judges_something(self) -> "OpenPortsParams":
        # No forbidden port or process and no allow-list: no listener could ever fail,
        # and every host would pass.
        if not (self.forbidden_ports or self.forbidden_processes or self.only_allowed):
            raise ValueError(
                "could never fail: forbidden_ports and forbidden_processes are empty and "
                "only_allowed is false; forbid something, or turn the check off with "
                "enabled: false"
            )
        # Every forbidden port also allowed: the exceptions cancel the whole list.
        excused = all(
            _inside(_ports(self.forbidden_ports, p), _ports(self.allowed_ports, p))
            for p in PROTOCOLS
        )
        if self.forbidden_ports and excused and not (self.forbidden_processes or self.only_allowed):
            raise ValueError(
                "could never fail: every port of forbidden_ports is also in allowed_ports, "
                "which are exceptions to it; take the ports that must not listen out of "
                "allowed_ports"
            )
        # only_allowed with an allow-list that takes in every port forbidden by default
        # (FTP, telnet, rsh, SMB, RDP, VNC, X11, ...): as good as allowing everything
        # (`2-65535`), no PC needs them all.
        wide = all(
            _inside(
                _ports([*DEFAULT_FORBIDDEN, *self.forbidden_ports], p),
                _ports(self.allowed_ports, p),
            )
            for p in PROTOCOLS
        )
        if self.only_allowed and wide and not self.forbidden_processes:
            raise ValueError(
                "could hardly fail: under only_allowed, allowed_ports takes in every port "
                "forbidden by default (21, 23, 445, 3389, 5900, ...), so almost any listener "
                "is allowed; list only the ports this PC must serve, e.g. ['22/tcp', '443']"
            )
        return self


def _describe(sock: ListeningSocket) -> str:
    """`0.0.0.0:445/tcp`; an IPv6 address in brackets, as in a URL: `[::]:3389/tcp`."""
    address = f"[{sock.address}]" if ":" in sock.address else sock.address
    return f"{address}:{sock.port}/{sock.protocol}"


# A pass names what it judged; past this many listeners the rest is a count.
_LISTED = 8


def _listing(endpoints: list[str]) -> str:
    if not endpoints:
        return "-"
    shown = ", ".join(endpoints[:_LISTED])
    rest = len(endpoints) - _LISTED
    return f"{shown} (+{rest})" if rest > 0 else shown


class OpenPorts(Check):
    meta = CheckMeta.from_package("open_ports", __package__)
    Params = OpenPortsParams
    requires = (ListeningPortsFacts,)

    def evaluate(
        self, facts: FactView, params: OpenPortsParams, ctx: EvalContext
    ) -> Iterable[Outcome]:
        fact = facts.get(ListeningPortsFacts)
        forbidden = [PortRange(s) for s in params.forbidden_ports]
        allowed = [PortRange(s) for s in params.allowed_ports]
        forbidden_procs = {p.lower() for p in params.forbidden_processes}
        allowed_procs = {p.lower() for p in params.allowed_processes}
        exposure = {(e.protocol, e.port): e for e in fact.exposure} if params.judge_exposure else {}
        judged = 0
        unseen: list[str] = []
        offending: list[Outcome] = []
        # Listeners on ports judged by reachability, per port, with what was found.
        shielded: dict[tuple[str, int], tuple[PortExposure, list[ListeningSocket]]] = {}
        for sock in fact.sockets:
            if sock.loopback and not params.include_loopback:
                continue
            judged += 1
            proc = (sock.process or "").lower()
            if proc and proc in allowed_procs:
                continue
            port_allowed = any(r.matches(sock) for r in allowed)
            reason: str | None = None
            if proc and proc in forbidden_procs:
                reason = "process"
            elif not port_allowed and any(r.matches(sock) for r in forbidden):
                reason = "port"
            elif params.only_allowed and not port_allowed:
                reason = "not_allowed"
            reach = exposure.get((sock.protocol, sock.port))
            if reach is not None and reason in ("port", "not_allowed") and sock.pid == reach.pid:
                shielded.setdefault((reach.protocol, reach.port), (reach, []))[1].append(sock)
                continue
            if reason is None:
                if not proc and forbidden_procs:
                    unseen.append(_describe(sock))
                continue
            offending.append(
                Outcome(
                    status=Status.FAIL,
                    key=f"forbidden_{reason}",
                    args={
                        "endpoint": _describe(sock),
                        "process": sock.process or "?",
                        "user": sock.user or "?",
                        "pid": sock.pid,
                    },
                    resource=_describe(sock),
                    expected="not listening" if reason != "not_allowed" else params.allowed_ports,
                    actual={
                        "address": sock.address,
                        "port": sock.port,
                        "protocol": sock.protocol,
                        "process": sock.process,
                        "pid": sock.pid,
                        "user": sock.user,
                    },
                    evidence=tuple(
                        Evidence(source=s, excerpt=_describe(sock)) for s in fact.sources[:1]
                    ),
                )
            )
        judged_ports = list(shielded.values())
        reachable = [(e, s) for e, s in judged_ports if e.reachable == Seen(value=True)]
        unclear = [(e, s) for e, s in judged_ports if isinstance(e.reachable, Unknown)]
        offending += [_exposed(e, s, fact) for e, s in reachable]
        if offending or unclear:
            yield from offending
            yield from (_exposure_unknown(e, s, fact) for e, s in unclear)
            return
        if unseen:
            # A forbidden process could hide behind a socket whose owner we cannot see.
            yield Outcome(
                status=Status.UNKNOWN,
                key="owners_hidden",
                args={"endpoints": ", ".join(unseen), "note": fact.owners_note or ""},
                expected={"forbidden_processes": params.forbidden_processes},
                actual=unseen,
            )
            return
        names = sorted(
            {
                s.process
                for s in fact.sockets
                if s.process and (params.include_loopback or not s.loopback)
            }
        )
        listening = [
            _describe(s) for s in fact.sockets if params.include_loopback or not s.loopback
        ]
        if judged_ports:
            ports = [e.spec for e in sorted((e for e, _ in judged_ports), key=_order)]
            yield Outcome(
                status=Status.PASS,
                key="none_reachable",
                args={
                    "count": judged,
                    "listening": _listing(listening),
                    "processes": ", ".join(names) or _UNNAMED,
                    "ports": ", ".join(ports),
                    "profiles": "/".join(fact.active_profiles) or "-",
                    "shares": _shares(fact),
                },
                expected={
                    "forbidden_ports": params.forbidden_ports,
                    "not_reachable": ports,
                },
                actual={
                    "listening": listening,
                    "reachable": dict.fromkeys(ports, False),
                    "shares": _shares_seen(fact),
                },
            )
            return
        yield Outcome(
            status=Status.PASS,
            key="none_forbidden",
            args={
                "count": judged,
                "listening": _listing(listening),
                "processes": ", ".join(names) or _UNNAMED,
            },
            expected={"forbidden_ports": params.forbidden_ports},
            actual=listening,
        )


def _order(exposure: PortExposure) -> tuple[int, str]:
    return (exposure.port, exposure.protocol)


def _shares_seen(fact: ListeningPortsFacts) -> list[str] | None:
    return list(fact.shares.value) if isinstance(fact.shares, Seen) else None


def _shares(fact: ListeningPortsFacts) -> str:
    if not isinstance(fact.shares, Seen):
        return "?"
    return ", ".join(fact.shares.value) or "-"


def _exposure_actual(
    exposure: PortExposure, socks: list[ListeningSocket], fact: ListeningPortsFacts
) -> dict[str, object]:
    return {
        "listening": [_describe(s) for s in socks],
        "reachable": exposure.reachable.value if isinstance(exposure.reachable, Seen) else None,
        # As data, not English sentences: reports show them in any language.
        "openings": [o.model_dump(mode="json", exclude_defaults=True) for o in exposure.openings],
        "active_profiles": list(fact.active_profiles),
        "shares": _shares_seen(fact),
    }


# The opening named in the message: one that opens everything before a single rule.
_OPENING_ORDER = {"profile_off": 0, "inbound_allowed": 1, "interface_off": 2, "rule": 3}


def _exposed(
    exposure: PortExposure, socks: list[ListeningSocket], fact: ListeningPortsFacts
) -> Outcome:
    first: Opening = min(exposure.openings, key=lambda o: _OPENING_ORDER[o.kind])
    return Outcome(
        status=Status.FAIL,
        key=f"exposed_{first.kind}",
        args={
            "port": exposure.spec,
            "service": exposure.service,
            "endpoints": ", ".join(_describe(s) for s in socks),
            "profile": first.profile,
            "rule": first.rule or "-",
            "name": first.display_name or first.rule or "-",
            "remote": first.remote or "Any",
            "interfaces": ", ".join(first.interfaces) or "-",
            "more": len(exposure.openings) - 1,
            "shares": _shares(fact),
        },
        resource=exposure.spec,
        expected={"reachable": False},
        actual=_exposure_actual(exposure, socks, fact),
        evidence=tuple(
            Evidence(source=s, excerpt="; ".join(o.describe() for o in exposure.openings)[:300])
            for s in fact.sources
            if s == ("ps:file_sharing" if first.kind == "rule" else "ps:firewall_profiles")
        ),
    )


def _exposure_unknown(
    exposure: PortExposure, socks: list[ListeningSocket], fact: ListeningPortsFacts
) -> Outcome:
    assert isinstance(exposure.reachable, Unknown)  # noqa: S101 - the caller picked these
    return Outcome(
        status=Status.UNKNOWN,
        key="exposure_unknown",
        args={
            "port": exposure.spec,
            "service": exposure.service,
            "endpoints": ", ".join(_describe(s) for s in socks),
            "reason": exposure.reachable.reason,
        },
        resource=exposure.spec,
        expected={"reachable": False},
        actual=_exposure_actual(exposure, socks, fact),
    )
