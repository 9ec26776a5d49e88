"""``ded teacher``: the distillation smoke test that ranks candidate teachers (DED §3.1).

For each teacher, in order: rollouts (one per question) -> the 1-per-question corpus
exported for LLaMA-Factory -> ``llamafactory-cli train`` on the smoke recipe -> ``lm_eval``
on the chosen tasks -> teacher metrics. Every step leaves ``steps/<step>.json`` with a
fingerprint of its inputs; a re-run skips a step whose fingerprint is unchanged, and
every step has its own log under ``logs/``. Teachers are ranked by the declared
aggregate (default: the plain mean of the benchmark scores; that formula is ours, the
paper picks "according to the scores" without one).
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from ded_plugins.configs.rollout import RolloutConfig
from ded_plugins.configs.teacher import TeacherConfig, TeacherSpec, load_teacher_config
from ded_plugins.errors import InputError
from ded_plugins.io import read_rollouts
from ded_plugins.protocols import StageContext, TeacherMetric
from ded_plugins.records import Question, Rollout
from ded_plugins.registry import Registry
from ded_plugins.steps import Step, digest, plain, without_inputs
from ded_plugins.teacher.commands import eval_command, file_log, read_scores, run_logged, train_command
from ded_plugins.teacher.context import TeacherContext
from ded_plugins.teacher.outcome import TeacherOutcome


__all__ = ["TeacherOutcome", "run_teacher_selection"]

log = logging.getLogger(__name__)


def _run_step(
    outcome: TeacherOutcome,
    name: str,
    body: Callable[[], Mapping[str, Any]],
    *,
    params: Mapping[str, Any],
    inputs: Mapping[str, str] | None = None,
    after: str = "",
    output: Path | None = None,
) -> tuple[dict[str, Any], str]:
    """``body()`` unless the step's marker holds its fingerprint (and ``output`` exists); ``(result, fp)``."""
    step = Step(
        name=name,
        marker=outcome.dir / "steps" / f"{name}.json",
        params=params,
        inputs=dict(inputs or {}),
        after=after,
    )
    fingerprint = step.fingerprint()
    done = step.done(fingerprint)
    if done is not None and (output is None or output.exists()):
        log.info("%s: %s done already, skipped", outcome.name, name)
        outcome.steps[name] = "skipped"
        return done, fingerprint
    step.invalidate()
    started = time.monotonic()
    with file_log(outcome.dir / "logs" / f"{name}.log"):
        result = dict(body())
    step.complete(result, fingerprint=fingerprint, seconds=time.monotonic() - started)
    outcome.steps[name] = "ran"
    return result, fingerprint


def _corpus(path: Path, teacher: str, questions: Mapping[str, Question]) -> list[Rollout]:
    """One rollout per question: the lowest sample index, in question order."""
    best: dict[str, Rollout] = {}
    first_model: str | None = None
    for lineno, r in read_rollouts(path):
        first_model = first_model or r.model
        if r.model != first_model:
            raise InputError(
                f"holds rollouts of {first_model!r} and {r.model!r}; give each teacher its own file",
                path=str(path),
                line=lineno,
                field="model",
            )
        if r.question_id not in questions:
            raise InputError(f"rollout for unknown question {r.question_id!r}", path=str(path), line=lineno)
        if r.question_id not in best or r.sample_index < best[r.question_id].sample_index:
            best[r.question_id] = r
    missing = [q for q in questions if q not in best]
    if missing:
        log.warning("%s: no rollout for %d questions (first: %s)", teacher, len(missing), missing[0])
    return [best[q] for q in questions if q in best]


def _rollouts(
    spec: TeacherSpec,
    config: TeacherConfig,
    outcome: TeacherOutcome,
    pool: Mapping[str, Question],
    registry: Registry,
    progress: bool,
) -> Path:
    if spec.rollouts is not None:
        outcome.steps["rollouts"] = "given"
        return spec.rollouts
    from ded_plugins.rollouts.runner import run_rollouts

    assert spec.backend is not None
    rollout_config = RolloutConfig(
        output=outcome.dir / "rollouts.jsonl",
        model=spec.name,
        backend=spec.backend,
        backend_params=spec.backend_params,
        questions=config.questions,
        samples=1,
        seed=config.seed,
        sampling=spec.sampling or config.sampling,
        inputs=spec.backend_inputs,
    )
    with file_log(outcome.dir / "logs" / "rollouts.log"):
        summary = run_rollouts(rollout_config, registry=registry, questions=pool, progress=progress)
    outcome.steps["rollouts"] = "ran" if summary.generated else "skipped"
    return rollout_config.output


