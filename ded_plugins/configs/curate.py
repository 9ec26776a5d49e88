"""The ``ded curate`` schema.

```yaml
run: s1k_math_ded            # outputs go to <output_dir>/<run>/
output_dir: runs             # relative to the current directory
seed: 0
questions: {path: questions.jsonl, domain: math}    # inputs: relative to this file
rollouts:
  - qwq32b.jsonl                                    # each row's own role (default teacher)
  - {path: student.jsonl, role: student}            # the student's own samples
stages:
  - length: {tokenizer: deepseek-ai/DeepSeek-R1-Distill-Qwen-32B, max_tokens: 16384}
  - think_format
  - math_correct
  - pass_rate: {threshold: 0.5}
  - diversity: {k: 4}
export:
  - llamafactory: {dataset_dir: data, dataset_name: ded_s1k_math}
executor: local              # or {local: {workers: 2}}, {ray: {address: auto}}
```

``pass_rate: {student_rollouts: FILE}`` (the earlier form) still works: the file becomes a
``rollouts:`` entry with ``role: student``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ded_plugins.configs.checker import Checker, ComponentSpec, QuestionSource, open_config
from ded_plugins.errors import ConfigError
from ded_plugins.registry import STAGE_KINDS, Registry
from ded_plugins.steps import plain


__all__ = ["CurationConfig", "RolloutInput", "StageSpec", "load_curation_config"]

_TOP_KEYS = ("run", "output_dir", "seed", "questions", "rollouts", "stages", "export", "executor")
_ROLLOUT_KEYS = ("path", "role")


@dataclass(frozen=True, kw_only=True)
class RolloutInput:
    """One rollout file; ``role`` overrides the rows' own ``role`` when given."""

    path: Path
    role: str | None = None


@dataclass(frozen=True, kw_only=True)
class StageSpec:
    """One stage or exporter: its component, resolved parameters and declared inputs."""

    name: str
    params: Mapping[str, Any]
    #: where it was written, for messages (``file.yaml:12: stages[2]``)
    where: str
    #: ``{label: absolute path or hub id}`` of the files the component reads
    inputs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class CurationConfig:
    """A whole curation run, resolved."""

    run: str
    output_dir: Path
    seed: int
    questions: QuestionSource
    rollouts: tuple[RolloutInput, ...]
    stages: tuple[StageSpec, ...]
    export: tuple[StageSpec, ...]
    executor: tuple[str, Mapping[str, Any]] = ("local", {})
    base_dir: Path
    source: str

    @property
    def run_dir(self) -> Path:
        """``<output_dir>/<run>``."""
        return self.output_dir / self.run

    def to_dict(self) -> dict[str, Any]:
        """The resolved config, as written beside the outputs."""
        return {
            "run": self.run,
            "output_dir": str(self.output_dir),
            "seed": self.seed,
            "questions": self.questions.to_dict(),
            "rollouts": [{"path": str(r.path), "role": r.role} for r in self.rollouts],
            "stages": [{s.name: plain(s.params)} for s in self.stages],
            "export": [{s.name: plain(s.params)} for s in self.export],
            "executor": {self.executor[0]: dict(self.executor[1])},
        }


