"""`endpoint-audit baseline list|show|validate|diff|init|schema`."""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.table import Table
from rich.text import Text

from endpoint_audit.baseline.effective import CheckSpec, diff_baselines, effective_document
from endpoint_audit.baseline.load import (
    LoadedBaseline,
    is_path_ref,
    load_waivers,
    shipped_names,
)
from endpoint_audit.baseline.schema import baseline_schema, schema_text, waivers_schema
from endpoint_audit.cli.common import fail, resolve_lang, say, write_output
from endpoint_audit.cli.rules_cmd import app as rules_app
from endpoint_audit.engine.plan import load_plan_baseline
from endpoint_audit.engine.registry import Registry, load_registry
from endpoint_audit.errors import ConfigError
from endpoint_audit.model import i18n
from endpoint_audit.model.printable import one_line, visible_controls
from endpoint_audit.model.rule import command_rules

app = typer.Typer(
    help="List, show, compare, validate and start tailoring baselines; keep their rule "
    "checks in a spreadsheet.",
    no_args_is_help=True,
)

app.add_typer(rules_app, name="rules")

BaselineArg = Annotated[str, typer.Argument(help="Shipped name (see `baseline list`) or path.")]


def check_specs(registry: Registry) -> dict[str, CheckSpec]:
    return {
        cid: CheckSpec(cls.Params, cls.meta.severity, cls.meta.platforms)
        for cid, cls in registry.checks.items()
    }


def known_params(registry: Registry) -> dict[str, Any]:
    return {cid: cls.Params for cid, cls in registry.checks.items()}


def _load(ref: str, registry: Registry) -> LoadedBaseline:
    try:
        return load_plan_baseline(ref, registry)
    except ConfigError as exc:
        fail(str(exc))


def _yaml(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


@app.command("list")
def list_baselines(
    lang: Annotated[str | None, typer.Option("--lang", help="ja or en.")] = None,
) -> None:
    """List the shipped baselines. Pass any of them, or a file path, to `scan --baseline`."""
    language = resolve_lang(lang)
    registry = load_registry()
    table = Table(header_style="bold")
    for key in ("name", "title", "version", "checks"):
        table.add_column(i18n.t(language, f"cli.baseline.col.{key}"))
    for name in shipped_names():
        loaded = _load(name, registry)
        table.add_row(
            Text(one_line(name)),
            Text(one_line(loaded.title.get(language, ""))),
            Text(one_line(loaded.version)),
            Text(str(len(loaded.checks))),
        )
    Console(highlight=False).print(table)


@app.command("show")
def show_baseline(
    baseline: BaselineArg = "jp-municipal-telework",
    effective: Annotated[
        bool,
        typer.Option(
            "--effective",
            help="Print the merged result a scan applies: extends resolved, defaults filled "
            "in, parameters per OS.",
        ),
    ] = False,
) -> None:
    """Print a baseline as written (validated first), or with --effective as merged."""
    registry = load_registry()
    loaded = _load(baseline, registry)
    running = command_rules(loaded.rules)
    if running:
        # A YAML comment, so the output stays a baseline; a program to run stands out.
        key = "cli.baseline.show.runs_commands"
        typer.echo(visible_controls(i18n.t(resolve_lang(None), key, rules=", ".join(running))))
    if not effective:
        # As written, but a terminal sees an escape sequence hidden in it as text.
        typer.echo(visible_controls(loaded.raw_text.rstrip("\n")))
        return
    typer.echo(visible_controls(_yaml(effective_document(loaded, check_specs(registry))).rstrip()))


@app.command("validate")
def validate(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Baseline files (or shipped names).")
    ] = None,
    waivers: Annotated[
        list[Path] | None,
        typer.Option("--waivers", help="Also validate this waiver file (repeatable)."),
    ] = None,
) -> None:
    """Validate baselines and waiver files. Prints `OK` per file, or one line
    `file:line: path: message` for the first problem in each, and exits 2 if any is bad."""
    if not files and not waivers:
        fail("give at least one baseline file or --waivers FILE")
    registry = load_registry()
    bad = False
    for file in files or []:
        try:
            loaded = load_plan_baseline(str(file), registry)
        except ConfigError as exc:
            say(f"error: {exc}")
            bad = True
            continue
        typer.echo(
            one_line(f"OK {file}: {loaded.id} {loaded.version}, {len(loaded.checks)} checks")
        )
    for file in waivers or []:
        try:
            specs = load_waivers(file, known_params(registry))
        except ConfigError as exc:
            say(f"error: {exc}")
            bad = True
            continue
        typer.echo(one_line(f"OK {file}: {len(specs)} waivers"))
    if bad:
        raise typer.Exit(2)


