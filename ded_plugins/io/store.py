"""The run's question store: the pool, checked once, in a read-only SQLite file.

A curation run reads its pool (JSONL, Parquet or a Hugging Face dataset) once, validates
every row and writes ``00_input/questions.sqlite``; every stage and every unit of work,
on this machine or another, then looks questions up by id without holding the pool in
memory. The file is written beside its final name and renamed into place, and opened
read-only (``immutable``), so many processes may read it at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tempfile
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from ded_plugins.errors import InputError
from ded_plugins.io.records import question_from_dict, question_to_dict
from ded_plugins.records import Question


__all__ = ["QuestionStore", "write_question_store"]

#: questions kept decoded per process (rollouts usually arrive grouped by question)
_CACHE_SIZE = 4096


def write_question_store(
    path: Path, questions: Iterable[tuple[int | None, Question]], *, source: str
) -> tuple[int, list[str]]:
    """Write ``(line, question)`` rows (pool order) to a new store at ``path`` atomically.

    A repeated id is an :class:`InputError` naming both lines of ``source``. Returns the
    number of questions and the files their rows name (checker programs).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    referenced: set[str] = set()
    n = 0
    try:
        db = sqlite3.connect(tmp)
        try:
            db.execute("PRAGMA journal_mode=OFF")
            db.execute("PRAGMA synchronous=OFF")
            db.execute(
                "CREATE TABLE questions"
                " (ord INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, line INT, row TEXT)"
            )
            for line, q in questions:
                try:
                    db.execute(
                        "INSERT INTO questions VALUES (?, ?, ?, ?)",
                        (n, q.id, line, json.dumps(question_to_dict(q), ensure_ascii=False)),
                    )
                except sqlite3.IntegrityError:
                    (first,) = db.execute("SELECT line FROM questions WHERE id = ?", (q.id,)).fetchone()
                    raise InputError(
                        f"duplicate question id {q.id!r} (first at line {first})",
                        path=source,
                        line=line,
                        field="id",
                    ) from None
                if q.tests is not None and q.tests.checker_path:
                    referenced.add(q.tests.checker_path)
                n += 1
            db.commit()
        finally:
            db.close()
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return n, sorted(referenced)


class QuestionStore(Mapping[str, Question]):
    """Questions by id, in pool order, from a store file; lookups are cached."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None
        self._pid = -1
        self._cache: OrderedDict[str, tuple[int, Question] | None] = OrderedDict()

    def _conn(self) -> sqlite3.Connection:
        if self._db is None or self._pid != os.getpid():  # a connection never crosses a fork
            uri = f"file:{self.path.absolute()}?mode=ro&immutable=1"
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self._pid = os.getpid()
            self._cache.clear()
        return self._db

    def __getstate__(self) -> dict[str, str]:  # picklable for executors: the path is enough
        return {"path": str(self.path)}

    def __setstate__(self, state: dict[str, str]) -> None:
        self.__init__(state["path"])  # type: ignore[misc]

    def _get(self, qid: str) -> tuple[int, Question] | None:
        db = self._conn()
        if qid in self._cache:
            self._cache.move_to_end(qid)
            return self._cache[qid]
        row = db.execute("SELECT ord, row FROM questions WHERE id = ?", (qid,)).fetchone()
        found = (
            None
            if row is None
            else (int(row[0]), question_from_dict(json.loads(row[1]), path=str(self.path)))
        )
        self._cache[qid] = found
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return found

    def __getitem__(self, qid: str) -> Question:
        found = self._get(qid)
        if found is None:
            raise KeyError(qid)
        return found[1]

    def __contains__(self, qid: object) -> bool:
        return isinstance(qid, str) and self._get(qid) is not None

    def __iter__(self) -> Iterator[str]:
        for (qid,) in self._conn().execute("SELECT id FROM questions ORDER BY ord"):
            yield str(qid)

    def __len__(self) -> int:
        return int(self._conn().execute("SELECT COUNT(*) FROM questions").fetchone()[0])

    def close(self) -> None:
        """Close the connection (it reopens on the next lookup)."""
        if self._db is not None:
            self._db.close()
            self._db = None
