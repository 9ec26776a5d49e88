"""Steps: declared inputs + parameters -> fingerprint -> a marker written when the step is complete.

Every orchestrator of DED (curation stages, ``ded teacher``'s training and evaluation,
``ded rollout`` jobs, the LLaMA-Factory hook's cache, the demo) decides "is this done?"
the same way: a :class:`Step` names what it reads (files and directories, hashed by
content) and its parameters (JSON), chains onto the fingerprint of the step it builds
on, and is done when its marker holds that fingerprint. Change a byte of any input, a
parameter, or anything upstream, and the step runs again, and so does every step after it.

Components declare the files they read in their factory's signature, with the types
:data:`InputPath` (a file or directory that must exist) and :data:`ModelRef` (a local
model or tokenizer directory, or a hub id); the config layer resolves such values by one
rule (relative to the config file that names them) and hashes them into the fingerprint
of the stage that reads them.

Content hashes are remembered per (path, size, mtime, ctime, inode) in a small SQLite
file (``$DED_HASH_CACHE``, default ``~/.cache/ded-plugins/file-hashes.sqlite``), so a 60 GB
model directory is read once, not on every run; any write to a file changes its ctime.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, NewType

from ded_plugins.errors import InputError
from ded_plugins.io.files import read_json, write_json


__all__ = [
    "InputPath",
    "ModelRef",
    "Step",
    "canonical_json",
    "content_digest",
    "ded_version",
    "digest",
    "plain",
    "without_inputs",
]

log = logging.getLogger(__name__)

#: a file or directory a component reads: resolved against the config file's directory,
#: must exist, and is hashed (by content) into the fingerprint of the stage that reads it
InputPath = NewType("InputPath", str)
#: a model or tokenizer: a local directory (resolved and hashed like an :data:`InputPath`)
#: or a hub id, which is used as written (and hashed as its name)
ModelRef = NewType("ModelRef", str)

#: entries skipped when hashing a directory: our own bookkeeping and bytecode caches
_SKIP_NAMES = frozenset({".ded_cache", ".ded", "__pycache__", ".lock"})


def without_inputs(params: Mapping[str, Any], inputs: Iterable[str]) -> dict[str, Any]:
    """``params`` less those that are declared inputs, which a fingerprint takes by content.

    ``inputs`` are the labels the config checker gives them: ``name``, ``name.key`` (one of
    a mapping) or ``name[i]`` (one of a list); each is parameter ``name``.
    """
    declared = {label.split("[")[0].split(".")[0] for label in inputs}
    return {k: v for k, v in params.items() if k not in declared}


def plain(value: Any) -> Any:
    """``value`` as JSON-able data: records with ``to_dict()`` (question sources) become mappings."""
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def canonical_json(obj: Any) -> str:
    """Key-sorted compact JSON, for hashing."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def digest(*parts: Any) -> str:
    """A short stable hash of JSON-able parts."""
    return hashlib.sha256(canonical_json(list(parts)).encode()).hexdigest()[:16]


def ded_version() -> str:
    """The installed ded-plugins version (part of every fingerprint)."""
    try:
        return metadata.version("ded-plugins")
    except metadata.PackageNotFoundError:
        return "0+unknown"


# --- content hashes ----------------------------------------------------------------------


