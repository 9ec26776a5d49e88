"""The LLaMA-Factory hook in-process: install, curate a "ded" entry, cache, errors, describe()."""

from __future__ import annotations

import json
import shutil
import sys
import types
from pathlib import Path

import pytest

from ded_plugins.errors import ConfigError
from ded_plugins.integrations.llamafactory import hook


RECIPES = Path(__file__).resolve().parents[3] / "recipes"


@pytest.fixture
def workspace(tmp_path: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of recipes/data in a fresh current directory, with the demo's tiny model in place."""
    shutil.copytree(
        RECIPES / "data", tmp_path / "recipes" / "data", ignore=shutil.ignore_patterns(".ded_cache")
    )
    (tmp_path / "runs" / "demo").mkdir(parents=True)
    (tmp_path / "runs" / "demo" / "tiny-model").symlink_to(tiny_model)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DED_CACHE_DIR", raising=False)
    return tmp_path


@pytest.fixture
def loader() -> types.ModuleType:
    from llamafactory.data import loader as module

    assert hook.install(module)
    return module


def _curated(workspace: Path, name: str = "ded_demo") -> Path:
    return workspace / "recipes" / "data" / ".ded_cache" / name / "data" / f"{name}.jsonl"


def test_install_is_idempotent_and_reported(loader: types.ModuleType) -> None:
    wrapped = loader.get_dataset_list
    assert hook.install(loader)
    assert loader.get_dataset_list is wrapped
    from llamafactory.data import parser

    assert wrapped.__ded_original__ is parser.get_dataset_list
    report = hook.describe()
    assert report["hooked"] is True
    assert report["touches"] == ["llamafactory.data.loader.get_dataset_list"]
    assert report["llamafactory"].startswith("0.9.")


def test_install_leaves_an_unexpected_signature_alone() -> None:
    module = types.ModuleType("lookalike")

    def get_dataset_list(names: list[str]) -> list[str]:
        return names

    module.get_dataset_list = get_dataset_list  # type: ignore[attr-defined]
    assert hook.install(module) is False
    assert module.get_dataset_list is get_dataset_list  # type: ignore[attr-defined]
    assert hook.install(types.ModuleType("empty")) is False


def test_curates_a_ded_entry_once_and_reuses_the_cache(workspace: Path, loader: types.ModuleType) -> None:
    (attr,) = loader.get_dataset_list(["ded_demo"], "recipes/data")
    curated = Path(attr.dataset_name)
    assert curated.is_absolute() and curated.is_file()
    assert attr.formatting == "sharegpt" and attr.messages == "messages"
    rows = [json.loads(line) for line in curated.read_text().splitlines()]
    assert len(rows) == 8  # 12 samples - 1 too long - 1 without think block - 2 not diverse enough
    assert all(r["messages"][1]["content"].startswith("<think>") for r in rows)
    assert curated == _curated(workspace)
    first = curated.stat().st_mtime_ns
    assert (workspace / "runs" / "ded_demo" / "01_length" / "stats.json").is_file()

    (again,) = loader.get_dataset_list(["ded_demo"], "recipes/data")
    assert again.dataset_name == attr.dataset_name
    assert curated.stat().st_mtime_ns == first  # reused, not rebuilt


def test_a_changed_input_is_curated_again(workspace: Path, loader: types.ModuleType) -> None:
    (before,) = loader.get_dataset_list(["ded_demo"], "recipes/data")
    rows_before = Path(before.dataset_name).read_text().splitlines()
    teacher_b = workspace / "recipes" / "data" / "demo" / "teacher_b.jsonl"
    extra = {
        "question_id": "demo-1",
        "model": "teacher_b",
        "sample_index": 9,
        "text": "<think>\nA new, rather different line of thought entirely.\n</think>\n\n7",
    }
    teacher_b.write_text(teacher_b.read_text() + json.dumps(extra) + "\n")  # in place
    (after,) = loader.get_dataset_list(["ded_demo"], "recipes/data")
    assert after.dataset_name == before.dataset_name  # the same cache entry, curated again
    rows_after = Path(after.dataset_name).read_text().splitlines()
    assert rows_after != rows_before
    assert any("rather different line" in row for row in rows_after)


def test_entries_without_ded_block_are_untouched(workspace: Path, loader: types.ModuleType) -> None:
    info = workspace / "recipes" / "data" / "dataset_info.json"
    data = json.loads(info.read_text())
    data["plain"] = {"file_name": "plain.jsonl"}
    info.write_text(json.dumps(data))
    (attr,) = loader.get_dataset_list(["plain"], "recipes/data")
    assert attr.dataset_name == "plain.jsonl"
    assert not (workspace / "recipes" / "data" / ".ded_cache").exists()


def test_block_may_be_a_path_to_a_curation_config(workspace: Path, loader: types.ModuleType) -> None:
    data_dir = workspace / "recipes" / "data"
    (data_dir / "demo.ded.yaml").write_text(
        "run: from_path\nquestions: demo/questions.jsonl\nrollouts: [demo/teacher_a.jsonl]\n"
        "stages: [think_format]\nexport: [llamafactory: {system: Reason first.}]\n"
    )
    info = json.loads((data_dir / "dataset_info.json").read_text())
    info["by_path"] = {"file_name": "by_path.jsonl", "ded": "demo.ded.yaml"}
    (data_dir / "dataset_info.json").write_text(json.dumps(info))
    (attr,) = loader.get_dataset_list(["by_path"], "recipes/data")
    rows = [json.loads(line) for line in Path(attr.dataset_name).read_text().splitlines()]
    assert len(rows) == 8  # teacher_a's 8 samples are all well formed
    assert rows[0]["messages"][0] == {"role": "system", "content": "Reason first."}


def _add_bad_entry(workspace: Path) -> None:
    data_dir = workspace / "recipes" / "data"
    info = json.loads((data_dir / "dataset_info.json").read_text())
    info["bad"] = {
        "file_name": "bad.jsonl",
        "ded": {"questions": "demo/questions.jsonl", "rollouts": ["demo/teacher_a.jsonl"], "stagez": []},
    }
    (data_dir / "dataset_info.json").write_text(json.dumps(info))


def test_bad_block_is_a_clear_config_error(workspace: Path, loader: types.ModuleType) -> None:
    _add_bad_entry(workspace)
    with pytest.raises(ConfigError) as info:
        loader.get_dataset_list(["bad"], "recipes/data")
    message = str(info.value)
    assert "dataset_info.json: bad.ded" in message
    assert "stagez" in message and "accepted" in message


def test_under_the_cli_a_ded_error_exits_2_without_traceback(
    workspace: Path, loader: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_bad_entry(workspace)
    monkeypatch.setattr(sys, "argv", [str(Path(sys.executable).with_name("llamafactory-cli")), "train"])
    with pytest.raises(SystemExit) as info:
        loader.get_dataset_list(["bad"], "recipes/data")
    assert info.value.code == 2


def test_concurrent_processes_wait_for_the_lock_and_curate_once(workspace: Path) -> None:
    """Without LLaMA-Factory's barrier (two launches at once) the file lock makes one curate, one wait."""
    import fcntl
    import subprocess
    import time

    block = {
        "run": "race",
        "questions": "demo/questions.jsonl",
        "rollouts": ["demo/teacher_a.jsonl", "demo/teacher_b.jsonl"],
        "stages": ["think_format", {"diversity": {"k": 2}}],
    }
    script = (
        "import json, sys; from pathlib import Path\n"
        "from ded_plugins.integrations.llamafactory.data import curate_entry\n"
        "print('start', flush=True)\n"
        "e = curate_entry('race', json.loads(sys.argv[1]), Path('recipes/data'))\n"
        "print('reused' if e.reused else 'curated', e.rows, flush=True)\n"
    )
    cache = workspace / "recipes" / "data" / ".ded_cache"
    run_dir = workspace / "runs" / "race"
    run_dir.mkdir(parents=True)
    with open(run_dir / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # as if another process were curating this run right now
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", script, json.dumps(block)],
                cwd=workspace,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "start"
        time.sleep(1.0)
        assert [p.poll() for p in procs] == [None, None]  # both wait
        assert not (cache / "race").exists()
        fcntl.flock(lock, fcntl.LOCK_UN)
    outputs = sorted(p.communicate(timeout=120)[0].strip() for p in procs)
    assert [p.returncode for p in procs] == [0, 0]
    assert outputs == ["curated 8", "reused 8"]


def test_hook_reuses_the_stages_of_an_earlier_ded_curate(workspace: Path, loader: types.ModuleType) -> None:
    """`ded curate CONFIG` then training: the hook resumes that run instead of recomputing it."""
    from ded_plugins.configs.curate import load_curation_config
    from ded_plugins.engine import run_curation

    data_dir = workspace / "recipes" / "data"
    (data_dir / "first.ded.yaml").write_text(
        "run: first\nquestions: demo/questions.jsonl\n"
        "rollouts: [demo/teacher_a.jsonl, demo/teacher_b.jsonl]\n"
        "stages: [think_format, {diversity: {k: 2}}]\n"
        "export: [llamafactory: {dataset_dir: recipes/data, dataset_name: first}]\n"
    )
    run_curation(load_curation_config(data_dir / "first.ded.yaml"), progress=False)  # what `ded curate` does
    stats = workspace / "runs" / "first" / "02_diversity" / "stats.json"
    before = stats.stat().st_mtime_ns
    info = json.loads((data_dir / "dataset_info.json").read_text())
    assert info["first"]["file_name"] == "first.jsonl"  # the exporter's entry, merged
    info["first"]["ded"] = "first.ded.yaml"
    (data_dir / "dataset_info.json").write_text(json.dumps(info))

    (attr,) = loader.get_dataset_list(["first"], "recipes/data")
    assert stats.stat().st_mtime_ns == before  # the stage was reused, not rerun
    curated = Path(attr.dataset_name)
    assert ".ded_cache" in curated.parts
    assert curated.read_bytes() == (data_dir / "first.jsonl").read_bytes()
