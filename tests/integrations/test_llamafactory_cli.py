"""The real ``llamafactory-cli train recipes/ded_demo.yaml``, curated by DED through the start-up hook.

Three launches share one workspace (a copy of recipes/ plus the tiny model), run once per module:

1. two CPU ranks (``FORCE_TORCHRUN=1 NPROC_PER_NODE=2``), fresh: rank 0 curates exactly once,
   rank 1 waits and reuses the cache; the stage table is in the log; the model is trained and saved;
2. one process, again: the cache is reused, nothing is curated, training writes weights again;
3. ``DED_AUTOLOAD=0``: the hook is off and LLaMA-Factory stops with its own missing-file error,
   which shows the hook is what made the dataset exist;
4. a broken ``"ded"`` block: DED's one-paragraph error and exit code 2, no traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest


pytestmark = [pytest.mark.slow, pytest.mark.train]

RECIPES = Path(__file__).resolve().parents[2] / "recipes"
BIN = Path(sys.executable).parent


@dataclass
class Launch:
    returncode: int
    log: str


@dataclass
class DemoRuns:
    workspace: Path
    two_ranks: Launch
    manifest_after_first: str
    again: Launch
    no_autoload: Launch
    bad_config: Launch


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _launch(workspace: Path, *overrides: str, **env: str) -> Launch:
    base = {
        k: v for k, v in os.environ.items() if k not in ("DED_AUTOLOAD", "DED_CACHE_DIR", "ALLOW_EXTRA_ARGS")
    }
    full_env = {
        **base,
        "PATH": f"{BIN}{os.pathsep}{base.get('PATH', '')}",  # llamafactory-cli starts `torchrun` by name
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "WANDB_DISABLED": "true",
        **env,
    }
    proc = subprocess.run(
        [str(BIN / "llamafactory-cli"), "train", "recipes/ded_demo.yaml", *overrides],
        cwd=workspace,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
    )
    return Launch(proc.returncode, proc.stdout)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path) -> DemoRuns:
    site = Path(sysconfig.get_paths()["purelib"])
    if not (site / "ded_plugins_autoload.pth").is_file():
        pytest.fail(
            f"ded_plugins_autoload.pth is not installed in {site}: run `make venv` (pip install -e .)"
        )
    ws = tmp_path_factory.mktemp("demo")
    shutil.copytree(RECIPES, ws / "recipes", ignore=shutil.ignore_patterns(".ded_cache"))
    (ws / "runs" / "demo").mkdir(parents=True)
    (ws / "runs" / "demo" / "tiny-model").symlink_to(tiny_model)
    first = _launch(ws, FORCE_TORCHRUN="1", NPROC_PER_NODE="2", MASTER_PORT=str(_free_port()))
    (manifest,) = (ws / "recipes" / "data" / ".ded_cache").glob("ded_demo-*/manifest.json")
    manifest_text = manifest.read_text()
    again = _launch(ws, "output_dir=runs/demo/sft_again")
    off = _launch(ws, "output_dir=runs/demo/sft_off", DED_AUTOLOAD="0")
    info_path = ws / "recipes" / "data" / "dataset_info.json"
    info = json.loads(info_path.read_text())
    info["ded_bad"] = {**info["ded_demo"], "ded": {**info["ded_demo"]["ded"], "stages": ["no_such_stage"]}}
    info_path.write_text(json.dumps(info))
    bad = _launch(ws, "dataset=ded_bad", "output_dir=runs/demo/sft_bad")
    return DemoRuns(ws, first, manifest_text, again, off, bad)


def test_two_rank_launch_curates_exactly_once_and_trains(demo: DemoRuns) -> None:
    log = demo.two_ranks.log
    assert demo.two_ranks.returncode == 0, log[-4000:]
    assert "world size: 2" in log
    assert log.count("DED: dataset 'ded_demo' curated on rank") == 1
    assert "curated on rank 0" in log
    assert "reusing curated cache" in log and "[rank 1]" in log
    # the stage table, in LLaMA-Factory's log
    assert "stage            input  kept  dropped" in log
    for row in ("01_length", "02_think_format", "03_diversity"):
        assert row in log
    manifest = json.loads(demo.manifest_after_first)
    assert manifest["curated_by"]["rank"] == "0"
    assert manifest["rows"] == 8
    assert (demo.workspace / "runs" / "demo" / "sft" / "model.safetensors").is_file()
    state = json.loads((demo.workspace / "runs" / "demo" / "sft" / "trainer_state.json").read_text())
    assert state["global_step"] == 2  # 8 rows / (2 ranks x 4 per device) x 2 epochs


def test_second_launch_reuses_the_cache(demo: DemoRuns) -> None:
    log = demo.again.log
    assert demo.again.returncode == 0, log[-4000:]
    assert "curated on rank" not in log
    assert "DED: dataset 'ded_demo': reusing curated cache" in log
    (manifest,) = (demo.workspace / "recipes" / "data" / ".ded_cache").glob("ded_demo-*/manifest.json")
    assert manifest.read_text() == demo.manifest_after_first
    assert (demo.workspace / "runs" / "demo" / "sft_again" / "model.safetensors").is_file()


def test_without_the_autoload_llamafactory_cannot_find_the_dataset(demo: DemoRuns) -> None:
    log = demo.no_autoload.log
    assert demo.no_autoload.returncode != 0
    assert "ValueError: File recipes/data/ded_demo.jsonl not found." in log
    assert "DED:" not in log
    assert not (demo.workspace / "runs" / "demo" / "sft_off" / "model.safetensors").exists()


def test_a_broken_ded_block_is_a_clear_error_not_a_traceback(demo: DemoRuns) -> None:
    log = demo.bad_config.log
    assert demo.bad_config.returncode == 2, log[-4000:]
    assert "DED could not curate dataset 'ded_bad'" in log
    assert "unknown processor or selector 'no_such_stage'" in log
    assert "Traceback" not in log
