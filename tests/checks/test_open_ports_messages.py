"""What the open_ports pass message names: the listeners judged, and their owners or
why none is named."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from endpoint_audit.checkkit.check import EvalContext, FactView
from endpoint_audit.checks.open_ports.check import OpenPorts
from endpoint_audit.checks.open_ports.facts import ListeningPortsFacts, ListeningSocket
from endpoint_audit.engine.run import message_args
from endpoint_audit.model import i18n
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import Status

LINUX = PlatformInfo(family=OsFamily.LINUX, name="Debian GNU/Linux", version="12")


def messages(*sockets: ListeningSocket, lang: str) -> list[tuple[Status, str]]:
    check = OpenPorts()
    ctx = EvalContext(platform=LINUX, now=datetime(2026, 12, 1, tzinfo=UTC))
    facts = ListeningPortsFacts(sockets=sockets)
    return [
        (o.status, i18n.t(lang, f"open_ports.msg.{o.key}", **message_args(o.args, lang)))
        for o in check.evaluate(FactView({ListeningPortsFacts: facts}), check.Params(), ctx)
    ]


@pytest.mark.parametrize(
    ("lang", "said"),
    [("en", "processes: no owning process named"), ("ja", "所有プロセス名は示されていません")],
)
def test_a_listener_without_a_named_owner_says_so(lang: str, said: str) -> None:
    sock = ListeningSocket(protocol="tcp", address="0.0.0.0", port=2024)
    ((status, message),) = messages(sock, lang=lang)
    assert status is Status.PASS
    assert "0.0.0.0:2024/tcp" in message
    assert said in message
    assert ": -)" not in message


def test_named_owners_are_listed() -> None:
    sock = ListeningSocket(protocol="tcp", address="0.0.0.0", port=2024, process="python3")
    ((status, message),) = messages(sock, lang="en")
    assert status is Status.PASS
    assert "(processes: python3)" in message
