"""``ded teacher CONFIG``: rank candidate teachers by a distillation smoke test."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--no-progress", is_flag=True, help="Hide progress bars.")
def command(config: Path, no_progress: bool) -> None:
    """Rank candidate teachers by a distillation smoke test.

    Per teacher: rollouts, LLaMA-Factory SFT, lm_eval, metrics; then report.md. Steps whose
    inputs are unchanged are skipped.
    """
    from ded_plugins.teacher.smoke import run_teacher_selection

    report = run_teacher_selection(config, progress=not no_progress)
    for rank, name in enumerate(report["ranking"], start=1):
        t = report["teachers"][name]
        steps = ", ".join(f"{k} {v}" for k, v in t["steps"].items())
        click.echo(f"{rank}. {name}: {t['aggregate']:.4f} ({steps})")
    click.echo(f"winner: {report['winner']}; report: {report['report']}")
