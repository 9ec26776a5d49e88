"""The ``ded teacher`` schema.

```yaml
run: smoke                        # -> <output_dir>/<run>/teacher/
output_dir: runs                  # relative to the current directory
seed: 0
questions: {path: s1k.jsonl, domain: math}   # inputs: relative to this file
student: deepseek-ai/DeepSeek-R1-Distill-Qwen-32B
sampling: {temperature: 0.6, top_p: 0.95, max_tokens: 32768}
teachers:
  - name: qwq_32b
    backend: {openai: {base_url: "http://127.0.0.1:8000/v1", model: Qwen/QwQ-32B}}
  - name: deepseek_r1
    rollouts: r1.jsonl            # sampled already: the lowest sample index per question is used
    model_path: null              # local weights, only for teacher-scored token entropy
export: {llamafactory: {}}        # dataset_dir and dataset_name are set per teacher
train:
  recipe: ../ded_smoke_32b.yaml
  overrides: {num_train_epochs: 3}
eval:
  tasks: [ded_aime24, ded_aime25, ded_math500]
  model: vllm
  model_args: {tensor_parallel_size: 8}
  args: [--apply_chat_template]
  baseline: true                  # also evaluate the student before SFT (the gains in the report)
metrics: [pass_rate, length, token_entropy, pca_shift]
aggregate: mean                   # or {weights: {task: weight}}
executor: local                   # or {ray: {gpus_per_teacher: 8}}: teachers in parallel on a cluster
```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ded_plugins.configs.checker import Checker, QuestionSource, open_config
from ded_plugins.configs.rollout import check_backend, sampling
from ded_plugins.errors import ConfigError
from ded_plugins.registry import Registry
from ded_plugins.rollouts.types import Sampling


__all__ = [
    "DEFAULT_METRICS",
    "EvalSpec",
    "MetricSpec",
    "TeacherConfig",
    "TeacherSpec",
    "TrainSpec",
    "load_teacher_config",
]

_TOP = (
    "run", "output_dir", "seed", "questions", "student", "sampling", "teachers", "export", "train", "eval",
    "metrics", "aggregate", "executor",
)  # fmt: skip
_TEACHER = ("name", "backend", "rollouts", "model_path", "sampling")
_TRAIN = ("recipe", "overrides", "command", "env")
_EVAL = ("tasks", "model", "model_args", "args", "metrics", "command", "env", "include_path", "baseline")
DEFAULT_METRICS = ("pass_rate", "length", "token_entropy", "pca_shift")


@dataclass(frozen=True, kw_only=True)
class TeacherSpec:
    name: str
    backend: str | None = None
    backend_params: Mapping[str, Any] = field(default_factory=dict)
    #: declared inputs of the backend (a local model directory)
    backend_inputs: Mapping[str, str] = field(default_factory=dict)
    rollouts: Path | None = None
    model_path: str | None = None
    sampling: Sampling | None = None


@dataclass(frozen=True, kw_only=True)
class TrainSpec:
    recipe: Path
    overrides: Mapping[str, Any] = field(default_factory=dict)
    command: tuple[str, ...] = ("llamafactory-cli", "train")
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class EvalSpec:
    tasks: tuple[str, ...]
    model: str = "hf"
    model_args: Mapping[str, Any] = field(default_factory=dict)
    args: tuple[str, ...] = ()
    #: task -> metric key in lm_eval's results (``"exact_match,none"``); default: the first one
    metrics: Mapping[str, str] = field(default_factory=dict)
    command: tuple[str, ...] = ("lm_eval",)
    env: Mapping[str, str] = field(default_factory=dict)
    include_path: str | None = None
    #: also evaluate the student before any SFT, for the gains (Table 1's deltas)
    baseline: bool = False


@dataclass(frozen=True, kw_only=True)
class MetricSpec:
    """A teacher metric with its resolved parameters and declared inputs."""

    name: str
    params: Mapping[str, Any]
    inputs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class TeacherConfig:
    run: str
    output_dir: Path
    seed: int
    questions: QuestionSource
    student: str
    sampling: Sampling
    teachers: tuple[TeacherSpec, ...]
    export: tuple[str, Mapping[str, Any]]
    train: TrainSpec
    eval: EvalSpec
    metrics: tuple[MetricSpec, ...]
    #: None: plain mean of the benchmark scores; else a weight per task
    weights: Mapping[str, float] | None
    base_dir: Path
    source: str
    #: where each teacher's steps run: ``("local", {})`` here, one after another, or ``("ray", {...})``
    executor: tuple[str, Mapping[str, Any]] = ("local", {})

    @property
    def run_dir(self) -> Path:
        """Where everything of this run goes: ``<output_dir>/<run>/teacher``."""
        return self.output_dir / self.run / "teacher"


def _scalars(c: Checker, value: Mapping[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    """A mapping whose values are scalars or JSON-able lists/mappings (LLaMA-Factory / lm_eval args)."""
    out = {}
    for k, v in value.items():
        if not isinstance(k, str) or not k:
            c.add((*path, k), f"expected an argument name, found {k!r}")
        elif v is None:
            c.add((*path, k), "expected a value, found null")
        else:
            out[k] = v
    return out


def _teacher(c: Checker, i: int, value: Any, registry: Registry) -> TeacherSpec | None:
    at: tuple[Any, ...] = ("teachers", i)
    if not isinstance(value, Mapping):
        c.add(at, "expected a mapping with 'name' and 'backend' or 'rollouts'")
        return None
    c.keys(value, _TEACHER, at)
    name = value.get("name")
    if not isinstance(name, str) or not name.isidentifier():
        c.add((*at, "name"), f"expected a snake_case name (it names directories), found {name!r}")
        return None
    if ("backend" in value) == ("rollouts" in value):
        c.add(at, "give exactly one of 'backend' (sample now) or 'rollouts' (sampled already)")
        return None
    backend = None
    if "backend" in value:
        backend = check_backend(c, c.component(value["backend"], (*at, "backend")), registry)
    rollouts = (
        c.input_path(value["rollouts"], (*at, "rollouts"), what="rollout file")
        if "rollouts" in value
        else None
    )
    model_path = value.get("model_path")
    return TeacherSpec(
        name=name,
        backend=backend[0] if backend else None,
        backend_params=backend[1] if backend else {},
        backend_inputs=backend[2] if backend else {},
        rollouts=rollouts,
        model_path=c.model_ref(model_path, (*at, "model_path")) if model_path is not None else None,
        sampling=sampling(c, value["sampling"], (*at, "sampling")) if "sampling" in value else None,
    )


def load_teacher_config(
    source: str | Path | Mapping[str, Any],
    *,
    base_dir: Path | None = None,
    registry: Registry | None = None,
    label: str | None = None,
    check_inputs: bool = True,
) -> TeacherConfig:
    """Parse and check a ``ded teacher`` config; every problem is reported at once."""
    if registry is None:
        from ded_plugins.plugins import get_registry

        registry = get_registry()
    raw, c = open_config(source, base_dir=base_dir, label=label, check_inputs=check_inputs)
    c.keys(raw, _TOP)
    c.require(raw, ("run", "questions", "student", "teachers", "train", "eval"))
    run = c.plain_name(raw, "run", (), "run")
    seed = c.integer(raw, "seed", (), 0)
    questions = c.questions(raw["questions"], ("questions",)) if "questions" in raw else None
    student = c.model_ref(raw["student"], ("student",)) if "student" in raw else None
    decoding = sampling(c, raw.get("sampling"), ("sampling",))
    teachers: list[TeacherSpec] = []
    raw_teachers = raw.get("teachers")
    if "teachers" in raw and (not isinstance(raw_teachers, list) or not raw_teachers):
        c.add(("teachers",), "expected a non-empty list of teachers")
    elif isinstance(raw_teachers, list):
        for i, t in enumerate(raw_teachers):
            spec = _teacher(c, i, t, registry)
            if spec is not None:
                teachers.append(spec)
        names = [t.name for t in teachers]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            c.add(("teachers",), f"name {dup!r} is used twice")
    export_spec = c.component(raw.get("export", "llamafactory"), ("export",))
    export: tuple[str, Mapping[str, Any]] = ("llamafactory", {})
    if export_spec is not None:
        try:
            component = registry.get("exporter", export_spec.name, where=export_spec.where)
            ignored = {"dataset_dir", "dataset_name"}  # set per teacher
            c.problems.extend(
                registry.check_params(
                    component,
                    {k: v for k, v in export_spec.params.items() if k not in ignored},
                    where=export_spec.where,
                )
            )
            export = (export_spec.name, dict(export_spec.params))
        except ConfigError as exc:
            c.problems.extend(exc.problems)
    train_raw = c.mapping(raw, "train")
    c.keys(train_raw, _TRAIN, ("train",))
    if "train" in raw:
        c.require(train_raw, ("recipe",), ("train",))
    recipe = (
        c.input_path(train_raw["recipe"], ("train", "recipe"), what="training recipe")
        if "recipe" in train_raw
        else None
    )
    train = TrainSpec(
        recipe=recipe or Path("-"),
        overrides=_scalars(c, c.mapping(train_raw, "overrides", ("train",)), ("train", "overrides")),
        command=c.str_list(train_raw, "command", ("train",), ("llamafactory-cli", "train")),
        env=c.env(train_raw, "env", ("train",)),
    )
    eval_raw = c.mapping(raw, "eval")
    c.keys(eval_raw, _EVAL, ("eval",))
    tasks = c.str_list(eval_raw, "tasks", ("eval",))
    if "eval" in raw and not tasks:
        c.add(("eval", "tasks"), "name at least one lm-eval task")
    include = eval_raw.get("include_path")
    evaluation = EvalSpec(
        tasks=tasks,
        model=c.typed(eval_raw, "model", str, ("eval",), "hf"),
        model_args=_scalars(c, c.mapping(eval_raw, "model_args", ("eval",)), ("eval", "model_args")),
        args=c.str_list(eval_raw, "args", ("eval",)),
        metrics={str(k): str(v) for k, v in c.mapping(eval_raw, "metrics", ("eval",)).items()},
        command=c.str_list(eval_raw, "command", ("eval",), ("lm_eval",)),
        env=c.env(eval_raw, "env", ("eval",)),
        include_path=str(c.input_path(include, ("eval", "include_path"), what="task folder") or include)
        if include is not None
        else None,
        baseline=c.flag(eval_raw, "baseline", ("eval",), False),
    )
    metrics = _metrics(c, raw, registry)
    weights = _weights(c, raw.get("aggregate", "mean"), tasks)
    executor: tuple[str, Mapping[str, Any]] = ("local", {})
    executor_spec = c.component(raw["executor"], ("executor",)) if raw.get("executor") is not None else None
    if executor_spec is not None:
        from ded_plugins.teacher.cluster import executor_problems

        c.problems.extend(executor_problems(executor_spec.name, executor_spec.params, executor_spec.where))
        executor = (executor_spec.name, dict(executor_spec.params))
    output_dir = c.output_path(raw.get("output_dir", "runs"), ("output_dir",))
    c.finish()
    assert questions is not None and student is not None and run is not None and output_dir is not None
    return TeacherConfig(
        run=run,
        output_dir=output_dir,
        seed=seed,
        questions=questions,
        student=student,
        sampling=decoding,
        teachers=tuple(teachers),
        export=export,
        train=train,
        eval=evaluation,
        metrics=metrics,
        weights=weights,
        base_dir=c.base_dir,
        source=c.label,
        executor=executor,
    )


def _metrics(c: Checker, raw: Mapping[str, Any], registry: Registry) -> tuple[MetricSpec, ...]:
    value = raw.get("metrics", list(DEFAULT_METRICS))
    if not isinstance(value, list):
        c.add(("metrics",), "expected a list of names or {name: {params}}")
        return ()
    out = []
    for i, item in enumerate(value):
        spec = c.component(item, ("metrics", i))
        if spec is None:
            continue
        resolved = c.resolve_component(spec, registry, "teacher_metric")
        if resolved is None:
            continue
        params, inputs = resolved
        out.append(MetricSpec(name=spec.name, params=params, inputs=inputs))
    return tuple(out)


def _weights(c: Checker, aggregate: Any, tasks: tuple[str, ...]) -> Mapping[str, float] | None:
    if aggregate == "mean":
        return None
    if not (
        isinstance(aggregate, Mapping)
        and set(aggregate) == {"weights"}
        and isinstance(aggregate["weights"], Mapping)
    ):
        c.add(("aggregate",), f"expected 'mean' or {{weights: {{task: weight}}}}, found {aggregate!r}")
        return None
    weights = {}
    for task, w in aggregate["weights"].items():
        if isinstance(w, bool) or not isinstance(w, int | float) or w < 0:
            c.add(("aggregate", "weights", task), f"expected a number >= 0, found {w!r}")
            continue
        if task not in tasks:
            c.add(("aggregate", "weights", task), f"not one of eval.tasks ({', '.join(tasks)})")
        weights[str(task)] = float(w)
    if weights and sum(weights.values()) == 0:
        c.add(("aggregate", "weights"), "the weights sum to 0")
    return weights
