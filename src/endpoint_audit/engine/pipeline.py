"""One path for every run: `scan`, `collect` and `evaluate` build a RunRequest and run it.

    RunRequest(targets, baseline, waivers, selection, outputs, options)
      prepare():            the targets (this PC, SSH hosts, recorded bundles, a share of
                            probe-script files) and the plan of each (its baseline,
                            --only/--skip, --waivers), the run folder and what --resume reuses
      PreparedRun.execute(): ONE bounded loop over the hosts; for each host
                            open the transport -> detect -> collect -> judge (not for
                            `collect`) -> host report (engine.run.audit_host), then saved
                            where the request says (run folder, bundle folder, recordings)
      PreparedRun.conclude(): the run report (partial when interrupted), the run folder's
                            fleet report and manifest

The CLI then writes the outputs (renderers, the `collect -o` bundle, the history store)
and exits with the code the run gives. A host's failure never stops another: it is an
unreachable host or an error finding, and every host finished is kept when the run is
interrupted (execute() is cancelled; conclude() still sees them).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import msgspec.structs
from msgspec import Struct, field

from endpoint_audit.baseline.load import load_waivers
from endpoint_audit.checkkit.fact import Fact
from endpoint_audit.engine.collect import all_fact_types
from endpoint_audit.engine.fleet import fleet_report
from endpoint_audit.engine.host_outputs import HostSink, Saved
from endpoint_audit.engine.plan import Plan, load_plan_baseline, make_plan
from endpoint_audit.engine.registry import Registry, load_registry
from endpoint_audit.engine.run import (
    HostRun,
    RunOptions,
    Target,
    audit_host,
    local_target,
    unreachable_run,
)
from endpoint_audit.engine.waivers import expired_waivers
from endpoint_audit.errors import ConfigError
from endpoint_audit.model import i18n
from endpoint_audit.model.printable import one_line
from endpoint_audit.model.result import HostReport, PartialInfo, RunReport
from endpoint_audit.model.shard import ShardInfo, ShardSpec
from endpoint_audit.safe_read import InputKind, InputRefused, read_input

# What only fleets (SSH, inventories), recorded hosts, run folders and bundles need is
# imported where it is used: a scan of this PC starts without it (tests/core/test_help.py).
if TYPE_CHECKING:  # signing (and the cryptography it loads) only when a run signs
    from endpoint_audit.engine.collect_manifest import CollectManifest
    from endpoint_audit.engine.run_folder import FleetStore
    from endpoint_audit.inventory import DuplicateHost, InventoryHost
    from endpoint_audit.signing.minisign import SecretKey
    from endpoint_audit.transport.ssh import SshOptions

DEFAULT_BASELINE = "jp-municipal-telework"
# Duplicate inventory entries named one by one before the rest are counted.
MAX_DUPLICATE_LINES = 20

# --- the request -------------------------------------------------------------------


class ThisMachine(Struct, frozen=True):
    """The PC the command runs on."""


def _ssh_options() -> SshOptions:
    from endpoint_audit.transport.ssh import SshOptions

    return SshOptions()


class SshHosts(Struct, frozen=True):
    """Hosts over SSH: `--host` specs, inventory files, `--limit`; how to log in."""

    hosts: tuple[str, ...] = ()
    inventories: tuple[Path, ...] = ()
    limit: str | None = None
    ssh: SshOptions = field(default_factory=_ssh_options)
    shard: ShardSpec | None = None  # --shard I/N: only this slice of the hosts


class RecordedHosts(Struct, frozen=True):
    """Bundles from `collect`, recordings or probe-script files: one file or a folder.

    `share`: a folder many PCs drop their files into (`evaluate FOLDER`): a file that
    cannot be read is an unreachable host named by its file, and each PC is judged by its
    newest file. Otherwise every file must be read (`scan --replay`, `evaluate FILE`)."""

    path: Path
    share: bool = False


Targets = ThisMachine | SshHosts | RecordedHosts


class Selection(Struct, frozen=True):
    """Which checks run (--only/--skip), and for `collect` whether every fact family is
    collected (--all-facts) instead of those the checks need."""

    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    all_facts: bool = False


class ReportOutput(Struct, frozen=True):
    """`--format FORMAT[:PATH]`: a renderer and where it writes (None or "-": stdout)."""

    format: str
    path: str | None


class Outputs(Struct, frozen=True):
    reports: tuple[ReportOutput, ...] = ()  # scan, evaluate: written by the CLI
    run_folder: Path | None = None  # scan --output-dir: host reports as they finish
    resume: bool = False  # --resume the run recorded in run_folder
    bundle: str | None = None  # collect -o: one bundle of every host ("-": stdout)
    bundle_dir: Path | None = None  # collect --bundle-dir: one bundle per host
    record_dir: Path | None = None  # collect --record: one redacted recording per host
    redact: bool = False  # collect --redact: the bundles as --record redacts
    history_store: Path | None = None  # --store: the history store to add the report to
    history_source: str = "scan"  # what the store records the round came from
    # --sign KEY: every file written gets FILE.minisig (reports, bundle, run folder's
    # fleet.json and manifest.json); --round names the audit round in trusted comments;
    # --previous-round: the earlier round's folder (or manifest.json) the manifest chains to.
    signer: SecretKey | None = None
    round_id: str | None = None
    previous_round: Path | None = None

    @property
    def keeps_evidence(self) -> bool:
        """Whether each host's transcript and facts are kept to the end of the run (for
        the one `-o` bundle); otherwise only its report stays in memory."""
        return self.bundle is not None


RunKind = Literal["audit", "collect"]


class RunRequest(Struct, frozen=True):
    """Everything a run is asked to do. `kind="collect"` gathers the facts and writes
    bundles without judging them."""

    targets: Targets
    baseline: str = DEFAULT_BASELINE
    waivers: Path | None = None
    selection: Selection = field(default_factory=Selection)
    outputs: Outputs = field(default_factory=Outputs)
    options: RunOptions = field(default_factory=RunOptions)
    kind: RunKind = "audit"
    # Recorded hosts are judged as of their collection (a bundle gets the same verdict on
    # any day) unless this asks for now (`evaluate --as-of-now`).
    judge_as_of_now: bool = False
    # `evaluate --max-age DAYS`: a recorded host collected longer ago than this (or dated
    # more than a day ahead, or undated) is judged unknown on every finding; None: no limit.
    max_age_days: int | None = None
    # With no limit by default (one file, a recording): a recorded host collected longer
    # ago than this (or dated ahead, or undated) is still judged, and stderr says so.
    age_note_days: int | None = None


# --- what a run tells the person, and what it gives -----------------------------------


class Notice(Struct, frozen=True):
    """A line for stderr, in the request's language."""

    text: str
    level: Literal["warning", "note", "error"] = "warning"


