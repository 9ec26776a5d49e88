"""Rollouts on a Ray cluster: replicas of a rollout backend, one seeded request per sample.

``ded rollout`` with ``executor: {ray: {...}}`` hands the missing samples to
:class:`RayRollouts` instead of a local backend. It starts ``replicas`` copies of the
configured backend as Ray actors and feeds them batches of ``batch_samples`` samples,
one request per (question, sample index) under that sample's own seed, so a sample does
not depend on which replica made it or what else was in its batch:

- ``vllm``: one engine per replica with ``tensor_parallel_size`` GPUs on one node,
  reserved by a placement group; the replicas are the data parallelism (default: as
  many as the cluster's GPUs hold, or the backend's ``data_parallel_size``);
- ``openai`` and the other CPU backends: one replica per node by default, spread over
  the nodes (``cpus_per_replica`` each; ``gpus_per_replica`` for a local model on GPU).

Every finished batch comes back to the driver, which appends its records (the runner's
append-only, resumable file; nothing is written on the nodes). A replica that dies
loses only its batches in flight: they go to another replica, and a new replica is
started in its place (up to ``max_restarts``); a sample already written is never
written again. An error raised by the backend itself stops the job (what was written is
kept; ``ded rollout`` again generates the rest).
"""

from __future__ import annotations

import logging
import secrets
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from typing import Any

from ded_plugins.engine.executors.ray_cluster import (
    alive_nodes,
    cancel_unfinished,
    connect,
    disconnect,
    node_strategy,
    ray_module,
    task_error,
)
from ded_plugins.errors import ClusterError, ConfigError, StageError
from ded_plugins.rollouts.placement import NodeCapacity, ReplicaPlan, capacities, plan_replicas
from ded_plugins.rollouts.types import Emit, Generation, SampleRequest, Sampling


__all__ = ["RayRollouts", "executor_problems", "one_per_sample"]

log = logging.getLogger(__name__)

#: batches queued at each replica: one generating, one waiting
PER_REPLICA = 2
#: prefix of the replicas' actor names (``ded-rollout-<model>-<run>-<i>``)
ACTOR_PREFIX = "ded-rollout-"


def one_per_sample(requests: Sequence[SampleRequest]) -> list[SampleRequest]:
    """Each (question, sample index) as its own request with its own seed."""
    return [
        SampleRequest(question_id=r.question_id, prompt=r.prompt, sample_indices=(i,), seeds=(seed,))
        for r in requests
        for i, seed in zip(r.sample_indices, r.seeds, strict=True)
    ]


class _Replica:
    """A Ray actor: one copy of the backend, built where it runs."""

    def __init__(self, backend: str, params: Mapping[str, Any]) -> None:
        from ded_plugins.plugins import get_registry

        self.backend = get_registry().build(
            "rollout_backend", backend, dict(params), where=f"backend.{backend}"
        )

    def ready(self) -> str:
        ray = ray_module("a rollout replica")
        node_id: str = ray.get_runtime_context().get_node_id()
        return node_id

    def generate(self, requests: list[SampleRequest], sampling: Sampling) -> list[Generation]:
        out: list[Generation] = []
        self.backend.generate(requests, sampling, out.append)
        return out

    def close(self) -> None:
        close = getattr(self.backend, "close", None)
        if callable(close):
            close()


