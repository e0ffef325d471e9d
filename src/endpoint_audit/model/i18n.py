"""Message catalogs: every user-facing text, in Japanese and English.

Core texts live in `locales/<lang>/*.toml`: each file is a namespace (key `x` in
`report.toml` is `report.x`). Each check's texts live in its own package,
`checks/<check_id>/texts/<lang>.toml`, under the namespace `<check_id>`; they are found
by a scan of the resource folders, without importing any check. A third-party check
package's texts are added by the registry (`add_package_texts`). Nested tables join with
dots. Texts use str.format placeholders.

The arguments can come from a file: a report keeps each finding's message key and
arguments so that it can be rendered in the other language, and that report may have
been edited or forged. Formatting therefore never raises: `t` shows a value its
placeholder's format spec does not fit (`{rate:.1f}` given a word) as plain text, and
`render_message` says None so that the caller keeps the message as recorded.
"""

from __future__ import annotations

import os
import string
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

# importlib.resources, tomllib and locale are imported where used: a command that
# answers from a cache (`checks list`) needs only default_language() of this module.
if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

LANGUAGES = ("ja", "en")
DEFAULT_LANGUAGE = "en"

# A message argument that is itself a message (a collector's reason): recorded flat, as
# `name@key` plus `name@<arg>` beside `name` (its text in the report's language), so the
# arguments stay scalars that older readers accept, and another language can render it.
REASON_MARK = "@"


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
    from importlib import resources

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
    import tomllib
    from importlib import resources

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
        _namespace_texts.cache_clear()


def _texts_file(lang: str, namespace: str) -> Traversable | None:
    """The one file that holds `namespace`'s texts in `lang`, as `catalog` reads them."""
    from importlib import resources

    if namespace in _added:
        texts = resources.files(_added[namespace]) / "texts" / f"{lang}.toml"
        return texts if texts.is_file() else None
    if "." in namespace:
        return None
    root = resources.files("endpoint_audit")
    for texts in (
        root / "checks" / namespace / "texts" / f"{lang}.toml",
        root / "locales" / lang / f"{namespace}.toml",
    ):
        if texts.is_file():
            return texts
    return None


@cache
def _namespace_texts(lang: str, namespace: str) -> dict[str, str]:
    """One namespace's texts: a lookup parses only the file its key names, so a command
    that shows a few texts does not read every catalog (`checks list` starts faster)."""
    texts = _texts_file(lang, namespace)
    if texts is None:
        return {}
    if namespace in _added or not isinstance(texts, os.PathLike):
        return _parse(namespace, texts)
    return _kept_texts(lang, namespace, texts, os.fspath(texts))


def _parse(namespace: str, texts: Traversable) -> dict[str, str]:
    import tomllib

    out: dict[str, str] = {}
    _flatten(namespace, tomllib.loads(texts.read_text("utf-8")), out)
    return out


def _kept_texts(lang: str, namespace: str, texts: Traversable, path: str) -> dict[str, str]:
    """A built-in catalog file's texts, kept parsed in the user's cache folder beside the
    file's path, size and time: parsing the TOML (pure Python) of a scan's catalogs took
    about 20 ms of its CPU, reading them kept as JSON takes a tenth of that. An edited
    file is parsed again."""
    from zlib import crc32

    from endpoint_audit.user_cache import cache_file, keep, read_kept

    try:
        info = os.stat(path)
    except OSError:
        return _parse(namespace, texts)
    stamp = [path, info.st_size, info.st_mtime_ns]
    # The folder in the name: two installed copies do not evict each other's.
    name = f"texts/{crc32(os.path.dirname(path).encode()):08x}.{namespace}.{lang}.json"
    kept = read_kept(name)
    if isinstance(kept, dict) and kept.get("stamp") == stamp:
        read = kept.get("texts")
        if isinstance(read, dict) and all(
            isinstance(k, str) and k.startswith(f"{namespace}.") and isinstance(v, str)
            for k, v in read.items()
        ):
            return read
    out = _parse(namespace, texts)
    keep(name, {"stamp": stamp, "texts": out})
    _prune_kept(os.path.dirname(cache_file(name)))
    return out


KEPT_TEXTS_MAX = 400  # about 20 installed copies of the tool's catalogs


def _prune_kept(folder: str) -> None:
    """Keep the newest KEPT_TEXTS_MAX files of the kept catalogs: each installed copy (a
    folder of its own) adds its own, and a copy removed or upgraded to another folder
    leaves them behind. Run only when a catalog was parsed, never on a start that read them
    all kept."""
    from endpoint_audit.user_cache import prune_kept

    prune_kept(folder, KEPT_TEXTS_MAX)


def _lookup(lang: str, key: str) -> str | None:
    # A built-in namespace is the key's first part; a third-party check's, its first two.
    parts = key.split(".")
    for size in (1, 2):
        if len(parts) > size:
            found = _namespace_texts(lang, ".".join(parts[:size])).get(key)
            if found is not None:
                return found
    return None


