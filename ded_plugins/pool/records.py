"""Records of pool cleaning: benchmark items, contamination matches, duplicate links."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal


__all__ = ["Benchmark", "BenchmarkItem", "Duplicate", "Match"]

Status = Literal["contaminated", "similar"]
Method = Literal["exact", "ngram", "fuzzy", "date", "contest"]


@dataclass(frozen=True, slots=True, kw_only=True)
class BenchmarkItem:
    """One evaluated question: the statement exactly as the eval task shows it."""

    benchmark: str
    id: str
    text: str
    #: code problems: contest day (``YYYY-MM-DD``), platform and contest id, where known
    date: str | None = None
    platform: str | None = None
    contest: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Benchmark:
    """A benchmark's items; code benchmarks also carry their evaluation window (inclusive days)."""

    name: str
    items: tuple[BenchmarkItem, ...]
    window: tuple[str, str] | None = None
    #: where the items came from (hub id, local file, or "generated stand-in")
    source: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Match:
    """A pool question found in a benchmark, with the evidence a person needs to check it.

    ``status`` is ``contaminated`` (dropped) or ``similar`` (a look-alike: shares a long
    passage but not the numbers, or not enough of the statement; dropped only on request).
    ``evidence`` is JSON-able: shared passages and n-grams, coverage, fuzzy score, the
    benchmark numbers missing from the pool question, the contest date.
    """

    pool_id: str
    benchmark: str
    benchmark_id: str
    status: Status
    method: Method
    evidence: Mapping[str, Any] = field(default_factory=dict)
    pool_text: str = ""
    benchmark_text: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used in ``contamination.json`` and in verdict details."""
        return {
            "pool_id": self.pool_id,
            "benchmark": self.benchmark,
            "benchmark_id": self.benchmark_id,
            "status": self.status,
            "method": self.method,
            "evidence": dict(self.evidence),
            "pool_text": self.pool_text,
            "benchmark_text": self.benchmark_text,
        }

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> Match:
        """Inverse of :meth:`to_dict` (for rebuilding a report from rejected rows)."""
        return cls(
            pool_id=str(obj["pool_id"]),
            benchmark=str(obj["benchmark"]),
            benchmark_id=str(obj["benchmark_id"]),
            status=obj["status"],
            method=obj["method"],
            evidence=dict(obj.get("evidence") or {}),
            pool_text=str(obj.get("pool_text", "")),
            benchmark_text=str(obj.get("benchmark_text", "")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Duplicate:
    """A pool question dropped as a duplicate of an earlier, kept one."""

    id: str
    kept_id: str
    method: Literal["exact", "near"]
    #: estimated Jaccard similarity of the shingle sets (1.0 for exact duplicates)
    similarity: float = 1.0
    text: str = ""
