"""``mixture``: combine domain corpora by whole question groups, with quotas, seeded."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Literal

from ded_plugins.protocols import StageContext
from ded_plugins.records import QuestionGroup, Rollout, Verdict


__all__ = ["Mixture"]


class Mixture:
    """Sample whole question groups per domain until each domain's quota is reached.

    ``quotas`` maps a domain to a number of samples (``unit: samples``, default) or of
    questions. Groups are drawn in a seeded random order and added until the quota is met
    or passed, so all trajectories of a question stay together (the paper's "400+ math
    and 400+ code samples"). Domains without a quota are dropped unless ``others: keep``.
    Kept groups are written in their input order.
    """

    #: quotas span the pool (``scope: pool``, the default); the choice needs no text
    reads_text = False

    def __init__(
        self,
        *,
        quotas: dict[str, int],
        unit: Literal["samples", "questions"] = "samples",
        others: Literal["keep", "drop"] = "drop",
        seed: int | None = None,
    ) -> None:
        if not quotas:
            raise ValueError("quotas must name at least one domain")
        for domain, quota in quotas.items():
            if not isinstance(quota, int) or isinstance(quota, bool) or quota < 0:
                raise ValueError(
                    f"quota for domain {domain!r} must be a non-negative integer, found {quota!r}"
                )
        self.quotas = dict(quotas)
        self.unit = unit
        self.others = others
        self.seed = seed

    def select(
        self, groups: Iterable[QuestionGroup], context: StageContext
    ) -> Iterator[tuple[Rollout, Verdict]]:
        """Choose groups per domain (a first pass over the groups), then report every rollout in order."""
        sizes: list[int] = []
        by_domain: dict[str, list[int]] = defaultdict(list)
        for i, g in enumerate(groups):
            by_domain[g.question.domain].append(i)
            sizes.append(len(g.rollouts))
        rng = random.Random(context.seed if self.seed is None else self.seed)
        chosen: set[int] = set()
        for domain in sorted(by_domain):
            if domain not in self.quotas:
                if self.others == "keep":
                    chosen.update(by_domain[domain])
                continue
            order = list(by_domain[domain])
            rng.shuffle(order)
            total = 0
            for i in order:
                if total >= self.quotas[domain]:
                    break
                chosen.add(i)
                total += sizes[i] if self.unit == "samples" else 1
        for i, g in enumerate(groups):
            if i in chosen:
                verdict = Verdict(passed=True)
            elif g.question.domain in self.quotas:
                verdict = Verdict(passed=False, reason="over_quota")
            else:
                verdict = Verdict(passed=False, reason="domain_excluded")
            for r in g.rollouts:
                yield r, verdict
            context.advance(len(g.rollouts))
