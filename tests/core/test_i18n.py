"""Every user-facing text exists in Japanese and English."""

from __future__ import annotations

import json
import os
import string
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from endpoint_audit.engine.registry import load_registry
from endpoint_audit.model import i18n


def test_both_languages_have_the_same_keys() -> None:
    en, ja = set(i18n.catalog("en")), set(i18n.catalog("ja"))
    assert en - ja == set(), f"missing in ja: {sorted(en - ja)}"
    assert ja - en == set(), f"missing in en: {sorted(ja - en)}"


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_placeholders_match_between_languages() -> None:
    en, ja = i18n.catalog("en"), i18n.catalog("ja")
    for key, text in en.items():
        assert _fields(text) == _fields(ja[key]), key


def test_japanese_texts_are_japanese() -> None:
    """A copy of the English text in the Japanese catalog is a missing translation.
    Proper names (keys in a `.name.` table, e.g. benchmark titles) stay as published."""
    ja = i18n.catalog("ja")
    en = i18n.catalog("en")
    untranslated = [
        k
        for k, v in ja.items()
        if v == en[k]
        and ".name." not in k
        and any(c.isalpha() for c in v)
        and len(v) > 12
        and not v.startswith("{")
    ]
    assert untranslated == []


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_check_has_its_texts(lang: str) -> None:
    for cid, cls in load_registry().checks.items():
        meta = cls.meta
        assert meta.title.get(lang) and meta.title[lang] != f"{cid}.title"
        assert meta.description.get(lang) and not meta.description[lang].endswith(".description")
        for family in meta.platforms:
            assert not meta.remediation[family][lang].startswith(cid), (cid, family)
            assert not meta.reads[family][lang].startswith(cid), (cid, family)


def test_default_language_follows_the_locale() -> None:
    assert i18n.default_language({"LANG": "ja_JP.UTF-8"}) == "ja"
    assert i18n.default_language({"LC_ALL": "C.UTF-8", "LANG": "ja_JP.UTF-8"}) == "en"
    assert i18n.default_language({"LANG": "en_US.UTF-8"}) == "en"
    assert i18n.default_language({"ENDPOINT_AUDIT_LANG": "ja", "LANG": "C"}) == "ja"


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported language"):
        i18n.catalog("fr")


def test_missing_placeholder_does_not_crash() -> None:
    assert "{reason}" in i18n.t("en", "core.msg.fact_unavailable")


def test_every_check_parameter_is_described_in_both_languages() -> None:
    for cid, cls in load_registry().checks.items():
        for name in cls.Params.model_fields:
            assert i18n.has(f"{cid}.params.{name}"), f"{cid}.params.{name}"


def test_checks_show_gives_defaults_and_japanese_parameter_texts(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("checks", "show", "disk_encryption", "--lang", "ja")
    assert result.exit_code == 0
    assert "PydanticUndefined" not in result.stdout
    assert "/boot/efi" in result.stdout
    assert "スワップ領域も判定します" in result.stdout


# --- built-in catalogs kept parsed in the user's cache folder ---------------------------

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the cache folder is XDG_CACHE_HOME on Linux"
)


@pytest.fixture
def kept_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    i18n._namespace_texts.cache_clear()
    yield tmp_path / "endpoint-audit" / "texts"
    i18n._namespace_texts.cache_clear()


def _parsed(lang: str, namespace: str) -> dict[str, str]:
    texts = i18n._texts_file(lang, namespace)
    assert texts is not None
    return i18n._parse(namespace, texts)


def _no_toml(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(text: str) -> object:
        raise AssertionError("parsed the TOML although its texts were kept")

    monkeypatch.setattr(tomllib, "loads", refuse)


@linux_only
def test_a_catalog_is_kept_and_read_back_without_parsing(
    kept_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = i18n._namespace_texts("ja", "firewall")
    assert first == _parsed("ja", "firewall") and first["firewall.title"]
    (kept,) = kept_folder.glob("*.firewall.ja.json")
    i18n._namespace_texts.cache_clear()
    _no_toml(monkeypatch)
    assert i18n._namespace_texts("ja", "firewall") == first
    assert i18n.t("ja", "firewall.title") == first["firewall.title"]
    assert kept.exists()


@linux_only
@pytest.mark.parametrize(
    "spoil",
    [
        lambda kept: {**kept, "stamp": [*kept["stamp"][:2], kept["stamp"][2] + 1]},  # edited
        lambda kept: {**kept, "stamp": ["/elsewhere/core.toml", *kept["stamp"][1:]]},
        lambda kept: {**kept, "texts": {"core.x": 1}},  # not text
        lambda kept: {**kept, "texts": {"report.title": "forged"}},  # another namespace
        lambda kept: [kept],
    ],
)
def test_a_kept_catalog_that_does_not_match_its_file_is_parsed_again(
    kept_folder: Path, spoil: Callable[[dict[str, Any]], object]
) -> None:
    wanted = i18n._namespace_texts("en", "core")
    (kept,) = kept_folder.glob("*.core.en.json")
    kept.write_text(json.dumps(spoil(json.loads(kept.read_text("utf-8")))), "utf-8")
    i18n._namespace_texts.cache_clear()
    assert i18n._namespace_texts("en", "core") == wanted
    assert json.loads(kept.read_text("utf-8"))["texts"] == wanted  # kept anew


@linux_only
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs chown")
def test_a_kept_catalog_of_another_user_is_never_read(kept_folder: Path) -> None:
    wanted = i18n._namespace_texts("en", "core")
    (kept,) = kept_folder.glob("*.core.en.json")
    forged = json.loads(kept.read_text("utf-8"))
    forged["texts"] = dict.fromkeys(forged["texts"], "All is well.")
    kept.write_text(json.dumps(forged), "utf-8")
    os.chown(kept, 4321, 4321)
    i18n._namespace_texts.cache_clear()
    assert i18n._namespace_texts("en", "core") == wanted


@linux_only
def test_the_kept_catalogs_stay_bounded(kept_folder: Path) -> None:
    # Each installed copy keeps its own; copies long gone must not pile up for ever.
    kept_folder.mkdir(parents=True)
    for n in range(i18n.KEPT_TEXTS_MAX + 50):
        old = kept_folder / f"{n:08x}.gone.en.json"
        old.write_text("{}", encoding="utf-8")
        os.utime(old, ns=(n * 10**9, n * 10**9))  # the lowest numbers oldest
    texts = i18n._namespace_texts("en", "firewall")
    assert texts["firewall.title"]
    left = sorted(p.name for p in kept_folder.glob("*.json"))
    assert len(left) == i18n.KEPT_TEXTS_MAX
    assert any(name.endswith(".firewall.en.json") for name in left)  # the one just kept
    assert f"{0:08x}.gone.en.json" not in left and f"{50:08x}.gone.en.json" not in left
    assert f"{i18n.KEPT_TEXTS_MAX + 49:08x}.gone.en.json" in left