def _teacher(
    spec: TeacherSpec, config: TeacherConfig, pool: Mapping[str, Question], registry: Registry, progress: bool
) -> TeacherOutcome:
    outcome = TeacherOutcome(name=spec.name, dir=(config.run_dir / spec.name).absolute())
    rollouts_path = _rollouts(spec, config, outcome, pool, registry, progress)
    corpus = _corpus(rollouts_path, spec.name, pool)
    outcome.corpus_size = len(corpus)

    export_name, export_params = config.export
    dataset = f"ded_smoke_{spec.name}"
    data_dir = outcome.dir / "data"

    def export() -> dict[str, Any]:
        exporter = registry.build(
            "exporter",
            export_name,
            {**export_params, "dataset_dir": str(data_dir), "dataset_name": dataset},
            where=f"export.{export_name}",
        )
        context = StageContext(
            stage="export",
            questions=pool,
            registry=registry,
            seed=config.seed,
            base_dir=config.base_dir,
            run_dir=outcome.dir,
        )
        return dict(exporter.export(corpus, context, data_dir))

    exported, export_fp = _run_step(
        outcome,
        "export",
        export,
        params={"export": [export_name, dict(export_params)], "corpus": [r.id for r in corpus]},
        inputs={"rollouts": str(rollouts_path.absolute())},
        output=data_dir / f"{dataset}.jsonl",
    )

    model_dir = outcome.dir / "model"
    train_cmd = train_command(
        config.train,
        student=config.student,
        dataset_dir=exported["dataset_dir"],
        dataset=exported["dataset_name"],
        output_dir=model_dir,
    )

    def train() -> dict[str, Any]:
        shutil.rmtree(model_dir, ignore_errors=True)  # a stale or half-trained model must not be evaluated
        run_logged(train_cmd, outcome.dir / "logs" / "train.log", env=config.train.env)
        return {"model_dir": str(model_dir), "trained_at": time.time()}

    trained_run, train_fp = _run_step(
        outcome,
        "train_run",
        train,
        params={"command": train_cmd, "env": dict(config.train.env)},
        inputs={
            "recipe": str(config.train.recipe),
            "student": config.student,
            "dataset": str(exported["file"]),
        },
        after=export_fp,
        output=model_dir,
    )
    # a retrained model (even from the same inputs) invalidates everything measured on it
    trained = digest(train_fp, trained_run.get("trained_at"))

    eval_dir = outcome.dir / "eval"
    eval_cmd = eval_command(config.eval, student=config.student, model_dir=model_dir, output_path=eval_dir)

    def evaluate() -> dict[str, Any]:
        shutil.rmtree(eval_dir, ignore_errors=True)
        run_logged(eval_cmd, outcome.dir / "logs" / "eval.log", env=config.eval.env)
        return read_scores(eval_dir, config.eval.tasks, config.eval.metrics)

    eval_inputs = {"include_path": config.eval.include_path} if config.eval.include_path else {}
    outcome.scores, _ = _run_step(
        outcome,
        "eval_run",
        evaluate,
        params={"command": eval_cmd, "env": dict(config.eval.env), "metrics": dict(config.eval.metrics)},
        inputs=eval_inputs,
        after=trained,
    )

    context = TeacherContext(
        teacher=spec.name,
        questions=pool,
        rollouts=corpus,
        student=config.student,
        tuned_student=model_dir,
        teacher_model=spec.model_path,
        out_dir=outcome.dir,
        registry=registry,
        base_dir=config.base_dir,
    )
    for m in config.metrics:
        metric: TeacherMetric = registry.build("teacher_metric", m.name, m.params, where=f"metrics.{m.name}")
        params = without_inputs(m.params, m.inputs)
        outcome.metrics[m.name], _ = _run_step(
            outcome,
            f"metric_{m.name}",
            partial(_compute, metric, context),
            params={"metric": m.name, "params": plain(params)},
            inputs={**m.inputs, **({"teacher_model": spec.model_path} if spec.model_path else {})},
            after=trained,
        )
    return outcome


def _compute(metric: TeacherMetric, context: TeacherContext) -> dict[str, Any]:
    return dict(metric.compute(context))


def _aggregate(scores: Mapping[str, Mapping[str, Any]], weights: Mapping[str, float] | None) -> float:
    if weights is None:
        return float(sum(s["score"] for s in scores.values()) / len(scores))
    total = sum(weights.values())
    return float(sum(weights.get(t, 0.0) * s["score"] for t, s in scores.items()) / total)


def run_teacher_selection(
    config: TeacherConfig | str | Path | Mapping[str, Any],
    *,
    registry: Registry | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Run the smoke test for every teacher, rank them and write the report; returns ``report.json``."""
    from ded_plugins.teacher.report import write_report

    if registry is None:
        from ded_plugins.plugins import get_registry

        registry = get_registry()
    if not isinstance(config, TeacherConfig):
        config = load_teacher_config(config, registry=registry)
    pool = config.questions.read()
    outcomes: list[TeacherOutcome] = []
    baseline: TeacherOutcome | None = None
    if config.executor[0] == "ray":  # each teacher's steps as one job on a cluster, side by side
        from ded_plugins.teacher.cluster import run_on_ray

        outcomes, baseline = run_on_ray(config, pool, **config.executor[1])
    else:
        for spec in config.teachers:
            log.info("teacher %s", spec.name)
            outcomes.append(_teacher(spec, config, pool, registry, progress))
        baseline = _baseline(config) if config.eval.baseline else None
    for outcome in outcomes:
        outcome.aggregate = _aggregate(outcome.scores, config.weights)
    # stable sort: ties keep the config's order
    ranked = sorted(outcomes, key=lambda o: -(o.aggregate or 0.0))
    return write_report(config, ranked, baseline)


def _baseline(config: TeacherConfig) -> TeacherOutcome:
    """The student before any SFT, evaluated once with the same tasks and arguments."""
    outcome = TeacherOutcome(name="base_student", dir=(config.run_dir / "_base_student").absolute())
    eval_dir = outcome.dir / "eval"
    cmd = eval_command(
        config.eval, student=config.student, model_dir=Path(config.student), output_path=eval_dir
    )

    def evaluate() -> dict[str, Any]:
        shutil.rmtree(eval_dir, ignore_errors=True)
        run_logged(cmd, outcome.dir / "logs" / "eval.log", env=config.eval.env)
        return read_scores(eval_dir, config.eval.tasks, config.eval.metrics)

    outcome.scores, _ = _run_step(
        outcome,
        "eval_run",
        evaluate,
        params={"command": cmd, "env": dict(config.eval.env), "metrics": dict(config.eval.metrics)},
        inputs={"student": config.student},
    )
    outcome.aggregate = _aggregate(outcome.scores, config.weights)
    return outcome
