"""Writes the example pool used by the curation tests (run: python generate.py).

A handful of math and programming questions, three samples each from two teachers,
and two student samples per question. The samples are written to exercise every
stage: right and wrong answers, broken thinking blocks, an over-long trajectory,
near-duplicates for the diversity stage, and questions the student already solves.
"""

from __future__ import annotations

import json
from pathlib import Path


HERE = Path(__file__).parent

MATH = [
    ("m1", "What is 7 times 6?", "42", "7 * 6 = 42", "41"),
    ("m2", "Compute 1/2 + 1/3 as a fraction.", "\\frac{5}{6}", "1/2 + 1/3 = 3/6 + 2/6 = 5/6", "\\frac{2}{5}"),
    ("m3", "How many positive divisors does 36 have?", "9", "36 = 2^2 3^2 so (2+1)(2+1) = 9", "8"),
    ("m4", "Solve for x: 2x + 3 = 11.", "4", "2x = 8 so x = 4", "7"),
    (
        "m5",
        "What is the sum of the interior angles of a hexagon, in degrees?",
        "720",
        "(6-2)*180 = 720",
        "540",
    ),
]

CODE = [
    (
        "c1",
        "Read two integers a and b from one line of standard input and print a + b.",
        {"inputs": ["1 2\n", "10 -3\n"], "outputs": ["3\n", "7\n"], "fn_name": None, "timeout_s": 4},
        "a, b = map(int, input().split())\nprint(a + b)",
        "a, b = map(int, input().split())\nprint(a - b)",
    ),
    (
        "c2",
        "Read an integer n from standard input and print n squared.",
        {"inputs": ["3\n", "-4\n"], "outputs": ["9\n", "16\n"], "fn_name": None, "timeout_s": 4},
        "n = int(input())\nprint(n * n)",
        "n = int(input())\nprint(n + n)",
    ),
]

STYLES = [
    "Let me work through this carefully. {work}. Let me double-check the arithmetic once more; it holds.",
    "First I restate the problem in my own words, then solve it. {work}. Checking: consistent.",
    "Hmm, a quick approach: {work}. That seems right, so I am fairly confident.",
]


def math_text(style: int, work: str, answer: str) -> str:
    thought = STYLES[style].format(work=work)
    return f"<think>\n{thought}\n</think>\n\nThe final answer is $\\boxed{{{answer}}}$."


def code_text(style: int, code: str) -> str:
    thought = STYLES[style].format(work="I read the input, compute the result and print it")
    return f"<think>\n{thought}\n</think>\n\n```python\n{code}\n```"


def main() -> None:
    questions = []
    teacher: dict[str, list[dict[str, object]]] = {"teacher_a": [], "teacher_b": []}
    student = []
    for qid, prompt, answer, work, wrong in MATH:
        questions.append({"id": qid, "domain": "math", "prompt": prompt, "answer": answer})
        for t, name in enumerate(teacher):
            for s in range(3):
                if (t, s) == (1, 2):
                    text = math_text(s, work, wrong)  # a wrong answer
                elif (t, s) == (1, 1) and qid == "m2":
                    text = STYLES[1].format(work=work) + " \\boxed{" + answer + "}"  # no thinking block
                elif (t, s) == (0, 2) and qid == "m3":
                    text = math_text(
                        s, work + ". " + "Let me recount every divisor. " * 40, answer
                    )  # over-long
                else:
                    text = math_text((s + t) % 3, work, answer)
                teacher[name].append({"question_id": qid, "model": name, "sample_index": s, "text": text})
        solved = qid in ("m1", "m4")  # the student already solves these
        for s in range(2):
            text = math_text(s, work, answer if solved or (s == 1 and qid == "m5") else wrong)
            student.append(
                {"question_id": qid, "model": "student", "sample_index": s, "role": "student", "text": text}
            )
    for qid, prompt, tests, good, bad in CODE:
        questions.append({"id": qid, "domain": "code", "prompt": prompt, "tests": tests})
        for t, name in enumerate(teacher):
            for s in range(3):
                text = code_text((s + t) % 3, bad if (t, s) == (0, 1) else good)
                teacher[name].append({"question_id": qid, "model": name, "sample_index": s, "text": text})
        for s in range(2):
            text = code_text(s, good if qid == "c1" else bad)
            student.append(
                {"question_id": qid, "model": "student", "sample_index": s, "role": "student", "text": text}
            )
    write("questions.jsonl", questions)
    for name, rows in teacher.items():
        write(f"{name}.jsonl", rows)
    write("student.jsonl", student)


def write(name: str, rows: list[dict[str, object]]) -> None:
    with (HERE / name).open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