Notify = Callable[[Notice], None]
HostDone = Callable[[HostRun, Saved], Awaitable[None] | None]
Interruption = Literal["interrupted", "terminated"]


class HostSlot(Struct):
    """One host of the run, in report order: to be run, or decided before the run
    (reused by --resume, or a file of a share that could not be read)."""

    name: str
    plan: Plan
    target: Target | None
    report: HostReport | None = None
    run: HostRun | None = None  # kept only when the request keeps evidence
    reused: bool = False


class RunOutcome(Struct):
    report: RunReport
    runs: list[HostRun]  # the hosts whose evidence was kept, in report order
    interruption: Interruption | None
    failures: list[str]  # files that could not be written (exit 4)

    @property
    def all_reached(self) -> bool:
        return all(h.status == "ok" for h in self.report.hosts) and (self.report.partial is None)


# --- preparing ----------------------------------------------------------------------


def _warn_plugins(registry: Registry, notify: Notify) -> None:
    for problem in registry.problems:
        notify(
            Notice(f"plugin {problem.name} from {problem.distribution} not loaded: {problem.error}")
        )


def _with_waiver_file(
    plan: Plan, path: Path, registry: Registry, lang: str, notify: Notify
) -> Plan:
    """The plan with the file's waivers added after the baseline's own. Raises ConfigError
    (`file:line: path: message`) for a bad file; says which waivers expired already."""
    # The plan's registry holds the baseline's rule checks too.
    known = {cid: cls.Params for cid, cls in plan.registry.checks.items()}
    specs = load_waivers(path, known, plan.baseline.timezone)
    for spec in specs:
        # A known check the baseline does not run (not in it, or turned off): the waiver
        # covers nothing, and its approver should know it is not in use.
        if spec.check not in plan.baseline.checks:
            notify(
                Notice(
                    i18n.t(
                        lang,
                        "baseline_tools.waivers.not_in_baseline",
                        id=spec.id or "-",
                        check=spec.check,
                        baseline=plan.baseline.id,
                    ),
                    "note",
                )
            )
    for spec in expired_waivers([*plan.baseline.waivers, *specs], datetime.now(UTC)):
        notify(
            Notice(
                i18n.t(
                    lang,
                    "baseline_tools.waivers.expired",
                    id=spec.id or "-",
                    check=spec.check,
                    date=spec.expires.isoformat(),
                )
            )
        )
    return msgspec.structs.replace(plan, extra_waivers=(*plan.extra_waivers, *specs))


