"""Run a curation: ``00_input``, then the stages in the order written, then the exporters.

Each stage is a :class:`~ded_plugins.steps.Step` chained onto the one before it: its
fingerprint covers the component, its resolved parameters, the content of every file it
declares as an input, and everything upstream. With ``resume`` a stage whose marker holds
that fingerprint is reused; any other stage, and every stage after it, runs again.

A stage is built in ``NN_name.partial/``: its units write ``units/NNNNNN.jsonl`` (kept
across a crash, so a resumed run redoes only the units that were in flight); the engine
merges them in unit order into ``kept.jsonl`` / ``rejected.jsonl`` (teacher rows: kept +
rejected = input) and ``student.jsonl`` (the student's samples, graded, never dropped),
writes ``stats.json`` and the marker, and renames the directory into place.
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pluggy

from ded_plugins.configs.curate import CurationConfig, StageSpec
from ded_plugins.engine.ingest import INPUT_DIR, ingest, reuse_input
from ded_plugins.engine.plan import group_units, processor_units
from ded_plugins.engine.show import stage_dirs
from ded_plugins.engine.stats import StageCounter, format_stage_table
from ded_plugins.engine.units import Job, RunInfo, Unit, UnitReport
from ded_plugins.errors import ConfigError, DedError, InputError, StageError
from ded_plugins.io.files import atomic_write, dumps_line, file_lock, read_json, write_json
from ded_plugins.io.rows import SourceReader, iter_row_spans
from ded_plugins.io.store import QuestionStore
from ded_plugins.plugins import get_plugin_manager, get_registry
from ded_plugins.protocols import Executor, StageContext
from ded_plugins.records import Rollout
from ded_plugins.registry import STAGE_KINDS, Component, Registry
from ded_plugins.steps import Step, ded_version, digest, plain, without_inputs


__all__ = ["CurationResult", "curate", "run_curation"]

log = logging.getLogger(__name__)

#: rollouts per unit of work: the grain of crash recovery and of parallel work
UNIT_ROWS = 256


@dataclass(frozen=True)
class CurationResult:
    """What a finished curation run produced."""

    run_dir: Path
    stages: list[dict[str, Any]] = field(default_factory=list)
    exports: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    #: the steps that ran (the rest were reused): empty when everything was finished already
    ran: tuple[str, ...] = ()
    #: ``00_input``'s stats: what was read
    input: Mapping[str, Any] = field(default_factory=dict)

    def table(self) -> str:
        """The stage table, input first."""
        return format_stage_table([self.input, *self.stages])


@dataclass(frozen=True)
class _Stage:
    index: int
    spec: StageSpec
    component: Component

    @property
    def dirname(self) -> str:
        return f"{self.index:02d}_{self.spec.name}"

    def step(self, run_dir: Path, after: str) -> Step:
        params = without_inputs(self.spec.params, self.spec.inputs)
        return Step(
            name=self.dirname,
            marker=run_dir / self.dirname / "step.json",
            params={"component": self.spec.name, "kind": self.component.kind, "params": plain(params)},
            inputs=dict(self.spec.inputs),
            after=after,
            exclude=(run_dir.absolute(),),
        )


def run_curation(
    config: CurationConfig,
    *,
    resume: bool = False,
    from_stage: str | None = None,
    registry: Registry | None = None,
    pm: pluggy.PluginManager | None = None,
    progress: bool = True,
    executor: Executor | None = None,
    wait_for_lock: bool = False,
) -> CurationResult:
    """Run every stage and exporter of ``config``; see the module docstring.

    ``executor`` overrides the config's; ``wait_for_lock`` waits for another process that
    is curating the same run (the LLaMA-Factory hook's other ranks) instead of failing.
    """
    if pm is None and registry is None:
        pm = get_plugin_manager()
    if registry is None:
        registry = get_registry(pm)
    stages = [
        _Stage(i, spec, registry.get(STAGE_KINDS, spec.name, where=spec.where))
        for i, spec in enumerate(config.stages, start=1)
    ]
    exporters = [
        _Stage(i, spec, registry.get("exporter", spec.name, where=spec.where))
        for i, spec in enumerate(config.export, start=len(stages) + 1)
    ]
    _check_buildable([*stages, *exporters])
    own_executor = executor is None
    if executor is None:
        name, params = config.executor
        executor = registry.build("executor", name, params, where=f"{config.source}: executor")
    run_dir = config.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        with file_lock(
            run_dir / ".lock", blocking=wait_for_lock, holder=f"another ded process curating {run_dir}"
        ):
            return _run(config, stages, exporters, resume, from_stage, registry, pm, progress, executor)
    finally:
        if own_executor:
            executor.close()


def _check_buildable(stages: Sequence[_Stage]) -> None:
    """Build every component once before any work, so a bad value stops the run at once."""
    problems: list[str] = []
    for s in stages:
        try:
            instance = s.component.factory(**s.spec.params)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        except (TypeError, ValueError) as exc:
            problems.append(f"{s.spec.where}: {exc}")
            continue
        close = getattr(instance, "close", None)
        if callable(close):
            close()
    if problems:
        raise ConfigError(problems)


def _run(
    config: CurationConfig,
    stages: Sequence[_Stage],
    exporters: Sequence[_Stage],
    resume: bool,
    from_stage: str | None,
    registry: Registry,
    pm: pluggy.PluginManager | None,
    progress: bool,
    executor: Executor,
) -> CurationResult:
    run_dir = config.run_dir
    first_rerun: int | None
    if from_stage is not None:
        first_rerun = _stage_index([*stages, *exporters], from_stage)
    else:
        first_rerun = None if resume else 0
    if first_rerun == 0:
        _clear_stage_dirs(run_dir)
    write_json(run_dir / "config.resolved.json", {**config.to_dict(), "ded_version": ded_version()})
    ran: list[str] = []
    state = reuse_input(config) if first_rerun != 0 else None
    if state is None:
        if first_rerun is not None and first_rerun > 0:
            raise StageError(
                f"cannot start from stage {from_stage!r}: {INPUT_DIR} has no finished output for this "
                "config and input; run with --resume instead"
            )
        state = ingest(config, progress=progress)
        ran.append(INPUT_DIR)
        first_rerun = 1 if first_rerun is None else min(first_rerun, 1)
    else:
        log.info("%s: reusing finished input", INPUT_DIR)
    info = RunInfo(
        run_dir=str(run_dir.absolute()),
        base_dir=str(config.base_dir),
        seed=config.seed,
        store=str(state.store.absolute()),
        sources=state.sources,
    )
    fingerprint = state.fingerprint
    files = (state.kept, state.student)
    all_stats: list[dict[str, Any]] = []
    for stage in stages:
        step = stage.step(run_dir, fingerprint)
        fingerprint = step.fingerprint()
        stats = None
        if first_rerun is None or stage.index < first_rerun:
            stats = _finished(step, fingerprint)
            if stats is None and first_rerun is not None:
                raise StageError(
                    f"cannot start from stage {from_stage!r}: stage {stage.dirname} has no finished output "
                    "for this config and input; run with --resume instead"
                )
        if stats is None:
            first_rerun = stage.index if first_rerun is None else first_rerun
            stats = _run_stage(stage, step, fingerprint, files, info, executor, progress)
            ran.append(stage.dirname)
            if pm is not None:
                pm.hook.ded_stage_finished(stage=stage.dirname, stats=stats)
        else:
            log.info("%s: reusing finished output", stage.dirname)
        all_stats.append(stats)
        final = run_dir / stage.dirname
        files = (final / "kept.jsonl", final / "student.jsonl")
    exports: dict[str, Mapping[str, Any]] = {}
    store = QuestionStore(state.store)
    reader = SourceReader(state.sources)
    try:
        for exporter in exporters:
            step = exporter.step(run_dir, fingerprint)
            fingerprint = step.fingerprint()
            stats = (
                _finished(step, fingerprint) if first_rerun is None or exporter.index < first_rerun else None
            )
            if stats is None or not _export_present(stats):
                stats = _run_exporter(exporter, step, fingerprint, files[0], store, reader, config, registry)
                ran.append(exporter.dirname)
                if pm is not None:
                    pm.hook.ded_stage_finished(stage=exporter.dirname, stats=stats)
            exports[exporter.spec.name] = stats["summary"]
    finally:
        reader.close()
        store.close()
    return CurationResult(
        run_dir=run_dir, stages=all_stats, exports=exports, ran=tuple(ran), input=state.stats
    )


def _stage_index(stages: Sequence[_Stage], name: str) -> int:
    matches = [s.index for s in stages if name in (s.spec.name, s.dirname)]
    if len(matches) != 1:
        known = ", ".join(s.dirname for s in stages)
        what = "is ambiguous" if matches else "is not a stage of this config"
        raise ConfigError(f"--from-stage {name!r} {what}; stages: {known}")
    return matches[0]


def _finished(step: Step, fingerprint: str) -> dict[str, Any] | None:
    if step.done(fingerprint) is None:
        return None
    try:
        stats = read_json(step.marker.parent / "stats.json")
    except InputError:
        return None
    return dict(stats) if isinstance(stats, dict) else None


def _export_present(stats: Mapping[str, Any]) -> bool:
    summary = stats.get("summary", {})
    file = summary.get("file") if isinstance(summary, Mapping) else None
    return file is None or Path(str(file)).exists()


def _clear_stage_dirs(run_dir: Path) -> None:
    for child in stage_dirs(run_dir):
        shutil.rmtree(child)


# --- one stage -----------------------------------------------------------------------------


def _job(stage: _Stage, info: RunInfo, fingerprint: str) -> tuple[Job, int]:
    """The stage's job, and how many rows go in one unit (the component's ``batch_size``)."""
    probe = stage.component.factory(**stage.spec.params)
    try:
        kind = "processor" if stage.component.kind == "processor" else "selector"
        placement: Any = getattr(probe, "placement", "spread")
        scope: Any = getattr(probe, "scope", "pool")
        reads_text = bool(getattr(probe, "reads_text", True))
        rows = int(getattr(probe, "batch_size", 0) or UNIT_ROWS)
    finally:
        close = getattr(probe, "close", None)
        if callable(close):
            close()
    if placement not in ("spread", "node"):
        raise StageError(f"{stage.spec.name}: placement must be 'spread' or 'node', found {placement!r}")
    if scope not in ("group", "pool"):
        raise StageError(f"{stage.spec.name}: scope must be 'group' or 'pool', found {scope!r}")
    job = Job(
        stage=stage.dirname,
        name=stage.spec.name,
        kind=kind,  # type: ignore[arg-type]
        factory=stage.component.factory,
        params=dict(stage.spec.params),
        run=info,
        key=digest(stage.dirname, fingerprint),
        placement=placement,
        scope=scope,
        reads_text=reads_text,
    )
    return job, rows


def _run_stage(
    stage: _Stage,
    step: Step,
    fingerprint: str,
    files: tuple[Path, Path],
    info: RunInfo,
    executor: Executor,
    progress: bool,
) -> dict[str, Any]:
    from tqdm import tqdm

    run_dir = Path(info.run_dir)
    final = run_dir / stage.dirname
    partial = run_dir / f"{stage.dirname}.partial"
    mark = partial / "fingerprint"
    if Step(name=step.name, marker=partial / "step.json").done(fingerprint) is not None:
        # complete, but the process died before the rename: finish that, nothing else
        shutil.rmtree(final, ignore_errors=True)
        partial.rename(final)
        return dict(read_json(final / "stats.json"))
    if partial.exists() and (not mark.is_file() or mark.read_text() != fingerprint):
        shutil.rmtree(partial)
    units_dir = partial / "units"
    units_dir.mkdir(parents=True, exist_ok=True)
    mark.write_text(fingerprint)
    started = time.perf_counter()
    job, rows_per_unit = _job(stage, info, fingerprint)
    if job.kind == "processor":
        units = processor_units(files, units_dir, rows_per_unit)
    else:
        units = group_units(files, units_dir, rows_per_unit, one_unit=job.scope == "pool")
    todo = [u for u in units if not Path(u.output).is_file()]
    total = sum(u.rows for u in units)
    by_node: Counter[str] = Counter()
    bar = tqdm(
        total=total,
        initial=total - sum(u.rows for u in todo),
        desc=stage.dirname,
        unit="rollout",
        disable=not progress,
        file=sys.stderr,
        leave=False,
        dynamic_ncols=True,
    )

    finished = len(units) - len(todo)

    def on_done(unit: Unit, report: UnitReport) -> None:
        nonlocal finished
        by_node[report.node] += 1
        finished += 1
        bar.set_postfix_str(f"units {finished}/{len(units)}", refresh=False)
        bar.update(unit.rows)

    try:
        if todo:
            executor.run(job, todo, on_done)
    except DedError:
        raise
    except Exception as exc:
        raise StageError(
            f"stage {stage.dirname} ({stage.component.kind} {stage.spec.name!r}) failed: {exc!r}"
        ) from exc
    finally:
        bar.close()
    counter = StageCounter(stage.spec.name, grades_students=job.kind == "processor")
    _merge(units, partial, counter)
    stats = {
        "stage": stage.dirname,
        "component": stage.spec.name,
        "kind": stage.component.kind,
        "params": plain(dict(stage.spec.params)),
        **counter.to_dict(),
        "units": len(units),
        "by_node": dict(sorted(by_node.items())),
        "seconds": round(time.perf_counter() - started, 3),
        "fingerprint": fingerprint,
    }
    write_json(partial / "stats.json", stats)
    shutil.rmtree(units_dir)
    mark.unlink()
    Step(
        name=step.name, marker=partial / "step.json", params=step.params, inputs=step.inputs, after=step.after
    ).complete(
        {"kept": stats["kept"], "rejected": stats["rejected"], "units_run": len(todo)},
        fingerprint=fingerprint,
        seconds=stats["seconds"],
    )
    if final.exists():
        shutil.rmtree(final)
    partial.rename(final)
    return stats


def _merge(units: Sequence[Unit], partial: Path, counter: StageCounter) -> None:
    """Unit files, in unit order, into the stage's three files; counted as they pass."""
    with (
        atomic_write(partial / "kept.jsonl") as kept,
        atomic_write(partial / "rejected.jsonl") as rejected,
        atomic_write(partial / "student.jsonl") as student,
    ):
        for unit in units:
            for _, _, row in iter_row_spans(Path(unit.output)):
                counter.add(row)
                if row.get("role", "teacher") == "student":
                    student.write(dumps_line(row))
                elif row.get("rejection") is None:
                    kept.write(dumps_line(row))
                else:
                    rejected.write(dumps_line(row))


