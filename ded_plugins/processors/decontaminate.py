"""The ``decontaminate`` processor: drop every rollout of a question found in a benchmark.

Decided per question (cached), so all rollouts of a question share one verdict. A
contaminated question fails with reason ``<benchmark>`` (the rejection reads
``decontaminate.ded_math500``); the verdict details carry the matches as JSON
(:meth:`~ded_plugins.pool.records.Match.to_dict`), from which
:func:`ded_plugins.pool.report.contamination_report` rebuilds the report. A question that
only looks like a benchmark item passes, with the look-alikes in its details, unless
``drop_similar`` is set.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from ded_plugins.pool.match import DEFAULTS, MatchSettings
from ded_plugins.records import Question, Rollout, Verdict
from ded_plugins.steps import InputPath


__all__ = ["Decontaminate"]

_CACHE = 4096  # questions remembered; a pool's rollouts come grouped, so a small cache suffices


class Decontaminate:
    """Drop rollouts of questions that copy a benchmark item (n-gram, fuzzy, exact; code: contest/date).

    ``against`` lists ``ded_*`` task names (their data comes through the tasks' own
    loaders); ``files`` maps a name to a local file: a task's own data, or a benchmark of
    yours (paths relative to the config file, hashed into the stage's fingerprint);
    ``metadata`` is passed to the task loaders as lm-eval's ``--metadata`` is (``lcb_start``,
    ...). The matching parameters are those of :class:`~ded_plugins.pool.match.MatchSettings`.
    """

    #: one benchmark index per machine; a verdict per question is a lookup
    placement = "node"

    def __init__(
        self,
        *,
        against: list[str],
        files: dict[str, InputPath] | None = None,
        metadata: dict[str, Any] | None = None,
        ngram: int = DEFAULTS.ngram,
        fuzzy: float = DEFAULTS.fuzzy,
        min_coverage: float = DEFAULTS.min_coverage,
        similar_coverage: float = DEFAULTS.similar_coverage,
        common_df: int = DEFAULTS.common_df,
        drop_similar: bool = False,
    ) -> None:
        from ded_plugins.errors import ConfigError
        from ded_plugins.integrations.lm_eval.benchmarks import parse_against

        if not isinstance(against, list):
            raise ConfigError("decontaminate.against: expected a list of benchmark names")
        given = [a for a in against if "=" in a]
        if given:
            raise ConfigError(
                f"decontaminate.against: {given[0]!r}: name a local file under files: {{name: path}} "
                "(a path relative to the config file), not as NAME=PATH"
            )
        files = dict(files or {})
        names = [*against, *(n for n in files if n not in against)]
        self.against = [f"{n}={files[n]}" if n in files else n for n in names]
        parse_against(self.against)  # every name known, none twice
        self.metadata = dict(metadata or {})
        self.settings = MatchSettings(
            ngram=ngram,
            fuzzy=fuzzy,
            min_coverage=min_coverage,
            similar_coverage=similar_coverage,
            common_df=common_df,
        )
        problems = self.settings.check()
        if problems:
            raise ConfigError([f"decontaminate.{p}" for p in problems])
        self.drop_similar = drop_similar
        self._decon: Any = None
        self._cache: OrderedDict[str, Verdict] = OrderedDict()

    def __getstate__(self) -> dict[str, Any]:
        # workers (Ray) rebuild the index themselves rather than receive it pickled
        state = dict(self.__dict__)
        state["_decon"] = None
        state["_cache"] = OrderedDict()
        return state

    def _decontaminator(self) -> Any:
        if self._decon is None:
            from ded_plugins.integrations.lm_eval.benchmarks import load_benchmarks
            from ded_plugins.pool.decontaminate import Decontaminator

            benchmarks = load_benchmarks(self.against, metadata=self.metadata)
            self._decon = Decontaminator(benchmarks, self.settings, drop_similar=self.drop_similar)
        return self._decon

    def verdict(self, question: Question) -> Verdict:
        """The verdict of every rollout of ``question``."""
        cached = self._cache.get(question.id)
        if cached is not None:
            self._cache.move_to_end(question.id)
            return cached
        decon = self._decontaminator()
        matches = decon.check(question)
        dropped = decon.dropped(matches)
        details: Mapping[str, Any] = {"matches": [m.to_dict() for m in matches]} if matches else {}
        if dropped is not None:
            verdict = Verdict(passed=False, reason=dropped.benchmark, details=details)
        else:
            verdict = Verdict(passed=True, details=details)
        self._cache[question.id] = verdict
        if len(self._cache) > _CACHE:
            self._cache.popitem(last=False)
        return verdict

    def process(self, items: Sequence[tuple[Question, Rollout]]) -> list[Verdict]:
        """One verdict per rollout, decided by its question."""
        return [self.verdict(question) for question, _ in items]
