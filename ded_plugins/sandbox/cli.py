"""``ded sandbox``: run programs against tests in the isolated sandbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ded_plugins.errors import InputError
from ded_plugins.io import atomic_write, read_jsonl
from ded_plugins.sandbox.jobs import DEFAULT_GRADER, GRADERS, RunRequest


__all__ = ["sandbox"]


@click.group("sandbox")
def sandbox() -> None:
    """Run programs against tests in the isolated sandbox."""


def request_from_row(row: Any, *, path: str, line: int) -> RunRequest:
    """Validate one input row ``{id, code, inputs, outputs, fn_name, timeout_s}``."""

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


@sandbox.command("check")
@click.argument("in_path", metavar="IN.jsonl", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="OUT.jsonl",
)
@click.option("--grader", type=click.Choice(GRADERS), default=DEFAULT_GRADER, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Default: one per core.")
@click.option(
    "--allow-degraded",
    is_flag=True,
    help="Run with rlimits and seccomp only where user namespaces are unavailable.",
)
def check(in_path: Path, out_path: Path, grader: str, workers: int | None, allow_degraded: bool) -> None:
    """Grade every row of IN.jsonl; write it to OUT.jsonl with passed, per_test, status, grader, isolation."""
    from ded_plugins.sandbox.sandbox import Sandbox

    rows: list[dict[str, Any]] = []
    requests = []
    for line, row in read_jsonl(in_path):
        requests.append(request_from_row(row, path=str(in_path), line=line))
        rows.append(row)
    with Sandbox(grader=grader, workers=workers, allow_degraded=allow_degraded) as box:
        results = box.run_many(requests)
    with atomic_write(out_path) as fh:
        for row, result in zip(rows, results, strict=True):
            fh.write(json.dumps({**row, **result.to_dict()}, ensure_ascii=False) + "\n")
    passed = sum(r.passed for r in results)
    click.echo(f"{passed}/{len(results)} passed ({grader}, {box.isolation}) -> {out_path}", err=True)
