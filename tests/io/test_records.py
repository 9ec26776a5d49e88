"""Question pools from JSONL, Parquet and Hugging Face datasets; atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ded_plugins import io
from ded_plugins.errors import InputError


ROWS = [
    {"qid": "a", "question": "What is 1+1?", "solution": "2", "kind": "math"},
    {"qid": "b", "question": "What is 2+2?", "solution": "4", "kind": "math"},
]
COLUMNS = {"id": "qid", "prompt": "question", "answer": "solution", "domain": "kind"}


def test_parquet_with_column_mapping(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "pool.parquet"
    pq.write_table(pa.Table.from_pylist(ROWS), path)
    questions = io.read_questions(path, columns=COLUMNS)
    assert list(questions) == ["a", "b"]
    assert questions["b"].prompt == "What is 2+2?"
    assert questions["b"].answer == "4"
    assert questions["b"].domain == "math"


def test_hf_dataset_directory(tmp_path: Path) -> None:
    import datasets

    path = tmp_path / "hf_pool"
    datasets.DatasetDict({"train": datasets.Dataset.from_list(ROWS)}).save_to_disk(str(path))
    questions = io.read_questions(path, format="hf", columns=COLUMNS, limit=1)
    assert list(questions) == ["a"]


def test_missing_mapped_column_names_it(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"qid": "a", "text": "x"}\n')
    with pytest.raises(
        InputError, match=r"q\.jsonl:1: field 'question': column 'question' \(mapped to 'prompt'\)"
    ):
        io.read_questions(path, columns={"id": "qid", "prompt": "question"}, default_domain="math")


def test_code_tests_are_validated(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(
        '{"id": "c", "domain": "code", "prompt": "p", "tests": {"inputs": ["1"], "outputs": []}}\n'
    )
    with pytest.raises(InputError, match="1 inputs but 0 outputs"):
        io.read_questions(path)


def test_roundtrip_of_questions_and_rollouts(tmp_path: Path) -> None:
    from ded_plugins.records import CodeTests, Question, Rejection, Rollout, Verdict

    q = Question(id="c", domain="code", prompt="p", tests=CodeTests(inputs=("1\n",), outputs=("2\n",)))
    assert io.question_from_dict(io.question_to_dict(q)) == q
    r = Rollout(
        question_id="c",
        model="m",
        sample_index=3,
        text="t",
        verdicts={"x": Verdict(passed=False, reason="r")},
    )
    row = io.rollout_to_dict(r, Rejection(stage="x", reason="x.r"))
    assert row["rejection"] == {"stage": "x", "reason": "x.r", "detail": ""}
    del row["rejection"]
    assert io.rollout_from_dict(row) == r


def test_atomic_write_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("old\n")

    def crash() -> None:
        with io.atomic_write(target) as fh:
            fh.write("half")
            raise RuntimeError("crash")

    with pytest.raises(RuntimeError):
        crash()
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["out.jsonl"]
    io.write_jsonl(target, [{"a": 1}])
    assert target.read_text() == '{"a":1}\n'
    assert oct(target.stat().st_mode & 0o777) != oct(0o600)
