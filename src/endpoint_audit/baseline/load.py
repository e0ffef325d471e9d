"""Load a baseline by shipped name or path, follow `extends`, validate in two phases.

Phase 1 checks the file's structure (model.baseline.Baseline); phase 2 checks each
entry's params against that check's Params model. Every error is one line:
`file:line: path: message`, naming the file that holds the mistake (a broken parent is
reported in the parent, a bad `extends` value or a cycle on the `extends:` line).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, get_args, get_origin

from msgspec import Struct, field
from pydantic import BaseModel, ValidationError

from endpoint_audit.baseline.yaml_lines import (
    LinedDocument,
    PathKey,
    load_lined,
    read_text,
)
from endpoint_audit.errors import ConfigError
from endpoint_audit.model.baseline import (
    Baseline,
    CheckEntry,
    ResolvedCheck,
    WaiverFile,
    WaiverSpec,
)
from endpoint_audit.model.platform import OsFamily
from endpoint_audit.model.rule import RULE_ID, RULE_ID_HINT, RuleEntry

DEFAULT_BASELINE = "jp-municipal-telework"
MAX_EXTENDS_DEPTH = 10

KnownChecks = Mapping[str, type[BaseModel]]


class LoadedBaseline(Struct):
    id: str
    title: dict[str, str]
    version: str
    source: str  # shipped name or file path of the top file
    chain: list[str]  # sources from the top file to the root ancestor
    checks: dict[str, ResolvedCheck]  # enabled checks only
    disabled: list[str]
    waivers: list[WaiverSpec]
    description: dict[str, str] = field(default_factory=dict)
    raw_text: str = ""  # the top file as written
    # The zone waiver days are judged in (its own `timezone:` or an extended one's);
    # None: the auditing machine's local zone.
    timezone: str | None = None
    # Each file of the chain, top first: (`shipped:NAME` or the resolved path, sha256 of
    # its text as UTF-8), so a report says exactly which files were read.
    files: list[tuple[str, str]] = field(default_factory=list)
    # The enabled rule checks (`type: rule`), by id; each is also in `checks`.
    rules: dict[str, RuleEntry] = field(default_factory=dict)
    # Rule checks turned off (`enabled: false`), by id; each is also in `disabled`.
    disabled_rules: dict[str, RuleEntry] = field(default_factory=dict)

    @property
    def resolved(self) -> str:
        """`shipped:NAME` or the absolute path of the top file."""
        return self.files[0][0] if self.files else self.source

    @property
    def sha256(self) -> str:
        """Digest of the effective baseline, so a report names exactly what was applied."""
        body = json.dumps(self.effective(), sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(body.encode("utf-8")).hexdigest()

    def effective(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "version": self.version,
            "checks": {
                cid: {
                    "severity": c.severity.value if c.severity else None,
                    "params": c.params,
                    "platform_params": {k.value: v for k, v in c.platform_params.items()},
                    "references": [r.model_dump(mode="json") for r in c.references],
                    **(
                        {"platforms": sorted(f.value for f in c.platforms)}
                        if c.platforms is not None
                        else {}
                    ),
                }
                for cid, c in sorted(self.checks.items())
            },
            "disabled": sorted(self.disabled),
            **(
                {
                    "rules": {
                        rid: rule.model_dump(mode="json", by_alias=True, exclude_none=True)
                        for rid, rule in sorted(self.rules.items())
                    }
                }
                if self.rules
                else {}
            ),
            "waivers": [w.model_dump(mode="json", exclude_none=True) for w in self.waivers],
            **({"timezone": self.timezone} if self.timezone else {}),
        }


class _Source(Struct, frozen=True):
    label: str  # shipped name or the path as the user wrote it
    text: str
    path: Path | None  # resolved path; None for shipped baselines

    @property
    def key(self) -> str:
        return str(self.path) if self.path else f"shipped:{self.label}"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def shipped_names() -> list[str]:
    folder = resources.files("endpoint_audit") / "baselines"
    return sorted(e.name[:-5] for e in folder.iterdir() if e.name.endswith(".yaml"))


def shipped_text(name: str) -> str | None:
    entry = resources.files("endpoint_audit") / "baselines" / f"{name}.yaml"
    return entry.read_text("utf-8") if entry.is_file() else None


def _label(path: Path) -> str:
    """The path as people will recognise it: relative to the working folder when inside."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative


def is_path_ref(ref: str) -> bool:
    """True when `ref` names a file: it holds a path separator or ends in .yaml/.yml.
    Anything else is the name of a shipped baseline, whatever files the folder holds, so
    a file dropped in the working folder can never stand in for a shipped baseline."""
    return "/" in ref or "\\" in ref or ref.lower().endswith((".yaml", ".yml"))