class _HashCache:
    """``(path, size, mtime_ns, ctime_ns, inode) -> sha256`` in SQLite; best effort."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._memo: dict[tuple[str, int, int, int, int], str] = {}
        self._failed = False

    def _connect(self) -> sqlite3.Connection | None:
        if self._db is not None or self._failed:
            return self._db
        env = os.environ.get("DED_HASH_CACHE")
        xdg = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        path = Path(env) if env else xdg / "ded-plugins" / "file-hashes.sqlite"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, timeout=30, check_same_thread=False)
            db.execute(
                "CREATE TABLE IF NOT EXISTS hashes (path TEXT, size INT, mtime INT, ctime INT, ino INT,"
                " sha256 TEXT, PRIMARY KEY (path, size, mtime, ctime, ino))"
            )
            db.commit()
            self._db = db
        except (OSError, sqlite3.Error) as exc:
            log.debug("file hash cache unavailable (%s); hashing without it", exc)
            self._failed = True
        return self._db

    def get(self, key: tuple[str, int, int, int, int]) -> str | None:
        with self._lock:
            if key in self._memo:
                return self._memo[key]
            db = self._connect()
            if db is None:
                return None
            try:
                row = db.execute(
                    "SELECT sha256 FROM hashes WHERE path=? AND size=? AND mtime=? AND ctime=? AND ino=?", key
                ).fetchone()
            except sqlite3.Error:
                return None
            if row is not None:
                self._memo[key] = str(row[0])
            return None if row is None else str(row[0])

    def put(self, key: tuple[str, int, int, int, int], value: str) -> None:
        with self._lock:
            self._memo[key] = value
            db = self._connect()
            if db is None:
                return
            try:
                db.execute("INSERT OR REPLACE INTO hashes VALUES (?, ?, ?, ?, ?, ?)", (*key, value))
                db.commit()
            except sqlite3.Error:
                pass


_CACHE = _HashCache()


def _file_sha256(path: Path) -> str:
    st = path.stat()
    key = (str(path.absolute()), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    value = h.hexdigest()
    _CACHE.put(key, value)
    return value


def _walk(root: Path, exclude: tuple[Path, ...]) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames if d not in _SKIP_NAMES and (here / d).absolute() not in exclude
        )
        for name in sorted(filenames):
            if name not in _SKIP_NAMES:
                yield here / name


def content_digest(path: str | Path, *, exclude: Iterable[Path] = ()) -> str:
    """sha256 of a file's bytes, or of a directory's file names and contents (sorted, recursive).

    ``exclude`` lists directories to leave out (a run's own outputs inside an input tree).
    """
    p = Path(path)
    if p.is_file():
        return _file_sha256(p)
    if not p.is_dir():
        raise FileNotFoundError(f"declared input not found: {p}")
    skip = tuple(e.absolute() for e in exclude)
    h = hashlib.sha256()
    for f in _walk(p, skip):
        h.update(str(f.relative_to(p)).encode() + b"\0")
        h.update(_file_sha256(f).encode() + b"\0")
    return "dir:" + h.hexdigest()


def input_digest(value: str, *, exclude: Iterable[Path] = ()) -> str:
    """A local path's content digest, or ``name:<value>`` for a hub id / served model name."""
    p = Path(value)
    if p.is_absolute() and p.exists():
        return content_digest(p, exclude=exclude)
    return f"name:{value}"


# --- steps -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Step:
    """One unit of bookkeeping: done when ``marker`` holds :meth:`fingerprint`.

    ``inputs`` maps a label to a local path (hashed by content) or a hub id (hashed by
    name); ``after`` is the fingerprint of the step this one builds on (chaining makes
    every later step re-run when an earlier one changes).
    """

    name: str
    marker: Path
    params: Mapping[str, Any] = field(default_factory=dict)
    inputs: Mapping[str, str] = field(default_factory=dict)
    after: str = ""
    #: directories to leave out when hashing inputs (outputs that live inside an input tree)
    exclude: tuple[Path, ...] = ()

    def fingerprint(self) -> str:
        """sha256 over the name, parameters, input digests, the previous fingerprint and our version."""
        payload = {
            "step": self.name,
            "params": self.params,
            "inputs": {k: input_digest(v, exclude=self.exclude) for k, v in sorted(self.inputs.items())},
            "after": self.after,
            "version": ded_version(),
        }
        return hashlib.sha256(canonical_json(payload).encode()).hexdigest()

    def done(self, fingerprint: str | None = None) -> dict[str, Any] | None:
        """The marker's ``result`` when it holds this fingerprint, else ``None``."""
        fp = fingerprint or self.fingerprint()
        try:
            data = read_json(self.marker, what="step marker")
        except InputError:  # missing or torn: not done
            return None
        if not isinstance(data, dict) or data.get("fingerprint") != fp:
            return None
        result = data.get("result")
        return dict(result) if isinstance(result, Mapping) else {"value": result}

    def complete(
        self, result: Mapping[str, Any], *, fingerprint: str | None = None, seconds: float = 0.0
    ) -> str:
        """Write the marker atomically (last, when everything else of the step is in place)."""
        fp = fingerprint or self.fingerprint()
        write_json(
            self.marker,
            {
                "step": self.name,
                "fingerprint": fp,
                "after": self.after,
                "params": dict(self.params),
                "inputs": dict(self.inputs),
                "result": dict(result),
                "seconds": round(seconds, 3),
                "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "ded_version": ded_version(),
            },
        )
        return fp

    def invalidate(self) -> None:
        """Remove the marker (the step's outputs are about to be rebuilt)."""
        with contextlib.suppress(FileNotFoundError):
            self.marker.unlink()
