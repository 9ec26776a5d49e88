"""The Ray executor: a stage's units on the nodes of a Ray cluster.

A ``spread`` job (single-threaded work: token counts, format checks) runs each unit as a
Ray task of ``cpus_per_unit`` CPUs, spread over the nodes. Ray reuses a worker process
for the tasks it runs, and :func:`~ded_plugins.engine.units.execute_unit` caches the
component per process, so a tokenizer is loaded once per worker, not once per unit; a
worker holds one job's components at a time. A ``node`` job (a component that
parallelises itself: the sandbox's workers, the math grader's pool) runs on one actor per
node that builds the component once and gets the node's units two at a time, so a fast
node takes more of them.

Retries: a unit whose worker, actor or node dies is run again elsewhere, up to
``max_retries`` times (Ray's task retries for tasks; a new actor or another node's actor
for node jobs); an error raised by the component itself is not retried, it fails the
stage. A unit is counted once, when its result reaches this process: a retried unit
rewrites its own output file with the same bytes, and the engine merges unit files in
index order, so the stage's output does not depend on where, or how often, a unit ran.
"""

from __future__ import annotations

import logging
import os
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ded_plugins.engine.executors.ray_cluster import (
    Node,
    alive_nodes,
    cancel_unfinished,
    check_shared_paths,
    connect,
    disconnect,
    node_strategy,
    ray_module,
    task_error,
)
from ded_plugins.engine.units import Job, Unit, UnitReport, close_components, execute_unit
from ded_plugins.errors import ClusterError, StageError


__all__ = ["RayExecutor"]

log = logging.getLogger(__name__)

#: units queued at each node actor: one running, one waiting, so the node never idles
PER_ACTOR = 2


# --- what runs on the workers ----------------------------------------------------------------

_held: str | None = None


def _node_id() -> str:
    ray = ray_module("reporting the node a unit ran on")
    node_id: str = ray.get_runtime_context().get_node_id()
    return node_id


def _run_unit(job: Job, unit: Unit) -> tuple[UnitReport, str]:
    """A Ray task: one unit in a reused worker, which keeps one job's components at a time."""
    global _held
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if _held != job.key:
        close_components()
        _held = job.key
    return execute_unit(job, unit), _node_id()


class _NodeWorker:
    """A Ray actor, one per node: builds a ``node`` job's component once and runs its units."""

    def run(self, job: Job, unit: Unit) -> tuple[UnitReport, str]:
        return execute_unit(job, unit), _node_id()

    def close(self, key: str) -> None:
        close_components(key)


# --- the driver's side ----------------------------------------------------------------------


