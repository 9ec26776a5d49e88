"""Splitting a stage's input into units.

Processor units are runs of consecutive stage rows (byte ranges of the previous stage's
``kept.jsonl`` and ``student.jsonl``). Selector units are shards of whole question groups:
the input rows are indexed once (question order, teacher before student, input order, as
numpy arrays of a few integers per row, never the rows themselves), sorted, and cut at
group boundaries; each unit gets the byte span of every row it holds.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ded_plugins.engine.units import Unit
from ded_plugins.io.rows import iter_row_spans


__all__ = ["group_units", "processor_units"]


def _unit(units: list[Unit], units_dir: Path, spans: tuple[tuple[str, int, int], ...], rows: int) -> None:
    """Append the next unit (its index is its place in the merge order)."""
    index = len(units)
    units.append(Unit(index=index, spans=spans, output=str(units_dir / f"{index:06d}.jsonl"), rows=rows))


def processor_units(files: Sequence[Path], units_dir: Path, rows_per_unit: int) -> list[Unit]:
    """Consecutive runs of ``rows_per_unit`` rows of each file, in file order."""
    units: list[Unit] = []
    for path in files:
        if not path.is_file():
            continue
        start: int | None = None
        end = count = 0
        for offset, length, _ in iter_row_spans(path):
            start = offset if start is None else start
            end, count = offset + length, count + 1
            if count == rows_per_unit:
                _unit(units, units_dir, ((str(path), start, end - start),), count)
                start, count = None, 0
        if start is not None:
            _unit(units, units_dir, ((str(path), start, end - start),), count)
    return units


def group_units(files: Sequence[Path], units_dir: Path, rows_per_unit: int, *, one_unit: bool) -> list[Unit]:
    """Shards of whole question groups in pool order (``one_unit``: everything in one shard)."""
    qord, role, seq = array("q"), array("b"), array("q")
    file_id, offsets, lengths = array("q"), array("q"), array("q")
    for fi, path in enumerate(files):
        if not path.is_file():
            continue
        for offset, length, row in iter_row_spans(path):
            qord.append(int(row["qord"]))
            role.append(0 if row.get("role", "teacher") == "teacher" else 1)
            seq.append(int(row["seq"]))
            file_id.append(fi)
            offsets.append(offset)
            lengths.append(length)
    if not qord:
        return []
    q = np.frombuffer(qord, dtype=np.int64)
    order = np.lexsort((np.frombuffer(seq, dtype=np.int64), np.frombuffer(role, dtype=np.int8), q))
    f = np.frombuffer(file_id, dtype=np.int64)[order]
    o = np.frombuffer(offsets, dtype=np.int64)[order]
    n = np.frombuffer(lengths, dtype=np.int64)[order]
    qs = q[order]
    names = [str(p) for p in files]
    # group boundaries: where the question changes
    starts = np.flatnonzero(np.r_[True, qs[1:] != qs[:-1]])
    bounds = np.r_[starts, len(qs)]
    units: list[Unit] = []
    first = 0
    for g in range(1, len(bounds)):
        size = bounds[g] - bounds[first]
        if g == len(bounds) - 1 or (not one_unit and size >= rows_per_unit):
            lo, hi = int(bounds[first]), int(bounds[g])
            spans = tuple((names[int(f[i])], int(o[i]), int(n[i])) for i in range(lo, hi))
            _unit(units, units_dir, spans, hi - lo)
            first = g
    return units
