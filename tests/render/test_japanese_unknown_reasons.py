"""A Japanese report of a value that could not be seen says why in Japanese: the
collector's reason is a catalog key with arguments, rendered in the report's language,
and the record keeps the key so the report renders again in English."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from endpoint_audit.model import i18n
from tests.replay_cases import case_path

LSBLK = "lsblk -J -p -o NAME,KNAME,MAJ:MIN,TYPE,FSTYPE,MOUNTPOINT,RM,HOTPLUG,TRAN"
# Words of an English sentence (a name or a path has none, or one).
FUNCTION_WORDS = frozenset(
    "the is not no could be of to and was for with has are cannot there nothing on but "
    "from this were it an a or by as".split()
)


def _english(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z]+", text)} & FUNCTION_WORDS


def _scan(cli: Callable[..., Any], bundle: dict[str, Any], tmp_path: Path, lang: str) -> Any:
    path = tmp_path / "host.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    out = tmp_path / f"{lang}.json"
    cli("scan", "--replay", str(path), "--lang", lang, "-f", f"json:{out}")
    return json.loads(out.read_text(encoding="utf-8"))


def _bundle(ref: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(case_path(ref).read_text(encoding="utf-8"))
    return data


def test_disk_encryption_unknown_volume_reason_is_japanese(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    bundle = _bundle("disk_encryption/linux-debian12-container")
    # lsblk missing: the device under / cannot be seen, so / is unknown.
    bundle["hosts"][0]["commands"][LSBLK] = {"exit_status": 127, "stdout": "", "stderr": ""}
    report = _scan(cli, bundle, tmp_path, "ja")
    (finding,) = [f for f in report["hosts"][0]["findings"] if f["check_id"] == "disk_encryption"]
    assert finding["status"] == "unknown"
    assert finding["message_key"] == "disk_encryption.msg.unknown"
    assert "lsblk（util-linux）がインストールされていない" in finding["message"]
    assert _english(finding["message"]) == set(), finding["message"]
    args = finding["message_args"]
    assert args["reason@key"] == "disk_encryption.reason.lsblk_missing"
    # The record renders again in English, from the key.
    english = i18n.render_message("en", finding["message_key"], args)
    assert english is not None and "lsblk (util-linux) is not installed" in english
    assert finding["actual"]["encrypted"] is None


def test_disk_encryption_reason_with_arguments_is_japanese(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    bundle = _bundle("disk_encryption/linux-debian12-container")
    bundle["hosts"][0]["commands"][LSBLK] = {
        "exit_status": 1,
        "stdout": "",
        "stderr": "lsblk: unknown column: HOTPLUG",
    }
    report = _scan(cli, bundle, tmp_path, "ja")
    (finding,) = [f for f in report["hosts"][0]["findings"] if f["check_id"] == "disk_encryption"]
    assert finding["status"] == "unknown"
    assert "lsblk が終了コード 1 で終了しました" in finding["message"]
    assert "exited" not in finding["message"]
    assert finding["message_args"]["reason@status"] == 1


def test_patch_level_unknown_reasons_are_japanese(cli: Callable[..., Any], tmp_path: Path) -> None:
    """A 32-bit PowerShell that could not read the 64-bit registry: build, restart and
    last update are unknown, and a Japanese report says why in Japanese."""
    report = _scan(cli, _bundle("patch_level/win11-23h2-en-32bit-host"), tmp_path, "ja")
    unknown = [
        f
        for f in report["hosts"][0]["findings"]
        if f["check_id"] == "patch_level" and f["status"] == "unknown"
    ]
    assert {f["resource"] for f in unknown} >= {"monthly_update", "reboot_required"}
    for finding in unknown:
        args = finding["message_args"]
        assert str(args["reason@key"]).startswith("patch_level.reason."), finding
        assert _english(finding["message"]) == set(), finding["message"]
        assert _english(str(args["reason"])) == set(), args
        english = i18n.render_message("en", finding["message_key"], args)
        assert english is not None and _english(english), english
    reboot = next(f for f in unknown if f["resource"] == "reboot_required")
    assert "64 ビットのレジストリ ビューを読み取れませんでした" in reboot["message"]


def test_patch_level_macos_pending_reason_is_japanese(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    bundle = _bundle("patch_level/macos15-compliant")
    prefs = "plutil -convert xml1 -o - /Library/Preferences/com.apple.SoftwareUpdate.plist"
    commands = bundle["hosts"][0]["commands"]
    assert prefs in commands, sorted(commands)
    # Preferences without a successful background check: nothing says what is pending.
    empty = '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict/></plist>\n'
    commands[prefs] = {"exit_status": 0, "stdout": empty, "stderr": ""}
    report = _scan(cli, bundle, tmp_path, "ja")
    (pending,) = [
        f for f in report["hosts"][0]["findings"] if f["resource"] == "pending_security_updates"
    ]
    assert pending["status"] == "unknown"
    assert pending["message_args"]["reason@key"] == "patch_level.reason.background_check_missing"
    assert "バックグラウンドでのアップデート確認が成功した記録" in pending["message"]
    assert _english(pending["message"]) == set(), pending["message"]
