"""A rule's `command` condition: a program of the auditor's own baseline file, run as an
argv list without a shell, its time bounded, and its output taken as hostile: only its
exit status, or at most OUTPUT_LIMIT characters of its standard output, is compared."""

from __future__ import annotations

from endpoint_audit.checkkit.collector import Results
from endpoint_audit.model.commands import Argv
from endpoint_audit.model.rule import CommandRead
from endpoint_audit.rules.facts import ReadValue, seen_value, unknown_value

OUTPUT_LIMIT = 64 * 1024


def argv_of(read: CommandRead) -> Argv:
    return Argv(tuple(read.command), timeout=float(read.timeout))


def parse(read: CommandRead, results: Results) -> ReadValue:
    command = argv_of(read)
    label = read.label()
    result = results.get(command.key)
    if result is None:
        return unknown_value(command.key, "no_result", read=label, command=command.key)
    if result.timed_out:
        return unknown_value(command.key, "timed_out", read=label, seconds=read.timeout)
    if result.not_found:
        return unknown_value(command.key, "not_installed", read=label, command=read.command[0])
    if result.privilege_refused:
        return unknown_value(command.key, "denied", read=label)
    if read.prop == "exit_status":
        return seen_value("number", result.exit_status, command.key)
    if len(result.stdout) > OUTPUT_LIMIT:
        # Never a verdict on part of the output: a match further on could change it.
        return unknown_value(command.key, "output_too_long", read=label, limit=OUTPUT_LIMIT)
    return seen_value("text", result.stdout, command.key)
