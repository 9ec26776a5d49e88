"""The real ``llamafactory-cli train recipes/ded_demo.yaml``, curated by DED through the start-up hook.

Three launches share one workspace (a copy of recipes/ plus the tiny model), run once per module:

1. two CPU ranks (``FORCE_TORCHRUN=1 NPROC_PER_NODE=2``), fresh: rank 0 curates exactly once,
   rank 1 waits and reuses the cache; the stage table is in the log; the model is trained and saved;
2. one process, again: the cache is reused, nothing is curated, training writes weights again;
3. ``DED_AUTOLOAD=0``: the hook is off and LLaMA-Factory stops with its own missing-file error,
   which shows the hook is what made the dataset exist;
4. a broken ``"ded"`` block: DED's one-paragraph error and exit code 2, no traceback;
5. a dataset curated against the student's own samples, launched twice with the student file
   replaced in between: the second launch curates again and trains on the new data.
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

RECIPES = Path(__file__).resolve().parents[3] / "recipes"
BIN = Path(sys.executable).parent


@dataclass
class Launch:
    returncode: int
    log: str


@dataclass
class DemoRuns:
    workspace: Path
    two_ranks: Launch
    curated_after_first: bytes
    marker_after_first: str
    again: Launch
    no_autoload: Launch
    bad_config: Launch
    student_before: Launch
    curated_before: list[str]
    student_after: Launch
    curated_after: list[str]


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
    curated = _curated(ws, "ded_demo")
    curated_bytes = curated.read_bytes() if curated.is_file() else b""
    marker = ws / "runs" / "ded_demo" / "04_llamafactory" / "step.json"
    marker_text = marker.read_text() if marker.is_file() else ""
    again = _launch(ws, "output_dir=runs/demo/sft_again")
    off = _launch(ws, "output_dir=runs/demo/sft_off", DED_AUTOLOAD="0")
    info_path = ws / "recipes" / "data" / "dataset_info.json"
    info = json.loads(info_path.read_text())
    info["ded_bad"] = {**info["ded_demo"], "ded": {**info["ded_demo"]["ded"], "stages": ["no_such_stage"]}}
    info["ded_student"] = {
        **{k: v for k, v in info["ded_demo"].items() if k != "ded"},
        "file_name": "ded_student.jsonl",
        "ded": {
            "questions": "demo/questions.jsonl",
            "rollouts": ["demo/teacher_a.jsonl", {"path": "demo/student.jsonl", "role": "student"}],
            "stages": ["think_format", "math_correct", {"pass_rate": {"threshold": 0.5}}],
            "export": [{"llamafactory": {}}],
        },
    }
    info_path.write_text(json.dumps(info))
    bad = _launch(ws, "dataset=ded_bad", "output_dir=runs/demo/sft_bad")
    student = ws / "recipes" / "data" / "demo" / "student.jsonl"
    _write_student(student, fails={"demo-4"})  # solves three questions: one left to learn
    before = _launch(ws, "dataset=ded_student", "output_dir=runs/demo/sft_student1")
    rows_before = _questions_of(_curated(ws, "ded_student"))
    _write_student(student, fails={"demo-1", "demo-2", "demo-4"})  # replaced in place
    after = _launch(ws, "dataset=ded_student", "output_dir=runs/demo/sft_student2")
    rows_after = _questions_of(_curated(ws, "ded_student"))
    return DemoRuns(
        ws, first, curated_bytes, marker_text, again, off, bad, before, rows_before, after, rows_after
    )


def _curated(ws: Path, name: str) -> Path:
    return ws / "recipes" / "data" / ".ded_cache" / name / "data" / f"{name}.jsonl"


def _questions_of(path: Path) -> list[str]:
    """The question id of every curated conversation (``ded_id`` is question/model/sample)."""
    return sorted(json.loads(line)["ded_id"].split("/")[0] for line in path.read_text().splitlines())


def _write_student(path: Path, *, fails: set[str]) -> None:
    """Two student samples per demo question: right answers, except for the questions in ``fails``."""
    answers = {"demo-1": "7", "demo-2": "42", "demo-3": "15", "demo-4": "4"}
    rows = [
        {
            "question_id": qid,
            "model": "student",
            "sample_index": i,
            "role": "student",
            "text": f"<think>\nworking\n</think>\n\n\\boxed{{{'0' if qid in fails else gold}}}",
        }
        for qid, gold in answers.items()
        for i in range(2)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


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
    marker = json.loads(demo.marker_after_first)
    assert marker["result"]["summary"]["rows"] == 8
    assert len(demo.curated_after_first.splitlines()) == 8
    assert (demo.workspace / "runs" / "demo" / "sft" / "model.safetensors").is_file()
    state = json.loads((demo.workspace / "runs" / "demo" / "sft" / "trainer_state.json").read_text())
    assert state["global_step"] == 2  # 8 rows / (2 ranks x 4 per device) x 2 epochs


def test_second_launch_reuses_the_cache(demo: DemoRuns) -> None:
    log = demo.again.log
    assert demo.again.returncode == 0, log[-4000:]
    assert "curated on rank" not in log
    assert "DED: dataset 'ded_demo': reusing curated cache" in log
    marker = demo.workspace / "runs" / "ded_demo" / "04_llamafactory" / "step.json"
    assert marker.read_text() == demo.marker_after_first  # nothing was curated again
    assert _curated(demo.workspace, "ded_demo").read_bytes() == demo.curated_after_first
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


def test_a_changed_student_file_is_curated_again_and_trained_on(demo: DemoRuns) -> None:
    for launch in (demo.student_before, demo.student_after):
        assert launch.returncode == 0, launch.log[-4000:]
        assert "DED: dataset 'ded_student' curated on rank 0" in launch.log  # never the stale cache
    assert "pass_rate.too_easy=6" in demo.student_before.log
    assert demo.curated_before == ["demo-4", "demo-4"]
    assert "pass_rate.too_easy=2" in demo.student_after.log
    assert demo.curated_after == ["demo-1", "demo-1", "demo-2", "demo-2", "demo-4", "demo-4"]
    # LLaMA-Factory trained on what was curated this time: 6 conversations, not the 2 of before
    assert "Num examples = 6" in demo.student_after.log
    assert "Num examples = 2" in demo.student_before.log
