"""Records as rows: questions, rollouts and sandbox jobs to and from their file forms.

Questions come from JSONL, Parquet or a Hugging Face dataset (hub id or local
directory); rollouts are JSONL. Every reader validates as it goes and raises
:class:`~ded_plugins.errors.InputError` naming the file, the line and the field.
Every writer writes to a temporary file beside the target and renames it, so a
crash never leaves a half-written file under the final name.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ded_plugins._optional import require
from ded_plugins.errors import InputError
from ded_plugins.io.files import read_jsonl
from ded_plugins.records import CodeTests, Question, Rejection, Rollout, Verdict
from ded_plugins.sandbox.jobs import RunRequest


__all__ = [
    "question_from_dict",
    "question_to_dict",
    "questions_by_id",
    "read_questions",
    "read_rollouts",
    "rollout_from_dict",
    "rollout_to_dict",
    "run_request_from_dict",
]

QUESTION_FIELDS = ("id", "domain", "prompt", "answer", "tests", "metadata")
ROLLOUT_FIELDS = (
    "question_id",
    "model",
    "sample_index",
    "text",
    "role",
    "n_tokens",
    "finish_reason",
    "verdicts",
    "metadata",
    "rejection",
)


class _Row:
    """Typed access to one input row, raising errors that name file, line and field."""

    def __init__(self, obj: Mapping[str, Any], path: str, line: int | None) -> None:
        self.obj = obj
        self.path = path
        self.line = line

    def error(self, field: str, message: str) -> InputError:
        return InputError(message, path=self.path, line=self.line, field=field)

    def get(self, field: str, types: type | tuple[type, ...], *, required: bool, default: Any = None) -> Any:
        if field not in self.obj or self.obj[field] is None:
            if required:
                raise self.error(field, "missing required field")
            return default
        value = self.obj[field]
        if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
            raise self.error(field, f"expected {_names(types)}, found bool {value!r}")
        if not isinstance(value, types):
            raise self.error(field, f"expected {_names(types)}, found {type(value).__name__} {_short(value)}")
        return value


def _names(types: type | tuple[type, ...]) -> str:
    ts = types if isinstance(types, tuple) else (types,)
    return " or ".join(
        {"str": "string", "int": "integer", "float": "number", "dict": "object", "list": "array"}.get(
            t.__name__, t.__name__
        )
        for t in ts
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def question_from_dict(
    obj: Mapping[str, Any],
    *,
    path: str = "<input>",
    line: int | None = None,
    columns: Mapping[str, str] | None = None,
    default_domain: str | None = None,
) -> Question:
    """Build a :class:`Question` from a row; ``columns`` maps our field names to the row's."""
    if columns:
        obj = {**obj, **{ours: obj[theirs] for ours, theirs in columns.items() if theirs in obj}}
        for ours, theirs in columns.items():
            if theirs not in obj and ours in ("id", "prompt"):
                raise InputError(
                    f"column {theirs!r} (mapped to {ours!r}) not found; row has {sorted(obj)}",
                    path=path,
                    line=line,
                    field=theirs,
                )
    row = _Row(obj, path, line)
    qid = row.get("id", (str, int), required=True)
    if default_domain is None and obj.get("domain") is None:
        raise row.error(
            "domain", "missing required field (or set 'domain:' under 'questions:' in the config)"
        )
    domain = row.get("domain", str, required=False, default=default_domain)
    prompt = row.get("prompt", str, required=True)
    if not prompt.strip():
        raise row.error("prompt", "must not be empty")
    answer = row.get("answer", (str, int, float), required=False)
    tests_obj = row.get("tests", (dict, str), required=False)
    tests = None
    if tests_obj is not None:
        if isinstance(tests_obj, str):
            try:
                tests_obj = json.loads(tests_obj)
            except json.JSONDecodeError as exc:
                raise row.error("tests", f"not valid JSON: {exc.msg}") from None
            if not isinstance(tests_obj, dict):
                raise row.error("tests", "expected an object")
        tests = _tests_from_dict(tests_obj, row)
    metadata = row.get("metadata", dict, required=False, default={})
    return Question(
        id=str(qid),
        domain=domain,
        prompt=prompt,
        answer=None if answer is None else str(answer),
        tests=tests,
        metadata=metadata,
    )


