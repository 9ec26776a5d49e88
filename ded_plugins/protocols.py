"""Structural interfaces of DED's components; implementations never subclass them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ded_plugins.records import Question, QuestionGroup, Rollout, Verdict


if TYPE_CHECKING:
    from ded_plugins.engine.units import Job, Unit, UnitReport
    from ded_plugins.registry import Registry
    from ded_plugins.rollouts.types import Emit, SampleRequest, Sampling
    from ded_plugins.teacher.context import TeacherContext


__all__ = [
    "Executor",
    "Exporter",
    "Processor",
    "RolloutBackend",
    "Selector",
    "StageContext",
    "TeacherMetric",
]


@dataclass(frozen=True, kw_only=True)
class StageContext:
    """What a stage may know about the run besides its own input."""

    stage: str
    questions: Mapping[str, Question]
    #: the component registry, where the stage runs in the driver (``None`` inside a unit of work)
    registry: Registry | None = None
    seed: int = 0
    #: directory relative paths in the config are resolved against
    base_dir: Path = field(default_factory=Path.cwd)
    run_dir: Path | None = None
    #: called with the number of items finished since the last call (progress bars)
    advance: Callable[[int], None] = lambda n: None

    def resolve(self, path: str | Path) -> Path:
        """Resolve ``path`` against the config's directory."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.base_dir / p


@runtime_checkable
class Processor(Protocol):
    """Judges rollouts one at a time; gets them in batches so it may work in parallel.

    ``process`` returns one :class:`Verdict` per item, in order, and must not depend on
    anything but its input and its own parameters: the engine builds the processor from
    its factory in whatever process (or machine) runs a batch. Teacher and student
    rollouts come alike (``rollout.role``); a failed verdict drops a teacher rollout and
    is recorded on a student one. Optional attributes: ``close()`` (called when the stage
    ends), ``batch_size`` (rollouts per unit of work, default 256) and ``placement``
    (``"spread"``: a copy per core, the default; ``"node"``: one per machine, for a
    processor that parallelises itself).
    """

    def process(self, items: Sequence[tuple[Question, Rollout]]) -> list[Verdict]: ...


@runtime_checkable
class Selector(Protocol):
    """Decides over whole question groups (or the whole pool).

    ``select`` yields ``(rollout, verdict)`` for every teacher rollout of its input
    exactly once; kept rollouts are written in the order they are yielded. ``groups``
    comes in pool order, one group at a time, and may be iterated more than once (each
    pass streams from disk). Optional attribute ``scope``: ``"group"`` when each group is
    decided on its own (the engine then shards groups over processes and machines) or
    ``"pool"`` (the default: one call sees every group).
    """

    def select(
        self, groups: Iterable[QuestionGroup], context: StageContext
    ) -> Iterator[tuple[Rollout, Verdict]]: ...


@runtime_checkable
class Exporter(Protocol):
    """Writes the curated (teacher) rollouts for another tool; returns a summary for ``stats.json``.

    ``rollouts`` is streamed from disk in the final stage's order and supports ``len()``.
    """

    def export(
        self, rollouts: Iterable[Rollout], context: StageContext, out_dir: Path
    ) -> Mapping[str, Any]: ...


@runtime_checkable
class Executor(Protocol):
    """Decides where the units of a stage run (processes here, or machines of a cluster).

    ``run`` has :func:`ded_plugins.engine.units.execute_unit` run for every unit of
    ``units``, anywhere, and calls ``on_done(unit, report)`` in the calling thread once per
    unit as it finishes, in any order; it raises when a unit fails for good (after any
    retries of its own). Components never see the executor.
    """

    def run(self, job: Job, units: Sequence[Unit], on_done: Callable[[Unit, UnitReport], None]) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class RolloutBackend(Protocol):
    """Generates samples; calls ``emit`` once per finished sample, in any order.

    It raises when it cannot go on; what it emitted before is kept by the runner.
    """

    def generate(self, requests: Sequence[SampleRequest], sampling: Sampling, emit: Emit) -> None: ...


@runtime_checkable
class TeacherMetric(Protocol):
    """``compute`` returns a JSON-ready mapping that goes into ``report.json``."""

    def compute(self, context: TeacherContext) -> Mapping[str, Any]: ...