def load_curation_config(
    source: str | Path | Mapping[str, Any],
    *,
    base_dir: str | Path | None = None,
    registry: Registry | None = None,
    label: str | None = None,
    check_inputs: bool = True,
) -> CurationConfig:
    """Load and check a curation config; :class:`ConfigError` lists every problem at once.

    Components and their parameters are checked against ``registry`` (default: every
    installed plugin), and the parameters they declare as inputs are resolved against the
    config file's directory. ``check_inputs=False`` checks a recipe whose input files do
    not exist yet (they are still resolved).
    """
    if registry is None:
        from ded_plugins.plugins import get_registry

        registry = get_registry()
    data, c = open_config(source, base_dir=base_dir, label=label, check_inputs=check_inputs)
    c.keys(data, _TOP_KEYS)
    run = c.plain_name(data, "run", (), "directory")
    if "run" not in data:
        c.add(("run",), "missing required key 'run' (the run's name)")
    output_dir = c.output_path(data.get("output_dir", "runs"), ("output_dir",))
    seed = c.integer(data, "seed", (), 0)
    questions = c.questions(data.get("questions"), ("questions",))
    rollouts = _rollouts(c, data.get("rollouts"))
    stage_specs = c.components(data, "stages")
    export_specs = c.components(data, "export")
    if not stage_specs and not export_specs and "stages" in data:
        c.add(("stages",), "no stages and no exporters: nothing to do")
    stage_specs, extra = _legacy_student_rollouts(c, stage_specs)
    rollouts += [r for r in extra if r.path not in {x.path for x in rollouts}]
    stages = [_resolve(c, s, registry, STAGE_KINDS) for s in stage_specs]
    export = [_resolve(c, s, registry, frozenset({"exporter"})) for s in export_specs]
    executor = _executor(c, data.get("executor"), registry)
    c.finish()
    assert run is not None and questions is not None and output_dir is not None
    return CurationConfig(
        run=run,
        output_dir=output_dir,
        seed=seed,
        questions=questions,
        rollouts=tuple(rollouts),
        stages=tuple(s for s in stages if s is not None),
        export=tuple(s for s in export if s is not None),
        executor=executor,
        base_dir=c.base_dir,
        source=c.label,
    )


def _rollouts(c: Checker, value: Any) -> list[RolloutInput]:
    if value is None:
        c.add(("rollouts",), "missing required key 'rollouts' (rollout JSONL files)")
        return []
    items = [value] if isinstance(value, str | Mapping) else value
    if not isinstance(items, list) or not items:
        c.add(("rollouts",), "expected a non-empty list of rollout JSONL paths or {path, role}")
        return []
    out = []
    for i, item in enumerate(items):
        at: tuple[Any, ...] = ("rollouts", i)
        role = None
        if isinstance(item, Mapping):
            c.keys(item, _ROLLOUT_KEYS, at)
            role = c.typed(item, "role", str, at)
            if role is not None and role not in ("teacher", "student"):
                c.add((*at, "role"), f"expected 'teacher' or 'student', found {role!r}")
            item = item.get("path")
            at = (*at, "path")
        path = c.input_path(item, at, what="rollout file")
        if path is not None:
            out.append(RolloutInput(path=path, role=role))
    return out


def _legacy_student_rollouts(
    c: Checker, specs: list[ComponentSpec]
) -> tuple[list[ComponentSpec], list[RolloutInput]]:
    """``pass_rate: {student_rollouts: ...}`` -> the files become ``rollouts`` with ``role: student``."""
    out, extra = [], []
    for spec in specs:
        if spec.name == "pass_rate" and "student_rollouts" in spec.params:
            raw = spec.params["student_rollouts"]
            items = raw if isinstance(raw, list) else [raw]
            for i, item in enumerate(items):
                at = (*spec.path, "student_rollouts", *((i,) if isinstance(raw, list) else ()))
                path = c.input_path(item, at, what="student rollout file")
                if path is not None:
                    extra.append(RolloutInput(path=path, role="student"))
            params = {k: v for k, v in spec.params.items() if k != "student_rollouts"}
            spec = ComponentSpec(name=spec.name, params=params, where=spec.where, path=spec.path)
        out.append(spec)
    return out, extra


def _resolve(c: Checker, spec: ComponentSpec, registry: Registry, kinds: frozenset[str]) -> StageSpec | None:
    resolved = c.resolve_component(spec, registry, kinds)
    if resolved is None:
        return None
    params, inputs = resolved
    return StageSpec(name=spec.name, params=params, where=spec.where, inputs=inputs)


def _executor(c: Checker, value: Any, registry: Registry) -> tuple[str, Mapping[str, Any]]:
    if value is None:
        return ("local", {})
    spec = c.component(value, ("executor",))
    if spec is None:
        return ("local", {})
    try:
        component = registry.get("executor", spec.name, where=spec.where)
    except ConfigError as exc:
        c.problems.extend(exc.problems)
        return ("local", {})
    c.problems.extend(registry.check_params(component, spec.params, where=spec.where))
    return (spec.name, dict(spec.params))
