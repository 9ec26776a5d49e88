"""``dedup``: drop a question group whose question duplicates an earlier one in pool order.

Streams the groups (one at a time, in the order the engine gives them, which is pool
order) through :class:`ded_plugins.pool.dedup.Deduplicator`: exact duplicates of the
normalised text and near duplicates by MinHash LSH with equal numbers. Every rollout of a
duplicate question is rejected as ``dedup.duplicate``; the details name the kept question.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ded_plugins.protocols import StageContext
from ded_plugins.records import QuestionGroup, Rollout, Verdict


__all__ = ["Dedup"]


class Dedup:
    """Keep the first question of each duplicate cluster (``threshold``: Jaccard of MinHash shingles)."""

    #: decided from the question alone: the rollouts' text is never read back
    reads_text = False

    def __init__(self, *, threshold: float = 0.8, num_perm: int = 128, shingle: int = 3) -> None:
        from ded_plugins.pool.dedup import check_settings

        check_settings(threshold=threshold, num_perm=num_perm, shingle=shingle)  # now, not at the first group
        self.threshold = threshold
        self.num_perm = num_perm
        self.shingle = shingle

    def select(
        self, groups: Iterable[QuestionGroup], context: StageContext
    ) -> Iterator[tuple[Rollout, Verdict]]:
        """Yield each group's rollouts with one verdict per group."""
        from ded_plugins.pool.dedup import Deduplicator

        seen = Deduplicator(threshold=self.threshold, num_perm=self.num_perm, shingle=self.shingle)
        for group in groups:
            dup = seen.add(group.question.id, group.question.prompt)
            if dup is None:
                verdict = Verdict(passed=True)
            else:
                verdict = Verdict(
                    passed=False,
                    reason="duplicate",
                    details={"kept": dup.kept_id, "method": dup.method, "similarity": dup.similarity},
                )
            for r in group.rollouts:
                yield r, verdict
            context.advance(len(group.rollouts))
