"""Deprecated import path, kept for third-party checks written against it: the Check
contract now lives in `endpoint_audit.checkkit` (import from there)."""

from endpoint_audit.checkkit.check import (
    Check,
    CheckMeta,
    CheckParams,
    EvalContext,
    FactT,
    FactView,
    Outcome,
)

__all__ = ["Check", "CheckMeta", "CheckParams", "EvalContext", "FactT", "FactView", "Outcome"]