def make_plans(
    request: RunRequest, refs: Sequence[str], registry: Registry, notify: Notify
) -> dict[str, Plan]:
    """The plan of each baseline ref (the run's own first): its checks, --only/--skip,
    and the --waivers file. Raises ConfigError."""
    plans: dict[str, Plan] = {}
    selection = request.selection
    for ref in refs:
        loaded = load_plan_baseline(ref, registry)
        if loaded.disabled:
            # No report lists a check the baseline turned off (here or in what it
            # extends); without this line a report would read as if it never had it.
            notify(
                Notice(
                    i18n.t(
                        request.options.lang,
                        "baseline_tools.disabled_note",
                        baseline=loaded.source,
                        checks=", ".join(loaded.disabled),
                    )
                )
            )
        plan = make_plan(loaded, registry, selection.only, selection.skip)
        if request.waivers is not None:
            plan = _with_waiver_file(plan, request.waivers, registry, request.options.lang, notify)
        plans[ref] = plan
    return plans


def _name_conflicts(targets: Sequence[Target], lang: str, notify: Notify) -> None:
    """One line per file whose host name other files also claim."""
    for target in targets:
        if target.name_conflicts:
            others = ", ".join(Path(o).name for o in target.name_conflicts)
            notify(
                Notice(
                    i18n.t(
                        lang,
                        "cli.evaluate.name_conflict",
                        file=Path(target.source or target.name).name,
                        name=target.name,
                        others=others,
                    )
                )
            )


class _Resolved(Struct):
    """The targets of a request: slots (plan refs still to be made) and the clock."""

    jobs: list[tuple[str, Target | None, str, HostReport | None]]  # name, target, ref, decided
    now: datetime | None = None
    shard: ShardInfo | None = None


def _shard(
    hosts: list[InventoryHost], spec: ShardSpec | None, round_id: str | None
) -> tuple[list[InventoryHost], ShardInfo | None]:
    """--shard I/N: the hosts of slice I, and what the slice records about the round."""
    if spec is None:
        return hosts, None
    from endpoint_audit.inventory import slice_of

    chosen, digest = slice_of(hosts, spec)
    info = ShardInfo(
        index=spec.index,
        count=spec.count,
        inventory_sha256=digest,
        inventory_hosts=len(hosts),
        hosts=[h.name for h in chosen],
        round=round_id,
    )
    return chosen, info


