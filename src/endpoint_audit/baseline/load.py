"""Load a baseline by shipped name or path, follow `extends`, validate in two phases.

Phase 1 checks the file's structure (model.baseline.Baseline); phase 2 checks each
entry's params against that check's Params model. Every error is one line:
`file:line: path: message`.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from endpoint_audit.baseline.yaml_lines import LinedDocument, load_lined, read_text
from endpoint_audit.errors import ConfigError
from endpoint_audit.model.baseline import Baseline, CheckEntry, ResolvedCheck, WaiverSpec
from endpoint_audit.model.platform import OsFamily

DEFAULT_BASELINE = "jp-municipal-telework"
MAX_EXTENDS_DEPTH = 10


@dataclass
class LoadedBaseline:
    id: str
    title: dict[str, str]
    version: str
    source: str  # shipped name or file path of the top file
    chain: list[str]  # sources from the top file to the root ancestor
    checks: dict[str, ResolvedCheck]  # enabled checks only
    disabled: list[str]
    waivers: list[WaiverSpec]
    description: dict[str, str] = field(default_factory=dict)

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
                }
                for cid, c in sorted(self.checks.items())
            },
            "disabled": sorted(self.disabled),
            "waivers": [w.model_dump(mode="json") for w in self.waivers],
        }


def shipped_names() -> list[str]:
    folder = resources.files("endpoint_audit") / "baselines"
    return sorted(e.name[:-5] for e in folder.iterdir() if e.name.endswith(".yaml"))


def _read_ref(ref: str, relative_to: Path | None) -> tuple[str, str, Path | None]:
    """(source label, text, path) for a shipped name or a file path."""
    candidate = Path(ref)
    if relative_to is not None and not candidate.is_absolute():
        candidate = relative_to / candidate
    looks_like_path = ref.endswith((".yaml", ".yml")) or "/" in ref or "\\" in ref
    if looks_like_path or candidate.exists():
        if not candidate.exists():
            raise ConfigError(f"{candidate}: baseline file not found")
        return str(candidate), read_text(candidate), candidate.resolve()
    shipped = resources.files("endpoint_audit") / "baselines" / f"{ref}.yaml"
    if shipped.is_file():
        return ref, shipped.read_text("utf-8"), None
    names = shipped_names()
    close = difflib.get_close_matches(ref, names, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f"; shipped: {', '.join(names)}"
    raise ConfigError(f"{ref}: no such baseline file or shipped baseline{hint}")


def _phase1(doc: LinedDocument) -> Baseline:
    if not isinstance(doc.data, dict):
        raise doc.error((), "a baseline must be a mapping with id, title, version and checks")
    try:
        return Baseline.model_validate(doc.data)
    except ValidationError as exc:
        raise _first_error(doc, exc, ()) from None


def _first_error(
    doc: LinedDocument, exc: ValidationError, prefix: tuple[str | int, ...]
) -> ConfigError:
    err = exc.errors()[0]
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    elif err["type"] == "missing":
        msg = "required key is missing"
    return doc.error((*prefix, *loc), msg)


def _check_ids(doc: LinedDocument, base: Baseline, known: Mapping[str, type[BaseModel]]) -> None:
    for cid in base.checks:
        if cid not in known:
            close = difflib.get_close_matches(cid, list(known), n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise doc.error(("checks", cid), f"unknown check id '{cid}'{hint}")
    for index, waiver in enumerate(base.waivers):
        if waiver.check not in known:
            close = difflib.get_close_matches(waiver.check, list(known), n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise doc.error(("waivers", index, "check"), f"unknown check id '{waiver.check}'{hint}")


def _validate_params(
    doc: LinedDocument, cid: str, entry: CheckEntry, model: type[BaseModel]
) -> None:
    try:
        model.model_validate(entry.params)
    except ValidationError as exc:
        raise _first_error(doc, exc, ("checks", cid, "params")) from None
    for family, override in entry.platform_params.items():
        try:
            model.model_validate({**entry.params, **override})
        except ValidationError as exc:
            raise _first_error(doc, exc, ("checks", cid, "platform_params", family.value)) from None


def _merge(parent: CheckEntry | None, child: CheckEntry, child_fields: set[str]) -> CheckEntry:
    if parent is None:
        return child
    platform_params: dict[OsFamily, dict[str, Any]] = {
        k: dict(v) for k, v in parent.platform_params.items()
    }
    for family, override in child.platform_params.items():
        platform_params[family] = {**platform_params.get(family, {}), **override}
    return CheckEntry(
        enabled=child.enabled if "enabled" in child_fields else parent.enabled,
        severity=child.severity if "severity" in child_fields else parent.severity,
        params={**parent.params, **child.params},
        platform_params=platform_params,
        references=child.references if "references" in child_fields else parent.references,
        rationale=child.rationale if "rationale" in child_fields else parent.rationale,
    )


def load_baseline(
    ref: str,
    known_checks: Mapping[str, type[BaseModel]],
    *,
    _seen: tuple[str, ...] = (),
    _relative_to: Path | None = None,
) -> LoadedBaseline:
    """Load `ref` (a shipped name or a path) and every baseline it extends.

    `known_checks` maps each registered check id to its Params model.
    """
    source, text, path = _read_ref(ref, _relative_to)
    key = str(path) if path else f"shipped:{source}"
    if key in _seen:
        cycle = " -> ".join([*(s.removeprefix("shipped:") for s in _seen), source])
        raise ConfigError(f"{source}:1: extends: cycle detected: {cycle}")
    if len(_seen) >= MAX_EXTENDS_DEPTH:
        raise ConfigError(f"{source}:1: extends: more than {MAX_EXTENDS_DEPTH} levels")
    doc = load_lined(text, source)
    base = _phase1(doc)
    _check_ids(doc, base, known_checks)

    parent: LoadedBaseline | None = None
    parent_entries: dict[str, CheckEntry] = {}
    if base.extends:
        try:
            parent = load_baseline(
                base.extends,
                known_checks,
                _seen=(*_seen, key),
                _relative_to=path.parent if path else None,
            )
        except ConfigError as exc:
            if "cycle detected" in str(exc) or str(exc).startswith(base.extends):
                raise doc.error(("extends",), str(exc)) from None
            raise
        parent_entries = {
            cid: CheckEntry(
                severity=c.severity,
                params=c.params,
                platform_params=c.platform_params,
                references=c.references,
            )
            for cid, c in parent.checks.items()
        }
        parent_entries.update({cid: CheckEntry(enabled=False) for cid in parent.disabled})

    raw_checks = doc.data.get("checks") or {}
    merged: dict[str, CheckEntry] = dict(parent_entries)
    for cid, entry in base.checks.items():
        fields = set(raw_checks.get(cid) or {}) if isinstance(raw_checks, dict) else set()
        merged[cid] = _merge(parent_entries.get(cid), entry, fields)
        _validate_params(doc, cid, merged[cid], known_checks[cid])

    checks = {
        cid: ResolvedCheck(
            id=cid,
            severity=e.severity,
            params=e.params,
            platform_params=e.platform_params,
            references=e.references,
        )
        for cid, e in merged.items()
        if e.enabled
    }
    return LoadedBaseline(
        id=base.id,
        title={"ja": base.title.ja, "en": base.title.en},
        version=base.version,
        description=(
            {"ja": base.description.ja, "en": base.description.en} if base.description else {}
        ),
        source=source,
        chain=[source, *(parent.chain if parent else [])],
        checks=checks,
        disabled=sorted(cid for cid, e in merged.items() if not e.enabled),
        waivers=[*(parent.waivers if parent else []), *base.waivers],
    )