def _show_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + ", ".join(_show_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _show_change(old: Any, new: Any) -> tuple[str, str]:
    """Values for one line; a changed list shows what was added (+) and removed (-)."""
    if isinstance(old, list) and isinstance(new, list):
        added = [f"+{_show_value(v)}" for v in new if v not in old]
        removed = [f"-{_show_value(v)}" for v in old if v not in new]
        return f"{len(old)} items", " ".join(added + removed) or _show_value(new)
    return _show_value(old), _show_value(new)


@app.command("diff")
def diff(
    old: Annotated[str, typer.Argument(help="Baseline to compare from (name or path).")],
    new: Annotated[str, typer.Argument(help="Baseline to compare to (name or path).")],
    lang: Annotated[str | None, typer.Option("--lang", help="ja or en.")] = None,
) -> None:
    """Show what changes for a scan when NEW is used instead of OLD: checks added, removed,
    enabled or disabled, severities, and parameters per OS (after extends and defaults)."""
    language = resolve_lang(lang)
    registry = load_registry()
    a, b = _load(old, registry), _load(new, registry)
    changes = diff_baselines(a, b, check_specs(registry))
    typer.echo(one_line(i18n.t(language, "baseline_tools.diff.header", old=old, new=new)))
    if not changes:
        typer.echo(i18n.t(language, "baseline_tools.diff.none"))
        return
    every_os = i18n.t(language, "baseline_tools.diff.all_os")
    for change in changes:
        families = ", ".join(f.value for f in change.families)
        spec = registry.checks.get(change.check)
        if spec is not None and set(change.families) == set(spec.meta.platforms):
            families = every_os
        state = change.new
        if change.kind == "added" and change.new == "disabled":
            state = i18n.t(language, "baseline_tools.diff.state_disabled")
        if change.kind == "param":
            old_text, new_text = _show_change(change.old, state)
        else:
            old_text, new_text = _show_value(change.old), _show_value(state)
        typer.echo(
            one_line(
                i18n.t(
                    language,
                    f"baseline_tools.diff.{change.kind}",
                    check=change.check,
                    param=change.key or "",
                    old=old_text,
                    new=new_text,
                    state=new_text,
                    families=families,
                )
            )
        )


def _comment(text: str, indent: str = "") -> list[str]:
    return [f"{indent}# {line}".rstrip() for line in text.splitlines()]


def _both(key: str, **args: Any) -> list[str]:
    # Always format (an unused argument is harmless), so `{{` in a text becomes `{`.
    args.setdefault("_", "")
    return [i18n.t("ja", key, **args), i18n.t("en", key, **args)]


def init_text(parent: LoadedBaseline, parent_ref: str, new_id: str, file: str, schema: str) -> str:
    """A tailoring file that extends `parent`: valid as written, every option shown in
    comments (Japanese first, then English)."""
    lines = [f"# yaml-language-server: $schema={schema}", "#"]
    for key in ("head", "validate"):
        for text in _both(f"baseline_tools.init.{key}", parent=parent_ref, file=file):
            lines += _comment(text)
    header = {
        "id": new_id,
        "title": {
            "ja": parent.title.get("ja", parent.id)
            + i18n.t("ja", "baseline_tools.init.title_suffix"),
            "en": parent.title.get("en", parent.id)
            + i18n.t("en", "baseline_tools.init.title_suffix"),
        },
        "version": "1",
        "extends": parent_ref,
    }
    lines += ["", *_yaml(header).splitlines(), "", "checks:"]
    for key in ("checks", "disable"):
        for text in _both(f"baseline_tools.init.{key}"):
            lines += _comment(text, "  ")
    for cid in sorted({*parent.checks, *parent.disabled}):
        config = parent.checks.get(cid)
        lines.append("")
        for text in _both("baseline_tools.init.current", check=cid, parent=parent_ref):
            lines += _comment(text, "  ")
        entry: dict[str, Any] = {}
        if config is None:
            entry["enabled"] = True
        else:
            if config.severity is not None:
                entry["severity"] = config.severity.value
            if config.params:
                entry["params"] = config.params
            if config.platform_params:
                entry["platform_params"] = {k.value: v for k, v in config.platform_params.items()}
            if not entry:
                entry["enabled"] = True
        lines += _comment(_yaml({cid: entry}).rstrip(), "  ")
    lines += ["", "waivers:"]
    for text in _both("baseline_tools.init.waivers"):
        lines += _comment(text, "  ")
    # The example waiver is the first check's that offers one in its texts. It is in force
    # from today for half a year, so that uncommented as it is it neither lies in the past
    # nor looks like a date to copy.
    with_example = [c for c in sorted(parent.checks) if i18n.has(f"{c}.waiver_example.resource")]
    if with_example:
        cid = with_example[0]
        today = date.today()
        example = [
            {
                "id": f"{today.year}-001",
                "check": cid,
                "hosts": ["tw-pc-01*"],
                "resource": i18n.t("en", f"{cid}.waiver_example.resource"),
                "justification": i18n.t("ja", f"{cid}.waiver_example.justification"),
                "approver": i18n.t("ja", "baseline_tools.init.example_approver"),
                "approved": today,
                "expires": today + timedelta(days=182),
            }
        ]
        lines += _comment(_yaml(example).rstrip(), "  ")
    return "\n".join(lines) + "\n"


@app.command("init")
def init(
    output: Annotated[Path, typer.Option("--output", "-o", help="The file to write.")],
    extends: Annotated[
        str, typer.Option("--extends", help="Baseline to start from (shipped name or path).")
    ] = "jp-municipal-telework",
    baseline_id: Annotated[
        str | None, typer.Option("--id", help="Id of the new baseline (default: file name).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    lang: Annotated[str | None, typer.Option("--lang", help="ja or en (messages).")] = None,
) -> None:
    """Write a commented tailoring file that extends a baseline (valid as written), and the
    JSON Schema next to it for editors (`baseline.schema.json`) if it is not there yet."""
    language = resolve_lang(lang)
    registry = load_registry()
    if output.exists() and not force:
        fail(f"{output}: already exists (use --force to overwrite)")
    parent = _load(extends, registry)
    # A path parent is written relative to the new file, as `extends` resolves it.
    parent_ref = extends
    if is_path_ref(extends):
        parent_ref = os.path.relpath(Path(extends).resolve(), output.resolve().parent)
        if not is_path_ref(parent_ref):  # `city` alone would name a shipped baseline
            parent_ref = f"./{parent_ref}"
    new_id = baseline_id or output.stem
    schema_file = output.parent / "baseline.schema.json"
    text = init_text(parent, parent_ref, new_id, str(output), schema_file.name)
    write_output(str(output), text)
    if not schema_file.exists():
        write_output(str(schema_file), schema_text(baseline_schema(known_params(registry))))
    try:
        load_plan_baseline(str(output), registry)
    except ConfigError as exc:  # the template must always validate; say so loudly if not
        fail(f"the written file does not validate: {exc}")
    say(
        i18n.t(
            language,
            "baseline_tools.init.written",
            file=output,
            parent=parent_ref,
            schema=schema_file,
        )
    )


@app.command("schema")
def schema(
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")
    ] = None,
    waivers: Annotated[
        bool, typer.Option("--waivers", help="The schema of waiver files instead.")
    ] = False,
) -> None:
    """Print the JSON Schema (draft 2020-12) of baseline files, built from every installed
    check's parameters. Editors use it through a first line such as
    `# yaml-language-server: $schema=baseline.schema.json`."""
    registry = load_registry()
    data = waivers_schema() if waivers else baseline_schema(known_params(registry))
    write_output(output, schema_text(data))


__all__ = ["app", "check_specs", "init_text", "known_params"]