def _tests_from_dict(obj: Mapping[str, Any], row: _Row) -> CodeTests:
    sub = _Row(obj, row.path, row.line)
    inputs = sub.get("inputs", list, required=True)
    outputs = sub.get("outputs", list, required=True)
    for name, values in (("inputs", inputs), ("outputs", outputs)):
        for i, v in enumerate(values):
            if not isinstance(v, str):
                raise row.error(f"tests.{name}[{i}]", f"expected string, found {type(v).__name__}")
    if len(inputs) != len(outputs):
        raise row.error("tests", f"{len(inputs)} inputs but {len(outputs)} outputs")
    if not inputs:
        raise row.error("tests.inputs", "a programming question needs at least one test")
    fn_name = sub.get("fn_name", str, required=False)
    timeout = sub.get("timeout_s", (int, float), required=False, default=6.0)
    checker = sub.get("checker", str, required=False)
    checker_path = sub.get("checker_path", str, required=False)
    # ``checker_from``: where an already-read checker came from (the run's own store writes it)
    read_from = sub.get("checker_from", str, required=False)
    if checker_path is None and read_from is not None and checker is not None:
        checker_path = read_from
    elif checker_path is not None:
        if checker is not None:
            raise row.error("tests.checker_path", "give the checker's source (checker) or its file, not both")
        pool = Path(row.path)
        base = pool if pool.is_dir() else pool.parent
        file = Path(checker_path).expanduser()
        file = (file if file.is_absolute() else base / file).absolute()
        try:
            checker = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise row.error("tests.checker_path", f"cannot read checker {str(file)!r}: {exc}") from None
        checker_path = str(file)
    return CodeTests(
        inputs=tuple(inputs),
        outputs=tuple(outputs),
        fn_name=fn_name or None,
        timeout_s=float(timeout),
        checker=checker,
        checker_path=checker_path,
    )


def question_to_dict(q: Question) -> dict[str, Any]:
    """The canonical JSONL form of a question."""
    out: dict[str, Any] = {"id": q.id, "domain": q.domain, "prompt": q.prompt}
    if q.answer is not None:
        out["answer"] = q.answer
    if q.tests is not None:
        t = q.tests
        out["tests"] = {
            "inputs": list(t.inputs),
            "outputs": list(t.outputs),
            "fn_name": t.fn_name,
            "timeout_s": t.timeout_s,
            "checker": t.checker,
        }
        if t.checker_path is not None:
            out["tests"]["checker_from"] = t.checker_path
    if q.metadata:
        out["metadata"] = dict(q.metadata)
    return out


def read_questions(
    path: str | Path,
    *,
    format: str = "auto",
    split: str = "train",
    columns: Mapping[str, str] | None = None,
    default_domain: str | None = None,
    limit: int | None = None,
) -> dict[str, Question]:
    """Read a question pool keyed by id, in file order; duplicate ids are an error."""
    from ded_plugins.io.pools import iter_questions

    rows = iter_questions(
        path, format=format, split=split, columns=columns, default_domain=default_domain, limit=limit
    )
    return questions_by_id(rows, source=str(path))


def questions_by_id(rows: Iterable[tuple[int | None, Question]], *, source: str) -> dict[str, Question]:
    """``(line, question)`` rows as a dict by id, in order; a repeated id names both lines of ``source``."""
    out: dict[str, Question] = {}
    first_line: dict[str, int | None] = {}
    for lineno, q in rows:
        if q.id in out:
            raise InputError(
                f"duplicate question id {q.id!r} (first at line {first_line[q.id]})",
                path=source,
                line=lineno,
                field="id",
            )
        out[q.id] = q
        first_line[q.id] = lineno
    return out


def _read_hf(name: str, split: str) -> Iterator[tuple[int | None, Mapping[str, Any]]]:
    datasets = require("datasets", "hf", purpose="reading Hugging Face datasets")
    try:
        if Path(name).is_dir():
            try:
                ds = datasets.load_from_disk(name)
                if hasattr(ds, "keys"):
                    ds = ds[split]
            except FileNotFoundError:
                ds = datasets.load_dataset(name, split=split)
        else:
            ds = datasets.load_dataset(name, split=split)
    except Exception as exc:
        raise InputError(f"could not load Hugging Face dataset (split {split!r}): {exc}", path=name) from exc
    yield from enumerate(ds, start=1)


