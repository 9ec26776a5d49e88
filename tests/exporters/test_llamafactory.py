"""The llamafactory exporter: file layout, dataset_info.json merging, and LLaMA-Factory reading it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ded_plugins.chat import assistant_text
from ded_plugins.errors import InputError, StageError
from ded_plugins.exporters.llamafactory import LlamaFactoryExporter
from ded_plugins.plugins import get_registry
from ded_plugins.protocols import StageContext
from ded_plugins.records import Question, Rollout
from ded_plugins.registry import Registry


QUESTIONS = {
    "q1": Question(id="q1", domain="math", prompt="What is 3 + 4?", answer="7"),
    "q2": Question(id="q2", domain="math", prompt="Compute 2 * 5.", answer="10"),
}
ROLLOUTS = [
    Rollout(
        question_id="q1",
        model="t",
        sample_index=0,
        text="<think>\nadd\n</think>\n\nThe answer is \\boxed{7}.",
    ),
    # R1-style sample that starts inside the think block (the prompt opened it)
    Rollout(question_id="q2", model="t", sample_index=1, text="double five\n</think>\n\n\\boxed{10}"),
]


def _context() -> StageContext:
    return StageContext(stage="90_llamafactory", questions=QUESTIONS, registry=Registry())


def _export(tmp_path: Path, **params: object) -> dict[str, object]:
    exporter = LlamaFactoryExporter(**params)  # type: ignore[arg-type]
    return dict(exporter.export(ROLLOUTS, _context(), tmp_path / "stage"))


def test_rows_are_sharegpt_messages_with_complete_think_blocks(tmp_path: Path) -> None:
    summary = _export(
        tmp_path, dataset_dir=str(tmp_path / "data"), dataset_name="ded_math", system="Be brief."
    )
    assert summary["dataset_name"] == "ded_math"
    assert summary["rows"] == 2
    assert summary["dataset_dir"] == str(tmp_path / "data")
    rows = [json.loads(line) for line in Path(str(summary["file"])).read_text().splitlines()]
    assert rows[0]["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is 3 + 4?"},
        {"role": "assistant", "content": "<think>\nadd\n</think>\n\nThe answer is \\boxed{7}."},
    ]
    assert rows[1]["messages"][2]["content"] == "<think>\ndouble five\n</think>\n\n\\boxed{10}"
    assert rows[1]["ded_id"] == "q2/t/1"
    info = json.loads((tmp_path / "data" / "dataset_info.json").read_text())
    assert info["ded_math"]["file_name"] == "ded_math.jsonl"
    assert info["ded_math"]["formatting"] == "sharegpt"
    assert info["ded_math"]["tags"]["assistant_tag"] == "assistant"


def test_default_dataset_dir_is_the_stage_directory(tmp_path: Path) -> None:
    summary = _export(tmp_path)
    assert summary["dataset_dir"] == str(tmp_path / "stage")
    assert (tmp_path / "stage" / "ded.jsonl").is_file()
    assert (tmp_path / "stage" / "dataset_info.json").is_file()


def test_merge_keeps_other_entries_byte_for_byte_and_our_extra_keys(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    other = {"file_name": "other.json", "columns": {"prompt": "q"}, "weird": [1, 2]}
    original = {
        "other": other,
        "ded_math": {"hf_hub_url": "x/y", "ded": {"run": "keep-me"}, "num_samples": 3},
    }
    (data / "dataset_info.json").write_text(json.dumps(original))
    _export(tmp_path, dataset_dir=str(data), dataset_name="ded_math")
    info = json.loads((data / "dataset_info.json").read_text())
    assert list(info) == ["other", "ded_math"]
    assert info["other"] == other
    assert info["ded_math"]["ded"] == {"run": "keep-me"}
    assert info["ded_math"]["num_samples"] == 3
    assert "hf_hub_url" not in info["ded_math"]  # would make LLaMA-Factory ignore our file


def test_rerun_is_byte_identical(tmp_path: Path) -> None:
    first = _export(tmp_path, dataset_dir=str(tmp_path / "d"))
    a = Path(str(first["file"])).read_bytes(), (tmp_path / "d" / "dataset_info.json").read_bytes()
    _export(tmp_path, dataset_dir=str(tmp_path / "d"))
    b = Path(str(first["file"])).read_bytes(), (tmp_path / "d" / "dataset_info.json").read_bytes()
    assert a == b


def test_malformed_dataset_info_is_a_clear_error_and_leaves_it_alone(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "dataset_info.json").write_text("{not json")
    with pytest.raises(InputError, match=r"dataset_info\.json:1: malformed JSON"):
        _export(tmp_path, dataset_dir=str(data))
    assert (data / "dataset_info.json").read_text() == "{not json"


def test_unknown_question_is_a_stage_error(tmp_path: Path) -> None:
    stray = Rollout(question_id="nope", model="t", sample_index=0, text="x")
    with pytest.raises(StageError, match="unknown question 'nope'"):
        LlamaFactoryExporter().export([stray], _context(), tmp_path)


def test_assistant_text_leaves_complete_or_thinkless_text_alone() -> None:
    assert assistant_text("<think>a</think>b") == "<think>a</think>b"
    assert assistant_text("no think at all") == "no think at all"
    assert assistant_text("\nreason</think>ans") == "<think>\nreason</think>ans"


def test_registered_and_checked_by_the_registry() -> None:
    registry = get_registry()
    component = registry.get("exporter", "llamafactory")
    assert component.description.startswith("Write kept rollouts as a LLaMA-Factory")
    problems = registry.check_params(component, {"dataset_nme": "x", "system": 3}, where="export[0]")
    assert any("dataset_nme" in p for p in problems)
    assert any("system" in p and "int" in p for p in problems)


def test_llamafactory_loader_reads_the_export(tmp_path: Path, tiny_model: Path) -> None:
    """LLaMA-Factory's own dataset loader turns every exported row into a supervised sample."""
    from llamafactory.extras.constants import IGNORE_INDEX
    from llamafactory.train.test_utils import load_dataset_module

    summary = _export(tmp_path, dataset_dir=str(tmp_path / "data"), dataset_name="ded_math")
    module = load_dataset_module(
        model_name_or_path=str(tiny_model),
        stage="sft",
        do_train=True,
        finetuning_type="full",
        dataset="ded_math",
        dataset_dir=str(tmp_path / "data"),
        template="deepseekr1",
        cutoff_len=4096,
        output_dir=str(tmp_path / "out"),
        overwrite_cache=True,
        report_to="none",
    )
    train = module["train_dataset"]
    assert len(train) == summary["rows"] == 2
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tiny_model))
    for example, rollout in zip(train, ROLLOUTS, strict=True):
        labels = [t for t in example["labels"] if t != IGNORE_INDEX]
        target = tok.decode(labels)
        # the loss covers the whole think block and the answer, nothing was added or cut
        assert target.startswith("<think>")
        assert assistant_text(rollout.text) in target


@pytest.mark.slow
@pytest.mark.train
def test_llamafactory_cli_trains_one_step_on_the_export(tmp_path: Path, tiny_model: Path) -> None:
    _export(tmp_path, dataset_dir=str(tmp_path / "data"), dataset_name="ded_math")
    out = tmp_path / "out"
    recipe = {
        "model_name_or_path": str(tiny_model),
        "stage": "sft",
        "do_train": True,
        "finetuning_type": "full",
        "dataset_dir": str(tmp_path / "data"),
        "dataset": "ded_math",
        "template": "deepseekr1",
        "cutoff_len": 512,
        "output_dir": str(out),
        "max_steps": 1,
        "per_device_train_batch_size": 1,
        "logging_steps": 1,
        "report_to": "none",
    }
    (tmp_path / "train.yaml").write_text(json.dumps(recipe))  # JSON is valid YAML
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "DED_AUTOLOAD": "0"}
    cli = Path(sys.executable).with_name("llamafactory-cli")
    proc = subprocess.run(
        [str(cli), "train", str(tmp_path / "train.yaml")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (out / "model.safetensors").is_file()
    state = json.loads((out / "trainer_state.json").read_text())
    assert state["global_step"] == 1
