"""Which facts a run collects: those the plan's checks need, or (`collect --all-facts`)
every family some collector produces. `collect` runs the hosts through the same host
steps as `scan` (engine.run.audit_host, without judging), so evaluating its bundle gives
the findings the scan would have given."""

from __future__ import annotations

from endpoint_audit.checkkit.fact import Fact
from endpoint_audit.engine.plan import Plan
from endpoint_audit.engine.registry import Registry


def fact_types_of_plan(plan: Plan) -> list[type[Fact]]:
    """The facts the plan's checks need, in check order, without repeats."""
    return list(dict.fromkeys(ft for pc in plan.checks for ft in pc.check.requires))


def all_fact_types(registry: Registry) -> list[type[Fact]]:
    """Every fact family some registered collector produces."""
    return list(dict.fromkeys(c.fact_type for c in registry.all_collectors()))
