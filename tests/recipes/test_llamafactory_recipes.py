"""Every training recipe is valid LLaMA-Factory config; ded_32b.yaml carries the paper's numbers."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from ded_plugins.configs.curate import load_curation_config


RECIPES = Path(__file__).resolve().parents[2] / "recipes"
TRAINING = sorted(RECIPES.glob("*.yaml"))
# the DED corpus configs (recipes/curation also holds rollout and teacher configs of other commands)
CORPORA = ("s1k_math_ded.yaml", "codeforces_code_ded.yaml", "mix_0.8k.yaml")
CURATION = [RECIPES / "curation" / name for name in CORPORA]
DATASET_INFO = json.loads((RECIPES / "data" / "dataset_info.json").read_text())


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


def test_the_expected_recipes_exist() -> None:
    names = {p.name for p in TRAINING}
    assert names >= {"ded_32b.yaml", "ded_smoke_32b.yaml", "ded_7b.yaml", "ded_1.5b.yaml", "ded_demo.yaml"}
    assert all(p.is_file() for p in CURATION)


@pytest.mark.parametrize("path", TRAINING, ids=lambda p: p.name)
def test_recipe_has_only_llamafactory_keys(path: Path) -> None:
    from llamafactory.hparams.parser import _TRAIN_ARGS

    accepted = {f.name for cls in _TRAIN_ARGS for f in dataclasses.fields(cls)}
    unknown = sorted(set(_load(path)) - accepted)
    assert unknown == []


@pytest.mark.parametrize("path", TRAINING, ids=lambda p: p.name)
def test_recipe_parses_with_llamafactorys_argument_classes(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LLaMA-Factory's own parser (unknown keys rejected) builds every argument object.

    This machine has no GPU and no DeepSpeed, so bf16 and the DeepSpeed path are checked
    separately and left out of the parse; every other value goes through as written.
    """
    from llamafactory.hparams.parser import _parse_train_args, read_args

    monkeypatch.setattr(sys, "argv", ["llamafactory-cli", str(path)])  # read as the CLI reads it
    args = read_args()
    assert isinstance(args, dict)
    args = {**args, "output_dir": str(tmp_path / "out")}
    args.pop("bf16", None)
    deepspeed = args.pop("deepspeed", None)
    _model_args, data_args, _training_args, finetuning_args, _ = _parse_train_args(args)
    assert finetuning_args.stage == "sft"
    assert data_args.template == "deepseekr1"
    assert data_args.dataset_dir == "recipes/data"
    for name in data_args.dataset:
        assert name in DATASET_INFO, f"{path.name}: dataset {name!r} is not in recipes/data/dataset_info.json"
    if deepspeed is not None:
        ds = json.loads((RECIPES.parent / deepspeed).read_text())
        assert ds["zero_optimization"]["stage"] == 3


@pytest.mark.parametrize("path", TRAINING, ids=lambda p: p.name)
def test_recipe_header_documents_purpose_hardware_inputs_and_command(path: Path) -> None:
    text = path.read_text()
    header = text[: text.index("### model")]
    for word in ("Purpose", "Hardware", "Inputs", "Command", "Derived numbers"):
        assert word in header, f"{path.name}: header lacks {word!r}"
    assert f"llamafactory-cli train recipes/{path.name}" in header


def test_ded_32b_is_the_papers_recipe() -> None:
    r = _load(RECIPES / "ded_32b.yaml")
    assert r["model_name_or_path"] == "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B"
    assert r["stage"] == "sft" and r["do_train"] is True
    assert r["finetuning_type"] == "full"
    assert r["template"] == "deepseekr1"
    assert r["cutoff_len"] == 16384
    assert r["learning_rate"] == pytest.approx(1.0e-5)
    assert r["num_train_epochs"] == 10
    assert r["per_device_train_batch_size"] * r["gradient_accumulation_steps"] * 8 == 48
    assert r["bf16"] is True
    assert r["disable_gradient_checkpointing"] is False
    assert r["optim"].startswith("adamw")
    assert r["deepspeed"] == "recipes/deepspeed/ds_z3_config.json"
    header = (RECIPES / "ded_32b.yaml").read_text()
    assert "8 GPUs x per_device_train_batch_size 1 x gradient_accumulation_steps 6 = 48" in header
    assert f"ceil(965 / 48) = {math.ceil(965 / 48)}" in header


@pytest.mark.parametrize(
    ("name", "gpus"), [("ded_7b.yaml", 4), ("ded_1.5b.yaml", 2), ("ded_smoke_32b.yaml", 8)]
)
def test_smaller_recipes_keep_the_global_batch(name: str, gpus: int) -> None:
    r = _load(RECIPES / name)
    assert r["per_device_train_batch_size"] * r["gradient_accumulation_steps"] * gpus == 48
    assert (
        f"{gpus} x {r['per_device_train_batch_size']} x {r['gradient_accumulation_steps']} = 48"
        in (RECIPES / name).read_text()
    )


@pytest.mark.parametrize("path", CURATION, ids=lambda p: p.name)
def test_curation_configs_load_and_state_their_command(path: Path) -> None:
    config = load_curation_config(path, check_inputs=False)
    header = path.read_text().split("\nrun:", 1)[0]
    assert "What it does" in header
    assert f"ded curate recipes/curation/{path.name}" in header
    length = [s for s in config.stages if s.name == "length"]
    assert length and length[0].params["max_tokens"] == 16384  # = cutoff_len of the recipes
    (export,) = [s for s in config.export if s.name == "llamafactory"]
    entry = DATASET_INFO[export.params["dataset_name"]]
    assert (RECIPES / "data" / entry["ded"]).resolve() == path.resolve()


def test_dataset_info_ded_blocks_load() -> None:
    data_dir = RECIPES / "data"
    for name, entry in DATASET_INFO.items():
        assert "file_name" in entry, name  # LLaMA-Factory needs it when the hook is off
        block = entry["ded"]
        if isinstance(block, str):
            load_curation_config(data_dir / block, check_inputs=False)
        else:
            load_curation_config({"run": name, **block}, base_dir=data_dir, check_inputs=False)


def test_readme_table_lists_every_recipe_with_its_command() -> None:
    readme = (RECIPES / "README.md").read_text()
    for path in TRAINING:
        row = next((line for line in readme.splitlines() if line.startswith(f"| `{path.name}`")), None)
        assert row is not None, path.name
        assert re.search(rf"llamafactory-cli train recipes/{re.escape(path.name)}", row)


def test_the_parser_really_rejects_a_stray_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from llamafactory.hparams.parser import _parse_train_args, read_args

    bad = tmp_path / "bad.yaml"
    bad.write_text((RECIPES / "ded_demo.yaml").read_text() + "ded_teacher_pool: [qwq]\n")
    monkeypatch.setattr(sys, "argv", ["llamafactory-cli", str(bad)])
    monkeypatch.delenv("ALLOW_EXTRA_ARGS", raising=False)
    with pytest.raises(ValueError, match="ded_teacher_pool"):
        _parse_train_args({**read_args(), "output_dir": str(tmp_path / "o")})  # type: ignore[dict-item]
