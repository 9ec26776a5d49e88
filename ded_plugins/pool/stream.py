"""A question pool read once, row by row, and rewritten without the rows a stage drops."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ded_plugins import io
from ded_plugins.errors import InputError
from ded_plugins.records import Question


__all__ = ["PoolSource", "clean_rows", "default_output", "progress_bar"]


@dataclass(frozen=True, kw_only=True)
class PoolSource:
    """Where a pool is and how its columns map to DED's question fields (as in curation configs)."""

    path: str
    format: str = "auto"
    split: str = "train"
    columns: Mapping[str, str] = field(default_factory=dict)
    domain: str | None = None

    @property
    def resolved_format(self) -> str:
        return io.question_format(self.path, self.format)

    def rows(self) -> Iterator[tuple[int, Mapping[str, Any], Question]]:
        """``(row number, raw row, question)`` in pool order."""
        return io.iter_pool(
            self.path,
            format=self.format,
            split=self.split,
            columns=dict(self.columns) or None,
            default_domain=self.domain,
        )


def default_output(source: PoolSource, suffix: str) -> Path:
    """``pool.jsonl`` -> ``pool.<suffix>.jsonl`` beside it; a dataset -> ``./<name>.<suffix>``."""
    fmt = source.resolved_format
    if fmt in ("jsonl", "parquet"):
        p = Path(source.path)
        return p.with_name(f"{p.stem}.{suffix}{p.suffix}")
    return Path.cwd() / f"{Path(source.path.rstrip('/')).name}.{suffix}"


@contextlib.contextmanager
def progress_bar(desc: str, enabled: bool) -> Iterator[Any]:
    """A tqdm bar on stderr counting questions."""
    bar = tqdm(desc=desc, unit="question", disable=not enabled, file=sys.stderr, mininterval=0.5)
    try:
        yield bar
    finally:
        bar.close()


def clean_rows(
    source: PoolSource, output: Path, keep: Callable[[Question, Mapping[str, Any]], bool], bar: Any
) -> None:
    """Stream ``source`` into ``output`` (same format), writing the rows ``keep`` accepts."""
    if output.resolve() == Path(source.path).resolve():
        raise InputError("the output would overwrite the input pool; choose another -o", path=str(output))
    with io.question_row_writer(output, like=source.path, format=source.format, split=source.split) as write:
        for n, row, question in source.rows():
            if keep(question, row):
                write(n, row)
            bar.update(1)
