"""``ded report``: models x tasks with intervals, optionally beside the DED paper's numbers.

Each cell is a run's score with its two-level bootstrap interval (from the logged
samples). With ``paper=True`` every run that matches a row of
:data:`~ded_plugins.evaluation.paper.PAPER_ROWS` (by an explicit mapping, by its label,
or by its model's hub id) gets the paper's number beside it, the difference in points,
and whether the paper's number lies inside our interval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ded_plugins.errors import InputError
from ded_plugins.evaluation.bootstrap import DEFAULT_RESAMPLES, Estimate, bootstrap_mean
from ded_plugins.evaluation.compare import fmt_estimate
from ded_plugins.evaluation.paper import PAPER, PAPER_ROWS, PaperRow, match_paper_row
from ded_plugins.evaluation.results import EvalRun
from ded_plugins.io import write_json, write_text


__all__ = ["Report", "ReportRow", "build_report", "report_markdown", "write_report"]


@dataclass(frozen=True, slots=True)
class ReportRow:
    label: str
    model: str
    scores: Mapping[str, Estimate]
    metrics: Mapping[str, str]
    paper: PaperRow | None


@dataclass(frozen=True, slots=True)
class Report:
    tasks: tuple[str, ...]
    rows: tuple[ReportRow, ...]
    #: per task: 100 when the scores are shares (shown in points)
    scale: Mapping[str, float]
    paper: bool
    level: float
    resamples: int
    seed: int

    def to_dict(self) -> dict[str, Any]:
        rows = []
        for r in self.rows:
            entry: dict[str, Any] = {
                "label": r.label,
                "model": r.model,
                "scores": {t: {"metric": r.metrics[t], **e.to_dict()} for t, e in r.scores.items()},
            }
            if self.paper:
                entry["paper_row"] = None if r.paper is None else r.paper.key
                entry["paper"] = {} if r.paper is None else _paper_cells(self, r)
            rows.append(entry)
        return {
            "tasks": list(self.tasks),
            "level": self.level,
            "resamples": self.resamples,
            "seed": self.seed,
            "paper": PAPER if self.paper else None,
            "rows": rows,
        }


def _paper_cells(report: Report, row: ReportRow) -> dict[str, Any]:
    assert row.paper is not None
    out = {}
    for task, (value, table) in row.paper.scores.items():
        e = row.scores.get(task)
        s = report.scale.get(task, 100.0)
        cell: dict[str, Any] = {"paper": value, "table": table}
        if e is not None and s == 100.0:
            cell["difference"] = round(e.value * s - value, 4)
            cell["inside_interval"] = e.low * s <= value <= e.high * s
        out[task] = cell
    return out


def build_report(
    runs: Sequence[EvalRun],
    *,
    tasks: Sequence[str] | None = None,
    metric: str | None = None,
    paper: bool = False,
    paper_rows: Mapping[str, str] | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    level: float = 0.95,
) -> Report:
    """One row per run; ``tasks`` defaults to every task any run has (sorted)."""
    if not runs:
        raise InputError("report needs at least one lm-eval result")
    labels = [r.label for r in runs]
    if len(set(labels)) != len(labels):
        raise InputError(f"two results have the same label ({', '.join(labels)}); name them LABEL=PATH")
    for label in paper_rows or {}:
        if label not in labels:
            raise InputError(f"--as names {label!r}, which is none of the results ({', '.join(labels)})")
    if tasks is None:
        tasks = sorted(set().union(*(set(r.tasks) for r in runs)))
    scale: dict[str, float] = {}
    rows = []
    for run in runs:
        scores, metrics = {}, {}
        for task in tasks:
            if task not in run.tasks:
                continue
            samples = run.samples(task, metric)
            scores[task] = bootstrap_mean(samples.values, resamples=resamples, seed=seed, level=level)
            metrics[task] = samples.metric
            share = 100.0 if samples.is_share else 1.0
            scale[task] = min(scale.get(task, share), share)
        try:
            row_paper = match_paper_row(run.label, run.model, paper_rows) if paper else None
        except KeyError as exc:
            keys = ", ".join(r.key for r in PAPER_ROWS)
            raise InputError(f"no paper row {exc.args[0]!r}; the rows are: {keys}") from None
        rows.append(
            ReportRow(label=run.label, model=run.model, scores=scores, metrics=metrics, paper=row_paper)
        )
    return Report(
        tasks=tuple(tasks),
        rows=tuple(rows),
        scale=scale,
        paper=paper,
        level=level,
        resamples=resamples,
        seed=seed,
    )


def _cell(e: Estimate | None, s: float) -> str:
    return "-" if e is None else fmt_estimate(e, s)


def report_markdown(report: Report) -> str:
    """The table (points with intervals) and, with the paper, its rows and the differences."""
    pct = round(report.level * 100)
    head = ["model", *report.tasks]
    lines = ["# Results", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in report.rows:
        lines.append(
            f"| **{row.label}** | "
            + " | ".join(_cell(row.scores.get(t), report.scale.get(t, 1.0)) for t in report.tasks)
            + " |"
        )
        if not report.paper or row.paper is None:
            continue
        cells = _paper_cells(report, row)
        paper_vals = [
            f"{cells[t]['paper']:g} ({cells[t]['table']})" if t in cells else "-" for t in report.tasks
        ]
        lines.append(f"| ↳ paper: {row.paper.name} | " + " | ".join(paper_vals) + " |")
        diffs = []
        for t in report.tasks:
            c = cells.get(t, {})
            if "difference" not in c:
                diffs.append("-")
            else:
                where = "inside" if c["inside_interval"] else "outside"
                diffs.append(f"{round(c['difference'], 1) + 0.0:+.1f} (paper {where} our interval)")
        lines.append("| ↳ ours − paper | " + " | ".join(diffs) + " |")
    lines += [
        "",
        f"Scores in points (x100 for shares) with {pct}% intervals from a two-level bootstrap (questions, "
        f"then each question's samples; {report.resamples} resamples, seed {report.seed}); the metric per "
        "task is the run's `pass@1` where it has one.",
    ]
    if report.paper:
        unmatched = [r.label for r in report.rows if r.paper is None]
        note = (
            f"Paper: {PAPER}. Its AIME and LiveCodeBench numbers are avg@16, MATH-500 and GPQA-Diamond "
            "one run each."
        )
        if unmatched:
            rows = ", ".join(r.key for r in PAPER_ROWS)
            note += (
                f" No paper row for: {', '.join(unmatched)} (name one with `--as LABEL=ROW`; rows: {rows})."
            )
        lines += ["", note]
    return "\n".join(lines) + "\n"


def write_report(report: Report, out_dir: Path) -> dict[str, Path]:
    """``report.md``, ``report.json`` and ``report.png`` in ``out_dir``."""
    from ded_plugins.evaluation.plots import report_plot

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "markdown": out_dir / "report.md",
        "json": out_dir / "report.json",
        "plot": out_dir / "report.png",
    }
    report_plot(paths["plot"], report)  # the one step that needs an extra: before any other file
    write_json(paths["json"], report.to_dict())
    write_text(paths["markdown"], report_markdown(report))
    return paths
