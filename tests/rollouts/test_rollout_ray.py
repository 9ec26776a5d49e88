"""``ded rollout`` on a real two-node Ray cluster: the same records as a local run, whatever dies.

The transformers backend (a tiny local model) runs as one replica per node; the openai
backend as clients on both nodes against a real loopback server; the vLLM adapter on Ray
with the FAKE engine (vLLM cannot run here) on the cluster's logical GPUs.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from loopback_openai import LoopbackServer, completion

from ded_plugins.errors import ClusterError, ConfigError
from ded_plugins.io import read_rollouts
from ded_plugins.rollouts.ray_runner import ACTOR_PREFIX
from ded_plugins.rollouts.runner import run_rollouts
from ded_plugins.rollouts.types import derive_seed


pytestmark = [pytest.mark.ray, pytest.mark.timeout(300)]

HERE = Path(__file__).resolve().parent


def _questions(path: Path, n: int) -> Path:
    path.write_text(
        "".join(
            json.dumps({"id": f"q{i}", "domain": "math", "prompt": f"Add {i} and {i}."}) + "\n"
            for i in range(n)
        )
    )
    return path


def _records(path: Path) -> dict[tuple[str, int], dict[str, Any]]:
    """Records by (question, sample index); a key written twice fails the test."""
    out: dict[tuple[str, int], dict[str, Any]] = {}
    for line in path.read_text().splitlines():
        row = json.loads(line)
        key = (row["question_id"], row["sample_index"])
        assert key not in out, f"{key} written twice"
        out[key] = row
    return out


def _transformers_config(tmp_path: Path, tiny_model: Path, name: str, **executor: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "output": str(tmp_path / f"{name}.jsonl"),
        "model": "tiny",
        "samples": 3,
        "seed": 5,
        "questions": str(_questions(tmp_path / "q.jsonl", 6)),
        "sampling": {"temperature": 1.0, "top_p": 1.0, "max_tokens": 16},
        "backend": {"transformers": {"model_path": str(tiny_model)}},
    }
    if executor:
        config["executor"] = {"ray": executor}
    return config


@pytest.fixture(scope="module")
def local_records(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path) -> dict[tuple[str, int], Any]:
    tmp = tmp_path_factory.mktemp("local-rollouts")
    summary = run_rollouts(_transformers_config(tmp, tiny_model, "local"), progress=False)
    return _records(summary.output)


def test_transformers_on_two_nodes_writes_the_local_records(
    tmp_path: Path, tiny_model: Path, ray_cluster: Any, local_records: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="ded_plugins.rollouts.ray_runner")
    config = _transformers_config(tmp_path, tiny_model, "ray", batch_samples=2)
    summary = run_rollouts(config, progress=False)
    assert (summary.generated, summary.total) == (18, 18)
    assert _records(summary.output) == local_records  # same texts, seeds and metadata
    placed = next(r.getMessage() for r in caplog.records if "replica(s)" in r.getMessage())
    assert "2 replica(s) of transformers" in placed and ":head" in placed and ":worker1" in placed
    # resumable like a local run: nothing is missing, nothing is generated again
    again = run_rollouts(config, progress=False)
    assert (again.existing, again.generated) == (18, 0)


def test_a_killed_replica_loses_and_duplicates_nothing(
    tmp_path: Path, tiny_model: Path, ray_cluster: Any, local_records: Any, caplog: pytest.LogCaptureFixture
) -> None:
    import ray

    config = _transformers_config(tmp_path, tiny_model, "killed", batch_samples=1)
    out = Path(config["output"])
    errors: list[BaseException] = []

    def run() -> None:
        try:
            run_rollouts(config, progress=False)
        except BaseException as exc:  # handed to the test thread
            errors.append(exc)

    before = set(ray.util.list_named_actors())  # replicas of earlier tests may still be stopping
    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 120
    while not (out.exists() and len(out.read_text().splitlines()) >= 2):
        assert thread.is_alive() and time.monotonic() < deadline, errors
        time.sleep(0.02)
    names = sorted(n for n in set(ray.util.list_named_actors()) - before if n.startswith(ACTOR_PREFIX))
    assert len(names) == 2
    ray.kill(ray.get_actor(names[0]), no_restart=True)  # as a crashed process or a lost GPU would
    written_at_kill = len(out.read_text().splitlines())
    thread.join(timeout=240)
    assert not thread.is_alive() and not errors, errors
    assert written_at_kill < 18
    assert _records(out) == local_records
    assert any("died" in r.getMessage() for r in caplog.records)


def test_openai_clients_spread_over_the_nodes(tmp_path: Path, ray_cluster: Any) -> None:
    def answer(body: dict[str, Any]) -> dict[str, Any]:
        return completion(f"{body['messages'][0]['content']} -> \\boxed{{x}} (seed {body['seed']})")

    server = LoopbackServer(answer)
    try:
        backend = {"openai": {"base_url": server.base_url, "model": "served", "concurrency": 2}}
        config = {
            "output": str(tmp_path / "out.jsonl"),
            "model": "api-teacher",
            "samples": 2,
            "questions": str(_questions(tmp_path / "q.jsonl", 5)),
            "backend": backend,
            "executor": {"ray": {"batch_samples": 3}},
        }
        summary = run_rollouts(config, progress=False)
    finally:
        server.close()
    records = _records(summary.output)
    assert sorted(records) == [(f"q{i}", k) for i in range(5) for k in range(2)]
    for (qid, k), row in records.items():
        seed = derive_seed(0, qid, k)
        assert row["metadata"]["seed"] == seed and f"(seed {seed})" in row["text"]
    assert len(server.requests) == 10  # one request per sample, each sent once


def _vllm_config(tmp_path: Path, tiny_model: Path, **vllm: Any) -> dict[str, Any]:
    return {
        "output": str(tmp_path / "vllm.jsonl"),
        "model": "big-teacher",
        "samples": 3,
        "questions": str(_questions(tmp_path / "q.jsonl", 4)),
        "backend": {
            "vllm": {
                "model": str(tiny_model),
                "engine": "fake_vllm_engine:FakeLLM",
                "tensor_parallel_size": 2,
                **vllm,
            }
        },
        # the replicas import the FAKE engine from this directory
        "executor": {
            "ray": {
                "batch_samples": 4,
                "runtime_env": {"env_vars": {"PYTHONPATH": f"{HERE}{os.pathsep}{os.environ['PYTHONPATH']}"}},
            }
        },
    }


def test_vllm_replicas_on_placement_groups_with_the_fake_engine(
    tmp_path: Path, tiny_model: Path, ray_cluster: Any
) -> None:
    # data parallel 2 x tensor parallel 2 on two nodes of 2 (logical) GPUs: one replica per node
    summary = run_rollouts(_vllm_config(tmp_path, tiny_model, data_parallel_size=2), progress=False)
    rollouts = [r for _, r in read_rollouts(summary.output)]
    assert sorted((r.question_id, r.sample_index) for r in rollouts) == [
        (f"q{i}", k) for i in range(4) for k in range(3)
    ]
    for r in rollouts:
        seed = derive_seed(0, r.question_id, r.sample_index)
        assert r.metadata["seed"] == seed
        assert r.text.startswith(f"<think>\nstep 0 seed {seed} gpus ")  # one request per sample
        gpus = r.text.split("gpus ")[1].split("\n")[0].split(",")
        assert len(gpus) == 2  # each replica sees its placement group's two GPUs, and only them


def test_vllm_placement_that_cannot_fit_is_refused_before_any_work(
    tmp_path: Path, tiny_model: Path, ray_cluster: Any
) -> None:
    wide = _vllm_config(tmp_path, tiny_model, tensor_parallel_size=4)
    with pytest.raises(ClusterError, match=r"needs 1 CPU and 4 GPU on one node .* largest node has 2 GPUs"):
        run_rollouts(wide, progress=False)
    many = _vllm_config(tmp_path, tiny_model, data_parallel_size=3)
    with pytest.raises(ClusterError, match=r"3 replicas x 2 GPU = 6 GPUs, but the cluster fits 2 "):
        run_rollouts(many, progress=False)
    assert list(tmp_path.glob("vllm.jsonl*")) == []  # no records, no step marker
    bad = _vllm_config(tmp_path, tiny_model)
    bad["executor"] = {"ray": {"replicaz": 2}, "nope": {}}
    with pytest.raises(ConfigError):
        run_rollouts(bad, progress=False)
    bad["executor"] = {"ray": {"replicaz": 2}}
    with pytest.raises(ConfigError, match=r"executor.ray: unknown parameter 'replicaz'.*accepted: address"):
        run_rollouts(bad, progress=False)
