"""``report.md``, ``report.json`` and the plots of a ``ded teacher`` run; the winner comes first.

Scores carry two-level bootstrap intervals and every pair of teachers its paired gap
(:mod:`ded_plugins.evaluation.ranking`, from the students' logged lm-eval samples); the
winner line says whether its lead is larger than the noise.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ded_plugins.evaluation.compare import fmt_p
from ded_plugins.evaluation.ranking import AGGREGATE, RankedRun, RankingNoise, ranking_noise
from ded_plugins.io import write_json, write_text
from ded_plugins.teacher import plots


if TYPE_CHECKING:
    from ded_plugins.configs.teacher import TeacherConfig
    from ded_plugins.teacher.outcome import TeacherOutcome

__all__ = ["AGGREGATE_NOTE", "write_report"]

log = logging.getLogger(__name__)

AGGREGATE_NOTE = (
    "The ranking aggregate is ours, not the paper's: DED picks the teacher 'according to the scores' "
    "of the smoke-test students without stating a formula."
)


def _fmt(v: Any, digits: int = 3) -> str:
    return "-" if v is None else f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def _aggregate_label(config: TeacherConfig) -> str:
    if config.weights is None:
        return "mean of the benchmark scores"
    return "weighted mean (" + ", ".join(f"{t}: {w:g}" for t, w in config.weights.items()) + ")"


def _plots(
    config: TeacherConfig,
    ranked: Sequence[TeacherOutcome],
    baseline: TeacherOutcome | None,
    noise: RankingNoise,
) -> dict[str, str]:
    out = config.run_dir
    bars = [*ranked, *([baseline] if baseline else [])]
    made = {}
    plots.scores_plot(
        out / "scores.png",
        [o.name for o in bars],
        config.eval.tasks,
        {o.name: {t: s["score"] for t, s in o.scores.items()} for o in bars},
        {o.name: o.aggregate or 0.0 for o in bars},
        {name: {task: (e.low, e.high) for task, e in iv.items()} for name, iv in noise.intervals.items()}
        or None,
    )
    made["scores"] = "scores.png"
    entropies = {
        o.name: np.load(o.dir / o.metrics["token_entropy"]["file"])
        for o in ranked
        if "file" in o.metrics.get("token_entropy", {})
    }
    if entropies:
        base = next(
            o.metrics["token_entropy"].get("base", 2.0) for o in ranked if "token_entropy" in o.metrics
        )
        plots.entropy_plot(
            out / "entropy.png", entropies, unit="bits" if base == 2.0 else f"log base {base:g}"
        )
        made["entropy"] = "entropy.png"
    shifts = {o.name: o.metrics["pca_shift"] for o in ranked if "pca_shift" in o.metrics}
    if shifts:
        plots.pca_shift_plot(
            out / "pca_shift.png",
            {n: s["per_layer"] for n, s in shifts.items()},
            {n: s["dis"] for n, s in shifts.items()},
        )
        made["pca_shift"] = "pca_shift.png"
    return made


def _metric(o: TeacherOutcome, name: str, key: str) -> Any:
    value = o.metrics.get(name, {})
    return value.get(key) if isinstance(value, Mapping) else None


def _interval(e: Any) -> str:
    return "-" if e is None else f"{e.value:.3f} [{e.low:.3f}, {e.high:.3f}]"


def _noise_sentence(noise: RankingNoise, ranked: Sequence[TeacherOutcome]) -> str:
    if len(ranked) < 2:
        return ""
    if noise.reason is not None:
        return f" Noise not measured ({noise.reason})."
    d = noise.lead
    gap = f"gap {d.value:+.3f}, {round(d.level * 100)}% interval [{d.low:+.3f}, {d.high:+.3f}], p = "
    gap += fmt_p(d.p_value, noise.resamples)
    if d.significant:
        return f" The lead over **{ranked[1].name}** is larger than the noise ({gap})."
    return (
        f" The lead over **{ranked[1].name}** is within noise ({gap}): the aggregate alone picks this "
        "winner, so the pipeline goes on with it."
    )


def _noise_section(
    config: TeacherConfig,
    noise: RankingNoise,
    ranked: Sequence[TeacherOutcome],
    baseline: TeacherOutcome | None,
) -> list[str]:
    pct = round(noise.level * 100)
    lines = ["## Is the ranking larger than the noise?", ""]
    if noise.reason is not None:
        return [*lines, f"Not measured: {noise.reason}.", ""]
    lines += [
        f"Scores with {pct}% intervals (two-level bootstrap: questions, then each question's samples; "
        f"{noise.resamples} resamples, seed {noise.seed}):",
        "",
        "| teacher | " + " | ".join(config.eval.tasks) + " | aggregate |",
        "|" + "---|" * (len(config.eval.tasks) + 2),
    ]
    named = [(o.name, o.name) for o in ranked] + (
        [("student without SFT", baseline.name)] if baseline else []
    )
    for label, name in named:
        iv = noise.intervals.get(name, {})
        cells = [_interval(iv.get(t)) for t in config.eval.tasks]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {_interval(iv.get(AGGREGATE))} |")
    lines += [
        "",
        "Gaps between teachers (higher-ranked minus lower-ranked, paired on the same questions):",
        "",
        f"| pair | aggregate gap | {pct}% interval | p | verdict |",
        "|---|---|---|---|---|",
    ]
    for p in noise.pairs:
        d = p.aggregate or p.tasks[0].diff
        verdict = "larger than the noise" if d.significant else "within noise"
        lines.append(
            f"| {p.b} − {p.a} | {d.value:+.3f} | [{d.low:+.3f}, {d.high:+.3f}] | "
            f"{fmt_p(d.p_value, noise.resamples)} | {verdict} |"
        )
    return [*lines, ""]


def _markdown(
    config: TeacherConfig,
    ranked: Sequence[TeacherOutcome],
    baseline: TeacherOutcome | None,
    made: Mapping[str, str],
    noise: RankingNoise,
) -> str:
    win = ranked[0]
    lines = [f"# Teacher smoke test `{config.run}`", ""]
    margin = ""
    if len(ranked) > 1:
        gap = (win.aggregate or 0.0) - (ranked[1].aggregate or 0.0)
        margin = (
            f", {gap:.3f} ahead of **{ranked[1].name}**"
            if gap > 0
            else f", tied with **{ranked[1].name}** (the config's order breaks ties)"
        )
    if baseline is not None:
        margin += f"; the student without SFT scores {_fmt(baseline.aggregate)}"
    within = " (within noise)" if noise.winner_within_noise else ""
    lines += [
        f"**Winner: {win.name}**{within}: {_aggregate_label(config)} {_fmt(win.aggregate)}{margin}. "
        f"Student `{config.student}`, {win.corpus_size} questions, one trajectory per question per teacher."
        + _noise_sentence(noise, ranked),
        "",
    ]
    head = [
        "rank",
        "teacher",
        "aggregate",
        *config.eval.tasks,
        "pass rate",
        "mean tokens",
        "entropy mean",
        "entropy median",
        "PCA dis",
    ]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for i, o in enumerate(ranked, start=1):
        row = [str(i), f"**{o.name}**" if i == 1 else o.name, _fmt(o.aggregate)]
        row += [_fmt(o.scores.get(t, {}).get("score")) for t in config.eval.tasks]
        row += [
            _fmt(_metric(o, "pass_rate", "pass_rate")),
            _fmt(_metric(o, "length", "mean"), 0),
            _fmt(_metric(o, "token_entropy", "mean")),
            _fmt(_metric(o, "token_entropy", "median")),
            _fmt(_metric(o, "pca_shift", "mean_dis")),
        ]
        lines.append("| " + " | ".join(row) + " |")
    if baseline is not None:
        row = ["-", "student without SFT", _fmt(baseline.aggregate)]
        row += [_fmt(baseline.scores.get(t, {}).get("score")) for t in config.eval.tasks]
        lines.append("| " + " | ".join(row + ["-"] * 5) + " |")
    lines += ["", *_noise_section(config, noise, ranked, baseline)]
    lines += [f"![{k}]({v})" for k, v in made.items()] + [""]
    lines += [
        "## How to read this",
        "",
        f"- {AGGREGATE_NOTE} Ties keep the order of the config. Benchmark metrics: "
        + ", ".join(f"{t} `{win.scores[t]['metric']}`" for t in config.eval.tasks if t in win.scores)
        + ".",
        "- In the paper the better teacher's corpus had the lower token entropy under the student and gave "
        "the smaller PCA shift; both are explanations after the fact, not selection rules.",
        "",
        "## Token entropy (per response token)",
        "",
        "| teacher | tokens | mean | std | median | Q25 | Q75 |",
        "|---|---|---|---|---|---|---|",
    ]
    for o in ranked:
        e = o.metrics.get("token_entropy", {})
        keys = ("tokens", "mean", "std", "median", "q25", "q75")
        lines.append(f"| {o.name} | " + " | ".join(_fmt(e.get(k)) for k in keys) + " |")
    lines += ["", "## PCA shift (`dis` per benchmark)", ""]
    for o in ranked:
        dis = _metric(o, "pca_shift", "dis") or {}
        lines.append(f"- {o.name}: " + (", ".join(f"{b} {v:.4g}" for b, v in dis.items()) or "-"))
    lines += ["", "## Trajectories", ""]
    for o in ranked:
        pr = o.metrics.get("pass_rate", {})
        ln = o.metrics.get("length", {})
        rejected = ", ".join(f"{k} {v}" for k, v in pr.get("rejected", {}).items()) or "none"
        passed = f"{pr.get('passed', '-')}/{pr.get('total', '-')}"
        lines.append(
            f"- {o.name}: pass rate {_fmt(pr.get('pass_rate'))} ({passed}; rejected: {rejected}); "
            f"tokens mean {_fmt(ln.get('mean'), 0)}, median {_fmt(ln.get('median'), 0)}, "
            f"max {ln.get('max', '-')}, cut at the limit {_fmt(ln.get('truncated'))}"
        )
    lines += ["", "## Steps", ""]
    for o in ranked:
        steps = ", ".join(f"{k} {v}" for k, v in o.steps.items())
        lines.append(f"- {o.name}: {steps}; logs in `{o.name}/logs/`")
    return "\n".join(lines) + "\n"


def write_report(
    config: TeacherConfig, ranked: Sequence[TeacherOutcome], baseline: TeacherOutcome | None = None
) -> dict[str, Any]:
    """Write plots, ``report.md`` and ``report.json`` into the run directory; return the JSON."""
    config.run_dir.mkdir(parents=True, exist_ok=True)
    noise = ranking_noise(
        [RankedRun(name=o.name, eval_dir=o.dir / "eval", scores=o.scores) for o in ranked],
        weights=config.weights,
        extra=[RankedRun(name=baseline.name, eval_dir=baseline.dir / "eval", scores=baseline.scores)]
        if baseline is not None
        else [],
        seed=config.seed,
    )
    made = _plots(config, ranked, baseline, noise)
    report = {
        "run": config.run,
        "student": config.student,
        "winner": ranked[0].name,
        "winner_within_noise": noise.winner_within_noise,
        "ranking": [o.name for o in ranked],
        "aggregate": {"formula": _aggregate_label(config), "weights": config.weights, "note": AGGREGATE_NOTE},
        "tasks": list(config.eval.tasks),
        "teachers": {
            o.name: {
                "aggregate": o.aggregate,
                "scores": o.scores,
                "metrics": o.metrics,
                "steps": o.steps,
                "corpus_size": o.corpus_size,
                "dir": str(o.dir),
            }
            for o in ranked
        },
        "baseline": None
        if baseline is None
        else {"aggregate": baseline.aggregate, "scores": baseline.scores, "steps": baseline.steps},
        "plots": made,
        "report": str(config.run_dir / "report.md"),
        "noise": noise.to_dict(),
    }
    write_text(config.run_dir / "report.md", _markdown(config, ranked, baseline, made, noise))
    write_json(config.run_dir / "report.json", report)
    log.info("report: %s", config.run_dir / "report.md")
    return report
