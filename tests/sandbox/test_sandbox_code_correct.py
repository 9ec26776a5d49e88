"""code_correct: teacher programs checked against the question's tests in the sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ded_plugins.configs.curate import load_curation_config
from ded_plugins.engine import run_curation
from ded_plugins.processors.code_correct import CodeCorrect
from ded_plugins.records import CodeTests, Question, Rollout


pytestmark = pytest.mark.sandbox


def _rollout(qid: str, code: str | None, i: int = 0) -> Rollout:
    text = "<think>\nplan\n</think>\n" + (f"```python\n{code}\n```\n" if code is not None else "no program")
    return Rollout(question_id=qid, model="teacher", sample_index=i, text=text)


def test_verdicts_per_rollout(namespaces: None) -> None:
    add = CodeTests(inputs=("1 2\n", "5 5\n"), outputs=("3\n", "10\n"), timeout_s=2)
    split = CodeTests(
        inputs=("7\n",),
        outputs=("3 4\n",),
        checker=(
            "import sys\n"
            "n = int(open(sys.argv[1]).read())\n"
            "a, b = map(int, open(sys.argv[3]).read().split())\n"
            "sys.exit(0 if a + b == n and min(a, b) > 0 else 1)\n"
        ),
    )
    call = CodeTests(inputs=("[1, 2, 3]",), outputs=("6",), fn_name="total")
    questions = {
        "add": Question(id="add", domain="code", prompt="a+b", tests=add),
        "split": Question(id="split", domain="code", prompt="split n", tests=split),
        "call": Question(id="call", domain="code", prompt="sum", tests=call),
        "bare": Question(id="bare", domain="code", prompt="no tests"),
        "math": Question(id="math", domain="math", prompt="1+1", answer="2"),
    }
    items = [
        (questions["add"], _rollout("add", "a, b = map(int, input().split())\nprint(a + b)")),
        (questions["add"], _rollout("add", "a, b = map(int, input().split())\nprint(a - b)", 1)),
        (questions["add"], _rollout("add", None, 2)),
        (
            questions["split"],
            _rollout("split", "n = int(input())\nprint(1, n - 1)"),
        ),  # differs from 3 4: checker
        (questions["split"], _rollout("split", "n = int(input())\nprint(0, n)", 1)),
        (
            questions["call"],
            _rollout("call", "class Solution:\n    def total(self, xs):\n        return sum(xs)"),
        ),
        (
            questions["call"],
            _rollout("call", "class Solution:\n    def total(self, xs):\n        while True: pass", 1),
        ),
        (questions["bare"], _rollout("bare", "print(1)")),
        (questions["math"], _rollout("math", None)),
    ]
    processor = CodeCorrect(workers=2)
    try:
        verdicts = processor.process(items)
    finally:
        processor.close()
    assert [(v.passed, v.reason) for v in verdicts] == [
        (True, "ok"),
        (False, "wrong_answer"),
        (False, "no_code"),
        (True, "ok"),
        (False, "wrong_answer"),
        (True, "ok"),
        (False, "time_limit"),
        (False, "no_tests"),
        (True, "not_applicable"),
    ]
    assert verdicts[1].details["per_test"] == [False, None]
    assert verdicts[0].details["grader"] == "lcb2505"
    assert verdicts[0].details["isolation"] == "bwrap+seccomp+rlimits"


def test_parameters_are_checked() -> None:
    with pytest.raises(ValueError, match="grader"):
        CodeCorrect(grader="lcb1999")
    with pytest.raises(ValueError, match="workers"):
        CodeCorrect(workers=0)


def test_curation_stage_is_reproducible(pool: Path, tmp_path: Path, namespaces: None) -> None:
    config = {
        "run": "code_only",
        "output_dir": str(tmp_path / "runs"),
        "questions": {"path": "questions.jsonl"},
        "rollouts": ["teacher_a.jsonl", "teacher_b.jsonl"],
        "stages": [{"code_correct": {"workers": 2}}],
    }
    outputs = []
    for _ in range(2):
        result = run_curation(load_curation_config(config, base_dir=pool), progress=False)
        stage = result.run_dir / "01_code_correct"
        outputs.append({name: (stage / name).read_bytes() for name in ("kept.jsonl", "rejected.jsonl")})
    assert outputs[0] == outputs[1]
    rejected = [json.loads(line) for line in outputs[0]["rejected.jsonl"].decode().splitlines()]
    kept = [json.loads(line) for line in outputs[0]["kept.jsonl"].decode().splitlines()]
    assert rejected and kept
    reasons = {r["rejection"]["reason"] for r in rejected}
    assert reasons <= {
        f"code_correct.{s}" for s in ("wrong_answer", "runtime_error", "time_limit", "no_code")
    }
    questions = {
        json.loads(line)["id"]: json.loads(line)["domain"] for line in (pool / "questions.jsonl").open()
    }
    assert all(questions[r["question_id"]] == "code" for r in rejected)  # math rows are not_applicable


def test_a_checker_program_changed_in_place_reruns_the_stage(tmp_path: Path, namespaces: None) -> None:
    """A question may name its checker's file; that file is an input of the run, hashed by content."""
    import yaml

    checkers = tmp_path / "checkers"
    checkers.mkdir()
    accept_sum = (
        "import sys\n"
        "n = int(open(sys.argv[1]).read())\n"
        "a, b = map(int, open(sys.argv[3]).read().split())\n"
        "sys.exit(0 if a + b == n else 1)\n"
    )
    checker = checkers / "split.py"
    checker.write_text(accept_sum)
    question = {
        "id": "split",
        "domain": "code",
        "prompt": "Print two numbers that add up to n.",
        "tests": {
            "inputs": ["7\n"],
            "outputs": ["3 4\n"],
            "checker_path": "checkers/split.py",
            "timeout_s": 4,
        },
    }
    (tmp_path / "q.jsonl").write_text(json.dumps(question) + "\n")
    answer = "<think>\nplan\n</think>\n```python\nn = int(input())\nprint(0, n)\n```\n"  # 0 + n = n
    (tmp_path / "r.jsonl").write_text(
        json.dumps({"question_id": "split", "model": "t", "sample_index": 0, "text": answer}) + "\n"
    )
    config = {
        "run": "r",
        "output_dir": str(tmp_path / "runs"),
        "questions": "q.jsonl",
        "rollouts": ["r.jsonl"],
        "stages": [{"code_correct": {"workers": 1}}],
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    first = run_curation(load_curation_config(tmp_path / "c.yaml"), progress=False)
    assert first.stages[0]["kept"] == 1  # 0 + 7 = 7: the checker accepts it
    checker.write_text(accept_sum.replace("a + b == n", "a + b == n and min(a, b) > 0"))  # stricter
    second = run_curation(load_curation_config(tmp_path / "c.yaml"), resume=True, progress=False)
    assert "01_code_correct" in second.ran
    assert second.stages[0]["dropped"] == {"code_correct.wrong_answer": 1}
