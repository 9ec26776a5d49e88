"""The demo's question pool, written by the project: answers are computed, not typed.

A few dozen short math questions (arithmetic, remainders, divisors, ...) and about ten
small stdin/stdout programming problems whose tests are produced by a reference
solution. Two teacher "styles" give the reference trajectories the demo's tiny
teachers are trained on: each teacher learns one way of thinking aloud.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass


__all__ = ["MATH_INSTRUCTION", "CodeProblem", "MathProblem", "code_problems", "math_problems", "trajectory"]


#: what the ded_* math tasks append to every problem (evals/ded_aime/_ded_math_yaml); the demo's
#: models are taught with it, so the evaluation asks exactly what was taught
MATH_INSTRUCTION = "\nPlease reason step by step, and put your final answer within \\boxed{}."


@dataclass(frozen=True)
class MathProblem:
    id: str
    prompt: str
    answer: int
    work: str

    @property
    def user_prompt(self) -> str:
        """The question as the student sees it."""
        return self.prompt + MATH_INSTRUCTION


@dataclass(frozen=True)
class CodeProblem:
    id: str
    prompt: str
    solution: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]

    @property
    def user_prompt(self) -> str:
        """The question as the student sees it."""
        return self.prompt


def math_problems(n: int = 36, seed: int = 0) -> list[MathProblem]:
    """``n`` questions cycling through six kinds; each answer is computed here."""
    rng = random.Random(seed)
    kinds: list[Callable[[random.Random], tuple[str, int, str]]] = [
        lambda r: _binary(r, "+", "What is {a} + {b}?", lambda a, b: a + b),
        lambda r: _binary(r, "*", "What is {a} times {b}?", lambda a, b: a * b),
        lambda r: _binary(r, "-", "Compute {a} - {b}.", lambda a, b: a - b),
        _remainder,
        _divisors,
        _square,
    ]
    out = []
    for i in range(n):
        prompt, answer, work = kinds[i % len(kinds)](rng)
        out.append(MathProblem(id=f"math-{i:02d}", prompt=prompt, answer=answer, work=work))
    return out


def _binary(r: random.Random, op: str, text: str, f: Callable[[int, int], int]) -> tuple[str, int, str]:
    a, b = r.randint(2, 40), r.randint(2, 19)
    return text.format(a=a, b=b), f(a, b), f"{a} {op} {b} = {f(a, b)}"


def _remainder(r: random.Random) -> tuple[str, int, str]:
    a, b = r.randint(20, 99), r.randint(3, 9)
    return f"What is the remainder when {a} is divided by {b}?", a % b, f"{a} = {b} * {a // b} + {a % b}"


def _divisors(r: random.Random) -> tuple[str, int, str]:
    n = r.choice([12, 18, 20, 24, 28, 30, 36, 40, 42, 48])
    divs = [d for d in range(1, n + 1) if n % d == 0]
    return f"How many positive divisors does {n} have?", len(divs), f"divisors {' '.join(map(str, divs))}"


def _square(r: random.Random) -> tuple[str, int, str]:
    a = r.randint(3, 25)
    return f"What is {a} squared?", a * a, f"{a} * {a} = {a * a}"


_CODE: list[tuple[str, str, str, Callable[[str], str], list[str]]] = [
    (
        "add",
        "Read two integers on one line and print their sum.",
        "a, b = map(int, input().split())\nprint(a + b)",
        lambda s: str(sum(map(int, s.split()))),
        ["1 2", "10 -3", "0 0", "7 8"],
    ),
    (
        "max",
        "Read integers on one line and print the largest.",
        "print(max(map(int, input().split())))",
        lambda s: str(max(map(int, s.split()))),
        ["1 5 3", "-1 -7", "4", "9 9 2"],
    ),
    (
        "rev",
        "Read a word and print it reversed.",
        "print(input().strip()[::-1])",
        lambda s: s.strip()[::-1],
        ["abc", "level", "xy", "hello"],
    ),
    (
        "vowels",
        "Read a word and print how many vowels it has.",
        "print(sum(c in 'aeiou' for c in input()))",
        lambda s: str(sum(c in "aeiou" for c in s)),
        ["banana", "sky", "queue", "idea"],
    ),
    (
        "fact",
        "Read n and print n factorial.",
        "import math\nprint(math.factorial(int(input())))",
        lambda s: str(math.factorial(int(s))),
        ["0", "3", "5", "7"],
    ),
    (
        "square",
        "Read n and print n squared.",
        "n = int(input())\nprint(n * n)",
        lambda s: str(int(s) ** 2),
        ["3", "-4", "0", "12"],
    ),
    (
        "even",
        "Read n and print yes if it is even, else no.",
        "print('yes' if int(input()) % 2 == 0 else 'no')",
        lambda s: "yes" if int(s) % 2 == 0 else "no",
        ["2", "7", "0", "13"],
    ),
    (
        "sorted",
        "Read integers on one line and print them sorted.",
        "print(*sorted(map(int, input().split())))",
        lambda s: " ".join(map(str, sorted(map(int, s.split())))),
        ["3 1 2", "5", "9 -1 4", "2 2 1"],
    ),
    (
        "gcd",
        "Read two integers and print their greatest common divisor.",
        "import math\na, b = map(int, input().split())\nprint(math.gcd(a, b))",
        lambda s: str(math.gcd(*map(int, s.split()))),
        ["12 18", "7 5", "20 30", "9 27"],
    ),
    (
        "upper",
        "Read a line and print it in upper case.",
        "print(input().upper())",
        lambda s: s.upper(),
        ["abc", "Hello", "x y", "ok"],
    ),
]


def code_problems() -> list[CodeProblem]:
    """About ten stdin/stdout problems; expected outputs come from the reference function."""
    out = []
    for name, prompt, solution, ref, cases in _CODE:
        out.append(
            CodeProblem(
                id=f"code-{name}",
                prompt=prompt,
                solution=solution,
                inputs=tuple(c + "\n" for c in cases),
                outputs=tuple(ref(c) + "\n" for c in cases),
            )
        )
    return out


_MATH_STYLES = {
    "teacher_a": (
        "<think>\nLet me work it out. {work}. So the answer is {answer}.\n</think>\n\n"
        "The answer is $\\boxed{{{answer}}}$."
    ),
    "teacher_b": "<think>\n{work}.\n</think>\n\n$\\boxed{{{answer}}}$",
}
_CODE_STYLES = {
    "teacher_a": (
        "<think>\nRead the input, compute, print the result.\n</think>\n\n```python\n{solution}\n```"
    ),
    "teacher_b": "<think>\nSimple.\n</think>\n\n```python\n{solution}\n```",
}


def trajectory(style: str, problem: MathProblem | CodeProblem) -> str:
    """A teacher-style reference response to ``problem``."""
    if isinstance(problem, MathProblem):
        return _MATH_STYLES[style].format(work=problem.work, answer=problem.answer)
    return _CODE_STYLES[style].format(solution=problem.solution)
