"""``ded report RESULTS... [--paper]``: models x tasks with intervals, beside the paper's numbers."""

from __future__ import annotations

from pathlib import Path

import click

from ded_plugins.cli._options import statistics


@click.command()
@click.argument("results", nargs=-1, required=True)
@click.option("--paper", is_flag=True, help="Add the DED paper's numbers for the matching rows.")
@click.option(
    "--as",
    "rows",
    multiple=True,
    metavar="LABEL=ROW",
    help="The paper row a result is (repeatable), e.g. mine=ntele_r1_32b_math.",
)
@statistics(out="report", what="show")
def command(
    results: tuple[str, ...],
    paper: bool,
    rows: tuple[str, ...],
    tasks: tuple[str, ...],
    metric: str | None,
    resamples: int,
    seed: int,
    level: float,
    out: Path,
) -> None:
    """Models x tasks with intervals, vs the paper.

    --paper puts the DED paper's numbers beside the matching rows, with the difference.
    RESULTS are lm-eval --output_path directories written with --log_samples, each as
    PATH or LABEL=PATH. A result matches a paper row by --as, by its label (a row key such
    as ds_32b) or by its model's hub id.
    """
    from ded_plugins.evaluation.report import build_report, report_markdown, write_report
    from ded_plugins.evaluation.results import load_run

    mapping = {}
    for item in rows:
        label, sep, row = item.partition("=")
        if not sep or not label or not row:
            raise click.BadParameter(f"expected LABEL=ROW, found {item!r}", param_hint="--as")
        mapping[label] = row
    report = build_report(
        [load_run(r) for r in results],
        tasks=tasks or None,
        metric=metric,
        paper=paper or bool(mapping),
        paper_rows=mapping,
        resamples=resamples,
        seed=seed,
        level=level,
    )
    paths = write_report(report, out)
    click.echo(report_markdown(report))
    click.echo("written: " + ", ".join(str(p) for p in paths.values()))