class RayRollouts:
    """Generates with replicas of ``backend`` on a Ray cluster; see the module docstring."""

    def __init__(
        self,
        backend: str,
        backend_params: Mapping[str, Any],
        *,
        model: str = "model",
        address: str = "auto",
        namespace: str = "ded",
        runtime_env: Mapping[str, Any] | None = None,
        replicas: int | None = None,
        batch_samples: int = 64,
        cpus_per_replica: float = 1.0,
        gpus_per_replica: float | None = None,
        max_restarts: int = 3,
        start_timeout_s: float = 600.0,
    ) -> None:
        params = dict(backend_params)
        if backend == "vllm":
            tp = int(params.get("tensor_parallel_size", 1))
            dp = int(params.get("data_parallel_size", 1))
            if replicas is not None and dp > 1 and replicas != dp:
                raise ConfigError(
                    f"executor.ray.replicas is {replicas} but backend.vllm.data_parallel_size is {dp}: "
                    "on Ray the replicas are the data parallelism; give one of them"
                )
            replicas = replicas if replicas is not None else (dp if dp > 1 else None)
            params["data_parallel_size"] = 1  # each replica is one engine on its own GPUs
            gpus = float(tp) if gpus_per_replica is None else float(gpus_per_replica)
        else:
            gpus = float(gpus_per_replica or 0.0)
        if batch_samples < 1 or max_restarts < 0 or cpus_per_replica < 0 or start_timeout_s <= 0:
            raise ConfigError(
                "executor.ray: batch_samples must be >= 1, max_restarts >= 0, cpus_per_replica >= 0 "
                f"and start_timeout_s > 0; found {batch_samples}, {max_restarts}, {cpus_per_replica}, "
                f"{start_timeout_s}"
            )
        self.backend = backend
        self.params = params
        self.replicas = replicas
        self.batch_samples = batch_samples
        self.cpus = float(cpus_per_replica)
        self.gpus = gpus
        self.max_restarts = max_restarts
        self.start_timeout_s = start_timeout_s
        self.runtime_env = dict(runtime_env) if runtime_env else None
        self.run_name = f"{ACTOR_PREFIX}{_safe(model)}-{secrets.token_hex(3)}"
        self._owned = connect(address, namespace=namespace, purpose="rollouts on Ray")
        self._actors: dict[int, Any] = {}
        self._groups: dict[int, Any] = {}
        try:
            self._plan(replicas)  # a cluster too small is an error before anything is written
        except BaseException:
            self.close()
            raise

    # -- replicas --

    def _plan(self, replicas: int | None) -> ReplicaPlan:
        return plan_replicas(capacities(alive_nodes()), cpus=self.cpus, gpus=self.gpus, replicas=replicas)

    def _start(self, index: int, node: NodeCapacity) -> Any:
        ray = ray_module("rollouts on Ray")
        options: dict[str, Any] = {
            "num_cpus": self.cpus,
            "num_gpus": self.gpus,
            "max_restarts": 0,
            "max_concurrency": 1,
            "name": f"{self.run_name}-{index}",
        }
        if self.runtime_env:
            options["runtime_env"] = self.runtime_env
        if self.gpus > 0:
            # the replica's GPUs on one node, reserved together (vLLM's tensor parallel workers
            # are processes of the replica and see exactly these GPUs)
            from ray.util.placement_group import placement_group
            from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

            bundle = {"GPU": self.gpus, **({"CPU": self.cpus} if self.cpus else {})}
            group = placement_group([bundle], strategy="STRICT_PACK")
            self._groups[index] = group
            options["scheduling_strategy"] = PlacementGroupSchedulingStrategy(
                placement_group=group,
                placement_group_bundle_index=0,
                placement_group_capture_child_tasks=True,
            )
        else:
            options["scheduling_strategy"] = node_strategy(node.node_id, soft=True)
        actor = ray.remote(_Replica).options(**options).remote(self.backend, self.params)
        self._actors[index] = actor
        return actor

    def _drop(self, index: int) -> None:
        ray = ray_module("rollouts on Ray")
        actor = self._actors.pop(index, None)
        if actor is not None:
            ray.kill(actor)
        group = self._groups.pop(index, None)
        if group is not None:
            from ray.util.placement_group import remove_placement_group

            remove_placement_group(group)

    # -- the backend protocol --

    def generate(self, requests: Sequence[SampleRequest], sampling: Sampling, emit: Emit) -> None:
        """Emit every sample of ``requests`` once, as the replicas finish their batches."""
        ray = ray_module("rollouts on Ray")
        items = one_per_sample(requests)
        size = self.batch_samples
        queue: deque[list[SampleRequest]] = deque(items[k : k + size] for k in range(0, len(items), size))
        plan = self._plan(self.replicas)
        count = min(plan.replicas, len(queue))
        log.info(
            "rollouts on Ray: %d replica(s) of %s (%g CPU, %g GPU each) on %s",
            count,
            self.backend,
            self.cpus,
            self.gpus,
            ", ".join(n.label for n in plan.nodes[:count]),
        )
        pending: dict[Any, tuple[int, list[SampleRequest] | None]] = {}
        for i in range(count):
            pending[self._start(i, plan.nodes[i]).ready.remote()] = (i, None)
        ready: set[int] = set()
        load: Counter[int] = Counter()
        emitted: set[tuple[str, int]] = set()
        restarts = 0
        try:
            while queue or any(batch is not None for _, batch in pending.values()):
                while queue and ready:
                    free = [i for i in ready if load[i] < PER_REPLICA]
                    if not free:
                        break
                    i = min(free, key=lambda r: (load[r], r))
                    work = queue.popleft()
                    pending[self._actors[i].generate.remote(work, sampling)] = (i, work)
                    load[i] += 1
                if not pending:
                    raise ClusterError(
                        "rollouts on Ray: no replica is left to generate the remaining samples"
                    )
                done, _ = ray.wait(
                    list(pending), num_returns=1, timeout=None if ready else self.start_timeout_s
                )
                if not done:
                    raise ClusterError(
                        f"rollouts on Ray: no replica started within {self.start_timeout_s:g} s; the cluster "
                        f"could not place {self.cpus:g} CPU and {self.gpus:g} GPU for one"
                    )
                for ref in done:
                    i, batch = pending.pop(ref)
                    try:
                        result = ray.get(ref)
                    except ray.exceptions.RayActorError as exc:
                        if exc.actor_init_failed:
                            raise StageError(
                                f"rollout replica {i} ({self.backend}) failed to start: {exc}"
                            ) from None
                        if batch is not None:
                            queue.appendleft(batch)  # lost with its replica: generated elsewhere
                        if i in self._actors:
                            log.warning("rollouts on Ray: replica %d died: %s", i, str(exc).splitlines()[0])
                            ready.discard(i)
                            self._drop(i)
                            if restarts < self.max_restarts:
                                restarts += 1
                                node = self._plan(1).nodes[0]
                                pending[self._start(i, node).ready.remote()] = (i, None)
                                load[i] = 0
                        continue
                    except ray.exceptions.RayTaskError as exc:
                        raise task_error(exc, f"rollout replica {i} ({self.backend}) failed") from None
                    if batch is None:
                        ready.add(i)
                        continue
                    load[i] -= 1
                    for g in result:
                        key = (g.question_id, g.sample_index)
                        if key not in emitted:  # a batch that ran twice (retried) is written once
                            emitted.add(key)
                            emit(g)
        finally:  # actor calls: cancelled politely; close() stops the replicas
            cancel_unfinished(pending, force=False)

    def close(self) -> None:
        """Stop the replicas; leave the cluster if this object joined it."""
        if self._actors or self._groups:
            ray = ray_module("rollouts on Ray")
            closing = [a.close.remote() for a in self._actors.values()]
            if closing:
                ray.wait(closing, num_returns=len(closing), timeout=30)
            for i in list(self._actors) + list(self._groups):
                self._drop(i)
        disconnect(self._owned)
        self._owned = False


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name)[:40]


def executor_problems(executor: tuple[str, Mapping[str, Any]], where: str = "executor") -> list[str]:
    """Problems with a rollout config's ``executor`` (``local``, or ``{ray: {...}}``); empty when fine."""
    import inspect

    name, params = executor
    if name == "local":
        return [f"{where}.local: takes no parameters, found {', '.join(params)}"] if params else []
    if name != "ray":
        return [f"{where}: expected local or ray, found {name!r}"]
    skip = ("self", "backend", "backend_params", "model")
    accepted = [p for p in inspect.signature(RayRollouts.__init__).parameters if p not in skip]
    return [
        f"{where}.ray: unknown parameter {key!r} for rollouts on Ray; accepted: {', '.join(accepted)}"
        for key in params
        if key not in accepted
    ]
