"""``ded curate CONFIG``: run a curation config and print the stage table."""

from __future__ import annotations

import click


@click.command()
@click.argument("config_path", metavar="CONFIG.yaml", type=click.Path(dir_okay=False))
@click.option("--resume", is_flag=True, help="Reuse finished stages (and finished chunks of a crashed one).")
@click.option(
    "--from-stage", "from_stage", metavar="NAME", help="Reuse the stages before NAME, re-run NAME and after."
)
@click.option("--no-progress", is_flag=True, help="No progress bars.")
def command(config_path: str, resume: bool, from_stage: str | None, no_progress: bool) -> None:
    """Curate a pool: verify, filter, compress, diversify, export.

    Outputs land in <output_dir>/<run>/<NN>_<stage>/{kept,rejected}.jsonl with stats.json.
    """
    from ded_plugins.config import load_curation_config
    from ded_plugins.pipeline import format_stage_table, run_curation
    from ded_plugins.plugins import get_plugin_manager, get_registry

    pm = get_plugin_manager()
    registry = get_registry(pm)
    config = load_curation_config(config_path, registry=registry)
    result = run_curation(
        config, resume=resume, from_stage=from_stage, registry=registry, pm=pm, progress=not no_progress
    )
    click.echo(format_stage_table(result.stages))
    for name, summary in result.exports.items():
        where = summary.get("file") or summary.get("dataset_dir") or ""
        rows = summary.get("rows")
        click.echo(f"export {name}: {rows if rows is not None else '?'} rows -> {where}")
    click.echo(f"run directory: {result.run_dir}")