class _SafeArgs(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


# What str.format raises when an argument does not fit its placeholder.
_FORMAT_ERRORS = (ValueError, TypeError, AttributeError, IndexError, KeyError, OverflowError)


class _CannotFill(Exception):
    """A placeholder the arguments do not satisfy (missing, or its spec does not fit)."""


def _plain(value: Any) -> str:
    try:
        return str(value)
    except ValueError:  # an integer of more than 4300 digits
        return f"<{type(value).__name__}>"


class _TolerantFormatter(string.Formatter):
    """str.format that never raises on arguments: a missing one stays `{name}`, a value
    its spec does not fit is shown plainly. With `strict`, both raise _CannotFill."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict

    def get_value(self, key: int | str, args: Any, kwargs: Any) -> Any:
        if isinstance(key, str) and key in kwargs:
            return kwargs[key]
        if self.strict:
            raise _CannotFill(key)
        return _Missing(str(key))

    def format_field(self, value: Any, format_spec: str) -> Any:
        if isinstance(value, _Missing):
            return "{" + value.name + (f":{format_spec}" if format_spec else "") + "}"
        try:
            return format(value, format_spec)
        except _FORMAT_ERRORS as exc:
            if self.strict:
                raise _CannotFill(format_spec) from exc
            return _plain(value)

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if isinstance(value, _Missing):
            return value
        try:
            return super().convert_field(value, conversion)
        except ValueError as exc:
            if self.strict:
                raise _CannotFill(conversion) from exc
            return f"<{type(value).__name__}>"


class _Missing:
    def __init__(self, name: str) -> None:
        self.name = name


_TOLERANT = _TolerantFormatter(strict=False)
_STRICT = _TolerantFormatter(strict=True)


def _text_of(lang: str, key: str) -> str | None:
    if lang not in LANGUAGES:
        lang = DEFAULT_LANGUAGE
    return _lookup(lang, key) or _lookup(DEFAULT_LANGUAGE, key)


def flat_reason(name: str, key: str, args: dict[str, Any], lang: str) -> dict[str, Any]:
    """The message arguments that record reason `key` (with `args`) as argument `name`."""
    out: dict[str, Any] = {name: t(lang, key, **args), f"{name}{REASON_MARK}key": key}
    out.update({f"{name}{REASON_MARK}{arg}": value for arg, value in args.items()})
    return out


def _with_reasons(lang: str, args: dict[str, Any]) -> dict[str, Any]:
    """`args` with every recorded reason rendered anew in `lang`."""
    suffix = f"{REASON_MARK}key"
    names = [
        k[: -len(suffix)] for k, v in args.items() if k.endswith(suffix) and isinstance(v, str)
    ]
    if not names:
        return args
    out = dict(args)
    for name in names:
        prefix = f"{name}{REASON_MARK}"
        inner = {
            k[len(prefix) :]: v
            for k, v in args.items()
            if k.startswith(prefix) and k != prefix + "key"
        }
        out[name] = t(lang, str(args[prefix + "key"]), **inner)
    return out


def t(lang: str, key: str, **args: Any) -> str:
    """The text for `key` in `lang` (English for a language without a catalog), falling
    back to English, then to the key itself. Never raises on the arguments."""
    args = _with_reasons(lang, args)
    text = _text_of(lang, key)
    if text is None:
        return key
    if not args:
        return text
    try:
        return text.format_map(_SafeArgs(args))
    except _FORMAT_ERRORS:
        return _TOLERANT.vformat(text, (), args)


def render_message(lang: str, key: str, args: dict[str, Any]) -> str | None:
    """The catalog text for `key` filled with `args`, or None when the catalog has no
    such key, an argument is missing, or a value does not fit its placeholder's spec.
    For messages recorded in reports: on None, show the message as recorded."""
    text = _text_of(lang, key)
    if text is None:
        return None
    args = _with_reasons(lang, args)
    try:
        return str(_STRICT.vformat(text, (), args))
    except (_CannotFill, *_FORMAT_ERRORS):
        return None


def both(key: str, **args: Any) -> dict[str, str]:
    """The text for `key` in every language, for reports that can be re-rendered."""
    return {lang: t(lang, key, **args) for lang in LANGUAGES}


def has(key: str) -> bool:
    return _lookup(DEFAULT_LANGUAGE, key) is not None


def default_language(environ: dict[str, str] | None = None) -> str:
    """`ja` when the locale (LC_ALL, LC_MESSAGES, LANG) is Japanese, else `en`."""
    env = os.environ if environ is None else environ
    for var in ("ENDPOINT_AUDIT_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var)
        if value:
            return "ja" if value.lower().startswith("ja") else DEFAULT_LANGUAGE
    if environ is None:
        import locale

        loc = locale.getlocale()[0]  # Windows reports e.g. "Japanese_Japan"
        if loc and loc.lower().startswith(("ja", "japanese")):
            return "ja"
    return DEFAULT_LANGUAGE
