"""Structural interfaces of DED's components; implementations never subclass them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ded_plugins.records import Question, QuestionGroup, Rollout, Verdict


if TYPE_CHECKING:
    from ded_plugins.registry import Registry


__all__ = ["Exporter", "Processor", "Selector", "StageContext"]


@dataclass(frozen=True, kw_only=True)
class StageContext:
    """What a stage may know about the run besides its own input."""

    stage: str
    questions: Mapping[str, Question]
    registry: Registry
    seed: int = 0
    #: directory relative paths in the config are resolved against
    base_dir: Path = field(default_factory=Path.cwd)
    run_dir: Path | None = None
    #: called with the number of items finished since the last call (progress bars)
    advance: Callable[[int], None] = lambda n: None
    #: ``(component name, params)`` of the processor stages that ran before this one
    earlier_processors: tuple[tuple[str, Mapping[str, Any]], ...] = ()

    def resolve(self, path: str | Path) -> Path:
        """Resolve ``path`` against the config's directory."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.base_dir / p


@runtime_checkable
class Processor(Protocol):
    """Judges rollouts one at a time; gets them in batches so it may work in parallel.

    ``process`` returns one :class:`Verdict` per item, in order, and must not depend on
    anything but its input and its own parameters (so a Ray executor can map it).
    A processor may also define ``close()``; the pipeline calls it when the stage ends.
    """

    def process(self, items: Sequence[tuple[Question, Rollout]]) -> list[Verdict]: ...


@runtime_checkable
class Selector(Protocol):
    """Decides over whole question groups (or the whole pool).

    ``select`` yields ``(rollout, verdict)`` for every rollout of its input exactly once;
    kept rollouts are written in the order they are yielded.
    """

    def select(
        self, groups: Iterable[QuestionGroup], context: StageContext
    ) -> Iterator[tuple[Rollout, Verdict]]: ...


@runtime_checkable
class Exporter(Protocol):
    """Writes the curated rollouts for another tool; returns a summary for ``stats.json``."""

    def export(
        self, rollouts: Sequence[Rollout], context: StageContext, out_dir: Path
    ) -> Mapping[str, Any]: ...
