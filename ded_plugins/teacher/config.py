"""``ded teacher`` configuration: strict YAML (or a mapping) to a frozen config.

```yaml
run: smoke                        # -> <output_dir>/<run>/teacher/
output_dir: runs                  # resolved against the current directory
seed: 0
questions: s1k.jsonl              # or {path, format, split, domain, columns, limit}
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
```
Relative input paths (questions, rollouts, recipe, local models) resolve against the
config file's directory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ded_plugins.errors import ConfigError
from ded_plugins.rollouts.config import (
    QuestionSource,
    local_model_paths,
    parse_component,
    parse_questions,
    parse_sampling,
    read_config_mapping,
    unknown_keys,
)
from ded_plugins.rollouts.types import Sampling


__all__ = ["EvalSpec", "TeacherConfig", "TeacherSpec", "TrainSpec", "load_teacher_config"]

_TOP = (
    "run", "output_dir", "seed", "questions", "student", "sampling", "teachers", "export", "train", "eval",
    "metrics", "aggregate",
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
    metrics: tuple[tuple[str, Mapping[str, Any]], ...]
    #: None: plain mean of the benchmark scores; else a weight per task
    weights: Mapping[str, float] | None
    base_dir: Path
    source: str

    @property
    def run_dir(self) -> Path:
        """Where everything of this run goes: ``<output_dir>/<run>/teacher``."""
        return self.output_dir / self.run / "teacher"


def _local(value: str, base: Path) -> str:
    """A relative path that exists next to the config becomes absolute; hub ids stay as written."""
    p = base / value
    return str(p.resolve()) if not Path(value).is_absolute() and p.exists() else value


def _str_list(value: Any, where: str, problems: list[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        problems.append(f"{where}: expected a list of strings, found {value!r}")
        return ()
    return tuple(str(v) for v in value)


def _str_map(value: Any, where: str, problems: list[str]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append(f"{where}: expected a mapping, found {value!r}")
        return {}
    return dict(value)


def _teacher(i: int, value: Any, base: Path, problems: list[str]) -> TeacherSpec | None:
    where = f"teachers[{i}]"
    if not isinstance(value, Mapping):
        problems.append(f"{where}: expected a mapping with 'name' and 'backend' or 'rollouts'")
        return None
    problems.extend(unknown_keys(value, _TEACHER, f"{where}."))
    name = value.get("name")
    if not isinstance(name, str) or not name.isidentifier():
        problems.append(f"{where}.name: expected a snake_case name (it names directories), found {name!r}")
        return None
    has_backend, has_rollouts = "backend" in value, "rollouts" in value
    if has_backend == has_rollouts:
        problems.append(
            f"{where}: give exactly one of 'backend' (sample now) or 'rollouts' (sampled already)"
        )
        return None
    backend = parse_component(value["backend"], f"{where}.backend", problems) if has_backend else None
    rollouts = None
    if has_rollouts:
        rollouts = Path(_local(str(value["rollouts"]), base))
        if not rollouts.is_file():
            problems.append(f"{where}.rollouts: file not found: {rollouts}")
    sampling = (
        parse_sampling(value["sampling"], f"{where}.sampling", problems) if "sampling" in value else None
    )
    model_path = value.get("model_path")
    return TeacherSpec(
        name=name,
        backend=backend[0] if backend else None,
        backend_params=local_model_paths(backend[1], base) if backend else {},
        rollouts=rollouts,
        model_path=_local(model_path, base) if isinstance(model_path, str) else None,
        sampling=sampling,
    )


def load_teacher_config(
    source: str | Path | Mapping[str, Any], *, base_dir: Path | None = None
) -> TeacherConfig:
    """Parse and check a ``ded teacher`` config; every problem is reported at once."""
    raw, base, label = read_config_mapping(source, base_dir)
    problems = unknown_keys(raw, _TOP, "")
    for key in ("run", "questions", "student", "teachers", "train", "eval"):
        if key not in raw:
            problems.append(f"{key}: missing required key")
    run = raw.get("run", "teacher")
    if not isinstance(run, str) or not run or "/" in run:
        problems.append(f"run: expected a plain name, found {run!r}")
    seed = raw.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        problems.append(f"seed: expected an integer, found {seed!r}")
    questions = parse_questions(raw["questions"], base, "questions", problems) if "questions" in raw else None
    student = raw.get("student")
    if "student" in raw and not isinstance(student, str):
        problems.append(f"student: expected a model path or hub id, found {student!r}")
    sampling = parse_sampling(raw.get("sampling"), "sampling", problems)
    teachers: list[TeacherSpec] = []
    if "teachers" in raw:
        if not isinstance(raw["teachers"], list) or not raw["teachers"]:
            problems.append("teachers: expected a non-empty list")
        else:
            for i, t in enumerate(raw["teachers"]):
                spec = _teacher(i, t, base, problems)
                if spec is not None:
                    teachers.append(spec)
            names = [t.name for t in teachers]
            for dup in sorted({n for n in names if names.count(n) > 1}):
                problems.append(f"teachers: name {dup!r} is used twice")
    export = parse_component(raw.get("export", "llamafactory"), "export", problems)
    train_raw = _str_map(raw.get("train"), "train", problems)
    problems.extend(unknown_keys(train_raw, _TRAIN, "train."))
    if "train" in raw and "recipe" not in train_raw:
        problems.append("train.recipe: missing required key")
    recipe = Path(_local(str(train_raw.get("recipe", "")), base))
    if "recipe" in train_raw and not recipe.is_file():
        problems.append(f"train.recipe: file not found: {recipe}")
    eval_raw = _str_map(raw.get("eval"), "eval", problems)
    problems.extend(unknown_keys(eval_raw, _EVAL, "eval."))
    tasks = _str_list(eval_raw.get("tasks", []), "eval.tasks", problems)
    if "eval" in raw and not tasks:
        problems.append("eval.tasks: name at least one lm-eval task")
    if not isinstance(eval_raw.get("baseline", False), bool):
        problems.append(f"eval.baseline: expected true or false, found {eval_raw['baseline']!r}")
    metrics: list[tuple[str, Mapping[str, Any]]] = []
    raw_metrics = raw.get("metrics", list(DEFAULT_METRICS))
    if not isinstance(raw_metrics, list):
        problems.append("metrics: expected a list of names or {name: {params}}")
    else:
        for i, m in enumerate(raw_metrics):
            parsed = parse_component(m, f"metrics[{i}]", problems)
            if parsed is not None:
                metrics.append(parsed)
    weights = None
    aggregate = raw.get("aggregate", "mean")
    if (
        isinstance(aggregate, Mapping)
        and set(aggregate) == {"weights"}
        and isinstance(aggregate["weights"], Mapping)
    ):
        weights = {str(k): float(v) for k, v in aggregate["weights"].items()}
        for task in weights:
            if task not in tasks:
                problems.append(f"aggregate.weights.{task}: not one of eval.tasks ({', '.join(tasks)})")
    elif aggregate != "mean":
        problems.append(f"aggregate: expected 'mean' or {{weights: {{task: weight}}}}, found {aggregate!r}")
    output_dir = raw.get("output_dir", "runs")
    if problems or questions is None or export is None or not isinstance(student, str):
        raise ConfigError(problems or ["incomplete config"], source=label)
    return TeacherConfig(
        run=run,
        output_dir=Path(str(output_dir)),
        seed=seed,
        questions=questions,
        student=_local(student, base),
        sampling=sampling,
        teachers=tuple(teachers),
        export=export,
        train=TrainSpec(
            recipe=recipe,
            overrides=_str_map(train_raw.get("overrides"), "train.overrides", problems),
            command=_str_list(
                train_raw.get("command", ["llamafactory-cli", "train"]), "train.command", problems
            ),
            env={str(k): str(v) for k, v in _str_map(train_raw.get("env"), "train.env", problems).items()},
        ),
        eval=EvalSpec(
            tasks=tasks,
            model=str(eval_raw.get("model", "hf")),
            model_args=_str_map(eval_raw.get("model_args"), "eval.model_args", problems),
            args=_str_list(eval_raw.get("args", []), "eval.args", problems),
            metrics={
                str(k): str(v) for k, v in _str_map(eval_raw.get("metrics"), "eval.metrics", problems).items()
            },
            command=_str_list(eval_raw.get("command", ["lm_eval"]), "eval.command", problems),
            env={str(k): str(v) for k, v in _str_map(eval_raw.get("env"), "eval.env", problems).items()},
            include_path=_local(str(eval_raw["include_path"]), base) if "include_path" in eval_raw else None,
            baseline=bool(eval_raw.get("baseline", False)),
        ),
        metrics=tuple(metrics),
        weights=weights,
        base_dir=base,
        source=label,
    )