def _resolve(request: RunRequest, notify: Notify) -> _Resolved:
    lang = request.options.lang
    targets = request.targets
    base = request.baseline
    if isinstance(targets, ThisMachine):
        target = local_target()
        return _Resolved([(target.name, target, base, None)])
    if isinstance(targets, SshHosts):
        from endpoint_audit.engine.fleet import ssh_target
        from endpoint_audit.inventory import gather_inventory

        gathered = gather_inventory(targets.hosts, targets.inventories, targets.limit)
        _warn_duplicates(gathered.duplicates, lang, notify)
        hosts, shard = _shard(gathered.hosts, targets.shard, request.outputs.round_id)
        return _Resolved(
            [(h.name, ssh_target(h, targets.ssh), h.baseline or base, None) for h in hosts],
            shard=shard,
        )
    from endpoint_audit.engine.collect_manifest import read_collect_manifest
    from endpoint_audit.engine.recorded import (
        judged_at,
        load_recorded,
        replay_targets_of,
        scan_folder,
    )

    if not targets.share:
        recorded = load_recorded(targets.path)
        found = replay_targets_of(recorded)
        _name_conflicts(found, lang, notify)
        now = None if request.judge_as_of_now else judged_at(recorded)
        return _Resolved([(t.name, t, base, None) for t in found], now)
    manifest = read_collect_manifest(targets.path)
    if manifest is not None:
        return _resolve_slice(request, manifest, notify)
    folder = scan_folder(targets.path)
    for problem in folder.unreadable:
        notify(Notice(f"skipped {problem.reason}"))
    _name_conflicts(folder.targets, lang, notify)
    for ahead in folder.ahead:
        notify(
            Notice(
                f"{ahead}: dated more than a day ahead of now; left out, its PC is judged "
                "by its newest file that is not"
            )
        )
    if len(folder.superseded) > len(folder.ahead):
        older = len(folder.superseded) - len(folder.ahead)
        notify(
            Notice(
                f"{older} older file(s) of PCs that also left a newer one were "
                "left out; each PC is judged by its newest file"
            )
        )
    jobs: list[tuple[str, Target | None, str, HostReport | None]] = [
        (t.name, t, base, None) for t in folder.targets
    ]
    jobs += [
        (
            p.path.name,
            None,
            base,
            HostReport(
                target=p.path.name, status="unreachable", reason=p.reason, source=str(p.path)
            ),
        )
        for p in folder.unreadable
    ]
    return _Resolved(jobs, None if request.judge_as_of_now else folder.judged_at())


def _resolve_slice(request: RunRequest, manifest: CollectManifest, notify: Notify) -> _Resolved:
    """A slice's bundle folder (`collect --shard`): its hosts, in slice order; one that
    cannot be judged is an unreachable host saying why (never a pass)."""
    assert isinstance(request.targets, RecordedHosts)  # noqa: S101 - shares only
    from endpoint_audit.engine.collect_manifest import COLLECT_MANIFEST
    from endpoint_audit.engine.recorded import sliced_folder

    folder = request.targets.path
    shard = manifest.shard
    wanted = request.outputs.round_id
    if wanted is not None and wanted != shard.round:
        raise ConfigError(
            f"--round {wanted}: {folder} holds slice {shard.index}/{shard.count} of round "
            f"{shard.round or '(none)'}; evaluate it with that round, or without --round"
        )
    sliced = sliced_folder(folder, manifest)
    base = request.baseline
    jobs: list[tuple[str, Target | None, str, HostReport | None]] = [
        (t.name, t, base, None) for t in sliced.targets
    ]
    # A file the manifest does not list is never judged, and never silently dropped:
    # anyone who can create a file in the folder (a share PCs drop their files into) can
    # create the manifest too, and one listing a single compliant PC, or none, would
    # otherwise leave every other PC out of a compliant report. Each is an unreachable
    # host named by its file: the slice's report is then incomplete (exit 3).
    for extra in sliced.extra:
        why = f"not listed in {COLLECT_MANIFEST} (not of this slice); not judged"
        notify(Notice(f"{extra}: {why}"))
        report = HostReport(target=extra.name, status="unreachable", reason=why, source=str(extra))
        jobs.append((extra.name, None, base, report))
    for name, why in sliced.not_judged:
        notify(Notice(f"{one_line(name)}: {one_line(why)}"))  # names from a file: one line
        report = HostReport(target=name, status="unreachable", reason=why, source=str(folder))
        jobs.append((name, None, base, report))
    order = {name: i for i, name in enumerate(shard.hosts)}
    jobs.sort(key=lambda job: order.get(job[0], len(order)))
    now = None if request.judge_as_of_now else sliced.judged_at()
    return _Resolved(jobs, now, shard)


