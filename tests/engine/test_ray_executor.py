"""``ded curate`` with the Ray executor on a real two-node cluster: the same bytes as a local run.

Every stage runs (``code_correct`` in the sandbox on the node actors); the outputs of the
two executors are compared file by file. Plus the errors a user meets: no cluster at the
address, a resource no node offers, files a node cannot see.
"""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml
from ray_pools import assert_counted_once, demo_like_pool, outputs

from ded_plugins.cli import main
from ded_plugins.engine import curate
from ded_plugins.errors import ClusterError


pytestmark = [pytest.mark.ray, pytest.mark.timeout(300)]

HOST = socket.gethostname()

EXAMPLE_STAGES: list[Any] = [
    "think_format",
    "math_correct",
    "code_correct",
    {"pass_rate": {"threshold": 0.5}},
    {"diversity": {"k": 2}},
]


def write_config(pool: Path, run: str, stages: list[Any], teachers: list[str], **extra: Any) -> Path:
    config = {
        "run": run,
        "output_dir": str(pool / "runs"),
        "seed": 7,
        "questions": {"path": "questions.jsonl"},
        "rollouts": [*teachers, {"path": "student.jsonl", "role": "student"}],
        "stages": stages,
        "export": [{"llamafactory": {"dataset_dir": str(pool / f"lf_{run}"), "dataset_name": "ded"}}],
        **extra,
    }
    path = pool / f"{run}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def run_both(pool: Path, stages: list[Any], teachers: list[str]) -> tuple[Path, Path]:
    local = write_config(pool, "local", stages, teachers)
    ray = write_config(pool, "ray", stages, teachers, executor={"ray": {"address": "auto"}})
    curate(local, progress=False)
    curate(ray, progress=False)
    return pool / "runs" / "local", pool / "runs" / "ray"


def test_example_pool_every_stage_is_byte_identical(pool: Path, ray_cluster: Any) -> None:
    local, ray = run_both(pool, EXAMPLE_STAGES, ["teacher_a.jsonl", "teacher_b.jsonl"])
    expected = outputs(local, pool / "lf_local")
    assert outputs(ray, pool / "lf_ray") == expected
    assert any(name.endswith("05_diversity/kept.jsonl") for name in expected)
    assert_counted_once(ray)
    # the sandbox stage ran on the node actors of both nodes
    code = json.loads((ray / "03_code_correct" / "stats.json").read_text())
    assert code["dropped"] == {"code_correct.wrong_answer": 2}
    assert len(json.loads((ray / "01_think_format" / "stats.json").read_text())["by_node"]) == 2
    # --executor on the command line picks Ray for a config that says local
    shutil.rmtree(local)
    main(["curate", str(pool / "local.yaml"), "--executor", "ray", "--no-progress"])
    assert outputs(local, pool / "lf_local") == expected
    assert len(json.loads((local / "02_math_correct" / "stats.json").read_text())["by_node"]) == 2


def test_demo_like_pool_is_byte_identical(tmp_path: Path, tiny_model: Path, ray_cluster: Any) -> None:
    pool = demo_like_pool(tmp_path / "pool", math=30)
    stages: list[Any] = [
        {"length": {"tokenizer": str(tiny_model), "max_tokens": 120}},
        "think_format",
        "math_correct",
        "code_correct",
        {"pass_rate": {"threshold": 0.5}},
        {"diversity": {"k": 2}},
    ]
    local, ray = run_both(pool, stages, ["teacher_a.jsonl", "teacher_b.jsonl"])
    expected = outputs(local, pool / "lf_local")
    assert outputs(ray, pool / "lf_ray") == expected
    assert_counted_once(ray)
    # every stage dropped something and kept something: the comparison covers real decisions
    for stage in ("01_length", "02_think_format", "03_math_correct", "04_code_correct", "05_pass_rate"):
        stats = json.loads((ray / stage / "stats.json").read_text())
        assert stats["dropped"] and stats["kept"], stage


def test_unreachable_cluster_is_one_clear_error(
    pool: Path, ray_cluster: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    executor = {"ray": {"address": f"127.0.0.1:{port}"}}
    config = write_config(pool, "nowhere", ["think_format"], ["teacher_a.jsonl"], executor=executor)
    import ray

    ray.shutdown()  # a fresh driver, as `ded curate` is
    try:
        with pytest.raises(SystemExit) as exc:
            main(["curate", str(config), "--no-progress"])
    finally:
        ray.init(address=ray_cluster.address, namespace="ded", log_to_driver=False)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"no Ray cluster answers at 127.0.0.1:{port}" in err
    assert "ray start --head" in err
    assert "Traceback" not in err
    assert not (pool / "runs" / "nowhere").exists()


def test_a_resource_no_node_offers_is_named(pool: Path, ray_cluster: Any) -> None:
    config = write_config(
        pool, "big", ["think_format"], ["teacher_a.jsonl"], executor={"ray": {"cpus_per_unit": 8}}
    )
    with pytest.raises(ClusterError, match=rf"needs 8 CPU on one node .*{HOST}:head: 1 CPU") as exc:
        curate(config, progress=False)
    assert exc.value.exit_code == 2


def test_files_a_node_cannot_see_are_named(ray_cluster: Any, tmp_path: Path) -> None:
    from ded_plugins.engine.executors.ray_cluster import alive_nodes, check_shared_paths

    nodes = alive_nodes()
    assert [n.label for n in nodes] == [f"{HOST}:head", f"{HOST}:worker1"]  # one host: named by node
    check_shared_paths(nodes, [str(tmp_path)], writable=[str(tmp_path)])  # every node sees tmp_path
    missing = str(tmp_path / "not-mounted" / "rollouts.jsonl")
    with pytest.raises(ClusterError, match="every node must see the run's files") as exc:
        check_shared_paths(nodes, [missing])
    for n in nodes:
        assert f"{n.label}: {missing}" in str(exc.value)


def test_cancelling_leaves_finished_tasks_alone(ray_cluster: Any) -> None:
    """Only tasks still running are cancelled; results already read (inline and from the
    object store) stay readable. Cancelling a task whose result had just been read could
    abort the driver; the race itself cannot be forced here, the rule that avoids it can."""
    import time

    import ray

    from ded_plugins.engine.executors.ray_cluster import cancel_unfinished

    def value(size: int) -> bytes:  # defined here: sent by value, the workers cannot import tests
        return b"x" * size

    def sleep(seconds: float) -> None:
        time.sleep(seconds)

    sizes = [10, 2 * 1024 * 1024]
    finished = [ray.remote(value).remote(size) for size in sizes]
    assert [len(v) for v in ray.get(finished)] == sizes
    running = ray.remote(sleep).remote(120)
    cancel_unfinished([*finished, running])
    assert [len(v) for v in ray.get(finished)] == sizes
    with pytest.raises(ray.exceptions.TaskCancelledError):
        ray.get(running, timeout=60)
    cancel_unfinished([])  # nothing to do
