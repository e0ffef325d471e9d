"""Each check package's texts say everything about it once: parameter help lives in the
catalogs only, and every text a check needs exists in both languages."""

from __future__ import annotations

import pytest

from endpoint_audit.checks import builtin_packages
from endpoint_audit.model import i18n

PACKAGES = {p.id: p for p in builtin_packages()}


@pytest.mark.parametrize("check_id", sorted(PACKAGES))
def test_parameter_help_is_in_the_catalogs_only(check_id: str) -> None:
    params = PACKAGES[check_id].check.Params.model_fields
    assert params, check_id
    for name, field in params.items():
        assert field.description is None, f"{check_id}.{name}: help belongs in texts/"
        for lang in i18n.LANGUAGES:
            assert i18n.catalog(lang).get(f"{check_id}.params.{name}"), (lang, name)


@pytest.mark.parametrize("check_id", sorted(PACKAGES))
def test_every_text_a_check_needs_is_there_in_both_languages(check_id: str) -> None:
    meta = PACKAGES[check_id].check.meta
    keys = ["title", "description", "rationale"]
    keys += [f"{kind}.{os.value}" for kind in ("remediation", "reads") for os in meta.platforms]
    for lang in i18n.LANGUAGES:
        for key in keys:
            text = i18n.catalog(lang).get(f"{check_id}.{key}")
            assert text and text != f"{check_id}.{key}", (lang, key)
    assert meta.title["ja"] != meta.title["en"]


def test_the_schema_describes_parameters_from_the_english_catalog() -> None:
    from endpoint_audit.baseline.schema import baseline_schema

    schema = baseline_schema({cid: p.check.Params for cid, p in PACKAGES.items()})
    checks = schema["properties"]["checks"]["properties"]
    for cid, package in PACKAGES.items():
        props = checks[cid]["properties"]["params"]["properties"]
        for name in package.check.Params.model_fields:
            assert props[name]["description"] == i18n.t("en", f"{cid}.params.{name}")
