"""Stock ``lm_eval --model local-chat-completions`` on ded_aime25 against ``transformers serve``.

This is how users evaluate a model behind an OpenAI-compatible server (``vllm serve``);
the server here is one no one in this project wrote (session fixture ``hf_server``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ded_plugins.cli import main
from ded_plugins.evaluation.bootstrap import bootstrap_mean
from ded_plugins.tiny import EOS


pytestmark = pytest.mark.eval
BIN = Path(sys.executable).parent


def test_lm_eval_chat_completions_against_transformers_serve(
    local_data: dict[str, Path], hf_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model_args = ",".join(
        [
            f"model={hf_server.model}",
            f"base_url={hf_server.base_url}/chat/completions",
            # lm-eval sends `stop: [eos]`, or `stop: []` when it knows no EOS, which this server
            # answers with HTTP 500 (README): name the EOS
            f"eos_string={EOS}",
            "num_concurrent=1",
            "max_retries=1",
            "timeout=120",
        ]
    )
    # the server samples only when asked through its own generation_config, and lm-eval sends every
    # repeat seed 1234, which this server applies to its global generator: send none (README)
    gen_kwargs = {"max_gen_toks": 48, "generation_config": json.dumps({"do_sample": True}), "seed": None}
    cmd = [
        str(BIN / "lm_eval"),
        "--model", "local-chat-completions",
        "--model_args", model_args,
        "--tasks", "ded_aime25",
        "--limit", "2",
        "--apply_chat_template",
        "--metadata", json.dumps({"ded_k": 3}),
        "--gen_kwargs", json.dumps(gen_kwargs),
        "--output_path", str(tmp_path / "out"),
        "--log_samples",
    ]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:] + "\n--- server:\n" + hf_server.log_tail()
    assert "pass@1_ci95" in proc.stdout  # printed in lm-eval's table
    results = json.loads(next((tmp_path / "out").rglob("results_*.json")).read_text())["results"][
        "ded_aime25"
    ]
    rows = [
        json.loads(x)
        for x in next((tmp_path / "out").rglob("samples_ded_aime25_*.jsonl")).read_text().splitlines()
    ]
    assert len(rows) == 2 and all(len(r["resps"][0]) == 3 for r in rows)
    assert all(text.strip() for r in rows for text in r["resps"][0])
    assert any(len(set(r["resps"][0])) > 1 for r in rows)  # really sampled: the k samples differ
    for r in rows:
        assert r["pass@1"] == pytest.approx(sum(r["pass@1_ci95"]) / 3)  # the per-question mean
    direct = bootstrap_mean([r["pass@1_ci95"] for r in rows], resamples=1000, seed=0)
    assert results["pass@1,none"] == pytest.approx(direct.value)
    assert results["pass@1_ci95,none"] == pytest.approx([direct.low, direct.high], abs=1e-6)
    assert results["pass@1_boot_se,none"] == pytest.approx(direct.se, abs=1e-6)
    assert len(results["maj@k_ci95,none"]) == 2
    # the real output feeds ded report
    main(["report", f"served={tmp_path / 'out'}", "--out", str(tmp_path / "report")])
    assert "| **served** | " in capsys.readouterr().out
    cell = json.loads((tmp_path / "report" / "report.json").read_text())["rows"][0]["scores"]["ded_aime25"]
    assert [cell["low"], cell["high"]] == pytest.approx(results["pass@1_ci95,none"], abs=1e-6)  # one number
