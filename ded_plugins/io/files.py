"""Bytes on disk: atomic writes, JSON and JSONL, file locks.

Every writer writes to a temporary file beside the target and renames it, so a crash
never leaves a half-written file under the final name. Every reader of JSONL names the
file and the line of a malformed row.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from ded_plugins.errors import InputError, StageError


__all__ = [
    "atomic_write",
    "dump_json",
    "dumps_line",
    "file_lock",
    "read_json",
    "read_jsonl",
    "read_jsonl_spans",
    "read_text",
    "write_json",
    "write_jsonl",
    "write_text",
]


# --- writing ----------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; rename it over ``path`` only on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 would surprise other readers of the output
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def dumps_line(obj: Any) -> str:
    """One JSONL line; key order is the dict's own, so output is byte-stable."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"


def dump_json(obj: Any, *, sort_keys: bool = True) -> str:
    """Indented JSON (keys sorted unless the file's own order matters), for small metadata files."""
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=sort_keys) + "\n"


def write_jsonl(path: str | Path, rows: Iterable[Mapping[str, Any]]) -> int:
    """Write ``rows`` atomically; returns the number written."""
    n = 0
    with atomic_write(path) as fh:
        for row in rows:
            fh.write(dumps_line(row))
            n += 1
    return n


def write_json(path: str | Path, obj: Any, *, sort_keys: bool = True) -> None:
    """Write ``obj`` as indented JSON atomically (``sort_keys=False`` keeps a file's own key order)."""
    write_text(path, dump_json(obj, sort_keys=sort_keys))


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) atomically: a reader sees the old file or the whole new one."""
    with atomic_write(path) as fh:
        fh.write(text)


# --- reading ----------------------------------------------------------------------------


def read_jsonl_spans(
    path: str | Path, *, allow_empty: bool = False
) -> Iterator[tuple[int, int, int, dict[str, Any]]]:
    """``(line_number, byte offset, byte length, object)`` per line; blank lines are skipped.

    Anything else must be a JSON object in UTF-8; the error names the file and the line.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("file not found", path=str(p))
    seen = False
    offset = 0
    with p.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            start, offset = offset, offset + len(raw)
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"not valid UTF-8 (byte {exc.start}: {raw[exc.start : exc.start + 1]!r})",
                    path=str(p),
                    line=lineno,
                ) from None
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"malformed JSON: {exc.msg} at column {exc.colno}", path=str(p), line=lineno
                ) from None
            if not isinstance(obj, dict):
                raise InputError(
                    f"expected a JSON object, found {type(obj).__name__}", path=str(p), line=lineno
                )
            seen = True
            yield lineno, start, len(raw), obj
    if not seen and not allow_empty:
        raise InputError("file is empty: expected one JSON object per line", path=str(p))


def read_jsonl(path: str | Path, *, allow_empty: bool = False) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)``; blank lines are skipped, anything else must be an object."""
    for lineno, _, _, obj in read_jsonl_spans(path, allow_empty=allow_empty):
        yield lineno, obj


def read_text(path: str | Path, *, what: str = "file") -> str:
    """A whole UTF-8 text file; a missing or undecodable one raises :class:`InputError` naming it."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{what} not found", path=str(p)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid UTF-8 (byte {exc.start})", path=str(p)) from None


def read_json(path: str | Path, *, what: str = "JSON file") -> Any:
    """Parse a whole JSON file; a malformed one raises :class:`InputError` naming it."""
    p = Path(path)
    text = read_text(p, what=what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON: {exc.msg}", path=str(p), line=exc.lineno) from None


@contextlib.contextmanager
def file_lock(
    path: str | Path, *, blocking: bool = True, holder: str = "another ded process"
) -> Iterator[None]:
    """An exclusive ``flock`` on ``path`` (created if missing) for the duration of the block.

    With ``blocking=False`` a held lock raises :class:`StageError` at once instead of waiting.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with p.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            raise StageError(f"{holder} holds {p}; wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
