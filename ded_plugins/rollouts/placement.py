"""Placement arithmetic for rollout replicas on a cluster: pure functions, no Ray.

A replica is one copy of a rollout backend: a vLLM engine with ``tensor_parallel_size``
GPUs on one node (vLLM's tensor parallelism stays inside a node; data parallelism is the
number of replicas), or a CPU backend (transformers on CPU, OpenAI-compatible clients).
:func:`plan_replicas` says how many replicas fit and on which nodes: GPU replicas are
packed node by node (whole nodes fill first, as vLLM's own data parallelism does); CPU
replicas are spread one per node per round. Asking for more than fits is a
:class:`~ded_plugins.errors.ClusterError` that spells the arithmetic out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ded_plugins.errors import ClusterError


if TYPE_CHECKING:
    from ded_plugins.engine.executors.ray_cluster import Node


__all__ = ["NodeCapacity", "ReplicaPlan", "capacities", "per_node", "plan_replicas"]


@dataclass(frozen=True, kw_only=True)
class NodeCapacity:
    """What one node offers to replicas."""

    node_id: str
    label: str
    cpus: float
    gpus: float = 0.0


def capacities(nodes: Iterable[Node]) -> list[NodeCapacity]:
    """What each of the cluster's nodes (:func:`~ded_plugins.engine.executors.ray_cluster.alive_nodes`)
    offers to replicas."""
    return [NodeCapacity(node_id=n.node_id, label=n.label, cpus=n.cpus, gpus=n.gpus) for n in nodes]


@dataclass(frozen=True, kw_only=True)
class ReplicaPlan:
    """``replicas`` replicas of ``cpus`` CPUs and ``gpus`` GPUs; ``nodes[i]`` hosts replica i."""

    replicas: int
    cpus: float
    gpus: float
    nodes: tuple[NodeCapacity, ...]


def per_node(node: NodeCapacity, *, cpus: float, gpus: float) -> int:
    """How many replicas of ``cpus`` CPUs and ``gpus`` GPUs fit on ``node``."""
    fit = [math.floor(node.cpus / cpus + 1e-9) if cpus > 0 else None]
    fit.append(math.floor(node.gpus / gpus + 1e-9) if gpus > 0 else None)
    bounded = [f for f in fit if f is not None]
    return min(bounded) if bounded else 1  # a replica that needs nothing: one per node


def _listing(nodes: Sequence[NodeCapacity]) -> str:
    return ", ".join(f"{n.label}: {n.cpus:g} CPU, {n.gpus:g} GPU" for n in nodes) or "no live nodes"


def plan_replicas(
    nodes: Sequence[NodeCapacity], *, cpus: float, gpus: float, replicas: int | None = None
) -> ReplicaPlan:
    """Place ``replicas`` replicas (None: every GPU the cluster has, or one per node for CPU replicas)."""
    if cpus < 0 or gpus < 0:
        raise ValueError(f"a replica needs cpus >= 0 and gpus >= 0, found {cpus}, {gpus}")
    if replicas is not None and replicas < 1:
        raise ValueError(f"replicas must be at least 1, found {replicas}")
    fits = {n.node_id: per_node(n, cpus=cpus, gpus=gpus) for n in nodes}
    capacity = sum(fits.values())
    need = f"{cpus:g} CPU" + (f" and {gpus:g} GPU" if gpus else "")
    if capacity == 0:
        largest = max((n.gpus if gpus else n.cpus for n in nodes), default=0.0)
        what = "GPUs (tensor_parallel_size)" if gpus else "CPUs"
        raise ClusterError(
            f"a replica needs {need} on one node and no node has them: the largest node has "
            f"{largest:g} {what.split(' ')[0]} ({_listing(nodes)}); ask for fewer {what} per replica"
        )
    if gpus > 0:
        # fill whole nodes first: the GPU-richest nodes, in order
        order = sorted(nodes, key=lambda n: (-n.gpus, n.label))
        slots = [n for n in order for _ in range(fits[n.node_id])]
    else:
        # one per node per round
        order = sorted(nodes, key=lambda n: n.label)
        rounds = max(fits.values())
        slots = [n for r in range(rounds) for n in order if fits[n.node_id] > r]
    by_default = capacity if gpus > 0 else sum(1 for f in fits.values() if f)
    count = replicas if replicas is not None else by_default
    if count > capacity:
        total = f"{count} replicas x {gpus:g} GPU = {count * gpus:g} GPUs" if gpus else f"{count} replicas"
        raise ClusterError(
            f"{total}, but the cluster fits {capacity} replica(s) of {need} ({_listing(nodes)}); "
            "ask for fewer replicas or a smaller tensor_parallel_size, or add nodes"
        )
    return ReplicaPlan(replicas=count, cpus=cpus, gpus=gpus, nodes=tuple(slots[:count]))
