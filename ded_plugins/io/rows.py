"""The engine's stage rows: a rollout's identity, where its text lives, and its verdicts so far.

A rollout's text is written once, by whoever generated it; a curation run never copies
it. Each stage writes *stage rows* (``kept.jsonl``, ``rejected.jsonl``, ``student.jsonl``):

    {"question_id": "q1", "model": "qwq", "sample_index": 3, "role": "teacher",
     "src": [0, 18213, 14520], "qord": 0, "seq": 3,
     "verdicts": {"length": {"passed": true, "reason": "ok", "details": {...}}, ...},
     "rejection": {"stage": "length", "reason": "length.too_long", "detail": ""}}

``src`` is ``[source file index, byte offset, byte length]`` of the rollout's line in the
run's input files (listed in ``00_input/sources.json``); ``qord`` is its question's place
in the pool and ``seq`` its place in the input, which fix every order the engine writes.
:class:`SourceReader` turns a stage row back into a full :class:`~ded_plugins.records.Rollout`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from ded_plugins.records import Rejection, Rollout, Verdict


__all__ = [
    "SourceReader",
    "iter_row_spans",
    "read_row_at",
    "rejection_of",
    "row_verdicts",
    "stage_row",
    "verdict_to_dict",
    "with_verdict",
]


def verdict_to_dict(v: Verdict) -> dict[str, Any]:
    """The JSON form of a verdict (``details`` only when there are any)."""
    out: dict[str, Any] = {"passed": v.passed, "reason": v.reason}
    if v.details:
        out["details"] = dict(v.details)
    return out


def stage_row(
    *,
    question_id: str,
    model: str,
    sample_index: int,
    role: str,
    src: Sequence[int],
    qord: int,
    seq: int,
    verdicts: Mapping[str, Any],
) -> dict[str, Any]:
    """A stage row in its canonical key order (so outputs are byte-stable)."""
    row: dict[str, Any] = {
        "question_id": question_id,
        "model": model,
        "sample_index": sample_index,
        "role": role,
        "src": list(src),
        "qord": qord,
        "seq": seq,
    }
    if verdicts:
        row["verdicts"] = dict(verdicts)
    return row


def with_verdict(row: Mapping[str, Any], stage: str, verdict: Verdict) -> dict[str, Any]:
    """``row`` with ``verdict`` recorded under ``stage``; a failed teacher row gains its rejection.

    Student rows are graded, never rejected: their verdicts are what ``pass_rate`` counts.
    """
    out = {k: v for k, v in row.items() if k not in ("verdicts", "rejection")}
    out["verdicts"] = {**row.get("verdicts", {}), stage: verdict_to_dict(verdict)}
    if not verdict.passed and row.get("role", "teacher") == "teacher":
        out["rejection"] = {"stage": stage, "reason": f"{stage}.{verdict.reason}", "detail": ""}
    return out


def rejection_of(row: Mapping[str, Any]) -> Rejection | None:
    """The rejection a stage row carries, if any."""
    rej = row.get("rejection")
    if not isinstance(rej, Mapping):
        return None
    return Rejection(stage=str(rej["stage"]), reason=str(rej["reason"]), detail=str(rej.get("detail", "")))


def row_verdicts(row: Mapping[str, Any]) -> dict[str, Verdict]:
    """The verdicts of a stage row as records, in the order the stages gave them."""
    return {
        stage: Verdict(
            passed=bool(v["passed"]), reason=str(v.get("reason", "ok")), details=v.get("details") or {}
        )
        for stage, v in row.get("verdicts", {}).items()
    }


def iter_row_spans(
    path: Path, start: int = 0, end: int | None = None
) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """``(offset, length, row)`` for every line of a stage file between byte ``start`` and ``end``."""
    with path.open("rb") as fh:
        fh.seek(start)
        offset = start
        for raw in fh:
            if end is not None and offset >= end:
                break
            length = len(raw)
            if raw.strip():
                yield offset, length, json.loads(raw)
            offset += length


def read_row_at(fh: IO[bytes], offset: int, length: int) -> dict[str, Any]:
    """One stage row (or source line) by its byte span."""
    fh.seek(offset)
    row: dict[str, Any] = json.loads(fh.read(length))
    return row


class SourceReader:
    """Reads rollouts back from the run's input files by ``src`` span; keeps files open."""

    def __init__(self, sources: Sequence[str]) -> None:
        self.sources = list(sources)
        self._handles: dict[int, IO[bytes]] = {}

    def _fh(self, index: int) -> IO[bytes]:
        fh = self._handles.get(index)
        if fh is None:
            fh = self._handles[index] = Path(self.sources[index]).open("rb")  # noqa: SIM115 - closed by close()
        return fh

    def raw(self, src: Sequence[int]) -> dict[str, Any]:
        """The source line of a stage row, parsed (validated when the run ingested it)."""
        return read_row_at(self._fh(int(src[0])), int(src[1]), int(src[2]))

    def rollout(self, row: Mapping[str, Any]) -> Rollout:
        """The full rollout of a stage row: text and metadata from the source, verdicts from the row."""
        obj = self.raw(row["src"])
        return Rollout(
            question_id=str(row["question_id"]),
            model=str(row["model"]),
            sample_index=int(row["sample_index"]),
            text=obj["text"],
            role=row.get("role", "teacher"),
            n_tokens=obj.get("n_tokens"),
            finish_reason=obj.get("finish_reason"),
            verdicts=row_verdicts(row),
            metadata=obj.get("metadata") or {},
        )

    def without_text(self, row: Mapping[str, Any]) -> Rollout:
        """The rollout of a stage row without reading its source line: identity and verdicts only."""
        return Rollout(
            question_id=str(row["question_id"]),
            model=str(row["model"]),
            sample_index=int(row["sample_index"]),
            text="",
            role=row.get("role", "teacher"),
            verdicts=row_verdicts(row),
        )

    def close(self) -> None:
        """Close every open input file."""
        for fh in self._handles.values():
            fh.close()
        self._handles.clear()
