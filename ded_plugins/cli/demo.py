"""``ded demo``: all of DED end to end on tiny local models."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click


@click.command()
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("runs/demo"),
    show_default=True,
)
@click.option("--fast", is_flag=True, help="Smaller settings (used by the tests).")
def command(out: Path, fast: bool) -> None:
    """Run all of DED end to end on tiny local models."""
    from ded_plugins.demo.run import run_demo

    logging.getLogger("ded_plugins").setLevel(logging.WARNING)
    summary = run_demo(out, fast=fast)
    click.echo("")
    click.echo(f"winner teacher: {summary['winner']}  (smoke-test scores: {summary['teacher_scores']})")
    click.echo(f"training loss: {summary['train_loss']}")
    click.echo(f"eval ded_math500 pass@1 (trained student): {summary['eval_pass@1']}")
    click.echo(f"done in {summary['seconds']} s. Open:")
    for label, path in summary["paths"].items():
        click.echo(f"  {label:<15} {path}")
    sys.stdout.flush()