def _file_hint(ref: str, folder: Path | None) -> str:
    """'; to use the file ./NAME, write ./NAME' when a file of (about) that name exists."""
    base = folder if folder is not None else Path()
    for name in (ref, f"{ref}.yaml", f"{ref}.yml"):
        if (base / name).is_file():
            return f"; to use the file {name}, write ./{name}"
    return ""


def _read_ref(ref: str, relative_to: Path | None) -> _Source:
    """The text of a shipped name or a file path (relative to the extending file, or to
    the working folder for the top file)."""
    if not ref.strip():
        raise ConfigError("empty baseline name")
    if is_path_ref(ref):
        candidate = Path(ref).expanduser()
        if relative_to is not None and not candidate.is_absolute():
            candidate = relative_to / candidate
        label = _label(candidate)
        if not candidate.exists():
            raise ConfigError(f"{label}: baseline file not found")
        return _Source(label, read_text(candidate, label), candidate.resolve())
    text = shipped_text(ref) if ref not in (".", "..") else None
    if text is not None:
        return _Source(ref, text, None)
    names = shipped_names()
    close = difflib.get_close_matches(ref, names, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f"; shipped: {', '.join(names)}"
    hint += _file_hint(ref, relative_to)
    raise ConfigError(f"{ref}: no shipped baseline of that name{hint}")


# --- turning pydantic errors into one line ---------------------------------------------


def _inner_model(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model inside `X`, `X | None`, `list[X]` or `dict[K, X]`, and whether the next
    path part is a list index or mapping key in front of it."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (list, tuple, dict) and args:
        inner, _ = _inner_model(args[-1])
        return inner, True
    for arg in args:  # a union such as `X | None`
        inner, container = _inner_model(arg)
        if inner is not None:
            return inner, container
    return None, False


def _walk_fields(model: type[BaseModel], loc: PathKey) -> list[str]:
    """Field names of the model holding the last part of `loc` (for 'did you mean')."""
    current: type[BaseModel] | None = model
    skip = False
    for part in loc[:-1]:
        if skip:
            skip = False
            continue
        info = current.model_fields.get(str(part)) if current else None
        if info is None:
            return []
        current, skip = _inner_model(info.annotation)
    return list(current.model_fields) if current is not None and not skip else []


_STRICT_MEMBERS = {"int", "float", "str", "bool"}


def _clean_loc(loc: PathKey) -> PathKey:
    """The path as the file writes it: without the tags of tagged unions (`~rule`, ...)
    and without the member name pydantic adds for a strict scalar union."""
    out = tuple(p for p in loc if not (isinstance(p, str) and p.startswith("~")))
    while len(out) > 1 and out[-1] in _STRICT_MEMBERS and loc[-1] in _STRICT_MEMBERS:
        out = out[:-1]
        loc = loc[:-1]
    return out


# Operators as other tools and spreadsheets name them -> ours.
_OPERATOR_SYNONYMS = {
    "equals": "eq",
    "equal": "eq",
    "is": "eq",
    "==": "eq",
    "=": "eq",
    "!=": "ne",
    "not_equal": "ne",
    "<": "lt",
    "<=": "le",
    ">": "gt",
    ">=": "ge",
    "matches": "regex",
    "match": "regex",
    "contains": "regex",
    "exists": "present",
    "missing": "absent",
    "one_of": "in",
}


def _in_rule(loc: PathKey) -> bool:
    return "~rule" in loc


def _rule_words() -> list[str]:
    from endpoint_audit.model import rule as rule_model

    words: set[str] = set(rule_model.OPERATOR_NAMES) | set(rule_model.READ_KEYS)
    for model in (
        rule_model.RuleEntry,
        rule_model.Condition,
        rule_model.RegistryRead,
        rule_model.FileRead,
        rule_model.IniRead,
        rule_model.UnitRead,
        rule_model.ModuleRead,
        rule_model.PlistRead,
        rule_model.ProfileRead,
        rule_model.PackageRead,
        rule_model.CommandRead,
        rule_model.RuleText,
    ):
        words |= {info.alias or name for name, info in model.model_fields.items()}
    return sorted(words - {"in_"} | {"in", "all", "any", "none"})


def _message(err: Mapping[str, Any], model: type[BaseModel], loc: PathKey) -> str:
    kind = err["type"]
    raw_loc = tuple(err["loc"])
    if kind == "extra_forbidden":
        name = str(loc[-1]) if loc else ""
        words = _rule_words() if _in_rule(raw_loc) else _walk_fields(model, loc)
        close = difflib.get_close_matches(name, words, n=1, cutoff=0.6)
        if _in_rule(raw_loc) and not close and name.lower() in _OPERATOR_SYNONYMS:
            close = [_OPERATOR_SYNONYMS[name.lower()]]
        return f"unknown key '{name}'" + (f"; did you mean '{close[0]}'?" if close else "")
    if kind == "unknown_read":
        given = err.get("input")
        keys = [str(k) for k in given] if isinstance(given, dict) else []
        from endpoint_audit.model.rule import READ_KEYS

        for key in keys:
            close = difflib.get_close_matches(key, list(READ_KEYS), n=1, cutoff=0.6)
            if close:
                return f"unknown read '{key}'; did you mean '{close[0]}'?"
        return str(err["msg"])
    if _in_rule(raw_loc) and kind == "literal_error" and loc and loc[-1] in ("absent", "present"):
        other = "present" if loc[-1] == "absent" else "absent"
        return f"{loc[-1]} takes only true; to say the opposite, write {other}: true"
    if _in_rule(raw_loc) and raw_loc and raw_loc[-1] in _STRICT_MEMBERS and loc:
        operator = str(loc[-1])
        wants = "a number" if raw_loc[-1] in ("int", "float") else "a value"
        return f"{operator} needs {wants}, not {err.get('input')!r}"
    if kind == "missing":
        return "required key is missing"
    if kind == "enum" and "'unknown'" in str(err.get("ctx", {}).get("expected", "")):
        return f"{err['input']!r} is not an OS family; use windows, macos or linux"
    if kind == "string_pattern_mismatch":
        return "use letters, digits, '.', '_' and '-' only, starting with a letter or digit"
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def first_error(
    doc: LinedDocument,
    exc: ValidationError,
    model: type[BaseModel],
    prefix: PathKey = (),
) -> ConfigError:
    """The earliest problem in the file, as one `file:line: path: message` line."""
    errors = exc.errors()
    # A misspelt key shows up twice: as unknown and as the real key missing. The unknown
    # one ("did you mean") says more, so a missing key next to an unknown one is dropped.
    parents_with_unknown = {tuple(e["loc"][:-1]) for e in errors if e["type"] == "extra_forbidden"}
    errors = [
        e
        for e in errors
        if not (e["type"] == "missing" and tuple(e["loc"][:-1]) in parents_with_unknown)
    ] or errors
    found: list[tuple[int, int, PathKey, str]] = []
    for order, err in enumerate(errors):
        loc = _clean_loc(
            tuple(
                p
                for p in err["loc"]
                if not (isinstance(p, str) and ("function-" in p or p == "[key]"))
            )
        )
        full = (*prefix, *loc)
        found.append((doc.line_of(full), order, full, _message(err, model, loc)))
    _, _, path, message = min(found)
    return doc.error(path, message)


# --- phases ----------------------------------------------------------------------------


def _phase1(doc: LinedDocument, *, command_allowed: bool = False) -> Baseline:
    """The file validated. `command_allowed` only for a file read from this computer: a
    rule's `command` condition runs a program, so one from any other source (a shipped
    baseline, a bundle, a report) is refused."""
    data = doc.data
    if not isinstance(data, dict):
        raise doc.error(
            (), f"a baseline is a mapping with id, title, version and checks, not {_kind(data)}"
        )
    # A key with nothing after it (every entry below it commented out) means "none".
    data = {k: ({} if k == "checks" and v is None else v) for k, v in data.items()}
    data = {k: ([] if k == "waivers" and v is None else v) for k, v in data.items()}
    checks = data.get("checks")
    if isinstance(checks, dict):
        # `<check_id>:` with nothing after it means "on, with the defaults".
        data["checks"] = {k: ({} if v is None else v) for k, v in checks.items()}
    try:
        return Baseline.model_validate(data, context={"command_allowed": command_allowed})
    except ValidationError as exc:
        raise first_error(doc, exc, Baseline) from None


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a line of text"
    return f"a {type(value).__name__}"


def _unknown_check(
    doc: LinedDocument, path: PathKey, cid: str, known: Mapping[str, Any]
) -> ConfigError:
    close = difflib.get_close_matches(cid, list(known), n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else f"; known: {', '.join(sorted(known))}"
    return doc.error(path, f"unknown check id '{cid}'{hint}")


def _check_ids(
    doc: LinedDocument, base: Baseline, known: KnownChecks, inherited_rules: Mapping[str, Any]
) -> None:
    # Rules have no Params model; the names are what matters here.
    names: dict[str, Any] = {**known, **inherited_rules}
    for cid, entry in base.checks.items():
        if isinstance(entry, RuleEntry):
            if cid in known:
                raise doc.error(
                    ("checks", cid),
                    f"'{cid}' is a check of the tool; give the rule a namespaced id such as "
                    f"'jp.{cid}'",
                )
            if not RULE_ID.fullmatch(cid):
                raise doc.error(("checks", cid), f"'{cid}': {RULE_ID_HINT}")
        elif cid not in known and cid not in inherited_rules:
            raise _unknown_check(doc, ("checks", cid), cid, names)
    check_waiver_ids(doc, base.waivers, {**names, **_rules_of(base)})


def _rules_of(base: Baseline) -> dict[str, RuleEntry]:
    return {cid: e for cid, e in base.checks.items() if isinstance(e, RuleEntry)}


def check_waiver_ids(
    doc: LinedDocument, waivers: list[WaiverSpec], known: Mapping[str, Any]
) -> None:
    for index, waiver in enumerate(waivers):
        if waiver.check not in known:
            raise _unknown_check(doc, ("waivers", index, "check"), waiver.check, known)


def _validate_params(
    doc: LinedDocument, cid: str, entry: CheckEntry | RuleEntry, model: type[BaseModel] | None
) -> None:
    if isinstance(entry, RuleEntry) or model is None:
        return  # a rule's conditions were validated with the file
    try:
        model.model_validate(entry.params)
    except ValidationError as exc:
        raise first_error(doc, exc, model, ("checks", cid, "params")) from None
    for family, override in entry.platform_params.items():
        try:
            model.model_validate({**entry.params, **override})
        except ValidationError as exc:
            raise first_error(
                doc, exc, model, ("checks", cid, "platform_params", family.value)
            ) from None


_RULE_OVERRIDES = {"enabled", "severity"}


def _merge(
    doc: LinedDocument,
    cid: str,
    parent: CheckEntry | RuleEntry | None,
    child: CheckEntry | RuleEntry,
    child_fields: set[str],
) -> CheckEntry | RuleEntry:
    """A child entry over its parent's: keys the child writes win, params merge by key.
    A rule written again replaces the inherited one; an inherited rule may be turned off
    or given another severity."""
    if parent is None or isinstance(child, RuleEntry):
        return child
    if isinstance(parent, RuleEntry):
        extra = sorted(child_fields - _RULE_OVERRIDES)
        if extra:
            raise doc.error(
                ("checks", cid, extra[0]),
                "an inherited rule takes only enabled and severity here; to change its "
                "conditions write the whole rule again (type: rule)",
            )
        return parent.model_copy(
            update={
                "enabled": child.enabled if "enabled" in child_fields else parent.enabled,
                "severity": child.severity
                if "severity" in child_fields and child.severity is not None
                else parent.severity,
            }
        )
    platform_params: dict[OsFamily, dict[str, Any]] = {
        k: dict(v) for k, v in parent.platform_params.items()
    }
    for family, override in child.platform_params.items():
        platform_params[family] = {**platform_params.get(family, {}), **override}
    return CheckEntry(
        enabled=child.enabled if "enabled" in child_fields else parent.enabled,
        severity=child.severity if "severity" in child_fields else parent.severity,
        platforms=child.platforms if "platforms" in child_fields else parent.platforms,
        params={**parent.params, **child.params},
        platform_params=platform_params,
        references=child.references if "references" in child_fields else parent.references,
        rationale=child.rationale if "rationale" in child_fields else parent.rationale,
    )


class _Parsed(Struct):
    """One file, validated, with its merged entries (enabled or not)."""

    base: Baseline
    source: _Source
    entries: dict[str, CheckEntry | RuleEntry]
    chain: list[str]
    waivers: list[WaiverSpec]
    files: list[tuple[str, str]]
    timezone: str | None = None


def _load(src: _Source, known: KnownChecks, seen: tuple[_Source, ...]) -> _Parsed:
    doc = load_lined(src.text, src.label)
    base = _phase1(doc, command_allowed=src.path is not None)

    parent: _Parsed | None = None
    if base.extends is not None:
        if src.path is None and is_path_ref(base.extends):
            # A shipped baseline has no folder: a path would depend on the working folder.
            raise doc.error(("extends",), "a shipped baseline extends shipped baselines only")
        try:
            parent_src = _read_ref(base.extends, src.path.parent if src.path else None)
        except ConfigError as exc:
            raise doc.error(("extends",), str(exc)) from None
        chain = [*seen, src]
        if any(s.key == parent_src.key for s in chain):
            names = [s.label for s in chain] + [parent_src.label]
            start = next(i for i, s in enumerate(chain) if s.key == parent_src.key)
            raise doc.error(("extends",), f"cycle: {' -> '.join(names[start:])}")
        if len(chain) >= MAX_EXTENDS_DEPTH:
            raise doc.error(("extends",), f"more than {MAX_EXTENDS_DEPTH} levels of extends")
        parent = _load(parent_src, known, (*seen, src))

    inherited = {
        cid: e for cid, e in (parent.entries if parent else {}).items() if isinstance(e, RuleEntry)
    }
    _check_ids(doc, base, known, inherited)
    raw_checks = doc.data.get("checks") if isinstance(doc.data, dict) else None
    merged: dict[str, CheckEntry | RuleEntry] = dict(parent.entries) if parent else {}
    for cid, entry in base.checks.items():
        written = raw_checks.get(cid) if isinstance(raw_checks, dict) else None
        fields = set(written) if isinstance(written, dict) else set()
        merged[cid] = _merge(doc, cid, merged.get(cid), entry, fields)
        _validate_params(doc, cid, merged[cid], known.get(cid))
    # A file's waivers are days in its own zone, else the zone of what it extends.
    zone = base.timezone or (parent.timezone if parent else None)
    return _Parsed(
        base=base,
        source=src,
        entries=merged,
        chain=[src.label, *(parent.chain if parent else [])],
        waivers=[
            *(parent.waivers if parent else []),
            *(w.with_default_zone(zone) for w in base.waivers),
        ],
        files=[(src.key, src.sha256), *(parent.files if parent else [])],
        timezone=zone,
    )


def load_baseline(ref: str, known_checks: KnownChecks) -> LoadedBaseline:
    """Load `ref` (a shipped name or a path) and every baseline it extends.

    `known_checks` maps each registered check id to its Params model.
    """
    src = _read_ref(ref, None)
    parsed = _load(src, known_checks, ())
    base = parsed.base
    return LoadedBaseline(
        id=base.id,
        title={"ja": base.title.ja, "en": base.title.en},
        version=base.version,
        description=(
            {"ja": base.description.ja, "en": base.description.en} if base.description else {}
        ),
        source=src.label,
        chain=parsed.chain,
        checks={cid: _resolved(cid, e) for cid, e in parsed.entries.items() if e.enabled},
        rules={
            cid: e for cid, e in parsed.entries.items() if isinstance(e, RuleEntry) and e.enabled
        },
        disabled_rules={
            cid: e
            for cid, e in parsed.entries.items()
            if isinstance(e, RuleEntry) and not e.enabled
        },
        disabled=sorted(cid for cid, e in parsed.entries.items() if not e.enabled),
        waivers=parsed.waivers,
        raw_text=src.text,
        timezone=parsed.timezone,
        files=parsed.files,
    )


def _resolved(cid: str, entry: CheckEntry | RuleEntry) -> ResolvedCheck:
    if isinstance(entry, RuleEntry):
        return ResolvedCheck(
            id=cid,
            severity=entry.severity,
            params={},
            platform_params={},
            references=entry.references,
            platforms=frozenset(entry.platforms),
        )
    return ResolvedCheck(
        id=cid,
        severity=entry.severity,
        params=entry.params,
        platform_params=entry.platform_params,
        references=entry.references,
        platforms=frozenset(entry.platforms) if entry.platforms is not None else None,
    )


def load_waivers(
    path: Path, known_checks: KnownChecks, default_zone: str | None = None
) -> list[WaiverSpec]:
    """A waiver file `{waivers: [...]}`, validated like a baseline (file:line errors).
    Waivers that name no zone, in a file that names none, get `default_zone` (the
    baseline's)."""
    label = str(path)
    if not path.exists():
        raise ConfigError(f"{label}: waiver file not found")
    doc = load_lined(read_text(path), label)
    return parse_waivers(doc, known_checks, default_zone)


def parse_waivers(
    doc: LinedDocument, known_checks: KnownChecks, default_zone: str | None = None
) -> list[WaiverSpec]:
    if not isinstance(doc.data, dict):
        raise doc.error(
            (), f"a waiver file is a mapping with a 'waivers:' list, not {_kind(doc.data)}"
        )
    try:
        parsed = WaiverFile.model_validate(doc.data)
    except ValidationError as exc:
        raise first_error(doc, exc, WaiverFile) from None
    check_waiver_ids(doc, parsed.waivers, known_checks)
    zone = parsed.timezone or default_zone
    return [w.with_default_zone(zone) for w in parsed.waivers]
