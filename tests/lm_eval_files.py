"""Write lm-eval output directories in the layout ``lm_eval --output_path OUT --log_samples`` uses.

``OUT/<model_sanitized>/results_<date>.json`` and ``samples_<task>_<date>.jsonl`` with the
keys the ``ded_*`` tasks log (``pass@1`` per question, ``pass@1_ci95`` its k verdicts,
``maj@k_ci95`` the votes). The real ``lm_eval`` writes the same (tests/evals check it on
real runs); this writer lets the statistics tests plant exact gaps.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np


DATE = "2026-01-02T03-04-05.678901"


def write_run(
    out: Path,
    model: str,
    tasks: Mapping[str, Sequence[Sequence[float]]],
    *,
    date: str = DATE,
    doc_hash: str = "h",
) -> Path:
    """One model's run: per task, per question, the 0/1 verdicts of its samples."""
    folder = out / model.replace("/", "__")
    folder.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    for task, questions in tasks.items():
        means = [float(np.mean(q)) for q in questions]
        results[task] = {
            "alias": task,
            "pass@1,none": float(np.mean(means)),
            "pass@1_stderr,none": float(np.std(means, ddof=1) / np.sqrt(len(means)))
            if len(means) > 1
            else "N/A",
            "maj@k,none": float(np.mean([q[0] for q in questions])),
            "pass@1_ci95,none": [0.0, 1.0],
            "pass@1_ci95_stderr,none": "N/A",
        }
        with (folder / f"samples_{task}_{date}.jsonl").open("w") as fh:
            for i, q in enumerate(questions):
                row = {
                    "doc_id": i,
                    "doc": {"problem": f"q{i}"},
                    "resps": [["..."] * len(q)],
                    "filter": "none",
                    "doc_hash": f"{doc_hash}{i}",
                    "pass@1": float(np.mean(q)),
                    "pass@1_boot_se": [int(x) for x in q],
                    "pass@1_ci95": [int(x) for x in q],
                    "maj@k": float(q[0]),
                    "maj@k_ci95": {"votes": [0 if x else 1 for x in q], "correct": [int(x) for x in q]},
                }
                fh.write(json.dumps(row) + "\n")
    data = {"results": results, "model_name": model, "config": {"model_args": {"pretrained": model}}}
    (folder / f"results_{date}.json").write_text(json.dumps(data))
    return out


def planted(
    gap_samples: int, *, questions: int = 30, k: int = 16, seed: int = 0
) -> tuple[list[list[int]], list[list[int]]]:
    """Two runs on the same questions; the second has exactly ``gap_samples`` more right samples."""
    rng = np.random.default_rng(seed)
    a = [[int(x) for x in rng.random(k) < p] for p in rng.uniform(0.2, 0.7, questions)]
    b = [list(r) for r in a]
    for q in b:
        rng.shuffle(q)  # other samples, the same count per question
    wrong = [(i, j) for i, r in enumerate(b) for j, x in enumerate(r) if x == 0]
    for n in rng.choice(len(wrong), gap_samples, replace=False):
        i, j = wrong[n]
        b[i][j] = 1
    return a, b
