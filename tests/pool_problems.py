"""MATH-style problems written for these tests (templates + seeded numbers; not copied from anywhere).

They use the phrasing competition problems share ("Express your answer as a common
fraction.", "What is the probability that", Asymptote figures) so that a matcher that
counts boilerplate would flag them.
"""

from __future__ import annotations

import random


NAMES = ["Priya", "Tomasz", "Amara", "Kenji", "Lucia", "Omar", "Ingrid", "Mateo", "Zainab", "Felix"]
ITEMS = ["marbles", "stamps", "pencils", "seashells", "postcards", "buttons"]
SHAPES = ["rectangle", "parallelogram", "trapezoid", "rhombus"]


def _templates(r: random.Random) -> list[str]:
    a, b, c = r.randint(2, 40), r.randint(2, 40), r.randint(2, 9)
    n1, n2 = r.sample(NAMES, 2)
    item = r.choice(ITEMS)
    shape = r.choice(SHAPES)
    return [
        f"{n1} has {a} {item} and gives {c} of them to {n2} each day. After how many days will {n1} have "
        f"fewer than {b} {item} left if {n2} returns one every other day?",
        f"A bag holds {a} teal tiles and {b} amber tiles. Two tiles are drawn without replacement. "
        "What is the probability that both tiles are teal? Express your answer as a common fraction.",
        f"The perimeter of a {shape} drawn on a grid of unit squares is ${2 * (a + b)}$ units and one "
        f"side has length ${a}$. If every vertex lies on a lattice point, how many such figures fit inside "
        f"a ${a + b} \\times {a + b}$ board without overlapping?",
        f"Let $f(x) = {c}x^2 - {a}x + {b}$. For how many integers $k$ with $-{a} \\le k \\le {b}$ is "
        f"$f(k)$ divisible by ${c + 1}$?",
        f"Find the remainder when ${a}^{{{b}}} + {c}^{{{a}}}$ is divided by ${c + 10}$.",
        f"In triangle $PQR$, $PQ = {a + b}$, $QR = {a + c}$ and the median from $P$ has length ${b + c}$. "
        "Find the area of triangle $PQR$. Express your answer in simplest radical form.",
        f"How many positive divisors of ${a * b * c}$ are also multiples of ${c}$ but not of ${c * c}$?",
        f"A train leaves the station at {c} p.m. travelling at {a + 30} miles per hour; a second train "
        f"leaves {b} minutes later at {a + 45} miles per hour on a parallel track. At what time does the "
        "second train catch up? Express your answer as a decimal to the nearest hundredth of an hour.",
        f"The sequence $s_1, s_2, \\ldots$ satisfies $s_1 = {c}$ and $s_{{n+1}} = s_n^2 - {a} s_n + {b}$. "
        f"What is the units digit of $s_{{{a + b}}}$?",
        f"Square $WXYZ$ has side length ${c}$. Point $M$ is on $\\overline{{XY}}$ with $XM = {c - 1}$.\n\n"
        '[asy]\ndraw((0,0)--(1,0)--(1,1)--(0,1)--cycle);\nlabel("$W$",(0,0),SW);\n'
        'label("$X$",(1,0),SE);\n[/asy]\n\nWhat is the area of triangle $WMZ$?',
        f"{n1} rolls {c} fair six-sided dice. What is the probability that the sum of the numbers shown is "
        f"exactly {a}? Express your answer as a common fraction.",
        f"For how many ordered pairs of positive integers $(m, n)$ is $\\frac{{1}}{{m}} + \\frac{{1}}{{n}} "
        f"= \\frac{{1}}{{{a}}}$ and $m < n + {b}$?",
    ]


def generated_problems(count: int, seed: int = 0) -> list[str]:
    """``count`` distinct problems, cycling through the templates with fresh numbers."""
    r = random.Random(seed)
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < count:
        for text in _templates(r):
            if text not in seen and len(out) < count:
                seen.add(text)
                out.append(text)
    return out


def read_jsonl(path: object) -> list[dict[str, object]]:
    """Rows of a JSONL file (test helper; the code under test reads through ded_plugins.io)."""
    import json
    from pathlib import Path

    text = Path(str(path)).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


#: the DeepSeek-R1 paper's LiveCodeBench window, inside the o1 files' dates (theirs end 2025-01-04)
LCB_WINDOW = ("2024-08-01", "2025-02-01")
