"""``ded compare RESULTS_A RESULTS_B ...``: paired differences between lm-eval runs."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("results", nargs=-1, required=True)
@click.option(
    "--task", "tasks", multiple=True, help="Task to compare (repeatable; default: every common task)."
)
@click.option("--metric", default=None, help="Metric to compare (default: pass@1 where a task has it).")
@click.option("--all-pairs", is_flag=True, help="Compare every pair, not each run with the first.")
@click.option("--resamples", default=1000, show_default=True, type=click.IntRange(min=2))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--level", default=0.95, show_default=True, type=click.FloatRange(0, 1, min_open=True, max_open=True)
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("compare"),
    show_default=True,
    help="Where compare.md, compare.json and compare.png go.",
)
def command(
    results: tuple[str, ...],
    tasks: tuple[str, ...],
    metric: str | None,
    all_pairs: bool,
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
