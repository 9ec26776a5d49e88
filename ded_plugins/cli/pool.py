"""``ded pool decontaminate|dedup POOL``: clean a question pool before spending GPUs."""

from __future__ import annotations

from typing import Any

import click


_PAPER = "ded_aime24,ded_aime25,ded_math500,ded_gpqa_diamond,ded_livecodebench"


def _pool_options(fn: Any) -> Any:
    options = [
        click.argument("pool_path", metavar="POOL"),
        click.option(
            "-o",
            "--output",
            metavar="CLEAN",
            help="Clean pool (same format). Default: POOL.<step>.<ext> beside it.",
        ),
        click.option("--report-dir", metavar="DIR", help="Where the reports go. Default: beside CLEAN."),
        click.option(
            "--format",
            "fmt",
            default="auto",
            show_default=True,
            type=click.Choice(["auto", "jsonl", "parquet", "hf"]),
        ),
        click.option("--split", default="train", show_default=True, help="Split of a Hugging Face dataset."),
        click.option(
            "--column",
            "columns",
            multiple=True,
            metavar="OURS=THEIRS",
            help="Map a question field to the pool's column, e.g. --column id=idx --column prompt=question.",
        ),
        click.option("--domain", help="Domain of questions whose row has none (math, code, ...)."),
        click.option("--no-progress", is_flag=True, help="No progress bar."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _source(pool_path: str, fmt: str, split: str, columns: tuple[str, ...], domain: str | None) -> Any:
    from ded_plugins.pool import PoolSource

    mapping = {}
    for item in columns:
        ours, sep, theirs = item.partition("=")
        if not sep or not ours or not theirs:
            raise click.BadParameter(f"expected OURS=THEIRS, found {item!r}", param_hint="--column")
        mapping[ours.strip()] = theirs.strip()
    return PoolSource(path=pool_path, format=fmt, split=split, columns=mapping, domain=domain)


@click.group()
def command() -> None:
    """Clean a question pool: benchmark decontamination and deduplication."""


@command.command()
@_pool_options
@click.option(
    "--against",
    default=_PAPER,
    show_default=True,
    help="Comma-separated ded_* tasks (loaded as lm_eval loads them) or NAME=PATH files of your own.",
)
@click.option(
    "--metadata",
    "metadata_json",
    metavar="JSON",
    help="Task loader keys, as lm_eval --metadata takes them: "
    '\'{"math500_path": "math500.jsonl", "lcb_path": "lcb/"}\'.',
)
@click.option("--ngram", default=8, show_default=True, help="Words per n-gram.")
@click.option(
    "--fuzzy", default=95.0, show_default=True, help="rapidfuzz ratio (0-100) that counts as a copy."
)
@click.option("--min-coverage", default=0.8, show_default=True, help="Share of the statement a copy covers.")
@click.option(
    "--similar-coverage", default=0.5, show_default=True, help="Share that lists a pair as similar."
)
@click.option(
    "--common-df", default=2, show_default=True, help="An n-gram in this many benchmark items is boilerplate."
)
@click.option("--drop-similar", is_flag=True, help="Also drop look-alikes (reported as similar).")
def decontaminate(
    pool_path: str,
    output: str | None,
    report_dir: str | None,
    fmt: str,
    split: str,
    columns: tuple[str, ...],
    domain: str | None,
    no_progress: bool,
    against: str,
    metadata_json: str | None,
    ngram: int,
    fuzzy: float,
    min_coverage: float,
    similar_coverage: float,
    common_df: int,
    drop_similar: bool,
) -> None:
    """Drop pool questions found in the benchmarks; write contamination.json and .md."""
    import json

    from ded_plugins.errors import ConfigError
    from ded_plugins.pool import MatchSettings, decontaminate_pool
    from ded_plugins.pool.stream import default_output

    source = _source(pool_path, fmt, split, columns, domain)
    metadata = {}
    if metadata_json:
        try:
            metadata = json.loads(metadata_json)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"--metadata: not valid JSON ({exc.msg})") from None
        if not isinstance(metadata, dict):
            raise ConfigError("--metadata: expected a JSON object")
    settings = MatchSettings(
        ngram=ngram,
        fuzzy=fuzzy,
        min_coverage=min_coverage,
        similar_coverage=similar_coverage,
        common_df=common_df,
    )
    result = decontaminate_pool(
        source,
        against,
        output or default_output(source, "decontaminated"),
        metadata=metadata,
        report_dir=report_dir,
        settings=settings,
        drop_similar=drop_similar,
        progress=not no_progress,
    )
    click.echo(
        f"{result.questions} questions: {result.kept} kept, {result.dropped} dropped ({result.seconds:.1f} s)"
    )
    for name, counts in result.by_benchmark.items():
        click.echo(f"  {name}: {counts['contaminated']} contaminated, {counts['similar']} similar")
    click.echo(f"clean pool: {result.output}")
    click.echo(f"report: {result.report_md} (and {result.report_json.name})")


@command.command()
@_pool_options
@click.option(
    "--threshold", default=0.8, show_default=True, help="Jaccard similarity (MinHash) of near duplicates."
)
@click.option("--num-perm", default=128, show_default=True, help="MinHash permutations.")
@click.option("--shingle", default=3, show_default=True, help="Words per shingle (within a sentence).")
def dedup(
    pool_path: str,
    output: str | None,
    report_dir: str | None,
    fmt: str,
    split: str,
    columns: tuple[str, ...],
    domain: str | None,
    no_progress: bool,
    threshold: float,
    num_perm: int,
    shingle: int,
) -> None:
    """Drop exact and near-duplicate questions (first of each cluster kept); write duplicates.json/.md."""
    from ded_plugins.pool import dedup_pool
    from ded_plugins.pool.stream import default_output

    source = _source(pool_path, fmt, split, columns, domain)
    result = dedup_pool(
        source,
        output or default_output(source, "dedup"),
        report_dir=report_dir,
        threshold=threshold,
        num_perm=num_perm,
        shingle=shingle,
        progress=not no_progress,
    )
    click.echo(
        f"{result.questions} questions: {result.kept} kept, {len(result.duplicates)} duplicates "
        f"in {result.clusters} clusters ({result.seconds:.1f} s)"
    )
    click.echo(f"clean pool: {result.output}")
    click.echo(f"report: {result.report_md} (and {result.report_json.name})")
