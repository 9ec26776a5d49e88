"""Probes for a grader: every near miss and every equivalent rewrite of real gold answers.

Seeded: the choices of each transform come from ``random.Random(f"{seed}:{transform}:{gold}")``,
so a suite is the same on every run and another seed makes other choices.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

from ded_plugins.grading.nearmiss import NEAR_MISSES
from ded_plugins.grading.rewrites import REWRITES


__all__ = ["Probe", "probes"]


@dataclass(frozen=True, slots=True)
class Probe:
    """One (gold, candidate) pair: ``equivalent`` says whether a grader must accept it."""

    gold: str
    candidate: str
    equivalent: bool
    transform: str
    source: str = ""


def probes(golds: Iterable[tuple[str, str]], *, seed: int = 0) -> list[Probe]:
    """Every near miss and rewrite of every ``(source, gold)``, in a fixed order."""
    out: list[Probe] = []
    for source, gold in golds:
        gold = gold.strip()
        for table, equivalent in ((NEAR_MISSES, False), (REWRITES, True)):
            for name, transform in table.items():
                rng = random.Random(f"{seed}:{name}:{gold}")
                seen = {gold}
                for candidate in transform(gold, rng):
                    if candidate.strip() and candidate not in seen:
                        seen.add(candidate)
                        out.append(Probe(gold, candidate, equivalent, name, source))
    return out