# --- exporters ---------------------------------------------------------------------------


class _Kept:
    """The final stage's kept teacher rollouts, streamed from disk; ``len()`` without reading."""

    def __init__(self, path: Path, reader: SourceReader, count: int) -> None:
        self.path = path
        self.reader = reader
        self.count = count

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Rollout]:
        for _, _, row in iter_row_spans(self.path):
            yield self.reader.rollout(row)


def _count_rows(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for line in fh if line.strip())


def _run_exporter(
    exporter: _Stage,
    step: Step,
    fingerprint: str,
    kept_path: Path,
    store: QuestionStore,
    reader: SourceReader,
    config: CurationConfig,
    registry: Registry,
) -> dict[str, Any]:
    out_dir = config.run_dir / exporter.dirname
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    context = StageContext(
        stage=exporter.spec.name,
        questions=store,
        registry=registry,
        seed=config.seed,
        base_dir=config.base_dir,
        run_dir=config.run_dir,
    )
    kept = _Kept(kept_path, reader, _count_rows(kept_path))
    started = time.perf_counter()
    try:
        instance = exporter.component.factory(**exporter.spec.params)
        summary = dict(instance.export(kept, context, out_dir))
    except BaseException as exc:
        shutil.rmtree(out_dir, ignore_errors=True)  # no partial export under the final name
        if isinstance(exc, DedError) or not isinstance(exc, Exception):
            raise
        raise StageError(f"exporter {exporter.spec.name!r} failed: {exc!r}") from exc
    stats = {
        "stage": exporter.dirname,
        "component": exporter.spec.name,
        "kind": "exporter",
        "params": plain(dict(exporter.spec.params)),
        "input": len(kept),
        "summary": summary,
        "seconds": round(time.perf_counter() - started, 3),
        "fingerprint": fingerprint,
    }
    write_json(out_dir / "stats.json", stats)
    step.complete({"summary": summary}, fingerprint=fingerprint, seconds=stats["seconds"])
    return stats


def curate(
    config: str | Path | CurationConfig,
    *,
    resume: bool = False,
    from_stage: str | None = None,
    executor: str | None = None,
    progress: bool = True,
) -> CurationResult:
    """What ``ded curate`` does: load the config (every problem at once), then run it.

    ``executor`` names an executor (``local``, ``ray``) with its default parameters, in
    place of the config's.
    """
    from ded_plugins.configs.curate import load_curation_config

    pm = get_plugin_manager()
    registry = get_registry(pm)
    cfg = config if isinstance(config, CurationConfig) else load_curation_config(config, registry=registry)
    chosen = None
    if executor is not None:
        params = dict(cfg.executor[1]) if cfg.executor[0] == executor else {}
        chosen = registry.build("executor", executor, params, where="--executor")
    try:
        return run_curation(
            cfg,
            resume=resume,
            from_stage=from_stage,
            registry=registry,
            pm=pm,
            progress=progress,
            executor=chosen,
        )
    finally:
        if chosen is not None:
            chosen.close()
