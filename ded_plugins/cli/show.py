"""``ded show RUN [STAGE]``: what a curation stage kept and dropped, and why, with the text."""

from __future__ import annotations

import click


@click.command()
@click.argument("run", metavar="RUN")
@click.argument("stage", required=False, metavar="[STAGE]")
@click.option("--rejected", is_flag=True, help="The rows the stage dropped (default: the ones it kept).")
@click.option("--reason", metavar="R", help="Only rows dropped for R (e.g. length.too_long, or too_long).")
@click.option("--question", "question", metavar="ID", help="Only the rows of one question.")
@click.option("--student", is_flag=True, help="The student's samples with their grades, not the teachers'.")
@click.option(
    "-n", "--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Rows to print."
)
@click.option("--full", is_flag=True, help="Whole texts instead of their beginning and end.")
def command(
    run: str,
    stage: str | None,
    rejected: bool,
    reason: str | None,
    question: str | None,
    student: bool,
    limit: int,
    full: bool,
) -> None:
    """What a curation stage kept and dropped, and why, with the text.

    RUN is a run directory (<output_dir>/<run>) or its curation config; STAGE a stage's
    name (length), directory (01_length) or number; default: the last stage.
    """
    from ded_plugins.engine.show import format_row, read_stage, resolve_run, stage_table

    run_dir = resolve_run(run)
    click.echo(stage_table(run_dir))
    rows = read_stage(
        run_dir,
        stage,
        rejected=rejected,
        reason=reason,
        question=question,
        role="student" if student else "teacher",
        limit=limit,
    )
    shown = 0
    for row in rows:
        click.echo("")
        click.echo(format_row(row, full=full))
        shown += 1
    if not shown:
        click.echo("\n(no rows match)")
