"""``check_jsonl``: grade a JSONL file of programs in the sandbox (what ``ded sandbox check`` runs)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ded_plugins.io import atomic_write, dumps_line, read_jsonl, run_request_from_dict
from ded_plugins.sandbox.jobs import DEFAULT_GRADER
from ded_plugins.sandbox.sandbox import Sandbox


__all__ = ["CheckSummary", "check_jsonl"]


@dataclass(frozen=True, slots=True)
class CheckSummary:
    """How a ``check_jsonl`` run went."""

    passed: int
    total: int
    grader: str
    isolation: str
    output: Path


def check_jsonl(
    in_path: Path,
    out_path: Path,
    *,
    grader: str = DEFAULT_GRADER,
    workers: int | None = None,
    allow_degraded: bool = False,
) -> CheckSummary:
    """Grade every row of ``in_path``; write each row with its verdict fields to ``out_path`` atomically."""
    rows = []
    requests = []
    for line, row in read_jsonl(in_path):
        requests.append(run_request_from_dict(row, path=str(in_path), line=line))
        rows.append(row)
    with Sandbox(grader=grader, workers=workers, allow_degraded=allow_degraded) as box:
        results = box.run_many(requests)
    with atomic_write(out_path) as fh:
        for row, result in zip(rows, results, strict=True):
            fh.write(dumps_line({**row, **result.to_dict()}))
    return CheckSummary(sum(r.passed for r in results), len(results), grader, box.isolation, out_path)
