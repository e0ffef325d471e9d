"""The Typer application: one module per command, each imported only when it runs.

`endpoint-audit --help` lists the commands from cli/commands.py without importing any
of them (a command module pulls in pydantic, the engine and the renderers); the one
command a run names is imported when the command line reaches it. (`--help` alone and
`checks list` are answered before Typer is even imported: cli/quick.py.) Help is plain text
(no Rich panels), which reads the same in a terminal, a pipe and a ticket.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer
from typer import _click as click
from typer.core import TyperArgument, TyperGroup, TyperOption

from endpoint_audit import __version__
from endpoint_audit.cli.commands import COMMANDS, MAX_WIDTH, PROG, ROOT_HELP
from endpoint_audit.errors import ConfigError


def summary_of(command: click.Command) -> str:
    """The first paragraph of a command's help, whole: help is read, never cut with "..."."""
    text = (command.short_help or command.help or "").strip()
    return " ".join(text.split("\n\n", 1)[0].split())


class ManualGroup(TyperGroup):
    """Lists its subcommands with their whole first paragraph, wrapped, not cut."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, summary_of(command)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


# How each option's value is named in help (`--timeout SECONDS`). An option not listed
# is named after itself (`--limit LIMIT`), never after a Python type (`<str>`).
METAVARS = {
    "--baseline": "NAME|FILE",
    "--extends": "NAME|FILE",
    "--format": "FORMAT[:FILE]",
    "--output": "FILE",
    "--default-output": "FILE",
    "--output-dir": "DIR",
    "--record": "DIR",
    "--waivers": "FILE",
    "--replay": "FILE|DIR",
    "--inventory": "FILE",
    "--host": "HOST",
    "--limit": "PATTERNS",
    "--only": "IDS",
    "--skip": "IDS",
    "--lang": "ja|en",
    "--timeout": "SECONDS",
    "--connect-timeout": "SECONDS",
    "--command-timeout": "SECONDS",
    "--total-timeout": "SECONDS",
    "--concurrency": "N",
    "--id": "ID",
    "--os": "OS",
}


def _range_text(low: object, high: object) -> str | None:
    if low is not None and high is not None:
        return f"{low} to {high}"
    if low is not None:
        return f"at least {low}"
    if high is not None:
        return f"at most {high}"
    return None


def keep_examples(text: str) -> str:
    """Example command lines stay one line each, in one block: click rewraps every other
    paragraph to the width, which would break `endpoint-audit scan ... # comment` in two.
    (`\\b` before a paragraph is click's mark for "do not rewrap".)"""
    out: list[str] = []
    block: list[str] = []
    for paragraph in text.split("\n\n"):
        lines = paragraph.strip("\n").splitlines()
        if lines and all(line.strip().startswith("endpoint-audit ") for line in lines):
            block += ["  " + line.strip() for line in lines]
            continue
        if block:
            out.append("\b\n" + "\n".join(block))
            block = []
        out.append(paragraph)
    if block:
        out.append("\b\n" + "\n".join(block))
    return "\n\n".join(out)


def _manual_argument(param: TyperArgument) -> None:
    """`OLD` in usage and help, as man pages write it: not `{old}`, not `old <path>`."""
    name = param.metavar or (param.name or "value").upper()
    param.metavar = name
    usage = name if param.required else f"[{name}]"
    if param.nargs != 1:
        usage += "..."
    # Typer has no setting for these two; the instance's own methods replace the class's.
    setattr(param, "_usage_display_name", lambda: usage)  # noqa: B010
    setattr(param, "display_type_rich", lambda ctx: None)  # noqa: B010


# Holds "[default: VALUE]" together while click wraps help; a space again once written.
_GLUE = "\x00"


def _glued_defaults(param: click.Parameter) -> None:
    original = param.get_help_record

    def record(ctx: click.Context) -> tuple[str, str] | None:
        got = original(ctx)
        if got is None:
            return None
        return got[0], got[1].replace("[default: ", f"[default:{_GLUE}")

    setattr(param, "get_help_record", record)  # noqa: B010


def _unglue(command: click.Command) -> None:
    original = command.format_help

    def format_help(ctx: click.Context, formatter: click.HelpFormatter) -> None:
        original(ctx, formatter)
        formatter.buffer[:] = [part.replace(_GLUE, " ") for part in formatter.buffer]

    setattr(command, "format_help", format_help)  # noqa: B010


def _manual_params(command: click.Command) -> None:
    """Name every option's value for people, and say ranges in words (`at least 1`, not
    `x>=1`), on the command and every subcommand; keep examples whole."""
    if command.help:
        command.help = keep_examples(command.help)
    _unglue(command)
    for param in command.params:
        _glued_defaults(param)
        if isinstance(param, TyperArgument):
            _manual_argument(param)
        if not isinstance(param, TyperOption) or param.is_flag or param.count:
            continue
        if param.metavar is None:
            long_name = next((o for o in param.opts if o.startswith("--")), param.opts[0])
            choices = param.type_descriptor.choices if param.type_descriptor.is_choice else None
            if long_name in METAVARS:
                param.metavar = METAVARS[long_name]
            elif choices:
                param.metavar = "|".join(str(getattr(c, "value", c)) for c in choices)
            else:
                param.metavar = (param.name or "value").upper()
        low, high = param.min, param.max
        if low is not None or high is not None:
            text = _range_text(low, high)
            setattr(param, "_get_number_range_help_str", lambda text=text: text)  # noqa: B010
    if isinstance(command, TyperGroup):
        for sub in command.commands.values():
            _manual_params(sub)


def load_command(name: str) -> click.Command:
    """The click command of one entry of COMMANDS, importing its module now."""
    entry = COMMANDS[name]
    module = importlib.import_module(f"endpoint_audit.cli.{entry.module}")
    target: Any = getattr(module, entry.attribute)
    command: click.Command
    if isinstance(target, typer.Typer):
        target.info.name = name
        target.info.cls = ManualGroup
        target.rich_markup_mode = None
        command = typer.main.get_group(target)
    else:
        single = typer.Typer(rich_markup_mode=None, add_completion=False)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    _manual_params(command)
    return command


class LazyGroup(ManualGroup):
    """A group whose subcommands are imported on use; help lists them from COMMANDS."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        if cmd_name not in self.commands:
            self.commands[cmd_name] = load_command(cmd_name)
        return self.commands[cmd_name]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, entry.summary) for name, entry in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


app = typer.Typer(
    name=PROG,
    cls=LazyGroup,
    help=ROOT_HELP,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": MAX_WIDTH},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"endpoint-audit {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """endpoint-audit"""
    from endpoint_audit.cli.common import robust_streams

    robust_streams()  # also for the CLI invoked in-process (tests, other tools)


# engine.exit_policy.ExitCode.CONFIG; importing it would load the result model.
CONFIG_EXIT = 2


def run() -> None:
    # Interrupts and a closed stdout are handled by the entry point (cli.main).
    from endpoint_audit.cli.common import robust_streams, say

    robust_streams()
    try:
        app()
    except ConfigError as exc:
        say(f"error: {exc}")
        sys.exit(CONFIG_EXIT)
