"""The transformers backend on a tiny local model; the vllm adapter on a FAKE engine; the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from ded_plugins.cli import main
from ded_plugins.errors import StageError
from ded_plugins.io import read_rollouts
from ded_plugins.rollouts.runner import run_rollouts
from ded_plugins.rollouts.types import derive_seed


def _questions(path: Path, n: int = 2) -> Path:
    path.write_text(
        "".join(
            json.dumps({"id": f"q{i}", "domain": "math", "prompt": f"Add {i} and 1."}) + "\n"
            for i in range(n)
        )
    )
    return path


def test_transformers_backend_samples_and_resumes(tmp_path: Path, tiny_model: Path) -> None:
    config: dict[str, Any] = {
        "output": str(tmp_path / "r.jsonl"),
        "model": "tiny",
        "samples": 2,
        "questions": str(_questions(tmp_path / "q.jsonl")),
        "sampling": {"temperature": 1.0, "top_p": 1.0, "max_tokens": 12},
        "backend": {"transformers": {"model_path": str(tiny_model)}},
    }
    summary = run_rollouts(config, progress=False)
    assert summary.generated == 4
    rollouts = [r for _, r in read_rollouts(summary.output)]
    for r in rollouts:
        assert r.text.startswith("<think>\n")  # the template opened the thinking block
        assert r.finish_reason in ("stop", "length")
        assert r.n_tokens is not None
        assert 0 < r.n_tokens <= 12
        assert r.n_tokens == 12 or r.finish_reason == "stop"
    # deterministic per (seed, question, index): a fresh file reproduces the texts exactly
    again = run_rollouts({**config, "output": str(tmp_path / "r2.jsonl")}, progress=False)
    assert [r.text for _, r in read_rollouts(again.output)] == [r.text for r in rollouts]
    # more samples later: only the new indices are generated
    grown = run_rollouts({**config, "samples": 3}, progress=False)
    assert (grown.existing, grown.generated) == (4, 2)


def test_vllm_backend_with_fake_engine(
    tmp_path: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    config: dict[str, Any] = {
        "output": str(tmp_path / "r.jsonl"),
        "model": "big-teacher",
        "samples": 3,
        "questions": str(_questions(tmp_path / "q.jsonl", n=4)),
        "backend": {
            "vllm": {
                "model": str(tiny_model),
                "engine": "fake_vllm_engine:FakeLLM",
                "tensor_parallel_size": 2,
                "data_parallel_size": 2,
                "chunk_questions": 1,
            }
        },
    }
    run_rollouts(config, progress=False)
    rollouts = [r for _, r in read_rollouts(Path(config["output"]))]
    assert sorted((r.question_id, r.sample_index) for r in rollouts) == [
        (f"q{i}", k) for i in range(4) for k in range(3)
    ]
    for r in rollouts:
        assert r.text.startswith("<think>\nstep 0 ")  # <think> put back in front from the prompt
        assert r.n_tokens == 3
        # one request per sample, under the sample's own seed, and the record names that seed
        assert r.metadata["seed"] == derive_seed(0, r.question_id, r.sample_index)
        assert f"seed {r.metadata['seed']} " in r.text
    assert len({r.metadata["seed"] for r in rollouts}) == len(rollouts)
    # data parallel: two ranks, each pinned to its own two GPUs
    assert {r.text.split("gpus ")[1].split("\n")[0] for r in rollouts} == {"0,1", "2,3"}
    # a rank that fails reports its traceback; nothing half-done is written
    broken = {**config, "output": str(tmp_path / "broken.jsonl")}
    broken["backend"] = {"vllm": {**config["backend"]["vllm"], "model": "broken"}}
    with pytest.raises(StageError, match=r"(?s)rank \d failed.*CUDA out of memory \(fake\)"):
        run_rollouts(broken, progress=False)
    assert Path(broken["output"]).read_text() == ""


def test_cli_rollout_and_bad_config(
    tmp_path: Path, tiny_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "rollout.yaml"
    _questions(tmp_path / "q.jsonl", n=1)
    cfg.write_text(
        yaml.safe_dump(
            {
                "output": str(tmp_path / "out.jsonl"),
                "model": "tiny",
                "questions": "q.jsonl",  # relative to the config file
                "sampling": {"max_tokens": 4},
                # relative to the config file, not to the current directory
                "backend": {"transformers": {"model_path": os.path.relpath(tiny_model, tmp_path)}},
            }
        )
    )
    main(["rollout", str(cfg), "--no-progress"])
    assert "1 samples (0 already present, 1 generated)" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump(
            {
                "output": "x.jsonl",
                "model": "m",
                "questions": "q.jsonl",
                "samples": 0,
                "colour": 1,
                "backend": {"nope": {}},
            }
        )
    )
    with pytest.raises(SystemExit) as exc:
        main(["rollout", str(bad)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "colour: unknown key 'colour'; accepted: output, model" in err
    assert "samples: expected an integer >= 1, found 0" in err
    assert "Traceback" not in err
    assert not (tmp_path / "x.jsonl").exists()
