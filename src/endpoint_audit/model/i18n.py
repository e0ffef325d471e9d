"""Message catalogs: every user-facing text, in Japanese and English.

Core texts live in `locales/<lang>/*.toml`: each file is a namespace (key `x` in
`report.toml` is `report.x`). Each check's texts live in its own package,
`checks/<check_id>/texts/<lang>.toml`, under the namespace `<check_id>`; they are found
by a scan of the resource folders, without importing any check. A third-party check
package's texts are added by the registry (`add_package_texts`). Nested tables join with
dots. Texts use str.format placeholders.
"""

from __future__ import annotations

import locale
import os
import tomllib
from collections.abc import Iterator
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

LANGUAGES = ("ja", "en")
DEFAULT_LANGUAGE = "en"


def _flatten(prefix: str, table: dict[str, Any], out: dict[str, str]) -> None:
    for key, value in table.items():
        full = f"{prefix}.{key}"
        if isinstance(value, dict):
            _flatten(full, value, out)
        else:
            out[full] = str(value)


# Namespace -> package whose texts/<lang>.toml it is (third-party check packages).
_added: dict[str, str] = {}


def _check_texts(lang: str) -> Iterator[tuple[str, Traversable]]:
    """(check id, texts file) of every built-in check package that has one."""
    checks = resources.files("endpoint_audit") / "checks"
    for folder in sorted(checks.iterdir(), key=lambda e: e.name):
        texts = folder / "texts" / f"{lang}.toml"
        if folder.is_dir() and texts.is_file():
            yield folder.name, texts
    for namespace, package in sorted(_added.items()):
        texts = resources.files(package) / "texts" / f"{lang}.toml"
        if texts.is_file():
            yield namespace, texts


@cache
def catalog(lang: str) -> dict[str, str]:
    """All texts of one language, keyed by dotted name."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    out: dict[str, str] = {}
    folder = resources.files("endpoint_audit") / "locales" / lang
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            _flatten(entry.name[: -len(".toml")], tomllib.loads(entry.read_text("utf-8")), out)
    for namespace, texts in _check_texts(lang):
        _flatten(namespace, tomllib.loads(texts.read_text("utf-8")), out)
    return out


def add_package_texts(namespace: str, package: str) -> None:
    """Add `package`'s texts/<lang>.toml under `namespace` (a third-party check's id)."""
    if _added.get(namespace) != package:
        _added[namespace] = package
        catalog.cache_clear()


class _SafeArgs(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def t(lang: str, key: str, **args: Any) -> str:
    """The text for `key` in `lang`, falling back to English, then to the key itself."""
    text = catalog(lang).get(key) or catalog(DEFAULT_LANGUAGE).get(key)
    if text is None:
        return key
    return text.format_map(_SafeArgs(args)) if args else text


def both(key: str, **args: Any) -> dict[str, str]:
    """The text for `key` in every language, for reports that can be re-rendered."""
    return {lang: t(lang, key, **args) for lang in LANGUAGES}


def has(key: str) -> bool:
    return key in catalog(DEFAULT_LANGUAGE)


def default_language(environ: dict[str, str] | None = None) -> str:
    """`ja` when the locale (LC_ALL, LC_MESSAGES, LANG) is Japanese, else `en`."""
    env = os.environ if environ is None else environ
    for var in ("ENDPOINT_AUDIT_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var)
        if value:
            return "ja" if value.lower().startswith("ja") else DEFAULT_LANGUAGE
    if environ is None:
        loc = locale.getlocale()[0]  # Windows reports e.g. "Japanese_Japan"
        if loc and loc.lower().startswith(("ja", "japanese")):
            return "ja"
    return DEFAULT_LANGUAGE