def _warn_duplicates(duplicates: Sequence[DuplicateHost], lang: str, notify: Notify) -> None:
    """Hosts listed more than once (same settings): merged, each named once."""
    for dup in duplicates[:MAX_DUPLICATE_LINES]:
        text = i18n.t(
            lang, "fleet.inventory.duplicate", host=dup.name, first=dup.first, again=dup.again
        )
        notify(Notice(text))
    if len(duplicates) > MAX_DUPLICATE_LINES:
        notify(
            Notice(
                i18n.t(
                    lang,
                    "fleet.inventory.duplicates_more",
                    count=len(duplicates) - MAX_DUPLICATE_LINES,
                )
            )
        )


def _note_shard(shard: ShardInfo, lang: str, notify: Notify) -> None:
    spec = f"{shard.index}/{shard.count}"
    if not shard.hosts:
        notify(Notice(i18n.t(lang, "fleet.shard.empty", shard=spec, total=shard.inventory_hosts)))
        return
    text = i18n.t(
        lang,
        "fleet.shard.chosen",
        shard=spec,
        count=len(shard.hosts),
        total=shard.inventory_hosts,
        digest=shard.inventory_sha256[:12],
    )
    notify(Notice(text, "note"))


def prepare(request: RunRequest, notify: Notify, registry: Registry | None = None) -> PreparedRun:
    """Everything before the first host is contacted. Raises ConfigError (exit 2:
    nothing was audited) for a bad baseline, waiver file, inventory, bundle or folder."""
    registry = registry or load_registry()
    _warn_plugins(registry, notify)
    resolved = _resolve(request, notify)
    # The run's own baseline first: it is the one the run report is headed by.
    refs = sorted(
        dict.fromkeys(ref for _, _, ref, _ in resolved.jobs), key=lambda r: r != request.baseline
    )
    plans = make_plans(request, refs or [request.baseline], registry, notify)
    slots = [
        HostSlot(name, plans[ref], target, report=decided)
        for name, target, ref, decided in resolved.jobs
    ]
    options = request.options
    if resolved.now is not None and options.now is None:
        options = msgspec.structs.replace(options, now=resolved.now)
    if resolved.shard is not None:
        _note_shard(resolved.shard, request.options.lang, notify)
    prepared = PreparedRun(request, plans, slots, registry, options, notify, resolved.shard)
    prepared.open_outputs()
    return prepared


# --- running ------------------------------------------------------------------------


