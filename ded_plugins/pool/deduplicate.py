"""``ded pool dedup``: the pool without its duplicate questions, plus ``duplicates.json``/``.md``.

One streaming pass decides and writes (the first of each cluster in pool order is kept);
when duplicates were found, a second pass reads the kept questions' texts for the report.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ded_plugins.pool.dedup import Deduplicator
from ded_plugins.pool.records import Duplicate
from ded_plugins.pool.report import write_duplicates_report
from ded_plugins.pool.stream import PoolSource, clean_rows, progress_bar
from ded_plugins.records import Question


__all__ = ["DedupResult", "dedup_pool"]


@dataclass(frozen=True, kw_only=True)
class DedupResult:
    """What :func:`dedup_pool` did."""

    questions: int
    kept: int
    duplicates: tuple[Duplicate, ...]
    output: Path
    report_json: Path
    report_md: Path
    seconds: float

    @property
    def clusters(self) -> int:
        return len({d.kept_id for d in self.duplicates})


def dedup_pool(
    source: PoolSource,
    output: str | Path,
    *,
    report_dir: str | Path | None = None,
    threshold: float = 0.8,
    num_perm: int = 128,
    shingle: int = 3,
    progress: bool = True,
) -> DedupResult:
    """Write ``source`` without the questions that duplicate an earlier one (same format)."""
    started = time.perf_counter()
    seen = Deduplicator(threshold=threshold, num_perm=num_perm, shingle=shingle)
    found: list[Duplicate] = []
    counts = {"questions": 0}

    def keep(question: Question, row: Mapping[str, Any]) -> bool:
        counts["questions"] += 1
        dup = seen.add(question.id, question.prompt)
        if dup is not None:
            found.append(dup)
        return dup is None

    out = Path(output)
    with progress_bar("dedup", progress) as bar:
        clean_rows(source, out, keep, bar)
    wanted = {d.kept_id for d in found}
    texts: dict[str, str] = {}
    if wanted:
        for _, _, q in source.rows():
            if q.id in wanted:
                texts[q.id] = q.prompt
    summary = {
        "pool": str(source.path),
        "output": str(out),
        "questions": counts["questions"],
        "kept": len(seen),
        "dropped": len(found),
    }
    json_path, md_path = write_duplicates_report(
        Path(report_dir) if report_dir is not None else out.parent,
        found,
        kept_texts=texts,
        pool=summary,
        settings={"threshold": threshold, "num_perm": num_perm, "shingle": shingle},
    )
    return DedupResult(
        questions=counts["questions"],
        kept=len(seen),
        duplicates=tuple(found),
        output=out,
        report_json=json_path,
        report_md=md_path,
        seconds=time.perf_counter() - started,
    )
