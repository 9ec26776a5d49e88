"""Decontaminate a question pool against benchmarks, streaming: one pass, one question at a time.

:class:`Decontaminator` decides one question (text matches from
:mod:`ded_plugins.pool.match`, contest/date rules from :mod:`ded_plugins.pool.contests`);
the ``decontaminate`` curation processor and :func:`decontaminate_pool` (``ded pool
decontaminate``) both use it. Memory is the benchmark index plus the matches found; the
pool is never held.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ded_plugins.errors import ConfigError
from ded_plugins.pool.contests import ContestRule
from ded_plugins.pool.match import DEFAULTS, BenchmarkIndex, MatchSettings
from ded_plugins.pool.records import Benchmark, Match
from ded_plugins.pool.report import write_contamination_report
from ded_plugins.pool.stream import PoolSource, clean_rows, progress_bar
from ded_plugins.records import Question


__all__ = ["DecontaminationResult", "Decontaminator", "decontaminate_pool"]

log = logging.getLogger(__name__)


class Decontaminator:
    """Every benchmark match of one question; ``dropped`` says whether it leaves the pool."""

    def __init__(
        self,
        benchmarks: Sequence[Benchmark],
        settings: MatchSettings = DEFAULTS,
        *,
        drop_similar: bool = False,
    ) -> None:
        problems = settings.check()
        if problems:
            raise ConfigError(problems)
        names = [b.name for b in benchmarks]
        if len(set(names)) != len(names):
            raise ConfigError(f"a benchmark is named twice in {names}")
        self.benchmarks = tuple(benchmarks)
        self.settings = settings
        self.drop_similar = drop_similar
        self.index = BenchmarkIndex((i for b in benchmarks for i in b.items), settings)
        self.rules = [ContestRule(b) for b in benchmarks if b.window is not None or _has_contests(b)]
        self._order = {name: i for i, name in enumerate(names)}

    def check(self, question: Question, fields: Mapping[str, Any] | None = None) -> list[Match]:
        """Matches of ``question``: contaminated first, then by benchmark order and strength.

        ``fields`` are extra row fields read for the contest rules (merged over the
        question's ``metadata``).
        """
        matches = self.index.match(question.id, question.prompt)
        if self.rules:  # only the contest rules read the fields
            meta = {**question.metadata, **(fields or {})}
            for rule in self.rules:
                found = rule.check(question.id, question.domain, meta, question.prompt)
                if found is not None:
                    matches.append(found)
        matches.sort(
            key=lambda m: (
                m.status != "contaminated",
                self._order.get(m.benchmark, len(self._order)),
                -float(m.evidence.get("coverage", 1.0 if m.method != "ngram" else 0.0)),
                m.benchmark_id,
            )
        )
        return matches

    def dropped(self, matches: Sequence[Match]) -> Match | None:
        """The match that drops the question (the first contaminated, or similar on request)."""
        for m in matches:
            if m.status == "contaminated" or self.drop_similar:
                return m
        return None


def _benchmarks(
    against: str | Sequence[str | Benchmark], metadata: Mapping[str, Any] | None
) -> list[Benchmark]:
    entries = [against] if isinstance(against, str) else list(against)
    names = [e for e in entries if isinstance(e, str)]
    loaded: list[Benchmark] = []
    if names:
        from ded_plugins.integrations.lm_eval.benchmarks import load_benchmarks

        loaded = load_benchmarks(names, metadata=metadata)
    by_entry = iter(loaded)
    return [next(by_entry) if isinstance(e, str) else e for e in entries]


def _has_contests(benchmark: Benchmark) -> bool:
    return any(i.contest for i in benchmark.items)


@dataclass(frozen=True, kw_only=True)
class DecontaminationResult:
    """What :func:`decontaminate_pool` did."""

    questions: int
    kept: int
    matches: tuple[Match, ...]
    output: Path
    report_json: Path
    report_md: Path
    seconds: float
    by_benchmark: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    @property
    def dropped(self) -> int:
        return self.questions - self.kept


def decontaminate_pool(
    source: PoolSource,
    against: str | Sequence[str | Benchmark],
    output: str | Path,
    *,
    metadata: Mapping[str, Any] | None = None,
    report_dir: str | Path | None = None,
    settings: MatchSettings = DEFAULTS,
    drop_similar: bool = False,
    progress: bool = True,
) -> DecontaminationResult:
    """Write the pool without its contaminated questions, plus ``contamination.json``/``.md``.

    ``against`` holds loaded benchmarks or ``--against`` entries (``ded_*`` task names,
    ``NAME=PATH``), loaded with ``metadata`` as the lm-eval tasks load them. The clean pool
    has the input's format and rows (unchanged, in order); nothing is written under a final
    name unless the whole pool was read without error.
    """
    started = time.perf_counter()
    benchmarks = _benchmarks(against, metadata)
    decon = Decontaminator(benchmarks, settings, drop_similar=drop_similar)
    log.info("decontaminating %s against %d benchmark items", source.path, len(decon.index))
    found: list[Match] = []
    counts = {"questions": 0, "kept": 0}

    def keep(question: Question, row: Mapping[str, Any]) -> bool:
        counts["questions"] += 1
        matches = decon.check(question, row)
        found.extend(matches)
        if decon.dropped(matches) is not None:
            return False
        counts["kept"] += 1
        return True

    out = Path(output)
    with progress_bar("decontaminate", progress) as bar:
        clean_rows(source, out, keep, bar)
    summary = {
        "pool": str(source.path),
        "output": str(out),
        "questions": counts["questions"],
        "kept": counts["kept"],
        "dropped": counts["questions"] - counts["kept"],
        "drop_similar": drop_similar,
    }
    where = Path(report_dir) if report_dir is not None else out.parent
    json_path, md_path, by_benchmark = write_contamination_report(
        where,
        found,
        benchmarks={
            b.name: {"source": b.source, "items": len(b.items), "window": b.window} for b in benchmarks
        },
        pool=summary,
        settings={**asdict(settings), "drop_similar": drop_similar},
    )
    return DecontaminationResult(
        questions=counts["questions"],
        kept=counts["kept"],
        matches=tuple(found),
        output=out,
        report_json=json_path,
        report_md=md_path,
        seconds=time.perf_counter() - started,
        by_benchmark=by_benchmark,
    )
