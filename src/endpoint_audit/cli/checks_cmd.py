"""`endpoint-audit checks list|show`: what each check verifies, reads and needs."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from endpoint_audit.cli.checks_list import os_label, print_checks
from endpoint_audit.cli.common import fail, resolve_lang
from endpoint_audit.model import i18n

app = typer.Typer(
    help=(
        "List the checks (antivirus, disk encryption, firewall, local administrators, "
        "open ports, operating system and Office support, password policy, patches, "
        "screen lock, secure boot, and any plugin's) and explain one; with --baseline, "
        "also a baseline's rule checks."
    ),
    no_args_is_help=True,
)

LangOpt = Annotated[str | None, typer.Option("--lang", help="ja or en (default: from the locale).")]


@app.command("list")
def list_checks(lang: LangOpt = None) -> None:
    """List every registered check with its default severity and platforms."""
    print_checks(resolve_lang(lang))


@app.command("show")
def show_check(
    check_id: Annotated[str, typer.Argument(help="The check id (as `checks list` shows it).")],
    lang: LangOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline", "-b", help="A baseline whose rule checks (type: rule) to show too."
        ),
    ] = None,
) -> None:
    """Explain one check: what it verifies, its parameters, what it reads on each OS,
    the privileges it needs, and how to fix a failure on each OS."""
    from endpoint_audit.engine.plan import load_plan_baseline, with_rules
    from endpoint_audit.engine.registry import load_registry
    from endpoint_audit.errors import ConfigError

    language = resolve_lang(lang)
    registry = load_registry()
    if baseline is not None:
        try:
            registry = with_rules(registry, load_plan_baseline(baseline, registry))
        except ConfigError as exc:
            fail(str(exc))
    cls = registry.checks.get(check_id)
    if cls is None:
        import difflib

        close = difflib.get_close_matches(check_id, list(registry.checks), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        if not hint and "." in check_id and baseline is None:
            hint = "; a rule check of a baseline is shown with -b BASELINE"
        fail(f"no check {check_id!r}{hint}")
    meta = cls.meta
    params = {
        name: {
            "default": field.get_default(call_default_factory=True),
            # Built-in checks describe their parameters in the catalogs; a plugin's own
            # description is the fallback.
            "description": (
                i18n.t(language, f"{check_id}.params.{name}")
                if i18n.has(f"{check_id}.params.{name}")
                else field.description or ""
            ),
        }
        for name, field in cls.Params.model_fields.items()
    }
    if json_out:
        data = {
            "id": meta.id,
            "title": meta.title,
            "description": meta.description,
            "rationale": meta.rationale,
            "severity": meta.severity.value,
            "platforms": sorted(f.value for f in meta.platforms),
            "params": params,
            "reads": {f.value: t for f, t in meta.reads.items()},
            "remediation": {f.value: t for f, t in meta.remediation.items()},
        }
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
        return
    console = Console(highlight=False)

    def section(key: str) -> None:
        console.print()
        console.print(Text(i18n.t(language, f"cli.checks.{key}"), style="bold"))

    console.print(Text(f"{meta.id}: {meta.title.get(language, meta.id)}", style="bold cyan"))
    console.print(Text(meta.description.get(language, "")))
    section("rationale")
    console.print(Text(meta.rationale.get(language, "")))
    section("severity")
    console.print(Text(i18n.t(language, f"report.severity.{meta.severity.value}")))
    section("platforms")
    console.print(Text(", ".join(os_label(f.value, language) for f in sorted(meta.platforms))))
    section("params")
    if not params:
        console.print(Text("-"))
    for name, spec in params.items():
        console.print(
            Text(f"  {name} = {json.dumps(spec['default'], ensure_ascii=False, default=str)}")
        )
        if spec["description"]:
            console.print(Text(f"      {spec['description']}", style="dim"))
    section("reads")
    for family, text in sorted(meta.reads.items()):
        console.print(Text(f"  [{family.value}] {text.get(language, '')}"))
    section("remediation")
    for family, text in sorted(meta.remediation.items()):
        console.print(Text(f"  [{family.value}] {text.get(language, '')}"))
