"""JSON: the versioned result model itself (`endpoint-audit report schema` publishes it)."""

from __future__ import annotations

import json
from typing import Any

from endpoint_audit.model.result import RunReport
from endpoint_audit.model.valid_text import model_json
from endpoint_audit.render.base import Renderer, RenderOptions


class JsonRenderer(Renderer):
    name = "json"
    extension = ".json"
    description = "Versioned JSON report for other tools (schema: `report schema`)."

    def render(self, report: RunReport, options: RenderOptions) -> str:
        return model_json(report) + "\n"


def report_schema() -> dict[str, Any]:
    schema = RunReport.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "endpoint-audit report"
    return schema


def schema_text() -> str:
    return json.dumps(report_schema(), indent=2, ensure_ascii=False) + "\n"
