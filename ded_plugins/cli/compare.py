"""``ded compare RESULTS_A RESULTS_B ...``: paired differences between lm-eval runs."""

from __future__ import annotations

from pathlib import Path

import click

from ded_plugins.cli._options import statistics


@click.command()
@click.argument("results", nargs=-1, required=True)
@click.option("--all-pairs", is_flag=True, help="Compare every pair, not each run with the first.")
@statistics(out="compare", what="compare")
def command(
    results: tuple[str, ...],
    all_pairs: bool,
    tasks: tuple[str, ...],
    metric: str | None,
    resamples: int,
    seed: int,
    level: float,
    out: Path,
) -> None:
    """Paired differences between lm-eval runs.

    B - A per task with its 95% interval and p-value (paired bootstrap). RESULTS are
    lm-eval --output_path directories written with --log_samples, each as PATH or
    LABEL=PATH; questions are paired by doc_id.
    """
    from ded_plugins.evaluation.compare import compare_runs, comparison_markdown, write_comparison
    from ded_plugins.evaluation.results import load_run

    runs = [load_run(r) for r in results]
    comparison = compare_runs(
        runs,
        tasks=tasks or None,
        metric=metric,
        all_pairs=all_pairs,
        resamples=resamples,
        seed=seed,
        level=level,
    )
    paths = write_comparison(comparison, out)
    click.echo(comparison_markdown(comparison))
    click.echo("written: " + ", ".join(str(p) for p in paths.values()))