class PreparedRun:
    """A request ready to run: its plans, its hosts in report order, where each host is
    saved. `execute` runs the hosts; `conclude` makes the run report from what finished."""

    def __init__(
        self,
        request: RunRequest,
        plans: dict[str, Plan],
        slots: list[HostSlot],
        registry: Registry,
        options: RunOptions,
        notify: Notify,
        shard: ShardInfo | None = None,
    ) -> None:
        self.request = request
        self.shard = shard
        self.plans = plans
        self.slots = slots
        self.registry = registry
        self.options = options
        self.notify = notify
        self.store: FleetStore | None = None
        self.sinks: list[HostSink] = []
        self.failures: list[str] = []
        self.started = datetime.now(UTC)

    @property
    def lang(self) -> str:
        return self.options.lang

    @property
    def to_run(self) -> list[HostSlot]:
        return [s for s in self.slots if s.target is not None and s.report is None]

    # --- where hosts are saved ------------------------------------------------------

    def open_outputs(self) -> None:
        """The run folder (a new run, or the one --resume continues), the bundle folder
        and the recordings folder. Raises ConfigError."""
        outputs = self.request.outputs
        if outputs.run_folder is not None:
            from endpoint_audit.engine.host_outputs import RunFolderSink
            from endpoint_audit.engine.run_folder import FleetStore

            self.store = FleetStore(outputs.run_folder)
            self._begin_run(self.store)
            self.sinks.append(RunFolderSink(self.store, self.options.fail_on))
        if outputs.bundle_dir is not None:
            from endpoint_audit.engine.host_outputs import BundleFolder

            folder = BundleFolder(
                outputs.bundle_dir, outputs.redact, self._slice(), outputs.signer, outputs.round_id
            )
            self.sinks.append(folder)
        if outputs.record_dir is not None:
            from endpoint_audit.engine.host_outputs import RecordFolder

            self.sinks.append(RecordFolder(outputs.record_dir))

    def _slice(self) -> ShardInfo | None:
        """The slice a sliced collection's bundle folder records (its _manifest.json)."""
        return self.shard if self.request.kind == "collect" else None

    def _begin_run(self, store: FleetStore) -> None:
        from endpoint_audit.engine.run_folder import RunParameters, plan_digest

        resume = self.request.outputs.resume
        previous = store.load_previous() if resume else None
        if previous is not None and _slice_key(previous.shard) != _slice_key(self.shard):
            raise ConfigError(
                f"--resume {store.root}: the run there is {_slice_name(previous.shard)}, "
                f"this one {_slice_name(self.shard)}; resume a slice with the same --shard "
                "and inventory, or use another --output-dir"
            )
        if resume and previous is None:
            self.notify(
                Notice(
                    i18n.t(
                        self.lang,
                        "fleet.resume.nothing",
                        folder=store.root,
                        reason=store.previous_problem,
                    )
                )
            )
        parameters = RunParameters(
            baseline=self.request.baseline,
            plans={ref: plan_digest(plan) for ref, plan in self.plans.items()},
            fail_on=self.options.fail_on.value,
            lang=self.lang,
        )
        outputs = self.request.outputs
        chained = _previous_manifest_sha256(outputs.previous_round)
        try:
            store.begin(parameters, previous, outputs.round_id, chained, self.shard)
        except OSError as exc:
            raise ConfigError(
                f"{store.manifest_path}: cannot write: {exc.strerror or exc}"
            ) from None
        if resume:
            self._reuse(store)

    def _reuse(self, store: FleetStore) -> None:
        """The saved reports --resume may reuse; every saved file it may not is named."""
        count = 0
        for slot in self.slots:
            decision = store.resumable(slot.name, slot.plan)
            if decision.report is not None:
                slot.report, slot.reused = decision.report, True
                count += 1
            elif decision.reason is not None:
                self.notify(
                    Notice(
                        i18n.t(
                            self.lang,
                            "fleet.resume.not_reused",
                            host=slot.name,
                            reason=decision.reason,
                        ),
                        "note",
                    )
                )
        run_id = store.manifest.run_id if store.manifest else ""
        self.notify(
            Notice(
                i18n.t(
                    self.lang,
                    "fleet.progress.resumed",
                    count=count,
                    folder=store.root,
                    remaining=len(self.slots) - count,
                    run=run_id,
                ),
                "note",
            )
        )

    def _fact_types(self) -> list[type[Fact]] | None:
        if self.request.kind == "collect" and self.request.selection.all_facts:
            # Each plan's registry holds its baseline's rule checks as well.
            return list(
                dict.fromkeys(
                    ft for plan in self.plans.values() for ft in all_fact_types(plan.registry)
                )
            )
        return None  # those the host's plan needs

    async def _save(self, run: HostRun, plan: Plan) -> Saved:
        saved = Saved()
        for sink in self.sinks:
            try:
                # Off the event loop: a slow disk must not stall every SSH session.
                got = await asyncio.to_thread(sink.save, run, plan, self.lang)
            except Exception as exc:  # a sink's bug is one line, never the run
                got = Saved(
                    problems=[f"{run.report.target}: not saved: {type(exc).__name__}: {exc}"]
                )
            saved.notes += got.notes
            saved.problems += got.problems
        self.failures += saved.problems
        return saved

    async def execute(self, on_host_done: HostDone | None = None) -> None:
        """Run every host still to run, at most `concurrency` at once (THE concurrency
        loop of every command). `on_host_done(run, saved)` sees each host as it
        finishes. Cancelled (Ctrl-C, SIGTERM): the hosts finished so far stay in the
        slots."""
        now = self.options.now or datetime.now(UTC)
        limit = asyncio.Semaphore(max(1, self.options.concurrency))
        fact_types = self._fact_types()
        judge = self.request.kind == "audit"
        keep = self.request.outputs.keeps_evidence

        async def one(slot: HostSlot) -> None:
            target = slot.target
            assert target is not None  # noqa: S101 - to_run holds targets only
            async with limit:
                try:
                    run = await audit_host(target, slot.plan, self.options, now, fact_types, judge)
                except Exception as exc:  # the last guard: one host's bug never costs another
                    run = unreachable_run(target, f"{type(exc).__name__}: {exc}")
            if judge and not self._judge_identity(target, run):
                self._judge_age(target, run)
            slot.report = run.report
            if keep:
                slot.run = run
            saved = await self._save(run, slot.plan)
            if on_host_done is not None:
                maybe = on_host_done(run, saved)
                if maybe is not None:
                    await maybe
            if not keep:  # memory stays flat per host: only the report is kept
                run.transcript, run.facts = {}, {}

        await asyncio.gather(*(one(s) for s in self.to_run))

    def _judge_identity(self, target: Target, run: HostRun) -> bool:
        """A recorded host whose file's name names another PC: every finding unknown,
        never a pass for either PC (the file was copied over, renamed or forged). True
        when it was so judged."""
        if target.file_names is None:
            return False
        from endpoint_audit.engine.freshness import mark_stale, misnamed, notice_text

        wrong = misnamed(target.source or target.name, target.file_names, target.name)
        run.report = mark_stale(run.report, wrong, self.lang)
        self.notify(Notice(notice_text(target.name, wrong)))
        return True

    def _judge_age(self, target: Target, run: HostRun) -> None:
        """`--max-age`: a recorded host's results too old (or dated ahead) to stand for
        the PC now are unknown, never a pass. Measured against this machine's clock,
        not the judging time (which is the collection time itself)."""
        limit = self.request.max_age_days
        days = limit or self.request.age_note_days
        if not days or not target.recorded:
            return
        from endpoint_audit.engine.freshness import mark_stale, notice_text, staleness

        file = target.source or target.name
        stale = staleness(target.collected_at, file, days, self.wall_clock())
        if stale is None:
            return
        if not limit:
            # No limit applies, but old results are never judged as if current unsaid.
            if run.report.status == "ok":
                self.notify(Notice(notice_text(target.name, stale, limited=False), "note"))
            return
        run.report = mark_stale(run.report, stale, self.lang)
        self.notify(Notice(notice_text(target.name, stale)))

    def wall_clock(self) -> datetime:
        return datetime.now(UTC)

    # --- the run report -------------------------------------------------------------

    def conclude(self, interruption: Interruption | None) -> RunOutcome:
        """The run report of every host finished or decided, in report order (partial
        when interrupted); the run folder's fleet report and final manifest."""
        reports = [s.report for s in self.slots if s.report is not None]
        host_plans = {s.name: s.plan for s in self.slots}
        report = fleet_report(
            list(self.plans.values()),
            reports,
            self.lang,
            self.started,
            self.options.fail_on,
            host_plans,
        )
        report.reused_hosts = [s.name for s in self.slots if s.reused]
        report.shard = self.shard
        if interruption is not None:
            report.partial = PartialInfo(
                reason=interruption,
                hosts_planned=max(len(self.slots), len(reports)),
                hosts_reported=len(reports),
            )
        if self.store is not None:
            self._close_run_folder(self.store, report)
        for sink in self.sinks:
            for problem in sink.close(interruption is not None):
                self._problem(problem)
            line = sink.summary(self.lang)
            if line is not None:
                self.notify(Notice(line, "note"))
        runs = [s.run for s in self.slots if s.run is not None]
        return RunOutcome(report, runs, interruption, list(self.failures))

    def _problem(self, line: str) -> None:
        self.failures.append(line)
        self.notify(Notice(line, "error"))

    def _close_run_folder(self, store: FleetStore, report: RunReport) -> None:
        """fleet.json (or its partial sibling) and the final manifest."""
        try:
            store.flush_manifest()
        except OSError as exc:
            self._problem(f"{store.manifest_path}: cannot write: {exc.strerror or exc}")
        report.run_id = store.manifest.run_id if store.manifest else None
        # A slice with no hosts is still a slice of the round: `report merge` needs it.
        if report.hosts or report.shard is not None:
            try:
                path = store.save_fleet(report)
            except OSError as exc:
                where = store.fleet_path(report.partial is not None)
                self._problem(f"{where}: cannot write: {exc.strerror or exc}")
            else:
                self.notify(
                    Notice(
                        i18n.t(
                            self.lang,
                            "fleet.progress.saved",
                            count=len(report.hosts),
                            folder=store.root,
                            file=path.name,
                        ),
                        "note",
                    )
                )
        try:
            store.finish("interrupted" if report.partial is not None else "complete")
        except OSError as exc:
            self._problem(f"{store.manifest_path}: cannot write: {exc.strerror or exc}")
            return
        self._sign_run_folder(store, report)

    def _sign_run_folder(self, store: FleetStore, report: RunReport) -> None:
        """fleet.json and manifest.json signed (--sign): the manifest's signature covers
        every host file by its sha256, and the chain to the previous round."""
        outputs = self.request.outputs
        manifest = store.manifest
        if outputs.signer is None or manifest is None:
            return
        from endpoint_audit.engine.signing import report_fields, sign_file

        fields = report_fields(report, outputs.round_id or manifest.round)
        jobs = [(store.root / entry.path, fields) for entry in manifest.outputs.values()]
        jobs.append(
            (
                store.manifest_path,
                {
                    "kind": "manifest",
                    "round": manifest.round,
                    "run": manifest.run_id,
                    "hosts": str(len(manifest.hosts)),
                    "previous": manifest.previous_manifest_sha256,
                },
            )
        )
        for path, fields in jobs:
            try:
                sign_file(outputs.signer, path, fields)
            except OSError as exc:
                self._problem(f"{path}.minisig: cannot write: {exc.strerror or exc}")


def _slice_key(shard: ShardInfo | None) -> tuple[int, int, str] | None:
    return None if shard is None else (shard.index, shard.count, shard.inventory_sha256)


def _slice_name(shard: ShardInfo | None) -> str:
    if shard is None:
        return "not a slice"
    return f"slice {shard.index}/{shard.count} of inventory {shard.inventory_sha256[:12]}"


def _previous_manifest_sha256(previous: Path | None) -> str | None:
    """The sha256 of the previous round's manifest.json (given as its folder or file)."""
    if previous is None:
        return None
    from endpoint_audit.engine.run_folder import MANIFEST

    path = previous / MANIFEST if previous.is_dir() else previous
    try:
        data = read_input(path, InputKind("run manifest", 256 * 1024 * 1024))
    except InputRefused as exc:
        raise ConfigError(f"--previous-round {exc}") from None
    return hashlib.sha256(data).hexdigest()


__all__ = [
    "DEFAULT_BASELINE",
    "HostSlot",
    "Notice",
    "Outputs",
    "PreparedRun",
    "RecordedHosts",
    "ReportOutput",
    "RunOptions",
    "RunOutcome",
    "RunRequest",
    "Selection",
    "SshHosts",
    "ThisMachine",
    "prepare",
]
