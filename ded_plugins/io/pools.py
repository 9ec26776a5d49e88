"""Question pools as they are on disk, streamed: the rows of JSONL, Parquet or a Hugging Face
dataset, and a writer that keeps the source's own format (``ded pool``'s clean pools)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ded_plugins._optional import require
from ded_plugins.errors import InputError
from ded_plugins.io.files import atomic_write, dumps_line, read_jsonl
from ded_plugins.io.records import _read_hf, question_from_dict
from ded_plugins.records import Question


__all__ = ["iter_pool", "iter_questions", "question_format", "question_row_writer", "question_rows"]


def question_format(path: str | Path, format: str = "auto") -> str:
    """``jsonl``, ``parquet`` or ``hf`` for a question source (``auto`` decides by the name)."""
    p = str(path)
    if format == "auto":
        if p.endswith((".jsonl", ".json")):
            return "jsonl"
        return "parquet" if p.endswith(".parquet") else "hf"
    if format not in ("jsonl", "parquet", "hf"):
        raise InputError(f"unknown question format {format!r}; expected auto, jsonl, parquet or hf", path=p)
    return format


def question_rows(
    path: str | Path, *, format: str = "auto", split: str = "train"
) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """Stream the raw rows of a question source: JSONL by line, Parquet by batch, HF by row.

    Yields ``(row number, row)``; the number is the JSONL line (blank lines count) or the
    1-based row of a Parquet file or dataset. Memory stays that of one batch.
    """
    p = str(path)
    fmt = question_format(p, format)
    if fmt == "jsonl":
        yield from read_jsonl(p)
    elif fmt == "parquet":
        pq = require("pyarrow.parquet", "hf", purpose="reading Parquet question pools")
        if not Path(p).is_file():
            raise InputError("file not found", path=p)
        n = 0
        for batch in pq.ParquetFile(p).iter_batches(batch_size=4096):
            for row in batch.to_pylist():
                n += 1
                yield n, row
    else:
        for i, row in _read_hf(p, split):
            yield int(i or 0), row


def _parsed(
    path: str, format: str, split: str, columns: Mapping[str, str] | None, default_domain: str | None
) -> Iterator[tuple[int, Mapping[str, Any], Question]]:
    for n, row in question_rows(path, format=format, split=split):
        yield (
            n,
            row,
            question_from_dict(row, path=path, line=n, columns=columns, default_domain=default_domain),
        )


def iter_questions(
    path: str | Path,
    *,
    format: str = "auto",
    split: str = "train",
    columns: Mapping[str, str] | None = None,
    default_domain: str | None = None,
    limit: int | None = None,
) -> Iterator[tuple[int, Question]]:
    """``(line, question)`` of a pool in file order, streamed and validated (duplicates not checked)."""
    p = str(path)
    n = 0
    for line, _, q in _parsed(p, format, split, columns, default_domain):
        yield line, q
        n += 1
        if limit is not None and n >= limit:
            break
    if n == 0:
        raise InputError("no questions found", path=p)


def iter_pool(
    path: str | Path,
    *,
    format: str = "auto",
    split: str = "train",
    columns: Mapping[str, str] | None = None,
    default_domain: str | None = None,
) -> Iterator[tuple[int, Mapping[str, Any], Question]]:
    """Stream ``(row number, raw row, question)`` in file order; a duplicate id is an error.

    The streaming counterpart of :func:`~ded_plugins.io.records.read_questions`: only the ids
    seen so far are kept.
    """
    p = str(path)
    first: dict[str, int] = {}
    for n, row, q in _parsed(p, format, split, columns, default_domain):
        if q.id in first:
            raise InputError(
                f"duplicate question id {q.id!r} (first at row {first[q.id]})", path=p, line=n, field="id"
            )
        first[q.id] = n
        yield n, row, q
    if not first:
        raise InputError("no questions found", path=p)


@contextlib.contextmanager
def question_row_writer(
    path: str | Path, *, like: str | Path, format: str = "auto", split: str = "train"
) -> Iterator[Any]:
    """Write a subset of the rows of the source ``like`` in its own format, atomically.

    Yields ``write(row_number, row)``; call it for each kept row, in order. JSONL and
    Parquet are written as they come (Parquet keeps the source's schema); a Hugging Face
    dataset is written with ``save_to_disk`` from the kept row numbers when the block ends.
    """
    fmt = question_format(like, format)
    target = Path(path)
    if fmt == "jsonl":
        with atomic_write(target) as fh:
            yield lambda n, row: fh.write(dumps_line(dict(row)))
    elif fmt == "parquet":
        pa = require("pyarrow", "hf", purpose="writing Parquet question pools")
        pq = require("pyarrow.parquet", "hf", purpose="writing Parquet question pools")
        schema = pq.ParquetFile(str(like)).schema_arrow
        buffer: list[Mapping[str, Any]] = []
        with atomic_write(target, "wb") as fh, pq.ParquetWriter(fh, schema) as writer:

            def flush() -> None:
                writer.write_table(pa.Table.from_pylist([dict(r) for r in buffer], schema=schema))
                buffer.clear()

            def write(n: int, row: Mapping[str, Any]) -> None:
                buffer.append(row)
                if len(buffer) >= 4096:
                    flush()

            yield write
            flush()  # an empty pool still gets a file with the schema
    else:
        import shutil

        datasets = require("datasets", "hf", purpose="writing Hugging Face datasets")
        kept: list[int] = []
        yield lambda n, row: kept.append(n - 1)
        source = str(like)
        if Path(source).is_dir():
            ds = datasets.load_from_disk(source)
        else:
            ds = datasets.load_dataset(source, split=split)
        if hasattr(ds, "keys"):
            ds = ds[split]
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            ds.select(kept).save_to_disk(str(tmp))
            if target.exists():
                shutil.rmtree(target)
            os.replace(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
