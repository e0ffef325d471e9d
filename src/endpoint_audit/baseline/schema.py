"""JSON Schema (draft 2020-12) of baseline and waiver files, for editors.

The schema is built from the file models (model.baseline) and, for `checks:`, from each
registered check's Params model, so an editor with the YAML language server completes
check ids and parameter names and flags typos while the file is written. Validation in
the tool itself stays with the loader (line numbers, extends, cross-file rules); the
schema is a help, not the authority.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from endpoint_audit.model import i18n
from endpoint_audit.model.baseline import Baseline, CheckEntry, WaiverFile
from endpoint_audit.model.rule import RULE_ID

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASELINE_SCHEMA_ID = "https://endpoint-audit.invalid/schemas/baseline.schema.json"
WAIVERS_SCHEMA_ID = "https://endpoint-audit.invalid/schemas/waivers.schema.json"


def _rewrite_refs(node: Any, prefix: str) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                out[key] = f"#/$defs/{prefix}{value.removeprefix('#/$defs/')}"
            else:
                out[key] = _rewrite_refs(value, prefix)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v, prefix) for v in node]
    return node


def _params_schema(check_id: str, model: type[BaseModel], defs: dict[str, Any]) -> dict[str, Any]:
    """The Params schema with its own definitions moved into `defs` under a check prefix.
    Each parameter's description is its help text from the English catalog
    (`<check_id>.params.<name>`); a plugin without one keeps its model's description."""
    prefix = f"{check_id}__"
    schema: dict[str, Any] = _rewrite_refs(model.model_json_schema(), prefix)
    props: dict[str, dict[str, Any]] = schema.get("properties", {})
    for name, prop in props.items():
        key = f"{check_id}.params.{name}"
        if i18n.has(key):
            # Where pydantic puts a description (its keys are in name order), for a file
            # that changes only where a text does.
            items = [(k, v) for k, v in prop.items() if k != "description"]
            at = next((i for i, (k, _) in enumerate(items) if k > "description"), len(items))
            items.insert(at, ("description", i18n.t("en", key)))
            props[name] = dict(items)
    for name, definition in schema.pop("$defs", {}).items():
        defs[f"{prefix}{name}"] = definition
    schema.setdefault("additionalProperties", False)
    return schema


def _partial(schema: dict[str, Any]) -> dict[str, Any]:
    """Per-OS overrides may set any subset of the parameters."""
    out = copy.deepcopy(schema)
    out.pop("required", None)
    out.pop("title", None)
    return out


def _entry_schema(check_id: str, params: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    schema = copy.deepcopy(entry)
    props = schema["properties"]
    props["params"] = {**params, "title": f"{check_id} params"}
    props["platform_params"] = {
        "type": "object",
        "description": props["platform_params"].get("description", ""),
        "propertyNames": {"enum": ["windows", "macos", "linux"]},
        "additionalProperties": _partial(params),
    }
    schema["title"] = check_id
    # `<check_id>:` with nothing after it is allowed and means "on, with defaults".
    # (Object keywords do not apply to null, so one schema serves both and editors get
    # precise messages instead of "not valid under any of the given schemas".)
    schema["type"] = ["object", "null"]
    return schema


def baseline_schema(known_checks: Mapping[str, type[BaseModel]]) -> dict[str, Any]:
    """The baseline file schema, with one `checks` entry per registered check."""
    schema = Baseline.model_json_schema()
    defs: dict[str, Any] = schema.pop("$defs", {})
    entry = defs.pop("CheckEntry", CheckEntry.model_json_schema())
    check_props = {
        cid: _entry_schema(cid, _params_schema(cid, model, defs), entry)
        for cid, model in sorted(known_checks.items())
    }
    # An empty `checks:` or `waivers:` (every entry commented out) is allowed.
    waivers = schema["properties"]["waivers"]
    waivers["type"] = ["array", "null"]
    schema["properties"]["checks"] = {
        "type": ["object", "null"],
        "description": schema["properties"]["checks"].get("description", ""),
        "properties": check_props,
        # Any other id is a rule check written in the baseline (`type: rule`).
        "propertyNames": {"pattern": f"{RULE_ID.pattern}|^(?:{'|'.join(sorted(known_checks))})$"},
        "additionalProperties": {"$ref": "#/$defs/RuleEntry"},
    }
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": BASELINE_SCHEMA_ID,
        "title": "endpoint-audit baseline",
        **{k: v for k, v in schema.items() if k != "title"},
        "$defs": dict(sorted(defs.items())),
    }


def waivers_schema() -> dict[str, Any]:
    schema = WaiverFile.model_json_schema()
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": WAIVERS_SCHEMA_ID,
        "title": "endpoint-audit waiver file",
        **{k: v for k, v in schema.items() if k != "title"},
    }


def schema_text(schema: Mapping[str, Any]) -> str:
    """Stable text (sorted keys are not used: the model's field order reads better)."""
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
