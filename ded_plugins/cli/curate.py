"""``ded curate CONFIG``: run a curation config and print the stage table."""

from __future__ import annotations

import click


@click.command()
@click.argument("config_path", metavar="CONFIG.yaml", type=click.Path(dir_okay=False))
@click.option("--resume", is_flag=True, help="Reuse finished stages (and finished units of a crashed one).")
@click.option(
    "--from-stage", "from_stage", metavar="NAME", help="Reuse the stages before NAME, re-run NAME and after."
)
@click.option(
    "--executor",
    "executor",
    metavar="NAME",
    help="Where units of work run: local (default) or ray; overrides the config's executor.",
)
@click.option("--no-progress", is_flag=True, help="No progress bars.")
def command(
    config_path: str, resume: bool, from_stage: str | None, executor: str | None, no_progress: bool
) -> None:
    """Curate a pool: verify, filter, compress, diversify, export.

    Every stage writes <output_dir>/<run>/<NN>_<stage>/ with kept, rejected and student
    rows and stats.json; `ded show` prints them with their text.
    """
    from ded_plugins.engine import curate

    result = curate(
        config_path, resume=resume, from_stage=from_stage, executor=executor, progress=not no_progress
    )
    click.echo(result.table())
    for name, summary in result.exports.items():
        where = summary.get("file") or summary.get("dataset_dir") or ""
        rows = summary.get("rows")
        click.echo(f"export {name}: {rows if rows is not None else '?'} rows -> {where}")
    click.echo(f"run directory: {result.run_dir}")
