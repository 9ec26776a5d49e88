"""Run a curation config: stages in the order written, each a function of files.

For stage ``NN`` named ``name`` the run directory gets ``NN_name/kept.jsonl``,
``rejected.jsonl`` and ``stats.json``; kept + rejected = input, always. A stage is
first built in ``NN_name.partial/`` and renamed into place when complete, so a crash
never leaves a half-written stage under its final name. Processor stages also keep
finished chunks in the partial directory, so ``--resume`` after a crash redoes only the
chunk that was in flight. Every stage records a fingerprint of its inputs and
parameters; a resumed run reuses exactly the stages whose fingerprint still matches.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import logging
import shutil
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pluggy
from tqdm import tqdm

from ded_plugins import io
from ded_plugins.config import CurationConfig, StageSpec, canonical_json, check_components
from ded_plugins.errors import ConfigError, InputError, StageError
from ded_plugins.plugins import get_plugin_manager, get_registry
from ded_plugins.protocols import StageContext
from ded_plugins.records import Question, QuestionGroup, Rejection, Rollout, Verdict
from ded_plugins.registry import STAGE_KINDS, Component, Registry


__all__ = ["RunResult", "format_stage_table", "run_curation"]

log = logging.getLogger(__name__)

#: rollouts per processor chunk: the unit of crash recovery and of parallel work
CHUNK_SIZE = 256


@dataclass(frozen=True)
class RunResult:
    """What a finished run produced."""

    run_dir: Path
    stages: list[dict[str, Any]] = field(default_factory=list)
    exports: dict[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Stage:
    index: int
    spec: StageSpec
    component: Component
    instance: Any

    @property
    def dirname(self) -> str:
        return f"{self.index:02d}_{self.spec.name}"


def run_curation(
    config: CurationConfig,
    *,
    resume: bool = False,
    from_stage: str | None = None,
    registry: Registry | None = None,
    pm: pluggy.PluginManager | None = None,
    progress: bool = True,
) -> RunResult:
    """Run every stage and exporter of ``config``; see the module docstring."""
    if pm is None and registry is None:
        pm = get_plugin_manager()
    if registry is None:
        registry = get_registry(pm)
    stages, exporters = _build_components(config, registry)
    questions = config.questions.read()
    n_input = _check_rollouts(config.rollouts, questions)
    run_dir = config.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    with _run_lock(run_dir):
        first_rerun: int | None
        if from_stage is not None:
            first_rerun = _stage_index(stages, exporters, from_stage)
        else:
            first_rerun = None if resume else 1
        if first_rerun == 1:
            _clear_stage_dirs(run_dir)
        io.write_json(run_dir / "config.resolved.json", {**config.to_dict(), "ded_version": _version()})
        fingerprint = _input_fingerprint(config)
        source: _Source = _FileSource(config.rollouts, n_input)
        all_stats: list[dict[str, Any]] = []
        try:
            for stage in stages:
                fingerprint = _chain(fingerprint, stage.spec)
                reuse = first_rerun is None or stage.index < first_rerun
                stats = _finished(run_dir / stage.dirname, fingerprint) if reuse else None
                if stats is None:
                    if first_rerun is not None and stage.index < first_rerun:
                        raise StageError(
                            f"cannot start from stage {from_stage!r}: stage {stage.dirname} has no finished "
                            "output for this config and input; run with --resume instead"
                        )
                    first_rerun = stage.index if first_rerun is None else first_rerun
                    stats = _run_stage(
                        stage, source, questions, config, registry, stages, fingerprint, progress
                    )
                    if pm is not None:
                        pm.hook.ded_stage_finished(stage=stage.dirname, stats=stats)
                else:
                    log.info("%s: reusing finished output", stage.dirname)
                all_stats.append(stats)
                source = _FileSource([run_dir / stage.dirname / "kept.jsonl"], stats["kept"])
        finally:
            for stage in stages:
                close = getattr(stage.instance, "close", None)
                if callable(close):
                    close()
        exports = {}
        kept = [r for _, r in source.iter()]
        for exporter in exporters:
            fingerprint = _chain(fingerprint, exporter.spec)
            stats = _run_exporter(exporter, kept, questions, config, registry, fingerprint)
            exports[exporter.spec.name] = stats["summary"]
            if pm is not None:
                pm.hook.ded_stage_finished(stage=exporter.dirname, stats=stats)
    return RunResult(run_dir=run_dir, stages=all_stats, exports=exports)


# --- building and checking ---------------------------------------------------------------


def _build_components(config: CurationConfig, registry: Registry) -> tuple[list[_Stage], list[_Stage]]:
    problems = check_components(config.stages, config.export, registry)
    if problems:
        raise ConfigError(problems)
    built = [(spec, registry.get(STAGE_KINDS, spec.name), spec.params) for spec in config.stages]
    built += [(spec, registry.get("exporter", spec.name), spec.params) for spec in config.export]
    out: list[_Stage] = []
    for i, (spec, component, params) in enumerate(built, start=1):
        try:
            instance = component.factory(**params)
        except ConfigError:
            raise
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{spec.where}: {exc}") from exc
        out.append(_Stage(i, spec, component, instance))
    n = len(config.stages)
    return out[:n], out[n:]


def _check_rollouts(paths: Sequence[Path], questions: Mapping[str, Question]) -> int:
    """Validate every rollout file up front; returns how many rollouts there are."""
    return sum(1 for _ in io.read_checked_rollouts(paths, questions))


def _stage_index(stages: Sequence[_Stage], exporters: Sequence[_Stage], name: str) -> int:
    matches = [s.index for s in [*stages, *exporters] if name in (s.spec.name, s.dirname)]
    if len(matches) != 1:
        known = ", ".join(s.dirname for s in [*stages, *exporters])
        what = "is ambiguous" if matches else "is not a stage of this config"
        raise ConfigError(f"--from-stage {name!r} {what}; stages: {known}")
    return matches[0]


# --- fingerprints and finished stages ----------------------------------------------------


def _version() -> str:
    try:
        return metadata.version("ded-plugins")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _file_digest(path: Path, h: Any) -> None:
    if path.is_dir():
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            h.update(str(child.relative_to(path)).encode())
            _file_digest(child, h)
        return
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)


def _input_fingerprint(config: CurationConfig) -> str:
    h = hashlib.sha256()
    h.update(canonical_json({"questions": config.to_dict()["questions"], "seed": config.seed}).encode())
    qpath = Path(config.questions.path)
    if qpath.exists():
        _file_digest(qpath, h)
    for p in config.rollouts:
        _file_digest(p, h)
    return h.hexdigest()


def _chain(previous: str, spec: StageSpec) -> str:
    payload = canonical_json(
        {"previous": previous, "name": spec.name, "params": spec.params, "version": _version()}
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _finished(stage_dir: Path, fingerprint: str) -> dict[str, Any] | None:
    stats_path = stage_dir / "stats.json"
    if not stats_path.is_file():
        return None
    try:
        stats: dict[str, Any] = json.loads(stats_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stats if stats.get("fingerprint") == fingerprint else None


def _clear_stage_dirs(run_dir: Path) -> None:
    for child in run_dir.iterdir():
        if child.is_dir() and child.name[:2].isdigit() and child.name[2:3] == "_":
            shutil.rmtree(child)


@contextlib.contextmanager
def _run_lock(run_dir: Path) -> Iterator[None]:
    with (run_dir / ".lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StageError(f"another ded process is running in {run_dir}") from None
        yield


# --- sources ------------------------------------------------------------------------------


class _Source:
    total: int

    def iter(self) -> Iterator[tuple[int, Rollout]]:
        raise NotImplementedError


class _FileSource(_Source):
    def __init__(self, paths: Sequence[Path], total: int) -> None:
        self.paths = list(paths)
        self.total = total

    def iter(self) -> Iterator[tuple[int, Rollout]]:
        for path in self.paths:
            yield from io.read_rollouts(path, allow_empty=True)


def _chunks(items: Iterable[Rollout], size: int) -> Iterator[list[Rollout]]:
    chunk: list[Rollout] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- running stages ----------------------------------------------------------------------


def _run_stage(
    stage: _Stage,
    source: _Source,
    questions: Mapping[str, Question],
    config: CurationConfig,
    registry: Registry,
    all_stages: Sequence[_Stage],
    fingerprint: str,
    progress: bool,
) -> dict[str, Any]:
    final = config.run_dir / stage.dirname
    partial = config.run_dir / f"{stage.dirname}.partial"
    if partial.exists() and (partial / "fingerprint").is_file():
        if (partial / "fingerprint").read_text() != fingerprint:
            shutil.rmtree(partial)
    elif partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True, exist_ok=True)
    (partial / "fingerprint").write_text(fingerprint)
    started = time.perf_counter()
    bar = tqdm(
        total=source.total,
        desc=stage.dirname,
        unit="rollout",
        disable=not progress,
        file=sys.stderr,
        leave=False,
    )
    earlier = tuple(
        (s.spec.name, dict(s.spec.params))
        for s in all_stages
        if s.index < stage.index and s.component.kind == "processor"
    )
    context = StageContext(
        stage=stage.spec.name,
        questions=questions,
        registry=registry,
        seed=config.seed,
        base_dir=config.base_dir,
        run_dir=config.run_dir,
        advance=_advancer(bar),
        earlier_processors=earlier,
    )
    try:
        if stage.component.kind == "processor":
            kept_lines, rejected_lines = _run_processor(stage, source, questions, partial, bar)
        else:
            kept_lines, rejected_lines = _run_selector(stage, source, questions, context)
    except (ConfigError, InputError, StageError):
        raise
    except Exception as exc:
        raise StageError(
            f"stage {stage.dirname} ({stage.component.kind} {stage.spec.name!r}) failed: {exc!r}"
        ) from exc
    finally:
        bar.close()
    stats = _stats(stage, kept_lines, rejected_lines, time.perf_counter() - started, fingerprint)
    _write_lines(partial / "kept.jsonl", (line for line, _ in kept_lines))
    _write_lines(partial / "rejected.jsonl", (line for line, _ in rejected_lines))
    for chunk in partial.glob("chunk-*.jsonl"):
        chunk.unlink()
    (partial / "fingerprint").unlink()
    io.write_json(partial / "stats.json", stats)
    if final.exists():
        shutil.rmtree(final)
    partial.rename(final)
    return stats


def _advancer(bar: Any) -> Callable[[int], None]:
    def advance(n: int) -> None:
        bar.update(n)

    return advance


_Line = tuple[str, dict[str, Any]]  # (JSONL text, the minimal facts stats need)


def _run_processor(
    stage: _Stage, source: _Source, questions: Mapping[str, Question], partial: Path, bar: Any
) -> tuple[list[_Line], list[_Line]]:
    kept: list[_Line] = []
    rejected: list[_Line] = []
    size = int(getattr(stage.instance, "batch_size", CHUNK_SIZE) or CHUNK_SIZE)
    for ci, chunk in enumerate(_chunks((r for _, r in source.iter()), size)):
        path = partial / f"chunk-{ci:06d}.jsonl"
        if not path.is_file():
            verdicts = stage.instance.process([(questions[r.question_id], r) for r in chunk])
            if not isinstance(verdicts, list) or len(verdicts) != len(chunk):
                raise StageError(
                    f"processor {stage.spec.name!r} returned "
                    f"{len(verdicts) if isinstance(verdicts, list) else repr(verdicts)} "
                    f"verdicts for {len(chunk)} rollouts"
                )
            rows = []
            for r, v in zip(chunk, verdicts, strict=True):
                if not isinstance(v, Verdict):
                    raise StageError(
                        f"processor {stage.spec.name!r} returned {type(v).__name__}, not Verdict"
                    )
                rows.append(_judged(stage, r, v))
            io.write_jsonl(path, rows)
        for _, row in io.read_jsonl(path):
            _sort_row(row, kept, rejected)
        bar.update(len(chunk))
    return kept, rejected


def _judged(stage: _Stage, r: Rollout, v: Verdict) -> dict[str, Any]:
    judged = dataclasses.replace(r, verdicts={**r.verdicts, stage.spec.name: v})
    rejection = None if v.passed else Rejection(stage=stage.spec.name, reason=f"{stage.spec.name}.{v.reason}")
    return io.rollout_to_dict(judged, rejection)


def _sort_row(row: dict[str, Any], kept: list[_Line], rejected: list[_Line]) -> None:
    rejection = row.get("rejection")
    facts = {"model": row["model"], "role": row.get("role", "teacher"), "question_id": row["question_id"]}
    if rejection is None:
        kept.append((io.dumps_line(row), {**facts, "reason": None}))
    else:
        rejected.append((io.dumps_line(row), {**facts, "reason": rejection["reason"]}))


def _run_selector(
    stage: _Stage, source: _Source, questions: Mapping[str, Question], context: StageContext
) -> tuple[list[_Line], list[_Line]]:
    by_question: dict[str, list[Rollout]] = defaultdict(list)
    for _, r in source.iter():
        by_question[r.question_id].append(r)
    groups = [
        QuestionGroup(question=questions[qid], rollouts=tuple(by_question[qid]))
        for qid in questions
        if qid in by_question
    ]
    expected = {r.id for g in groups for r in g.rollouts}
    seen: set[str] = set()
    kept: list[_Line] = []
    rejected: list[_Line] = []
    for r, v in stage.instance.select(groups, context):
        if r.id not in expected:
            raise StageError(
                f"selector {stage.spec.name!r} yielded rollout {r.id!r} that was not in its input"
            )
        if r.id in seen:
            raise StageError(f"selector {stage.spec.name!r} yielded rollout {r.id!r} twice")
        seen.add(r.id)
        _sort_row(_judged(stage, r, v), kept, rejected)
    missing = expected - seen
    if missing:
        raise StageError(
            f"selector {stage.spec.name!r} dropped {len(missing)} rollouts without a verdict, "
            f"e.g. {sorted(missing)[0]!r}"
        )
    return kept, rejected


def _write_lines(path: Path, lines: Iterable[str]) -> None:
    with io.atomic_write(path) as fh:
        for line in lines:
            fh.write(line)


def _stats(
    stage: _Stage, kept: Sequence[_Line], rejected: Sequence[_Line], seconds: float, fingerprint: str
) -> dict[str, Any]:
    dropped = Counter(f["reason"] for _, f in rejected)
    by_model: dict[str, dict[str, int]] = defaultdict(lambda: {"input": 0, "kept": 0})
    for _, f in kept:
        by_model[f["model"]]["input"] += 1
        by_model[f["model"]]["kept"] += 1
    for _, f in rejected:
        by_model[f["model"]]["input"] += 1
    return {
        "stage": stage.dirname,
        "component": stage.spec.name,
        "kind": stage.component.kind,
        "params": dict(stage.spec.params),
        "input": len(kept) + len(rejected),
        "kept": len(kept),
        "rejected": len(rejected),
        "dropped": dict(sorted(dropped.items())),
        "questions_kept": len({f["question_id"] for _, f in kept}),
        "by_model": {m: by_model[m] for m in sorted(by_model)},
        "seconds": round(seconds, 3),
        "fingerprint": fingerprint,
    }


def _run_exporter(
    exporter: _Stage,
    kept: Sequence[Rollout],
    questions: Mapping[str, Question],
    config: CurationConfig,
    registry: Registry,
    fingerprint: str,
) -> dict[str, Any]:
    out_dir = config.run_dir / exporter.dirname
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    context = StageContext(
        stage=exporter.spec.name,
        questions=questions,
        registry=registry,
        seed=config.seed,
        base_dir=config.base_dir,
        run_dir=config.run_dir,
    )
    started = time.perf_counter()
    try:
        summary = dict(exporter.instance.export(kept, context, out_dir))
    except BaseException as exc:
        shutil.rmtree(out_dir, ignore_errors=True)  # no partial export under the final name
        if isinstance(exc, ConfigError | InputError | StageError) or not isinstance(exc, Exception):
            raise
        raise StageError(f"exporter {exporter.spec.name!r} failed: {exc!r}") from exc
    stats = {
        "stage": exporter.dirname,
        "component": exporter.spec.name,
        "kind": "exporter",
        "params": dict(exporter.spec.params),
        "input": len(kept),
        "summary": summary,
        "seconds": round(time.perf_counter() - started, 3),
        "fingerprint": fingerprint,
    }
    io.write_json(out_dir / "stats.json", stats)
    return stats


# --- reporting ----------------------------------------------------------------------------


def format_stage_table(stats: Sequence[Mapping[str, Any]]) -> str:
    """A plain-text table: one row per stage with counts, top drop reasons and time."""
    header = ("stage", "input", "kept", "dropped", "questions", "seconds", "reasons")
    rows = [header]
    for s in stats:
        if s.get("kind") == "exporter":
            continue
        reasons = ", ".join(
            f"{k}={v}" for k, v in sorted(s["dropped"].items(), key=lambda kv: (-kv[1], kv[0]))
        )
        rows.append(
            (
                s["stage"],
                str(s["input"]),
                str(s["kept"]),
                str(s["rejected"]),
                str(s.get("questions_kept", "")),
                f"{s['seconds']:.1f}",
                reasons or "-",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    lines = []
    for n, r in enumerate(rows):
        cells = [
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r[:-1], widths, strict=True))
        ]
        lines.append("  ".join(cells) + "  " + r[-1])
        if n == 0:
            lines.append("-" * (sum(widths) + 2 * len(widths) + len(header[-1])))
    return "\n".join(lines)
