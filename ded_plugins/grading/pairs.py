"""Explain many verdicts at once: (response, gold) pairs from a JSONL file, each with its reasons.

Each line of the file is an object with ``response`` (the model's text, or a bare
answer) and ``gold`` (the reference answer; a JSON number is read as its digits), and
optionally ``id``. Grading runs in worker processes with a hard per-item timeout, as in
curation, so one hostile answer cannot hang the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ded_plugins.errors import InputError
from ded_plugins.grading.mathgrade import MathExplanation
from ded_plugins.grading.parallel import grade_many


__all__ = ["GradePair", "explain_file", "explain_pairs", "read_grade_pairs"]


@dataclass(frozen=True, slots=True)
class GradePair:
    """One line of a pairs file."""

    response: str
    gold: str
    id: str | None = None


def read_grade_pairs(path: str | Path) -> list[GradePair]:
    """Every pair of ``path``; a malformed line raises :class:`InputError` naming file, line and field."""
    from ded_plugins.io import read_jsonl

    pairs = []
    for line, obj in read_jsonl(path):
        fields: dict[str, str] = {}
        for name in ("response", "gold"):
            value = obj.get(name)
            if value is None:
                raise InputError("missing required field", path=str(path), line=line, field=name)
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                found = type(value).__name__
                raise InputError(f"expected a string, found {found}", path=str(path), line=line, field=name)
            fields[name] = str(value)
        ident = obj.get("id")
        pairs.append(GradePair(fields["response"], fields["gold"], None if ident is None else str(ident)))
    return pairs


def explain_pairs(
    pairs: Sequence[tuple[str, str]],
    *,
    timeout_s: float = 10.0,
    require_think_end: bool = False,
    workers: int | None = None,
) -> list[MathExplanation]:
    """A :class:`MathExplanation` for every ``(response, gold)``, in order (hard timeout per item)."""
    grades = grade_many(
        list(pairs), timeout_s=timeout_s, workers=workers, require_think_end=require_think_end, explain=True
    )
    return [g.explanation for g in grades if g.explanation is not None]


def explain_file(
    path: str | Path, *, timeout_s: float = 10.0, require_think_end: bool = False, workers: int | None = None
) -> list[tuple[GradePair, MathExplanation]]:
    """Every pair of a JSONL file with its explanation (what ``ded grade --jsonl`` prints)."""
    pairs = read_grade_pairs(path)
    explained = explain_pairs(
        [(p.response, p.gold) for p in pairs],
        timeout_s=timeout_s,
        require_think_end=require_think_end,
        workers=workers,
    )
    return list(zip(pairs, explained, strict=True))
