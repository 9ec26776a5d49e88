"""Pools for the Ray executor's tests, written by the tests themselves (deterministic).

``demo_like_pool``: the demo's questions (computed math answers; stdin/stdout programs
with tests from a reference solution) with two teacher styles, some wrong or unfinished
samples, and student samples, so every stage keeps some rows and drops others.
``many_rows_pool``: short math rollouts, enough of them for a stage of many units (the
fault and resume tests need a stage that is still running when they strike).
``outputs`` and ``assert_counted_once`` compare and check the runs.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from ded_plugins.demo.pool import MathProblem, code_problems, math_problems, trajectory


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def demo_like_pool(dest: Path, *, math: int = 60, samples: int = 3, seed: int = 0) -> Path:
    """Questions, ``teacher_a.jsonl``, ``teacher_b.jsonl`` and ``student.jsonl`` in ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    problems = [*math_problems(math, seed=seed), *code_problems()]
    questions: list[dict[str, Any]] = []
    for p in problems:
        if isinstance(p, MathProblem):
            questions.append({"id": p.id, "domain": "math", "prompt": p.user_prompt, "answer": str(p.answer)})
        else:
            tests = {"inputs": list(p.inputs), "outputs": list(p.outputs), "fn_name": None, "timeout_s": 4}
            questions.append({"id": p.id, "domain": "code", "prompt": p.user_prompt, "tests": tests})
    _write(dest / "questions.jsonl", questions)
    for style in ("teacher_a", "teacher_b"):
        rows = []
        for p in problems:
            for i in range(samples):
                text = trajectory(style, p)
                roll = rng.random()
                if roll < 0.2:  # a wrong answer, or a broken program
                    if isinstance(p, MathProblem):
                        text = text.replace(str(p.answer), str(p.answer + 1))
                    else:
                        text = text.replace("print(", "print(1 + ")
                elif roll < 0.27:  # thinking never closed
                    text = text.split("</think>")[0]
                text += "\n" + " ".join(rng.choice(["Check.", "Done.", "Verified."]) for _ in range(i * 3))
                rows.append({"question_id": p.id, "model": style, "sample_index": i, "text": text})
        _write(dest / f"{style}.jsonl", rows)
    students = []
    for n, p in enumerate(problems):
        for i in range(2):
            text = trajectory("teacher_a", p)
            if n % 3 and isinstance(p, MathProblem):  # the student solves every third question
                text = text.replace(str(p.answer), str(p.answer - 1))
            students.append(
                {"question_id": p.id, "model": "student", "sample_index": i, "role": "student", "text": text}
            )
    _write(dest / "student.jsonl", students)
    return dest


def many_rows_pool(dest: Path, *, questions: int = 300, samples: int = 16, seed: int = 0) -> Path:
    """``questions`` math questions with ``samples`` short teacher rollouts each (some wrong)."""
    dest.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    qs, rows = [], []
    for q in range(questions):
        a, b = rng.randint(10, 999), rng.randint(10, 999)
        qid = f"q{q:05d}"
        qs.append({"id": qid, "domain": "math", "prompt": f"What is {a} + {b}?", "answer": str(a + b)})
        for i in range(samples):
            answer = a + b if rng.random() < 0.7 else a + b + rng.randint(1, 9)
            steps = " ".join(f"{a} plus {k} is {a + k}." for k in range(rng.randint(5, 30)))
            text = f"<think>\n{steps}\n</think>\n\nThe answer is $\\boxed{{{answer}}}$."
            rows.append({"question_id": qid, "model": "teacher", "sample_index": i, "text": text})
    _write(dest / "questions.jsonl", qs)
    _write(dest / "teacher.jsonl", rows)
    return dest


def outputs(run_dir: Path, export_dir: Path) -> dict[str, bytes]:
    """Every output file, by relative path; stats without what depends on where units ran."""
    out = {}
    for base, prefix in ((run_dir, "run/"), (export_dir, "export/")):
        for p in sorted(base.rglob("*")):
            if not p.is_file() or p.name in (".lock", "step.json", "config.resolved.json"):
                continue
            data = p.read_bytes()
            if p.name == "stats.json":
                stats = json.loads(data)
                for key in ("seconds", "by_node"):  # where and when units ran
                    stats.pop(key, None)
                if stats.get("kind") == "exporter":  # names its own dataset_dir; its files are compared
                    for key in ("summary", "params", "fingerprint"):
                        stats.pop(key)
                data = json.dumps(stats, sort_keys=True).encode()
            out[prefix + str(p.relative_to(base))] = data
    return out


def units_run(stage_dir: Path) -> int:
    """How many of a finished stage's units its last run ran (the rest it found finished)."""
    count: int = json.loads((stage_dir / "step.json").read_text())["result"]["units_run"]
    return count


def assert_counted_once(run_dir: Path) -> None:
    """Each unit counted once: units run = units, spread over the nodes, kept + rejected = input."""
    for stats_file in sorted(run_dir.glob("0[1-9]_*/stats.json")):
        stats = json.loads(stats_file.read_text())
        if stats.get("kind") == "exporter":
            continue
        assert units_run(stats_file.parent) == stats["units"], stats_file
        assert sum(stats["by_node"].values()) == stats["units"], stats_file
        assert stats["kept"] + stats["rejected"] == stats["input"], stats_file
