"""Faults on a real Ray cluster: a node lost in the middle of a stage, a driver killed with SIGKILL.

Either way the run finishes with the bytes of a local run, and no unit is counted twice.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sleepy_processor
import yaml
from cli_support import BIN
from ray_pools import assert_counted_once, many_rows_pool, outputs, units_run

from ded_plugins.configs.curate import load_curation_config
from ded_plugins.engine import run_curation
from ded_plugins.plugins import get_plugin_manager, get_registry


pytestmark = [pytest.mark.ray, pytest.mark.timeout(300)]

TESTS = Path(__file__).resolve().parents[1]  # where sleepy_processor.py is


def _config(pool: Path, run: str, stages: list[Any], executor: Any = "local") -> Path:
    config = {
        "run": run,
        "output_dir": str(pool / "runs"),
        "seed": 3,
        "questions": "questions.jsonl",
        "rollouts": ["teacher.jsonl"],
        "stages": stages,
        "export": [{"llamafactory": {"dataset_dir": str(pool / f"lf_{run}"), "dataset_name": "ded"}}],
        "executor": executor,
    }
    path = pool / f"{run}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _curate_with_sleepy(path: Path) -> None:
    pm = get_plugin_manager()
    pm.register(sleepy_processor, name="sleepy-test")
    registry = get_registry(pm)
    run_curation(load_curation_config(path, registry=registry), registry=registry, pm=pm, progress=False)


def _worker_env() -> dict[str, Any]:
    """Ray's workers import the stand-in processor from this directory."""
    return {"env_vars": {"PYTHONPATH": f"{TESTS}{os.pathsep}{os.environ['PYTHONPATH']}"}}


def _wait_for_units(units_dir: Path, at_least: int, alive: Any, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = len(list(units_dir.glob("*.jsonl"))) if units_dir.is_dir() else 0
        if n >= at_least:
            return n
        if not alive():
            raise AssertionError("the run ended before the test could strike")
        time.sleep(0.02)
    raise AssertionError(f"no {at_least} unit files in {units_dir} within {timeout} s")


@pytest.mark.parametrize("placement", ["node", "spread"])
def test_a_node_lost_mid_stage_changes_nothing(
    tmp_path: Path, ray_cluster: Any, placement: str, caplog: pytest.LogCaptureFixture
) -> None:
    pool = many_rows_pool(tmp_path / "pool", questions=40)  # 640 rows: 40 units of 16
    stages = [{"sleepy": {"delay_s": 0.15, "placement": placement}}, "think_format"]
    _curate_with_sleepy(_config(pool, "local", stages))
    config = _config(pool, "ray", stages, executor={"ray": {"runtime_env": _worker_env()}})
    extra = ray_cluster.add_worker()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            _curate_with_sleepy(config)
        except BaseException as exc:  # handed to the test thread
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    units = pool / "runs" / "ray" / "01_sleepy.partial" / "units"
    done_at_strike = _wait_for_units(units, 3, thread.is_alive)
    ray_cluster.remove(extra)
    thread.join(timeout=240)
    assert not thread.is_alive() and not errors, errors
    assert done_at_strike < 40  # the node went while the stage ran
    run_dir = pool / "runs" / "ray"
    assert outputs(run_dir, pool / "lf_ray") == outputs(pool / "runs" / "local", pool / "lf_local")
    assert_counted_once(run_dir)
    if placement == "node":  # the dead node's units went to another node's actor
        assert any("died" in r.getMessage() for r in caplog.records)


def test_driver_killed_then_resume_redoes_only_unfinished_units(tmp_path: Path, ray_cluster: Any) -> None:
    pool = many_rows_pool(tmp_path / "pool", questions=40)  # 640 rows: 40 units of 16
    stages = [{"sleepy": {"delay_s": 0.25}}, "think_format"]
    _curate_with_sleepy(_config(pool, "local", stages))
    config = _config(pool, "ray", stages, executor={"ray": {"runtime_env": _worker_env()}})
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(sleepy_processor.plugin_site(tmp_path / "site")), str(TESTS), os.environ["PYTHONPATH"]]
        ),
    }
    proc = subprocess.Popen(
        [str(BIN / "ded"), "curate", str(config), "--no-progress"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    units = pool / "runs" / "ray" / "01_sleepy.partial" / "units"
    try:
        _wait_for_units(units, 3, lambda: proc.poll() is None)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    time.sleep(2)  # the dead driver's tasks are cancelled by Ray; none is left writing
    finished = len(list(units.glob("*.jsonl")))
    assert finished < 40
    done = subprocess.run(
        [str(BIN / "ded"), "curate", str(config), "--resume", "--no-progress"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    run_dir = pool / "runs" / "ray"
    assert outputs(run_dir, pool / "lf_ray") == outputs(pool / "runs" / "local", pool / "lf_local")
    stats = json.loads((run_dir / "01_sleepy" / "stats.json").read_text())
    assert stats["units"] == 40
    # only the units without a file ran again (a unit in flight at the kill may have finished since)
    ran = units_run(run_dir / "01_sleepy")
    assert 1 <= ran <= 40 - finished
    assert sum(stats["by_node"].values()) == ran
    assert not (run_dir / "01_sleepy.partial").exists()
