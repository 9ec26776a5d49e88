"""Placement arithmetic for rollout replicas: replicas x tensor parallel against the cluster's GPUs."""

from __future__ import annotations

import pytest

from ded_plugins.errors import ClusterError
from ded_plugins.rollouts.placement import NodeCapacity, per_node, plan_replicas


def node(label: str, cpus: float = 16, gpus: float = 0) -> NodeCapacity:
    return NodeCapacity(node_id=f"id-{label}", label=label, cpus=cpus, gpus=gpus)


EIGHT_GPU_PAIR = [node("a", gpus=8), node("b", gpus=8)]


def test_per_node_is_the_tighter_of_cpus_and_gpus() -> None:
    assert per_node(node("a", cpus=16, gpus=8), cpus=1, gpus=4) == 2
    assert per_node(node("a", cpus=3, gpus=8), cpus=2, gpus=1) == 1
    assert per_node(node("a", cpus=16, gpus=6), cpus=1, gpus=4) == 1  # 2 GPUs left over
    assert per_node(node("a", cpus=0.5), cpus=0, gpus=0) == 1


@pytest.mark.parametrize(
    ("tp", "expected"),
    [(1, 16), (2, 8), (4, 4), (8, 2)],  # 2 nodes x 8 GPUs / tp
)
def test_default_replicas_use_every_gpu(tp: int, expected: int) -> None:
    plan = plan_replicas(EIGHT_GPU_PAIR, cpus=1, gpus=tp)
    assert plan.replicas == expected
    assert len(plan.nodes) == expected
    # packed: node a fills before node b
    assert [n.label for n in plan.nodes] == ["a"] * (expected // 2) + ["b"] * (expected // 2)


def test_asked_replicas_pack_whole_nodes_first() -> None:
    plan = plan_replicas([node("small", gpus=4), node("big", gpus=8)], cpus=1, gpus=4, replicas=2)
    assert [n.label for n in plan.nodes] == ["big", "big"]
    plan = plan_replicas([node("small", gpus=4), node("big", gpus=8)], cpus=1, gpus=4, replicas=3)
    assert [n.label for n in plan.nodes] == ["big", "big", "small"]


def test_too_many_replicas_spell_the_arithmetic_out() -> None:
    with pytest.raises(ClusterError, match=r"5 replicas x 4 GPU = 20 GPUs, but the cluster fits 4 ") as e:
        plan_replicas(EIGHT_GPU_PAIR, cpus=1, gpus=4, replicas=5)
    assert "a: 16 CPU, 8 GPU, b: 16 CPU, 8 GPU" in str(e.value)
    assert e.value.exit_code == 2


def test_tensor_parallel_wider_than_any_node_is_refused() -> None:
    with pytest.raises(ClusterError, match=r"needs 1 CPU and 16 GPU on one node .* largest node has 8 GPUs"):
        plan_replicas(EIGHT_GPU_PAIR, cpus=1, gpus=16)
    with pytest.raises(ClusterError, match="no live nodes"):
        plan_replicas([], cpus=1, gpus=1)
    with pytest.raises(ClusterError, match="largest node has 0 GPUs"):
        plan_replicas([node("cpu-only")], cpus=1, gpus=1)


def test_cpu_replicas_spread_one_per_node_per_round() -> None:
    nodes = [node("a", cpus=2), node("b", cpus=1), node("c", cpus=4)]
    assert plan_replicas(nodes, cpus=1, gpus=0).replicas == 3  # default: one per node
    plan = plan_replicas(nodes, cpus=1, gpus=0, replicas=5)
    assert [n.label for n in plan.nodes] == ["a", "b", "c", "a", "c"]
    with pytest.raises(ClusterError, match="8 replicas, but the cluster fits 7"):
        plan_replicas(nodes, cpus=1, gpus=0, replicas=8)
    with pytest.raises(ValueError, match="replicas must be at least 1"):
        plan_replicas(nodes, cpus=1, gpus=0, replicas=0)
