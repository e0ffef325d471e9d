"""`baseline schema`: the JSON Schema editors use, and the committed copy in docs/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from endpoint_audit.baseline.load import shipped_text
from tests.baselines.helpers import BROKEN, SHIPPED, run

DOCS = Path(__file__).parent.parent.parent / "docs"


def validator(schema: dict[str, object]) -> jsonschema.Draft202012Validator:
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def schema_from_cli(*extra: str) -> dict[str, object]:
    result = run("baseline", "schema", *extra)
    assert result.code == 0
    data: dict[str, object] = json.loads(result.stdout)
    return data


@pytest.mark.parametrize("name", SHIPPED)
def test_schema_accepts_every_shipped_baseline(name: str) -> None:
    errors = list(
        validator(schema_from_cli()).iter_errors(yaml.safe_load(shipped_text(name) or ""))
    )
    assert not errors, [e.message for e in errors]


def test_shipped_baselines_point_editors_at_the_committed_schema() -> None:
    for name in SHIPPED:
        first = (shipped_text(name) or "").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../docs/baseline.schema.json"


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("b01-typo-top-key.yaml", "'chekcs' was unexpected"),
        # Not a check id, nor a namespaced rule id (`jp.name`, type: rule).
        ("b02-unknown-check-id.yaml", "'screen_lok' does not match"),
        ("b03-unknown-param.yaml", "'max_idle_secs' was unexpected"),
        ("b04-wrong-type-param.yaml", "is not of type 'integer'"),
        ("b22-platform-param-unknown.yaml", "'max_idle' was unexpected"),
    ],
)
def test_schema_catches_what_an_editor_should_flag(name: str, fragment: str) -> None:
    data = yaml.safe_load((BROKEN / name).read_text(encoding="utf-8"))
    messages = [e.message for e in validator(schema_from_cli()).iter_errors(data)]
    assert any(fragment in m for m in messages), messages


def test_waiver_schema() -> None:
    schema = validator(schema_from_cli("--waivers"))
    good = {
        "waivers": [
            {
                "check": "open_ports",
                "hosts": ["*"],
                "justification": "j",
                "approver": "a",
                "expires": "2026-03-31",
            }
        ]
    }
    assert not list(schema.iter_errors(good))
    del good["waivers"][0]["approver"]
    assert list(schema.iter_errors(good))


def test_committed_schema_is_up_to_date() -> None:
    """docs/baseline.schema.json is what `baseline schema` prints for the built-in checks.
    When a check's parameters change, regenerate it:
    ENDPOINT_AUDIT_DISABLE_PLUGINS=1 endpoint-audit baseline schema -o docs/baseline.schema.json
    """
    env = {**os.environ, "ENDPOINT_AUDIT_DISABLE_PLUGINS": "1"}
    for extra, file in (([], "baseline.schema.json"), (["--waivers"], "waivers.schema.json")):
        out = subprocess.run(
            [sys.executable, "-m", "endpoint_audit", "baseline", "schema", *extra],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=60,
        ).stdout
        committed = (DOCS / file).read_text(encoding="utf-8")
        command = " ".join(["endpoint-audit baseline schema", *extra, f"-o docs/{file}"])
        assert out == committed, (
            f"docs/{file} is stale; regenerate it: ENDPOINT_AUDIT_DISABLE_PLUGINS=1 {command}"
        )
