"""Real Windows output that tests feed to the parsers, each with where it was captured."""

from __future__ import annotations

# Windows PowerShell 5.1 on a Japanese PC under Constrained Language Mode, refusing the
# `[Console]::OutputEncoding` line that scripts commonly start with (as our prelude did).
# Source: ShunichirouKamino/boundform, reviews/0001-2026-03-16/codex-review.md (a session
# log on a policy-restricted Japanese Windows PC); the error record verbatim, the caret
# line shortened.
CLM_PROPERTY_SETTER_JA = (
    "プロパティを設定できません。この言語モードでは、プロパティの設定はコアの型のみでサポート"
    "されています。\r\n"
    "発生場所 行:1 文字:1\r\n"
    "+ [Console]::OutputEncoding=[System.Text.Encoding]::UTF8;\r\n"
    "+ ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\r\n"
    "    + CategoryInfo          : InvalidOperation: (:) []、RuntimeException\r\n"
    "    + FullyQualifiedErrorId : PropertySetterNotSupportedInConstrainedLanguage\r\n"
)
# The CLM error for a method call on a type outside the allowed list. Source:
# MicrosoftDocs/azure-docs, articles/automation/troubleshoot/runbooks.md (scenario "Cannot
# invoke method"); Microsoft quotes it in English in every language edition of the page.
CLM_METHOD_INVOCATION_EN = (
    "Cannot invoke method. Method invocation is supported only on core types in this language mode."
)
