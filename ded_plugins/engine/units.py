"""Units of work: what an executor runs, wherever it runs it.

A stage is split into units: a chunk of stage rows for a processor, a shard of whole
question groups for a selector. :func:`execute_unit` runs one: it reads the unit's rows
by byte span from the previous stage's files, the rollouts' text from the run's input
files, the questions from the run's store; builds the component (once per process, from
its factory and parameters); and writes the unit's output rows to its own file, atomically.
It is idempotent (a retried unit writes the same bytes), so an executor may run a unit
again after losing a machine, and the engine counts each unit once, when it merges the
unit files in index order.
"""

from __future__ import annotations

import itertools
import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from ded_plugins.errors import StageError
from ded_plugins.io.files import atomic_write, dumps_line
from ded_plugins.io.rows import SourceReader, read_row_at, with_verdict
from ded_plugins.io.store import QuestionStore
from ded_plugins.protocols import StageContext
from ded_plugins.records import QuestionGroup, Rollout, Verdict, rollout_id


__all__ = ["Job", "RunInfo", "Unit", "UnitReport", "close_components", "execute_unit"]

Placement = Literal["spread", "node"]


@dataclass(frozen=True, kw_only=True)
class RunInfo:
    """What every unit of a run may read: all paths absolute, all picklable."""

    run_dir: str
    base_dir: str
    seed: int
    store: str
    sources: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Job:
    """One stage's work, shared by all its units.

    ``placement``: ``spread`` runs a copy of the component per core (single-threaded work:
    token counting, format checks); ``node`` one copy per machine, which parallelises
    itself (the sandbox's workers, the math grader's pool, Levenshtein over cores).
    ``scope`` (selectors): ``group`` decides each question group on its own, so shards
    run anywhere; ``pool`` sees every group, in one unit.
    """

    stage: str
    name: str
    kind: Literal["processor", "selector"]
    factory: Callable[..., Any]
    params: Mapping[str, Any]
    run: RunInfo
    key: str
    placement: Placement = "spread"
    scope: Literal["group", "pool"] = "group"
    #: False for a selector that decides from verdicts alone: rollouts come without their text
    reads_text: bool = True


@dataclass(frozen=True, kw_only=True)
class Unit:
    """One unit: byte spans ``(stage file, offset, length)`` to read, and its output file."""

    index: int
    spans: tuple[tuple[str, int, int], ...]
    output: str
    rows: int


@dataclass(frozen=True, kw_only=True)
class UnitReport:
    """What running a unit reported back (small, picklable)."""

    index: int
    rows: int
    seconds: float
    node: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)


# --- per-process state: components, stores, source readers ------------------------------

_COMPONENTS: dict[str, Any] = {}
# keyed by the files' identity, not their names: a run that replaced a file gets a fresh reader
_READERS: dict[tuple[tuple[str, int, int, int], ...], SourceReader] = {}
_STORES: dict[tuple[str, int, int, int], QuestionStore] = {}


def _identity(path: str) -> tuple[str, int, int, int]:
    st = os.stat(path)
    return (path, st.st_ino, st.st_size, st.st_mtime_ns)


def _component(job: Job) -> Any:
    instance = _COMPONENTS.get(job.key)
    if instance is None:
        try:
            instance = job.factory(**job.params)
        except (TypeError, ValueError) as exc:
            raise StageError(f"stage {job.stage}: building {job.kind} {job.name!r} failed: {exc}") from exc
        _COMPONENTS[job.key] = instance
    return instance


def close_components(key: str | None = None) -> None:
    """Close (``close()``) and forget this process's component instances (one job's, or all)."""
    keys = [key] if key is not None else list(_COMPONENTS)
    for k in keys:
        instance = _COMPONENTS.pop(k, None)
        close = getattr(instance, "close", None)
        if callable(close):
            close()
    if key is None:
        for reader in _READERS.values():
            reader.close()
        _READERS.clear()
        for store in _STORES.values():
            store.close()
        _STORES.clear()


def _reader(run: RunInfo) -> SourceReader:
    key = tuple(_identity(s) for s in run.sources)
    reader = _READERS.get(key)
    if reader is None:
        for stale in [k for k in _READERS if [p for p, *_ in k] == list(run.sources)]:
            _READERS.pop(stale).close()
        reader = _READERS[key] = SourceReader(run.sources)
    return reader


def _store(run: RunInfo) -> QuestionStore:
    key = _identity(run.store)
    store = _STORES.get(key)
    if store is None:
        for stale in [k for k in _STORES if k[0] == run.store]:
            _STORES.pop(stale).close()
        store = _STORES[key] = QuestionStore(run.store)
    return store


class _Spans:
    """Reads stage rows by byte span; keeps the stage files open."""

    def __init__(self) -> None:
        self._handles: dict[str, IO[bytes]] = {}

    def rows(self, spans: Iterable[tuple[str, int, int]]) -> Iterator[dict[str, Any]]:
        for path, offset, length in spans:
            fh = self._handles.get(path)
            if fh is None:
                fh = self._handles[path] = Path(path).open("rb")  # noqa: SIM115 - closed below
            fh.seek(offset)
            for raw in fh.read(length).splitlines():
                if raw.strip():
                    yield _loads(raw)

    def row(self, span: tuple[str, int, int]) -> dict[str, Any]:
        path, offset, length = span
        fh = self._handles.get(path)
        if fh is None:
            fh = self._handles[path] = Path(path).open("rb")  # noqa: SIM115 - closed below
        return read_row_at(fh, offset, length)

    def close(self) -> None:
        for fh in self._handles.values():
            fh.close()


