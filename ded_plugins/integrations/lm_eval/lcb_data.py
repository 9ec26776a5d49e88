"""LiveCodeBench ``code_generation_lite`` data: release files, date window, decoded tests.

Reads the raw JSONL files (``test.jsonl`` ... ``test6.jsonl``) from a local directory (a
hub snapshot is one); the hub's loading script is not used (``datasets`` >= 4 dropped
scripts, and these machines have no hub). ``release_vN`` is ``test.jsonl`` through
``testN.jsonl``; ``vN`` is ``testN.jsonl`` alone; ``vA_vB`` is ``testA`` through
``testB``; ``release_latest`` is every file present.

Private tests are either JSON text or base64 -> zlib -> pickle -> JSON text. The pickle
is read by an unpickler that refuses every global (a crafted row cannot run code) after a
size-capped decompression; a problem whose decoded tests are empty is an error, never a
vacuous pass.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import pickle
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ded_plugins.errors import InputError
from ded_plugins.records import CodeTests
from ded_plugins.sandbox.jobs import RunRequest


__all__ = [
    "DEFAULT_WINDOW",
    "LcbProblem",
    "decode_private_tests",
    "load_lcb_problems",
    "release_files",
]

#: the DED paper's LiveCodeBench window (inclusive, as upstream compares dates)
DEFAULT_WINDOW = ("2025-02-01", "2025-05-01")
MAX_DECODED_BYTES = 1 << 30
_FILES = ("test.jsonl", *(f"test{n}.jsonl" for n in range(2, 10)))


@dataclass(frozen=True, slots=True, kw_only=True)
class LcbProblem:
    """One problem with its public and private tests, in the grader's encoding."""

    question_id: str
    title: str
    content: str
    platform: str
    contest_date: str
    difficulty: str
    starter_code: str
    fn_name: str | None
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    n_public: int

    def tests(self, timeout_s: float = 6.0) -> CodeTests:
        return CodeTests(inputs=self.inputs, outputs=self.outputs, fn_name=self.fn_name, timeout_s=timeout_s)

    def request(self, code: str, *, id: str = "", timeout_s: float = 6.0) -> RunRequest:
        """A sandbox request running ``code`` on the public then the private tests."""
        return RunRequest(
            id=id or self.question_id,
            code=code,
            inputs=self.inputs,
            outputs=self.outputs,
            fn_name=self.fn_name,
            timeout_s=timeout_s,
        )


class _NoGlobals(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing global {module}.{name} in a test payload")


def decode_private_tests(text: str, *, max_bytes: int = MAX_DECODED_BYTES) -> list[dict[str, Any]]:
    """Decode ``private_test_cases``: JSON text, or base64 -> zlib -> pickled JSON text."""
    try:
        value: Any = json.loads(text)
    except json.JSONDecodeError:
        try:
            compressed = base64.b64decode(text, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"neither JSON nor base64 ({exc})") from None
        inflater = zlib.decompressobj()
        raw = inflater.decompress(compressed, max_bytes)
        if inflater.unconsumed_tail:
            raise ValueError(f"decoded tests exceed {max_bytes} bytes") from None
        value = _NoGlobals(io.BytesIO(raw)).load()
        if isinstance(value, bytes | str):
            value = json.loads(value)
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise ValueError("expected a list of test objects")
    return value


def release_files(directory: Path, release: str) -> list[Path]:
    """The JSONL files of ``release`` in ``directory``, oldest first."""
    present = [directory / name for name in _FILES if (directory / name).is_file()]
    if release == "release_latest":
        chosen = present
    elif m := re.fullmatch(r"release_v(\d+)", release):
        chosen = [directory / name for name in _FILES[: int(m.group(1))]]
    elif m := re.fullmatch(r"v(\d+)", release):
        chosen = [directory / _FILES[int(m.group(1)) - 1]]
    elif m := re.fullmatch(r"v(\d+)_v(\d+)", release):
        chosen = [directory / name for name in _FILES[int(m.group(1)) - 1 : int(m.group(2))]]
    else:
        raise InputError(f"unknown release {release!r} (release_vN, release_latest, vN, vA_vB)")
    missing = [p.name for p in chosen if not p.is_file()]
    if missing or not chosen:
        raise InputError(
            f"release {release} needs {', '.join(missing) or 'test*.jsonl'}", path=str(directory)
        )
    return chosen


def _day(text: str) -> datetime:
    return datetime.strptime(text[:10], "%Y-%m-%d")


def _parse(row: dict[str, Any], path: Path, line: int) -> LcbProblem:
    def fail(field: str, message: str) -> InputError:
        return InputError(message, path=str(path), line=line, field=field)

    try:
        public = json.loads(row.get("public_test_cases") or "[]")
    except json.JSONDecodeError as exc:
        raise fail("public_test_cases", f"not JSON ({exc.msg})") from None
    try:
        private = decode_private_tests(row.get("private_test_cases") or "[]")
    except (ValueError, pickle.UnpicklingError, zlib.error, EOFError) as exc:
        raise fail("private_test_cases", f"cannot decode: {exc}") from None
    tests = [*public, *private]
    if not tests:
        raise fail("private_test_cases", "the problem has no tests (it would pass vacuously)")
    try:
        metadata = json.loads(row.get("metadata") or "{}")
    except json.JSONDecodeError as exc:
        raise fail("metadata", f"not JSON ({exc.msg})") from None
    try:
        inputs = tuple(str(t["input"]) for t in tests)
        outputs = tuple(str(t["output"]) for t in tests)
    except KeyError as exc:
        raise fail("public_test_cases", f"a test lacks {exc}") from None
    return LcbProblem(
        question_id=str(row.get("question_id", "")),
        title=str(row.get("question_title", "")),
        content=str(row.get("question_content", "")),
        platform=str(row.get("platform", "")),
        contest_date=str(row.get("contest_date", "")),
        difficulty=str(row.get("difficulty", "")),
        starter_code=str(row.get("starter_code") or ""),
        fn_name=metadata.get("func_name") if isinstance(metadata, dict) else None,
        inputs=inputs,
        outputs=outputs,
        n_public=len(public),
    )


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as fh:
        for line, text in enumerate(fh, start=1):
            if text.strip():
                try:
                    row = json.loads(text)
                except json.JSONDecodeError as exc:
                    raise InputError(f"not valid JSON ({exc.msg})", path=str(path), line=line) from None
                if not isinstance(row, dict):
                    raise InputError("expected a JSON object", path=str(path), line=line)
                yield line, row


def load_lcb_problems(
    source: str | Path,
    *,
    release: str = "release_v6",
    start: str | None = DEFAULT_WINDOW[0],
    end: str | None = DEFAULT_WINDOW[1],
    difficulty: str | None = None,
) -> list[LcbProblem]:
    """Problems of ``release`` from a directory (or one JSONL file), filtered by date and difficulty."""
    path = Path(source).expanduser()
    files = [path] if path.is_file() else release_files(path, release) if path.is_dir() else []
    if not files:
        raise InputError(
            "no LiveCodeBench data here (a directory of test*.jsonl or a .jsonl file)", path=str(path)
        )
    lo, hi = (_day(start) if start else None), (_day(end) if end else None)
    problems = []
    for file in files:
        for line, row in _rows(file):
            day = _day(str(row.get("contest_date", "")))
            if (lo and day < lo) or (hi and day > hi):
                continue
            if difficulty and row.get("difficulty") != difficulty:
                continue
            problems.append(_parse(row, file, line))
    return problems
