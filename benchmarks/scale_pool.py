"""A generated curation pool of reasoning-like rollouts, for the scale benchmarks.

``write_pool(out, questions=N)`` writes, from a seed and question by question (memory stays
that of one question):

* ``questions.jsonl``: N math questions with integer answers;
* ``teacher.jsonl``: 16 teacher samples per question of about 12,000 characters (a think
  block of reasoning-like sentences with numbers, then a boxed answer); 3% without a
  closing ``</think>``, 4% four times longer than the rest;
* ``student.jsonl``: 8 student samples per question (role ``student``), about 3,000
  characters;
* a quarter of the questions are hard, as in DED's own pool (s1K: 830 of 1,000 answered
  right by the teacher, 237 still failed by the student): the teacher is right on 60% of
  the samples of a hard question and 85% of an easy one; the student solves a hard
  question in 0-50% of its samples and an easy one in 60-100%;
* ``tokenizer/``: a tiny byte-level BPE tokenizer (with a model config) for ``length``.

A ``.complete`` marker holds the arguments; an existing pool with the same ones is reused.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path


__all__ = ["STUDENT_SAMPLES", "TEACHER_SAMPLES", "write_pool"]

TEACHER_SAMPLES = 16
STUDENT_SAMPLES = 8

_OPENERS = [
    "Okay, so I need to figure out this problem step by step.",
    "Let me start by restating what is given.",
    "First, let me understand what the question is asking.",
]
_MOVES = [
    "Wait, let me double-check that calculation.",
    "Hmm, that doesn't seem right. Let me reconsider.",
    "Alternatively, I could approach this differently.",
    "Let me verify this with a small example.",
    "So, putting it all together,",
    "That means the remaining part must be handled separately.",
    "I should be careful with the signs here.",
]
_WORDS = [
    "the",
    "a",
    "of",
    "to",
    "and",
    "is",
    "in",
    "that",
    "we",
    "for",
    "it",
    "as",
    "with",
    "equation",
    "value",
    "sum",
    "root",
    "triangle",
    "prime",
    "modulo",
    "integer",
    "divisor",
    "remainder",
    "factor",
    "square",
    "product",
    "difference",
    "angle",
    "side",
    "length",
    "area",
    "term",
    "sequence",
    "digit",
    "number",
    "case",
    "bound",
]


def _sentence(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return rng.choice(_MOVES)
    words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 20)))
    a, b = rng.randint(2, 999), rng.randint(2, 999)
    op = rng.choice("+-*")
    value = a + b if op == "+" else a - b if op == "-" else a * b
    return f"{words.capitalize()}: {a} {op} {b} = {value}."


_BANK: list[str] = []


def _bank() -> list[str]:
    """20,000 sentences made once; a text is a random draw of them (fast: no per-word Python)."""
    if not _BANK:
        rng = random.Random(12345)
        _BANK.extend((" " if rng.random() < 0.85 else "\n\n") + _sentence(rng) for _ in range(20_000))
    return _BANK


def _text(rng: random.Random, target: int, answer: int, *, closed: bool = True) -> str:
    bank = _bank()
    body = "".join(rng.choices(bank, k=max(1, target // 75)))  # a sentence is ~75 characters
    end = f"\n</think>\n\nSo the final answer is $\\boxed{{{answer}}}$." if closed else ""
    return f"<think>\n{rng.choice(_OPENERS)}{body}{end}"


def _questions(n: int, seed: int) -> Iterator[tuple[str, int, str]]:
    rng = random.Random(seed)
    for i in range(n):
        a, b, c = rng.randint(10, 999), rng.randint(10, 999), rng.randint(2, 9)
        yield f"q{i:06d}", a * c + b, f"Compute {a} times {c}, plus {b}. Put the final answer in \\boxed{{}}."


def write_pool(out: Path, *, questions: int, seed: int = 0, chars: int = 12_000) -> Path:
    """Write (or reuse) the pool in ``out``; see the module docstring."""
    key = json.dumps({"questions": questions, "seed": seed, "chars": chars, "version": 1})
    marker = out / ".complete"
    if marker.is_file() and marker.read_text() == key:
        return out
    out.mkdir(parents=True, exist_ok=True)
    with (
        (out / "questions.jsonl").open("w") as qf,
        (out / "teacher.jsonl").open("w") as tf,
        (out / "student.jsonl").open("w") as sf,
    ):
        for qid, answer, prompt in _questions(questions, seed):
            qf.write(
                json.dumps({"id": qid, "domain": "math", "prompt": prompt, "answer": str(answer)}) + "\n"
            )
            rng = random.Random(f"{seed}:{qid}")
            # DED's s1K pool: 1,000 questions, 830 answered right by the teacher, 237 still failed by
            # the student (paper, section 3.2): about a quarter of the questions are hard
            hard = rng.random() < 0.25
            for i in range(TEACHER_SAMPLES):
                right = rng.random() < (0.6 if hard else 0.85)
                given = answer if right else answer + rng.randint(1, 50)
                target = int(chars * rng.uniform(0.8, 1.2)) * (4 if rng.random() < 0.04 else 1)
                text = _text(rng, target, given, closed=rng.random() >= 0.03)
                row = {"question_id": qid, "model": "teacher", "sample_index": i, "text": text}
                tf.write(json.dumps(row) + "\n")
            skill = rng.uniform(0.0, 0.5) if hard else rng.uniform(0.6, 1.0)
            for i in range(STUDENT_SAMPLES):
                given = answer if rng.random() < skill else answer - rng.randint(1, 50)
                text = _text(rng, chars // 4, given)
                row = {
                    "question_id": qid,
                    "model": "student",
                    "sample_index": i,
                    "role": "student",
                    "text": text,
                }
                sf.write(json.dumps(row) + "\n")
    _tokenizer(out / "tokenizer", seed)
    marker.write_text(key)
    return out


def _tokenizer(path: Path, seed: int) -> None:
    """A tiny tokenizer and model config, trained on text like the pool's."""
    from ded_plugins.tiny import build_tiny_model

    rng = random.Random(seed)
    corpus = [_text(rng, 2_000, 0) for _ in range(20)]
    build_tiny_model(path, seed=seed, hidden_size=32, num_layers=1, corpus=corpus)
