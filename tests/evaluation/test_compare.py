"""``ded compare`` on lm-eval output directories: planted gaps, the files it writes, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lm_eval_files import planted, write_run

from ded_plugins.cli import main
from ded_plugins.evaluation.compare import compare_runs
from ded_plugins.evaluation.results import load_run


PNG = b"\x89PNG\r\n\x1a\n"


def _pair(tmp_path: Path, gap_samples: int, seed: int = 0) -> tuple[Path, Path]:
    a, b = planted(gap_samples, seed=seed)
    return (
        write_run(tmp_path / "a", "org/model-a", {"ded_aime25": a}),
        write_run(tmp_path / "b", "org/model-b", {"ded_aime25": b}),
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_planted_ten_point_gap_is_significant(
    tmp_path: Path, seed: int, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = _pair(tmp_path, 48, seed)  # 48 of 30 x 16 = 480 samples: 10 points
    main(["compare", f"base={a}", f"new={b}", "--out", str(tmp_path / "cmp")])
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("| ded_aime25 |"))
    assert "| +10.0 |" in row and row.endswith("| new better |")
    data = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    diff = data["pairs"][0]["tasks"]["ded_aime25"]["diff"]
    assert diff["value"] == pytest.approx(0.10)
    assert diff["significant"] and diff["p_value"] < 0.05 and diff["low"] > 0
    assert (data["pairs"][0]["a"], data["pairs"][0]["b"]) == ("base", "new")
    assert "paired two-level bootstrap" in data["method"]
    assert (tmp_path / "cmp" / "compare.png").read_bytes()[:8] == PNG
    assert (tmp_path / "cmp" / "compare.md").read_text().startswith("# Paired comparison")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_zero_point_gap_is_within_noise(
    tmp_path: Path, seed: int, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = _pair(tmp_path, 0, seed)
    main(["compare", str(a), str(b), "--out", str(tmp_path / "cmp")])
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("| ded_aime25 |"))
    assert "| +0.0 |" in row and row.endswith("| within noise |")
    diff = json.loads((tmp_path / "cmp" / "compare.json").read_text())["pairs"][0]["tasks"]["ded_aime25"][
        "diff"
    ]
    assert not diff["significant"] and diff["low"] < 0 < diff["high"]


def test_default_labels_pairs_and_the_mean_over_tasks(tmp_path: Path) -> None:
    a1, b1 = planted(48, seed=3)
    a2, b2 = planted(0, seed=4)
    c1, c2 = planted(0, seed=5)
    runs = [
        load_run(write_run(tmp_path / "a", "org/a", {"t1": a1, "t2": a2})),
        load_run(write_run(tmp_path / "b", "org/b", {"t1": b1, "t2": b2})),
        load_run(write_run(tmp_path / "c", "org/c", {"t1": c1, "t2": c2})),
    ]
    assert [r.label for r in runs] == ["org/a", "org/b", "org/c"]  # hub ids name the rows
    c = compare_runs(runs, all_pairs=True)
    assert [(p.a, p.b) for p in c.pairs] == [("org/a", "org/b"), ("org/a", "org/c"), ("org/b", "org/c")]
    first = c.pairs[0]
    assert [t.task for t in first.tasks] == ["t1", "t2"]
    assert first.aggregate is not None
    assert first.aggregate.value == pytest.approx(0.05)  # (10 + 0) / 2 points
    weighted = compare_runs(runs[:2], weights={"t1": 1.0, "t2": 3.0}).pairs[0].aggregate
    assert weighted is not None and weighted.value == pytest.approx(0.025)
    assert len(compare_runs(runs).pairs) == 2  # each with the first


def test_questions_are_paired_by_doc_and_checked_to_be_the_same(tmp_path: Path) -> None:
    a, b = planted(0)
    ra = load_run(write_run(tmp_path / "a", "org/a", {"t": a}))
    rb = load_run(write_run(tmp_path / "b", "org/b", {"t": b[:20]}))  # --limit 20
    d = compare_runs([ra, rb]).pairs[0].tasks[0].diff
    assert d.questions == 20
    other = load_run(write_run(tmp_path / "c", "org/c", {"t": b}, doc_hash="other"))
    with pytest.raises(Exception, match="doc 0 is a different question"):
        compare_runs([ra, other])


def test_bad_input_exits_2_without_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = _pair(tmp_path, 0)
    samples = next((b / "org__model-b").glob("samples_*.jsonl"))
    lines = samples.read_text().splitlines()
    lines[4] = lines[4].replace('"pass@1_ci95": [', '"pass@1_ci95": ["x", ')
    samples.write_text("\n".join(lines) + "\n")
    out = tmp_path / "cmp"
    with pytest.raises(SystemExit) as exc:
        main(["compare", str(a), str(b), "--out", str(out)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"{samples}:5: field 'pass@1_ci95'" in err
    assert not out.exists()
    samples.unlink()
    with pytest.raises(SystemExit) as exc:
        main(["compare", str(a), str(b), "--out", str(out)])
    assert exc.value.code == 2
    assert "--log_samples" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["compare", str(a), "--out", str(out)])
    assert exc.value.code == 2 and "at least two" in capsys.readouterr().err
    assert not out.exists()
