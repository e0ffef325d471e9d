"""What a check package gives `probe export --intune-compliance`: the probe whose answer
its settings come from, a PowerShell snippet that turns that answer into flat settings,
and the rules (from the baseline's parameters) Intune judges the settings with.

A check package offers this in its `intune` module (`INTUNE = IntuneSettings(...)`).
The snippet reads `$EAProbe` (the probe's `$result`, or `$null` when the probe failed or
ran out of time; those of `extra_probes` in `$EAProbes`) and sets every one of its
settings in `$EASettings`, always: a value it cannot read is one its rules never accept
(`Unknown`, -1), so that a device whose facts cannot be seen is non-compliant, never
compliant (Intune itself only reports a missing setting as error 65008).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import resources
from typing import Any

from msgspec import Struct

from endpoint_audit.model import i18n
from endpoint_audit.model.commands import PowerShell
from endpoint_audit.model.intune import IntuneRule, Language, Operator, RemediationString

# The Company Portal languages the rules speak, from the tool's own locales.
PORTAL_LANGUAGES: dict[str, Language] = {"en": "en_US", "ja": "ja_JP"}


class IntuneSettings(Struct, frozen=True):
    check_id: str
    probe: PowerShell
    settings_script: str  # PowerShell: $EAProbe -> $EASettings[...] for every setting
    settings: Sequence[str]  # every setting the snippet writes
    rules: Callable[[Any, str], list[IntuneRule]]  # (the check's params, MoreInfoUrl)
    # PowerShell set before the snippet from the check's params (ASCII; see `ps_string`):
    # what a rule cannot say, such as the names a baseline accepts. None: nothing.
    prelude: Callable[[Any], str] | None = None
    # Probes run before `probe`, each answer in `$EAProbes['<name>']` ($null when it failed,
    # ran out of time, or needs FullLanguage where the script does not have it).
    extra_probes: Sequence[PowerShell] = ()
    # PowerShell several checks' snippets share (functions): the script holds it once,
    # before the first snippet that names it.
    shared: str = ""
    # Seconds each of its probes gets at least, however many probes share the budget.
    min_seconds: int = 10

    def settings_for(self, params: Any) -> str:
        """The snippet as the discovery script runs it for a baseline's params."""
        head = self.prelude(params) if self.prelude is not None else ""
        return head + self.settings_script


def compliance_script(module: str, name: str) -> str:
    """`compliance/<name>.ps1` beside `module` (pass `__name__`): a settings snippet,
    kept apart from probes/ (the scripts the collectors run)."""
    folder = resources.files(module.rpartition(".")[0]) / "compliance"
    return (folder / f"{name}.ps1").read_text(encoding="utf-8")


def ps_string(text: str) -> str:
    """`text` as a PowerShell expression in ASCII: a single-quoted string, with every
    other character (quotes included) spelled as `[char]` of its UTF-16 unit, so that
    no baseline value can end the string nor change the script's encoding."""
    if not text:
        return "''"
    parts: list[str] = []
    plain = ""
    units = text.encode("utf-16-le")
    for i in range(0, len(units), 2):
        unit = int.from_bytes(units[i : i + 2], "little")
        if 0x20 <= unit < 0x7F and unit != ord("'"):
            plain += chr(unit)
            continue
        if plain:
            parts.append(f"'{plain}'")
            plain = ""
        parts.append(f"[string][char]0x{unit:04X}")
    if plain:
        parts.append(f"'{plain}'")
    return "(" + " + ".join(parts) + ")" if len(parts) > 1 else parts[0]


def remediation(key: str, **args: object) -> list[RemediationString]:
    """The texts of message key `key` (`<check>.intune.<name>`): `<key>_title` and
    `<key>_description` in every portal language."""
    return [
        RemediationString(
            language=portal,
            title=i18n.t(lang, f"{key}_title", **args),
            description=i18n.t(lang, f"{key}_description", **args),
        )
        for lang, portal in PORTAL_LANGUAGES.items()
    ]


__all__ = [
    "PORTAL_LANGUAGES",
    "IntuneSettings",
    "compliance_script",
    "ps_string",
    "remediation",
]


class RuleMaker(Struct, frozen=True):
    """The rules of one check, their remediation texts under `texts` (`<check>.intune`):
    `make(name, operator, operand, text, url)` compares setting `name` (Int64 for a
    number, String for a text) with the texts of `<texts>.<text>`."""

    texts: str

    def __call__(
        self,
        name: str,
        operator: Operator,
        operand: int | str,
        text: str,
        more_info_url: str,
        **args: object,
    ) -> IntuneRule:
        return IntuneRule(
            setting_name=name,
            operator=operator,
            data_type="String" if isinstance(operand, str) else "Int64",
            operand=operand,
            more_info_url=more_info_url,
            remediation_strings=remediation(f"{self.texts}.{text}", **args),
        )