class RayExecutor:
    """Units on a Ray cluster; see the module docstring.

    ``address``: ``auto`` (``RAY_ADDRESS``, or the cluster started on this machine),
    ``HOST:PORT`` of the head node, or ``ray://HOST:10001`` (Ray Client). ``runtime_env``
    is passed to every task and actor (``env_vars``, ``working_dir``, ``py_modules``).
    """

    name = "ray"

    def __init__(
        self,
        *,
        address: str = "auto",
        namespace: str = "ded",
        runtime_env: Mapping[str, Any] | None = None,
        max_retries: int = 3,
        cpus_per_unit: float = 1.0,
    ) -> None:
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, found {max_retries}")
        if cpus_per_unit <= 0:
            raise ValueError(f"cpus_per_unit must be > 0, found {cpus_per_unit}")
        self.address = address
        self.max_retries = max_retries
        self.cpus_per_unit = float(cpus_per_unit)
        self.runtime_env = dict(runtime_env) if runtime_env else None
        self._owned = connect(address, namespace=namespace, purpose="the ray executor")
        self._labels: dict[str, str] = {}
        #: node id -> the node actor, kept across stages; nodes whose actor died
        self._actors: dict[str, Any] = {}
        self._gone: set[str] = set()

    # -- helpers --

    def _options(self, **extra: Any) -> dict[str, Any]:
        options: dict[str, Any] = {"num_cpus": self.cpus_per_unit, **extra}
        if self.runtime_env:
            options["runtime_env"] = self.runtime_env
        return options

    def _nodes(self, job: Job) -> list[Node]:
        nodes = alive_nodes()
        usable = [n for n in nodes if n.cpus >= self.cpus_per_unit]
        if not usable:
            offered = ", ".join(f"{n.label}: {n.cpus:g} CPU" for n in nodes) or "no live nodes"
            raise ClusterError(
                f"stage {job.stage}: every unit needs {self.cpus_per_unit:g} CPU on one node and no node "
                f"of the Ray cluster offers it ({offered})"
            )
        self._labels.update({n.node_id: n.label for n in nodes})
        return usable

    def _label(self, node_id: str) -> str:
        if node_id not in self._labels:
            self._labels.update({n.node_id: n.label for n in alive_nodes()})
        return self._labels.get(node_id, node_id[:8])

    def _done(self, report: UnitReport, node_id: str) -> UnitReport:
        return replace(report, node=self._label(node_id))

    def _failed(self, job: Job, unit: Unit, exc: Exception) -> Exception:
        """The error to raise for a unit that failed for good."""
        ray = ray_module("the ray executor")
        if isinstance(exc, ray.exceptions.RayTaskError):
            return task_error(exc, f"stage {job.stage}: unit {unit.index} failed")
        return StageError(
            f"stage {job.stage}: unit {unit.index} was lost {self.max_retries + 1} times (its worker "
            f"or node died each time): {type(exc).__name__}: {exc}"
        )

    # -- the seam --

    def run(self, job: Job, units: Sequence[Unit], on_done: Callable[[Unit, UnitReport], None]) -> None:
        """Run every unit on the cluster; ``on_done`` is called here as each finishes."""
        if not units:
            return
        nodes = self._nodes(job)
        files = {job.run.store, *job.run.sources, *(span[0] for u in units for span in u.spans)}
        nodes = check_shared_paths(nodes, sorted(files), writable=[str(Path(units[0].output).parent)])
        if job.placement == "node":
            self._run_on_node_actors(job, units, on_done, nodes)
        else:
            self._run_tasks(job, units, on_done, nodes)

    def _run_tasks(
        self, job: Job, units: Sequence[Unit], on_done: Callable[[Unit, UnitReport], None], nodes: list[Node]
    ) -> None:
        ray = ray_module("the ray executor")
        task = ray.remote(_run_unit).options(
            **self._options(
                max_retries=self.max_retries, retry_exceptions=False, scheduling_strategy="SPREAD"
            )
        )
        # a few units per CPU in flight: workers never wait, a failure cancels little
        limit = max(2, int(2 * sum(n.cpus for n in nodes) / self.cpus_per_unit))
        queue = deque(units)
        pending: dict[Any, Unit] = {}
        try:
            while queue or pending:
                while queue and len(pending) < limit:
                    unit = queue.popleft()
                    pending[task.remote(job, unit)] = unit
                ready, _ = ray.wait(list(pending), num_returns=1)
                for ref in ready:
                    unit = pending.pop(ref)
                    try:
                        report, node_id = ray.get(ref)
                    except ray.exceptions.RayError as exc:
                        raise self._failed(job, unit, exc) from None
                    on_done(unit, self._done(report, node_id))
        finally:
            cancel_unfinished(pending)  # empty unless a unit failed

    def _start_actors(self, candidates: Sequence[Node]) -> None:
        """One node actor on each candidate node that has none (and has not lost one)."""
        ray = ray_module("the ray executor")
        worker_cls = ray.remote(_NodeWorker)
        for n in candidates:
            if n.node_id not in self._actors and n.node_id not in self._gone:
                # pinned to its node, holding no CPU: it idles between node stages, and a
                # reservation would starve the tasks of the stages in between
                options = self._options(
                    num_cpus=0,
                    max_restarts=0,
                    max_concurrency=1,
                    scheduling_strategy=node_strategy(n.node_id),
                )
                self._actors[n.node_id] = worker_cls.options(**options).remote()

    def _run_on_node_actors(
        self, job: Job, units: Sequence[Unit], on_done: Callable[[Unit, UnitReport], None], nodes: list[Node]
    ) -> None:
        ray = ray_module("the ray executor")
        self._start_actors(nodes)  # kept for later stages: a new process per stage costs seconds
        queue = deque(units)
        attempts: Counter[int] = Counter()
        inflight: dict[Any, tuple[Unit, str]] = {}
        load: Counter[str] = Counter()
        try:
            while queue or inflight:
                # round-robin, least loaded first, up to PER_ACTOR each
                while queue:
                    free = [nid for nid in self._actors if load[nid] < PER_ACTOR]
                    if not free:
                        break
                    node_id = min(free, key=lambda nid: load[nid])
                    unit = queue.popleft()
                    inflight[self._actors[node_id].run.remote(job, unit)] = (unit, node_id)
                    load[node_id] += 1
                if not inflight:
                    raise ClusterError(f"stage {job.stage}: no node is left to run its units")
                ready, _ = ray.wait(list(inflight), num_returns=1)
                for ref in ready:
                    unit, node_id = inflight.pop(ref)
                    load[node_id] -= 1
                    try:
                        report, ran_on = ray.get(ref)
                    except ray.exceptions.RayActorError as exc:
                        if self._actors.pop(node_id, None) is not None:
                            self._gone.add(node_id)
                            log.warning("%s: the actor on %s died: %s", job.stage, self._label(node_id), exc)
                        attempts[unit.index] += 1
                        if attempts[unit.index] > self.max_retries:
                            raise self._failed(job, unit, exc) from None
                        queue.appendleft(unit)
                        self._start_actors([n for n in alive_nodes() if n.cpus >= self.cpus_per_unit])
                        continue
                    except ray.exceptions.RayError as exc:
                        raise self._failed(job, unit, exc) from None
                    on_done(unit, self._done(report, ran_on))
        finally:
            closing = [actor.close.remote(job.key) for actor in self._actors.values()]
            if closing:
                ray.wait(closing, num_returns=len(closing), timeout=60)

    def close(self) -> None:
        """Stop the node actors; leave the cluster if this executor joined it."""
        if self._actors:
            ray = ray_module("the ray executor")
            for actor in self._actors.values():
                ray.kill(actor)
            self._actors.clear()
        disconnect(self._owned)
        self._owned = False
