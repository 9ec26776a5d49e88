"""LiveCodeBench data loader: releases, date window, safe decoding of private tests."""

from __future__ import annotations

import base64
import json
import os
import pickle
import zlib
from pathlib import Path

import pytest
from lcb_fixture import encode_private, row, write_lcb

from ded_plugins.errors import InputError
from ded_plugins.integrations.lm_eval.lcb_data import decode_private_tests, load_lcb_problems, release_files


def test_window_difficulty_and_decoded_tests(tmp_path: Path) -> None:
    path = write_lcb(tmp_path / "test6.jsonl")
    problems = load_lcb_problems(path)
    assert [p.question_id for p in problems] == ["abc400_a", "double-it", "abc401_g"]  # 2024 row is outside
    first = problems[0]
    assert first.inputs == ("1 2\n", "5 7\n") and first.outputs == ("3\n", "12\n") and first.n_public == 1
    assert problems[1].fn_name == "double"
    assert [p.question_id for p in load_lcb_problems(path, difficulty="hard")] == ["abc401_g"]
    assert len(load_lcb_problems(path, start=None, end=None)) == 4


def test_releases_pick_files(tmp_path: Path) -> None:
    for name in ("test.jsonl", "test2.jsonl", "test3.jsonl"):
        (tmp_path / name).write_text("")
    assert [p.name for p in release_files(tmp_path, "release_v2")] == ["test.jsonl", "test2.jsonl"]
    assert [p.name for p in release_files(tmp_path, "v3")] == ["test3.jsonl"]
    assert [p.name for p in release_files(tmp_path, "v2_v3")] == ["test2.jsonl", "test3.jsonl"]
    assert len(release_files(tmp_path, "release_latest")) == 3
    with pytest.raises(InputError, match=r"test4\.jsonl"):
        release_files(tmp_path, "release_v4")


class _Boom:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo pwned",))


def test_private_tests_refuse_pickled_globals(tmp_path: Path) -> None:
    payload = base64.b64encode(zlib.compress(pickle.dumps(_Boom()))).decode()
    with pytest.raises(pickle.UnpicklingError, match="refusing global"):
        decode_private_tests(payload)
    bad = row("evil", "2025-03-01", "easy", [{"input": "1\n", "output": "1\n"}], [])
    bad["private_test_cases"] = payload
    path = tmp_path / "evil.jsonl"
    path.write_text(json.dumps(bad) + "\n")
    with pytest.raises(InputError, match=r"evil.jsonl:1: field 'private_test_cases'"):
        load_lcb_problems(path)


def test_decompression_is_capped() -> None:
    big = base64.b64encode(zlib.compress(pickle.dumps("x" * (1 << 20)))).decode()
    with pytest.raises(ValueError, match="exceed"):
        decode_private_tests(big, max_bytes=1 << 16)
    assert decode_private_tests(encode_private([{"input": "1", "output": "2"}])) == [
        {"input": "1", "output": "2"}
    ]


def test_problem_without_tests_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text(json.dumps(row("none", "2025-03-01", "easy", [], [])) + "\n")
    with pytest.raises(InputError, match="no tests"):
        load_lcb_problems(path)
