"""The teacher smoke test on a Ray cluster: each teacher's steps as one Ray job, teachers in parallel.

With ``executor: {ray: {gpus_per_teacher: 8}}`` in a ``ded teacher`` config, every
teacher's whole chain (rollouts, export, ``llamafactory-cli train``, ``lm_eval``,
metrics) runs as one Ray task holding ``gpus_per_teacher`` GPUs and
``cpus_per_teacher`` CPUs on one node (a whole node when that is what it has: one
teacher per node), so a multi-teacher comparison runs side by side. The task runs the
same code as a local run, with the same step markers in the run directory (which every
node must see at the same path): a teacher whose node is lost is started again elsewhere
(``max_retries``) and skips the steps it had finished. The baseline evaluation of the
untrained student is a job of its own. Ray sets ``CUDA_VISIBLE_DEVICES`` for each job,
and the training and evaluation commands inherit it.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ded_plugins.engine.executors.ray_cluster import (
    alive_nodes,
    cancel_unfinished,
    connect,
    disconnect,
    ray_module,
    task_error,
)
from ded_plugins.errors import StageError
from ded_plugins.records import Question
from ded_plugins.rollouts.placement import capacities, plan_replicas


if TYPE_CHECKING:
    from ded_plugins.configs.teacher import TeacherConfig, TeacherSpec
    from ded_plugins.teacher.outcome import TeacherOutcome


__all__ = ["executor_problems", "run_on_ray"]

log = logging.getLogger(__name__)


def _one_teacher(
    spec: TeacherSpec, config: TeacherConfig, pool: Mapping[str, Question], progress: bool
) -> TeacherOutcome:
    """A Ray task: one teacher's steps, exactly as a local run takes them."""
    from ded_plugins.plugins import get_registry
    from ded_plugins.teacher.smoke import _teacher

    return _teacher(spec, config, pool, get_registry(), progress)


def _baseline_job(config: TeacherConfig) -> TeacherOutcome:
    from ded_plugins.teacher.smoke import _baseline

    return _baseline(config)


def run_on_ray(
    config: TeacherConfig,
    pool: Mapping[str, Question],
    *,
    progress: bool = False,
    address: str = "auto",
    namespace: str = "ded",
    runtime_env: Mapping[str, Any] | None = None,
    gpus_per_teacher: float = 0.0,
    cpus_per_teacher: float = 1.0,
    max_retries: int = 1,
) -> tuple[list[TeacherOutcome], TeacherOutcome | None]:
    """Every teacher (and the baseline, when asked for) as a Ray job; the outcomes in config order."""
    ray = ray_module("the teacher smoke test on Ray")
    owned = connect(address, namespace=namespace, purpose="the teacher smoke test on Ray")
    try:
        nodes = capacities(alive_nodes())
        plan = plan_replicas(nodes, cpus=cpus_per_teacher, gpus=gpus_per_teacher)  # fits at least one?
        log.info(
            "teacher smoke test on Ray: %d teacher(s), %d at a time (%g GPU, %g CPU each)",
            len(config.teachers),
            plan.replicas,
            gpus_per_teacher,
            cpus_per_teacher,
        )
        options: dict[str, Any] = {
            "num_cpus": cpus_per_teacher,
            "num_gpus": gpus_per_teacher,
            "max_retries": max_retries,
            "retry_exceptions": False,
        }
        if runtime_env:
            options["runtime_env"] = dict(runtime_env)
        teacher = ray.remote(_one_teacher).options(**options)
        refs = {spec.name: teacher.remote(spec, config, pool, progress) for spec in config.teachers}
        base = ray.remote(_baseline_job).options(**options).remote(config) if config.eval.baseline else None
        try:
            outcomes = [_get(ray, ref, f"teacher {name}") for name, ref in refs.items()]
            baseline = _get(ray, base, "the baseline evaluation") if base is not None else None
        except BaseException:  # one job failed (or we were interrupted): stop the others
            cancel_unfinished([*refs.values(), *([base] if base is not None else [])])
            raise
        return outcomes, baseline
    finally:
        disconnect(owned)


def _get(ray: Any, ref: Any, what: str) -> Any:
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as exc:
        raise task_error(exc, f"{what} failed on the cluster") from None
    except ray.exceptions.RayError as exc:
        raise StageError(f"{what} was lost on the cluster (its node or worker died): {exc}") from None


def executor_problems(name: str, params: Mapping[str, Any], where: str = "executor") -> list[str]:
    """Problems with a teacher config's ``executor`` (``local``, or ``{ray: {...}}``)."""
    if name == "local":
        return [f"{where}: local takes no parameters, found {', '.join(params)}"] if params else []
    if name != "ray":
        return [f"{where}: expected local or ray, found {name!r}"]
    accepted = [
        p for p in inspect.signature(run_on_ray).parameters if p not in ("config", "pool", "progress")
    ]
    return [
        f"{where}: unknown parameter {key!r} for the smoke test on Ray; accepted: {', '.join(accepted)}"
        for key in params
        if key not in accepted
    ]
