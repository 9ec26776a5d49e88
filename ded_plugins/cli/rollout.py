"""``ded rollout CONFIG``: sample M responses per question from a model."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
def command(config: Path, no_progress: bool) -> None:
    """Sample responses per question; re-running generates only what is missing."""
    from ded_plugins.rollouts.runner import run_rollouts

    summary = run_rollouts(config, progress=not no_progress)
    click.echo(
        f"{summary.output}: {summary.total} samples ({summary.existing} already present, "
        f"{summary.generated} generated)"
    )
