"""macOS reads of rules: property list values, the managed preferences of configuration
profiles first; one plutil per distinct file per host however many keys and rules read
it; typed values; whatever plutil prints (hostile output) never becomes a pass."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.checkkit.macos_plist import plutil_xml
from endpoint_audit.model.commands import Command, CommandResult
from endpoint_audit.model.rule import PlistRead
from endpoint_audit.rules.macos import all_commands, parse_read
from endpoint_audit.transport.replay import ReplayTransport
from tests.replay_cases import host_path

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN"'
    ' "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n'
)
MANAGED = "/Library/Managed Preferences/com.apple.loginwindow.plist"
OWN = "/Library/Preferences/com.apple.loginwindow.plist"


def plist(body: str) -> CommandResult:
    return CommandResult(0, stdout=f"{HEAD}{body}\n</plist>\n")


def missing(path: str) -> CommandResult:
    name = path.rsplit("/", 1)[1]
    return CommandResult(
        1,
        stdout=f"{path}: file does not exist or is not readable or is not a regular file "
        f'(Error Domain=NSCocoaErrorDomain Code=260 "The file “{name}” couldn’t be opened '
        'because there is no such file.")\n',
    )


def unreadable(path: str) -> CommandResult:
    name = path.rsplit("/", 1)[1]
    return CommandResult(
        1,
        stdout=f"{path}: file does not exist or is not readable or is not a regular file "
        f'(Error Domain=NSCocoaErrorDomain Code=257 "The file “{name}” couldn’t be opened '
        'because you don’t have permission to view it.")\n',
    )


def read(key: Any, plist_where: str = "com.apple.loginwindow", **extra: Any) -> PlistRead:
    return PlistRead.model_validate({"plist": plist_where, "key": key, **extra})


def results(managed: CommandResult, own: CommandResult) -> dict[str, CommandResult]:
    return {plutil_xml(MANAGED).key: managed, plutil_xml(OWN).key: own}


def test_the_managed_preferences_win() -> None:
    got = parse_read(
        read("GuestEnabled"),
        results(
            plist("<dict><key>GuestEnabled</key><false/></dict>"),
            plist("<dict><key>GuestEnabled</key><true/></dict>"),
        ),
    )
    assert (got.state, got.value, got.source) == ("value", False, plutil_xml(MANAGED).key)


def test_a_key_the_profile_does_not_set_comes_from_the_domain_s_own_file() -> None:
    got = parse_read(
        read("GuestEnabled"),
        results(
            plist("<dict><key>Other</key><true/></dict>"),
            plist("<dict><key>GuestEnabled</key><true/></dict>"),
        ),
    )
    assert (got.value, got.source) == (True, plutil_xml(OWN).key)


def test_absent_setting_and_absent_file_are_told_apart() -> None:
    gone = results(missing(MANAGED), missing(OWN))
    assert parse_read(read("autoLoginUser"), gone).absent == "file"
    no_key = results(
        missing(MANAGED), plist("<dict><key>lastUserName</key><string>a</string></dict>")
    )
    assert parse_read(read("autoLoginUser"), no_key).absent == "setting"


def test_an_unreadable_managed_file_is_unknown_not_absent() -> None:
    got = parse_read(
        read("autoLoginUser"),
        results(unreadable(MANAGED), plist("<dict><key>x</key><true/></dict>")),
    )
    assert got.state == "unknown" and got.reason is not None
    assert got.reason.key == "rule.reason.denied"
    assert parse_read(read("autoLoginUser"), {}).state == "unknown"  # nothing recorded


def test_key_paths_dotted_listed_and_positions() -> None:
    body = (
        "<dict><key>com.apple.login.mcx.DisableAutoLoginClient</key><true/>"
        "<key>a</key><dict><key>b</key><dict><key>c</key><integer>7</integer></dict></dict>"
        "<key>items</key><array><dict><key>name</key><string>x</string></dict></array></dict>"
    )
    both = results(missing(MANAGED), plist(body))
    assert parse_read(read(["com.apple.login.mcx.DisableAutoLoginClient"]), both).value is True
    assert parse_read(read("com.apple.login.mcx.DisableAutoLoginClient"), both).state == "absent"
    assert parse_read(read("a.b.c"), both).value == 7
    assert parse_read(read(["items", 0, "name"]), both).value == "x"
    assert parse_read(read(["items", 1, "name"]), both).state == "absent"
    assert parse_read(read(["a", 0]), both).state == "absent"  # a position in a dictionary


def test_typed_values() -> None:
    body = (
        "<dict><key>flag</key><integer>1</integer><key>word</key><string>YES</string>"
        "<key>when</key><date>2026-11-20T06:00:00Z</date><key>names</key>"
        "<array><string>a</string><string>b</string></array><key>raw</key><data>AAE=</data>"
        "<key>sub</key><dict/><key>real</key><real>1.5</real></dict>"
    )
    both = results(missing(MANAGED), plist(body))
    assert parse_read(read("flag"), both).value == 1  # kept as the file holds it
    assert parse_read(read("flag", type="bool"), both).value is True  # as macOS reads it
    assert parse_read(read("word", type="bool"), both).value is True
    when = parse_read(read("when"), both)
    assert (when.kind, when.value) == ("date", "2026-11-20T06:00:00+00:00")
    assert parse_read(read("names"), both).value == ["a", "b"]
    assert parse_read(read("raw"), both).value == "0001"
    assert parse_read(read("real", type="number"), both).value == 1.5
    container = parse_read(read("sub"), both)
    assert container.state == "unknown" and container.reason is not None
    assert container.reason.key == "rule.reason.plist_container"
    differs = parse_read(read("names", type="bool"), both)
    assert differs.reason is not None and differs.reason.key == "rule.reason.plist_type_differs"
    assert parse_read(read("word", type="number"), both).state == "unknown"


def test_an_absolute_path_is_read_alone() -> None:
    where = "/Library/Preferences/com.apple.SoftwareUpdate.plist"
    one = read("AutomaticCheckEnabled", where)
    assert [c.key for c in all_commands([one])] == [plutil_xml(where).key]


def test_validation_refuses_what_is_no_domain_or_key() -> None:
    for where in (
        "loginwindow",
        "/Library/x.txt",
        "../com.apple.x",
        "com.apple.x\n",
        "/a/../b.plist",
    ):
        with pytest.raises(ValueError):
            read("k", where)
    for key in ("", "a..b", [], ["a", -1]):
        with pytest.raises(ValueError):
            read(key)


RULES = """id: mac-rules
title: {ja: macOS, en: macOS}
version: 1
checks:
  t.one:
    type: rule
    severity: low
    title: {ja: 一, en: one}
    remediation: {ja: なし, en: none}
    platforms:
      macos:
        all:
          - read: {plist: com.apple.loginwindow, key: GuestEnabled, type: bool}
            expect: {eq: false}
          - read: {plist: com.apple.loginwindow, key: autoLoginUser}
            expect: {absent: true}
          - read: {plist: com.apple.loginwindow, key: lastUserName}
            expect: {present: true}
  t.two:
    type: rule
    severity: low
    title: {ja: 二, en: two}
    remediation: {ja: なし, en: none}
    platforms:
      macos:
        any:
          - read: {plist: com.apple.loginwindow, key: [com.apple.login.mcx.DisableAutoLoginClient]}
            expect: {eq: true}
          - read: {plist: /Library/Preferences/com.apple.loginwindow.plist, key: GuestEnabled}
            expect: {eq: false}