def _loads(raw: bytes) -> dict[str, Any]:
    import json

    row: dict[str, Any] = json.loads(raw)
    return row


def _rid(row: Mapping[str, Any]) -> str:
    return rollout_id(row["question_id"], row["model"], row["sample_index"])


# --- running one unit ----------------------------------------------------------------------


def execute_unit(job: Job, unit: Unit) -> UnitReport:
    """Run ``unit`` of ``job`` here and write its output file; see the module docstring."""
    started = time.perf_counter()
    spans = _Spans()
    try:
        instance = _component(job)
        if job.kind == "processor":
            out = _process(job, instance, list(spans.rows(unit.spans)))
        else:
            out = _select(job, instance, unit, spans)
        with atomic_write(unit.output) as fh:
            for row in out:
                fh.write(dumps_line(row))
    finally:
        spans.close()
    return UnitReport(index=unit.index, rows=unit.rows, seconds=time.perf_counter() - started)


def _process(job: Job, instance: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    store, reader = _store(job.run), _reader(job.run)
    items = [(store[r["question_id"]], reader.rollout(r)) for r in rows]
    verdicts = instance.process(items) if items else []
    if not isinstance(verdicts, list) or len(verdicts) != len(items):
        found = len(verdicts) if isinstance(verdicts, list) else repr(verdicts)
        raise StageError(f"processor {job.name!r} returned {found} verdicts for {len(items)} rollouts")
    out = []
    for row, verdict in zip(rows, verdicts, strict=True):
        if not isinstance(verdict, Verdict):
            raise StageError(f"processor {job.name!r} returned {type(verdict).__name__}, not Verdict")
        out.append(with_verdict(row, job.name, verdict))
    return out


def _context(job: Job, store: QuestionStore) -> StageContext:
    return StageContext(
        stage=job.name,
        questions=store,
        registry=None,
        seed=job.run.seed,
        base_dir=Path(job.run.base_dir),
        run_dir=Path(job.run.run_dir),
    )


def _group_rows(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Consecutive rows of one question (the engine sorts a selector's input by question)."""
    for _, group in itertools.groupby(rows, key=lambda r: r["question_id"]):
        yield list(group)


def _group(
    store: QuestionStore, reader: SourceReader, rows: Sequence[Mapping[str, Any]], text: bool
) -> QuestionGroup:
    build = reader.rollout if text else reader.without_text
    teacher = tuple(build(r) for r in rows if r.get("role", "teacher") == "teacher")
    student = tuple(build(r) for r in rows if r.get("role") == "student")
    return QuestionGroup(question=store[str(rows[0]["question_id"])], rollouts=teacher, student=student)


def _select(job: Job, instance: Any, unit: Unit, spans: _Spans) -> list[dict[str, Any]]:
    store, reader = _store(job.run), _reader(job.run)
    context = _context(job, store)
    out: list[dict[str, Any]] = []
    if job.scope == "group":
        for rows in _group_rows(spans.rows(unit.spans)):
            teacher = {_rid(r): r for r in rows if r.get("role", "teacher") == "teacher"}
            yielded = instance.select([_group(store, reader, rows, job.reads_text)], context)
            out += _judged(job, yielded, teacher.get, set(teacher))
            out += [r for r in rows if r.get("role") == "student"]
        return out
    # pool scope: one pass for the ids, then groups streamed (the selector may iterate twice)
    where: dict[str, tuple[str, int, int]] = {}
    students: list[tuple[str, int, int]] = []
    for span in unit.spans:
        row = spans.row(span)
        (students.append(span) if row.get("role") == "student" else where.__setitem__(_rid(row), span))

    class _Groups:
        def __iter__(self) -> Iterator[QuestionGroup]:
            for rows in _group_rows(spans.rows(unit.spans)):
                yield _group(store, reader, rows, job.reads_text)

    out += _judged(
        job, instance.select(_Groups(), context), lambda rid: _maybe(spans, where, rid), set(where)
    )
    out += [spans.row(s) for s in students]
    return out


def _maybe(spans: _Spans, where: Mapping[str, tuple[str, int, int]], rid: str) -> dict[str, Any] | None:
    span = where.get(rid)
    return None if span is None else spans.row(span)


def _judged(
    job: Job,
    yielded: Iterable[tuple[Rollout, Verdict]],
    lookup: Callable[[str], dict[str, Any] | None],
    expected: set[str],
) -> list[dict[str, Any]]:
    """The selector's verdicts as stage rows; every teacher rollout exactly once, nothing else."""
    seen: set[str] = set()
    out = []
    for rollout, verdict in yielded:
        rid = rollout.id
        row = lookup(rid) if rid in expected else None
        if row is None:
            what = (
                "a student rollout (selectors judge teacher rollouts)"
                if rollout.role == "student"
                else "not in its input"
            )
            raise StageError(f"selector {job.name!r} yielded rollout {rid!r}: {what}")
        if rid in seen:
            raise StageError(f"selector {job.name!r} yielded rollout {rid!r} twice")
        if not isinstance(verdict, Verdict):
            raise StageError(f"selector {job.name!r} yielded {type(verdict).__name__}, not Verdict")
        seen.add(rid)
        out.append(with_verdict(row, job.name, verdict))
    missing = expected - seen
    if missing:
        raise StageError(
            f"selector {job.name!r} dropped {len(missing)} rollouts without a verdict, "
            f"e.g. {sorted(missing)[0]!r}"
        )
    return out