def rollout_from_dict(obj: Mapping[str, Any], *, path: str = "<input>", line: int | None = None) -> Rollout:
    """Build a :class:`Rollout` from a JSONL row (unknown keys are an error)."""
    row = _Row(obj, path, line)
    unknown = sorted(set(obj) - set(ROLLOUT_FIELDS))
    if unknown:
        raise row.error(unknown[0], f"unknown field; accepted: {', '.join(ROLLOUT_FIELDS)}")
    sample_index = row.get("sample_index", int, required=True)
    if sample_index < 0:
        raise row.error("sample_index", f"must be >= 0, found {sample_index}")
    role = row.get("role", str, required=False, default="teacher")
    if role not in ("teacher", "student"):
        raise row.error("role", f"expected 'teacher' or 'student', found {role!r}")
    n_tokens = row.get("n_tokens", int, required=False)
    verdicts_obj = row.get("verdicts", dict, required=False, default={})
    verdicts = {}
    for stage, v in verdicts_obj.items():
        if not isinstance(v, dict) or not isinstance(v.get("passed"), bool):
            raise row.error(f"verdicts.{stage}", "expected an object with a boolean 'passed'")
        verdicts[stage] = Verdict(
            passed=v["passed"], reason=str(v.get("reason", "ok")), details=v.get("details") or {}
        )
    return Rollout(
        question_id=str(row.get("question_id", (str, int), required=True)),
        model=row.get("model", str, required=True),
        sample_index=sample_index,
        text=row.get("text", str, required=True),
        role=role,
        n_tokens=n_tokens,
        finish_reason=row.get("finish_reason", str, required=False),
        verdicts=verdicts,
        metadata=row.get("metadata", dict, required=False, default={}),
    )


def rollout_to_dict(r: Rollout, rejection: Rejection | None = None) -> dict[str, Any]:
    """The canonical JSONL form of a rollout (and of its rejection, for ``rejected.jsonl``)."""
    out: dict[str, Any] = {
        "question_id": r.question_id,
        "model": r.model,
        "sample_index": r.sample_index,
        "role": r.role,
        "text": r.text,
    }
    if r.n_tokens is not None:
        out["n_tokens"] = r.n_tokens
    if r.finish_reason is not None:
        out["finish_reason"] = r.finish_reason
    if r.metadata:
        out["metadata"] = dict(r.metadata)
    if r.verdicts:
        out["verdicts"] = {
            stage: {
                "passed": v.passed,
                "reason": v.reason,
                **({"details": dict(v.details)} if v.details else {}),
            }
            for stage, v in r.verdicts.items()
        }
    if rejection is not None:
        out["rejection"] = {"stage": rejection.stage, "reason": rejection.reason, "detail": rejection.detail}
    return out


def read_rollouts(path: str | Path, *, allow_empty: bool = False) -> Iterator[tuple[int, Rollout]]:
    """Yield ``(line_number, rollout)`` from a rollout JSONL file."""
    for lineno, obj in read_jsonl(path, allow_empty=allow_empty):
        obj = {k: v for k, v in obj.items() if k != "rejection"}
        yield lineno, rollout_from_dict(obj, path=str(path), line=lineno)


# --- sandbox jobs -------------------------------------------------------------------------


def run_request_from_dict(row: Any, *, path: str, line: int) -> RunRequest:
    """One ``ded sandbox check`` row: ``{id, code, inputs, outputs, fn_name, timeout_s, checker}``."""

    def fail(field: str, message: str) -> InputError:
        return InputError(message, path=path, line=line, field=field)

    if not isinstance(row, dict):
        raise InputError("expected a JSON object", path=path, line=line)
    code = row.get("code")
    if not isinstance(code, str):
        raise fail("code", "expected a string")
    tests = {}
    for field in ("inputs", "outputs"):
        value = row.get(field)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(field, "expected a list of strings")
        tests[field] = tuple(value)
    if not tests["inputs"]:
        raise fail("inputs", "a problem needs at least one test (it would pass vacuously)")
    if len(tests["inputs"]) != len(tests["outputs"]):
        raise fail("outputs", f"{len(tests['outputs'])} outputs for {len(tests['inputs'])} inputs")
    fn_name = row.get("fn_name")
    if fn_name is not None and not isinstance(fn_name, str):
        raise fail("fn_name", "expected a string or null")
    timeout = row.get("timeout_s", 6.0)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 600:
        raise fail("timeout_s", "expected a number of seconds in (0, 600]")
    checker = row.get("checker")
    if checker is not None and not isinstance(checker, str):
        raise fail("checker", "expected a string or null")
    return RunRequest(
        id=str(row.get("id", line)),
        code=code,
        inputs=tests["inputs"],
        outputs=tests["outputs"],
        fn_name=fn_name,
        timeout_s=float(timeout),
        checker=checker,
    )