"""


def test_one_command_per_file_per_host(
    tmp_path: Path, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: Counter[str] = Counter()
    replay = ReplayTransport._run

    async def counting(self: ReplayTransport, command: Command, timeout: float) -> CommandResult:
        asked[command.key] += 1
        return await replay(self, command, timeout)

    monkeypatch.setattr(ReplayTransport, "_run", counting)
    baseline = tmp_path / "mac.yaml"
    baseline.write_text(RULES, encoding="utf-8")
    result = cli(
        "scan",
        "--replay",
        str(host_path("macos15-compliant")),
        "-b",
        str(baseline),
        "-f",
        "json",
        "--only",
        "t.one,t.two",
    )
    findings = {
        f["check_id"]: f["status"] for f in json.loads(result.stdout)["hosts"][0]["findings"]
    }
    assert findings == {"t.one": "pass", "t.two": "pass"}
    plutil = {k: n for k, n in asked.items() if k.startswith("plutil ")}
    # Six reads of one domain by two rules: its two files, each read once.
    assert plutil == {plutil_xml(MANAGED).key: 1, plutil_xml(OWN).key: 1}


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.integers(min_value=-1, max_value=2))
def test_whatever_plutil_prints_never_raises(stdout: str, status: int) -> None:
    got = parse_read(
        read("GuestEnabled", type="bool"),
        results(CommandResult(status, stdout=stdout), CommandResult(status, stdout=stdout)),
    )
    assert got.state in ("value", "absent", "unknown")
    if got.state == "value":  # only a real plist, which random text is not, gives a value
        assert stdout.lstrip().startswith("<")


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_hostile_strings_in_a_plist_stay_data(text: str) -> None:
    from xml.sax.saxutils import escape

    body = f"<dict><key>autoLoginUser</key><string>{escape(text)}</string></dict>"
    got = parse_read(read("autoLoginUser"), results(missing(MANAGED), plist(body)))
    if got.state == "value":
        assert isinstance(got.value, str)


def test_applies_when_reads_share_the_files_already_read(
    tmp_path: Path, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An applicability read of the same domain adds no plutil: one per file per host."""
    asked: Counter[str] = Counter()
    replay = ReplayTransport._run

    async def counting(self: ReplayTransport, command: Command, timeout: float) -> CommandResult:
        asked[command.key] += 1
        return await replay(self, command, timeout)

    monkeypatch.setattr(ReplayTransport, "_run", counting)
    guard = (
        "    applies_when:\n"
        "      macos:\n"
        "        read: {plist: com.apple.loginwindow, key: lastUserName}\n"
        "        expect: {present: true}\n"
        "    platforms:\n"
    )
    baseline = tmp_path / "mac.yaml"
    baseline.write_text(RULES.replace("    platforms:\n", guard), encoding="utf-8")
    result = cli(
        "scan",
        "--replay",
        str(host_path("macos15-compliant")),
        "-b",
        str(baseline),
        "-f",
        "json",
        "--only",
        "t.one,t.two",
    )
    findings = {
        f["check_id"]: f["status"] for f in json.loads(result.stdout)["hosts"][0]["findings"]
    }
    assert findings == {"t.one": "pass", "t.two": "pass"}
    plutil = {k: n for k, n in asked.items() if k.startswith("plutil ")}
    assert plutil == {plutil_xml(MANAGED).key: 1, plutil_xml(OWN).key: 1}
