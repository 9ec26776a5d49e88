"""End to end: the real ``lm_eval`` CLI finds ded_aime25 without --include_path and scores it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


pytestmark = [pytest.mark.eval, pytest.mark.slow]
BIN = Path(sys.executable).parent


def test_stock_lm_eval_runs_ded_aime25(tiny_model: Path, local_data: dict[str, Path], tmp_path: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    cmd = [
        str(BIN / "lm_eval"),
        "--model", "hf",
        "--model_args", f"pretrained={tiny_model}",
        "--tasks", "ded_aime25",
        "--limit", "2",
        "--metadata", json.dumps({"ded_k": 2}),
        "--gen_kwargs", "max_gen_toks=8",
        "--apply_chat_template",
        "--output_path", str(tmp_path / "out"),
        "--log_samples",
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = sorted((tmp_path / "out").rglob("results_*.json"))
    assert len(results) == 1, proc.stderr[-2000:]
    scores = json.loads(results[0].read_text())["results"]["ded_aime25"]
    assert 0.0 <= scores["pass@1,none"] <= 1.0
    assert {"maj@k,none", "think_finished,none", "response_tokens,none"} <= set(scores)
    samples = sorted((tmp_path / "out").rglob("samples_ded_aime25_*.jsonl"))
    rows = [json.loads(line) for line in samples[0].read_text().splitlines()]
    assert len(rows) == 2 and all(len(r["resps"][0]) == 2 for r in rows)  # k = 2 samples kept per doc
    low, high = scores["pass@1_ci95,none"]  # the two-level bootstrap interval, beside lm-eval's stderr
    assert 0.0 <= low <= scores["pass@1,none"] <= high <= 1.0
    assert all(len(r["pass@1_ci95"]) == 2 and r["pass@1"] == sum(r["pass@1_ci95"]) / 2 for r in rows)
