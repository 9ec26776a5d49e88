"""``ded grade``: grade a math answer against a gold answer, and say why."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click


def _print_explanation(e: Any) -> None:
    click.echo(f"verdict:   {e.reason}")
    click.echo(f"extracted: {e.extracted if e.extracted is not None else '-'} ({e.extraction})")
    click.echo(f"gold:      {e.gold}  ->  {e.gold_form}")
    click.echo(f"answer:    {e.answer_form if e.answer_form is not None else '-'}")
    click.echo(f"rule:      {e.decided_by}")


@click.command("grade")
@click.argument("response", metavar="RESPONSE_OR_FILE", required=False)
@click.option("--gold", help="The reference answer (with RESPONSE_OR_FILE).")
@click.option(
    "--explain", is_flag=True, help="Also print the parsed forms of both sides and the rule that decided."
)
@click.option(
    "--jsonl",
    "jsonl",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Grade every line {response, gold[, id]} of this file; prints one JSON explanation per line.",
)
@click.option("--require-think-end", is_flag=True, help="A response without </think> has no answer.")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0.1), default=10.0, show_default=True)
def command(
    response: str | None,
    gold: str | None,
    explain: bool,
    jsonl: Path | None,
    require_think_end: bool,
    timeout_s: float,
) -> None:
    """Grade a math answer against a gold answer, and say why."""
    from ded_plugins.errors import InputError

    if jsonl is not None:
        if response is not None or gold is not None:
            raise InputError("--jsonl takes no RESPONSE_OR_FILE and no --gold (each line has both)")
        _grade_file(jsonl, require_think_end, timeout_s)
        return
    if response is None or gold is None:
        raise InputError("give RESPONSE_OR_FILE and --gold G, or --jsonl PAIRS.jsonl")
    from ded_plugins.grading import explain_pairs

    text = _read_response(response)
    (e,) = explain_pairs([(text, gold)], timeout_s=timeout_s, require_think_end=require_think_end, workers=1)
    if explain:
        _print_explanation(e)
    else:
        click.echo(f"{e.reason}: {e.extracted if e.extracted is not None else '(no answer)'}")


def _read_response(arg: str) -> str:
    """``-`` is stdin; an existing file is read; anything else is the response itself."""
    if arg == "-":
        return sys.stdin.read()
    path = Path(arg)
    try:
        is_file = len(arg) < 4096 and "\n" not in arg and path.is_file()
    except OSError:  # a name too long for the file system is no file
        is_file = False
    if not is_file:
        return arg
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        from ded_plugins.errors import InputError

        raise InputError(f"cannot read the response: {exc}", path=str(path)) from None


def _grade_file(path: Path, require_think_end: bool, timeout_s: float) -> None:
    from ded_plugins.grading import explain_file
    from ded_plugins.io import dumps_line

    results = explain_file(path, timeout_s=timeout_s, require_think_end=require_think_end)
    out = sys.stdout
    for pair, e in results:
        row = ({"id": pair.id} if pair.id is not None else {}) | e.as_dict()
        out.write(dumps_line(row))
    out.flush()
    correct = sum(e.correct for _, e in results)
    click.echo(f"{correct}/{len(results)} correct", err=True)
