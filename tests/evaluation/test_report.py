"""``ded report [--paper]``: models x tasks with intervals, the paper's rows matched and differenced."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from lm_eval_files import write_run

from ded_plugins.cli import main
from ded_plugins.evaluation.paper import PAPER_ROWS, TASKS, match_paper_row


def _questions(right: int, *, questions: int = 30, k: int = 16, seed: int = 0) -> list[list[int]]:
    """``right`` correct samples out of questions x k, spread at random."""
    flat = np.zeros(questions * k, dtype=int)
    flat[np.random.default_rng(seed).choice(flat.size, right, replace=False)] = 1
    return flat.reshape(questions, k).tolist()


def test_report_with_the_papers_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the base model under its hub id (matched by name), and a student named on the command line
    base = write_run(
        tmp_path / "base",
        "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B",
        {"ded_aime24": _questions(315), "ded_aime25": _questions(257, seed=1)},  # 65.63 and 53.54
    )
    mine = write_run(tmp_path / "mine", "/ckpt/mine", {"ded_aime24": _questions(300, seed=2)})  # 62.5
    main(
        [
            "report",
            str(base),
            f"mine={mine}",
            "--paper",
            "--as",
            "mine=ntele_r1_32b_math",
            "--out",
            str(tmp_path / "r"),
        ]
    )
    md = capsys.readouterr().out
    lines = md.splitlines()
    assert lines[2] == "| model | ded_aime24 | ded_aime25 |"
    base_row = next(
        line for line in lines if line.startswith("| **deepseek-ai/DeepSeek-R1-Distill-Qwen-32B** |")
    )
    assert base_row.split("|")[2].strip().startswith("65.6 [")
    assert "| ↳ paper: DS-32B (DeepSeek-R1-Distill-Qwen-32B) | 65.63 (Table 1) | 53.54 (Table 1) |" in md
    name = "NTele-R1-32B-Math (+ Right-Hard-Diverse, 965 samples)"
    paper = f"| ↳ paper: {name} | 81.87 (Table 3) | 77.29 (Table 3) |"
    i = lines.index(paper)
    assert "| ↳ ours − paper | +0.0 (paper inside our interval) | +0.0 (paper inside our interval) |" in md
    assert lines[i + 1].startswith("| ↳ ours − paper | -19.4 (paper outside our interval) | - |")
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    rows = {r["label"]: r for r in data["rows"]}
    cell = rows["deepseek-ai/DeepSeek-R1-Distill-Qwen-32B"]["paper"]["ded_aime24"]
    assert cell["table"] == "Table 1" and cell["difference"] == pytest.approx(0.0, abs=0.01)
    assert cell["inside_interval"] is True
    assert rows["mine"]["paper_row"] == "ntele_r1_32b_math"
    est = rows["mine"]["scores"]["ded_aime24"]
    assert est["value"] == pytest.approx(0.625) and est["low"] < 0.625 < est["high"] and est["samples"] == 480
    assert (tmp_path / "r" / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_without_paper_and_bad_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = write_run(tmp_path / "a", "org/a", {"ded_math500": _questions(100, questions=200, k=1)})
    main(["report", str(run), "--out", str(tmp_path / "r")])
    md = capsys.readouterr().out
    assert "| **org/a** | 50.0 [" in md and "paper" not in md.split("Scores in points")[0]
    with pytest.raises(SystemExit) as exc:
        main(["report", f"a={run}", "--as", "a=no_such_row", "--out", str(tmp_path / "r2")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "no paper row 'no_such_row'" in err and "ntele_r1_32b" in err
    assert not (tmp_path / "r2").exists()


def test_paper_rows_cite_their_tables_and_cover_the_issue() -> None:
    keys = [r.key for r in PAPER_ROWS]
    assert len(keys) == len(set(keys))
    assert {"ds_32b", "smoke_qwq_32b", "smoke_deepseek_r1", "ntele_r1_32b_math", "ntele_r1_32b"} <= set(keys)
    for row in PAPER_ROWS:
        assert set(row.scores) <= set(TASKS), row.key
        assert all(table in {f"Table {i}" for i in range(1, 6)} for _, table in row.scores.values()), row.key
    by_key = {r.key: r for r in PAPER_ROWS}
    # spot checks against the paper: Table 1, Table 3, Table 4, Table 5
    assert by_key["smoke_qwq_32b"].scores["ded_aime24"] == (79.58, "Table 1")
    assert by_key["ntele_r1_32b_math"].scores["ded_aime25"] == (77.29, "Table 3")
    assert by_key["ds_32b"].scores["ded_lcb_hard"] == (10.39, "Table 4")
    assert by_key["ntele_r1_32b"].scores["ded_lcb_hard"] == (30.94, "Table 5")
    assert match_paper_row("x", "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B") is by_key["ds_32b"]
    assert match_paper_row("ntele_r1_32b", "/local") is by_key["ntele_r1_32b"]
    assert match_paper_row("x", "/local") is None
