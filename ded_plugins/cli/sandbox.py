"""``ded sandbox``: run programs against tests in the isolated sandbox."""

from __future__ import annotations

from pathlib import Path

import click

from ded_plugins.sandbox.jobs import DEFAULT_GRADER, GRADERS


@click.group("sandbox")
def command() -> None:
    """Run programs against tests in the isolated sandbox."""


@command.command("check")
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
    from ded_plugins.sandbox.check import check_jsonl

    s = check_jsonl(in_path, out_path, grader=grader, workers=workers, allow_degraded=allow_degraded)
    click.echo(f"{s.passed}/{s.total} passed ({s.grader}, {s.isolation}) -> {s.output}", err=True)
