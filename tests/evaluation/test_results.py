"""Reading lm-eval output directories: layouts, labels, several results files, bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lm_eval_files import planted, write_run

from ded_plugins.errors import InputError
from ded_plugins.evaluation.bootstrap import Votes
from ded_plugins.evaluation.results import load_run, parse_run_arg


def test_reads_samples_of_the_ded_tasks(tmp_path: Path) -> None:
    a, _ = planted(0, questions=5, k=4)
    run = load_run(write_run(tmp_path / "out", "org/m", {"ded_aime25": a}))
    assert (run.label, run.model, sorted(run.tasks)) == ("org/m", "org/m", ["ded_aime25"])
    assert run.metric_key("ded_aime25") == ("pass@1", "none")
    s = run.samples("ded_aime25")
    assert s.doc_ids == (0, 1, 2, 3, 4) and s.count == 20 and s.is_share
    assert [list(v) for v in s.values] == [[float(x) for x in q] for q in a]  # the k verdicts, in order
    votes = run.samples("ded_aime25", "maj@k")
    assert isinstance(votes.values[0], Votes) and votes.is_votes


def test_labels(tmp_path: Path) -> None:
    out = write_run(tmp_path / "out", "/local/path/model", {"t": [[1]]})
    assert parse_run_arg(f"mine={out}") == ("mine", out)
    assert parse_run_arg(str(out)) == (None, out)
    assert load_run(f"mine={out}").label == "mine"
    assert load_run(str(out)).label == str(out)  # a local model path is no name: the directory is


def test_a_plain_task_counts_each_question_as_one_sample(tmp_path: Path) -> None:
    folder = tmp_path / "out" / "m"
    folder.mkdir(parents=True)
    date = "2026-05-05T05-05-05.5"
    (folder / f"results_{date}.json").write_text(
        json.dumps({"results": {"mine": {"exact_match,none": 0.5, "exact_match_stderr,none": 0.5}}})
    )
    rows = [
        {"doc_id": i, "filter": "none", "doc_hash": str(i), "exact_match": float(i % 2)} for i in range(4)
    ]
    (folder / f"samples_mine_{date}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    run = load_run(tmp_path / "out")
    assert run.metric_key("mine") == ("exact_match", "none")
    assert [list(v) for v in run.samples("mine").values] == [[0.0], [1.0], [0.0], [1.0]]


def test_several_results_files_newest_wins_and_one_model_only(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_run(out, "org/m", {"t1": [[0]], "t2": [[0]]}, date="2026-01-01T00-00-00.1")
    write_run(out, "org/m", {"t2": [[1]]}, date="2026-02-01T00-00-00.1")
    run = load_run(out)
    assert [list(v) for v in run.samples("t2").values] == [[1.0]]
    assert [list(v) for v in run.samples("t1").values] == [[0.0]]
    write_run(out, "org/other", {"t1": [[1]]})
    with pytest.raises(InputError, match="several models"):
        load_run(out)


def test_bad_files_name_file_line_and_field(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such lm-eval output"):
        load_run(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no lm-eval results"):
        load_run(tmp_path / "empty")
    out = write_run(tmp_path / "out", "org/m", {"t": [[1, 0], [0, 0]]})
    results = next(out.rglob("results_*.json"))
    samples = next(out.rglob("samples_*.jsonl"))
    lines = samples.read_text().splitlines()
    samples.write_text(lines[0] + "\n" + lines[0] + "\n")
    with pytest.raises(InputError, match=r":2: doc 0 logged twice"):
        load_run(out).samples("t")
    samples.write_text(lines[0] + "\n{broken\n")
    with pytest.raises(InputError, match=r"samples_t_.*\.jsonl:2: malformed JSON"):
        load_run(out).samples("t")
    bad_votes = json.loads(lines[0]) | {"maj@k_ci95": {"votes": [0, "x"], "correct": [1, 0]}}
    samples.write_text(json.dumps(bad_votes) + "\n")
    with pytest.raises(InputError, match=r":1: field 'maj@k_ci95': 'votes' must be answer ids"):
        load_run(out).samples("t", "maj@k")
    with pytest.raises(InputError, match="no numeric metric 'nope'"):
        load_run(out).samples("t", "nope")
    results.write_text("{not json")
    with pytest.raises(InputError, match=r"results_.*\.json:1: malformed JSON"):
        load_run(out)
