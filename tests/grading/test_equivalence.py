"""Golden equivalence cases (written for this project): what must match and what must not."""

from __future__ import annotations

import pytest

from ded_plugins.grading import grade_math, math_equal


EQUIVALENT = [
    ("25", "025"),  # AIME: integers compare as integers
    ("0", "000"),
    ("\\frac{1}{2}", "0.5"),
    ("\\dfrac{3}{4}", "\\frac34"),
    ("\\tfrac{\\sqrt{3}}{2}", "\\frac{\\sqrt3}{2}"),
    ("\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}"),
    ("2\\sqrt{3}", "\\sqrt{12}"),
    ("10080", "10,\\!080"),
    ("\\$32,\\!348", "32348"),
    ("30^\\circ", "30"),
    ("\\frac{270}{7}\\text{ degrees}", "\\frac{270}7"),
    ("5.4\\text{ cents}", "5.4"),
    ("25\\%", "25"),
    ("\\text{(C)}", "C"),
    ("(C)", "C"),
    ("\\text{Evelyn}", "evelyn"),
    ("\\text{even}", "Even"),
    ("(3, \\frac{\\pi}{2})", "\\left( 3, \\frac{\\pi}{2} \\right)"),
    ("\\{1, 2, 3\\}", "\\{3, 1, 2\\}"),  # sets are unordered
    ("1, -2", "-2, 1"),  # a list of solutions is unordered
    ("3 \\pm 2\\sqrt{2}", "3 + 2\\sqrt{2}, 3 - 2\\sqrt{2}"),
    ("[-2, 7]", "x \\in [-2,7]"),
    ("(-\\infty, 0) \\cup (1, \\infty)", "(-\\infty,0)\\cup(1,+\\infty)"),
    ("x \\geq 3", "[3, \\infty)"),
    ("0 < x < 1", "(0, 1)"),
    ("\\begin{pmatrix} 1 \\\\ -2 \\end{pmatrix}", "(1, -2)"),
    ("\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}"),
    ("y = 2x + 3", "2x+3"),
    ("k = 4", "4"),
    ("f(x) = x^2 - 1", "(x-1)(x+1)"),
    ("\\frac{x+1}{2}", "\\frac{1}{2}x + \\frac12"),
    ("\\sin^2 x + \\cos^2 x", "1"),
    ("e^{i\\pi}", "-1"),
    ("2 \\times 10^{-3}", "0.002"),
    ("12^{\\mathrm{th}}", "12"),
    ("\\frac{1}{3}", "0.333"),  # a decimal at 3 significant digits stands for what rounds to it
    ("4\\frac{1}{2}", "4.5"),  # mixed number
    ("x=5", "x = 5"),
    ("n\\pi", "k\\pi"),  # one free variable may be renamed
    ("3:2", "1.5"),
    ("6.02 \\times 10^{23}", "6.02e23"),
    ("\\sqrt{2}e^{i\\pi/4}", "1 + i"),  # complex values
    ("\\frac{639}{40}", "15\\frac{39}{40}, \\frac{639}{40}"),  # one answer written two ways
    ("C x^2 + 1", "c x^2 + 1"),  # a constant renamed by case only
    ("f(z) = z", "f(x) = x"),
    ("y + 1 = -(2x-1)^2", "-4x^2 + 4x - 2"),  # the gold equation solved for the variable it defines
    ("\\frac{\\pi}{6}", "30^\\circ"),  # degrees against radians
    ("\\mathbb{R} \\setminus \\{0\\}", "(-\\infty, 0) \\cup (0, \\infty)"),  # set difference
    ("\\{x \\mid x > 2\\}", "(2, \\infty)"),  # set-builder notation
    ("(0, \\sqrt{2}.]", "(0, \\sqrt{2}]"),  # a sentence's full stop inside the gold
]

DIFFERENT = [
    ("25", "26"),
    ("5", "0.05"),  # no percent x100 leniency
    ("5", "500"),
    ("12345", "12346"),  # no relative tolerance
    ("6290000", "6290001"),
    ("\\frac{1}{2004!}", "\\frac{1}{2006!}"),  # tiny but different exact values
    ("\\pi", "3.14"),
    ("\\frac{1}{2}", "0.48"),  # too few significant digits for the decimal rule
    ("(3, 4]", "[3, 4)"),  # interval ends matter
    ("(1, 2)", "[1, 2]"),
    ("(1, 2)", "(2, 1)"),  # tuples are ordered
    ("1, 2", "1"),  # a part of a multi-part answer is not the answer
    ("1331, 1728", "1728"),
    ("\\{1, 2, 3\\}", "\\{1, 2\\}"),
    ("\\text{odd}", "\\text{even}"),
    ("B", "C"),  # choice letters are no variables to rename
    ("\\sqrt{2}", "1.414"),  # an answer in terms of a root is not its decimal expansion
    ("x^2", "x^3"),
    ("3x - y + 13 = 0", "3x + 4y + 14 = 0"),
    ("10000", "9999.857"),  # a decimal answer for an integer gold
    ("4:30", "2:15"),
    ("", "5"),
    ("5", ""),
    ("\\mathbb{R} \\setminus \\{0\\}", "(-\\infty, 0) \\cup (1, \\infty)"),
    ("\\{x \\mid x > 2\\}", "[2, \\infty)"),
    ("a + 1", "b + 1"),  # a and b are given quantities, not dummy variables
    ("(x, y)", "(y, x)"),
    ("\\frac{639}{40}", "15\\frac{39}{40}, 16"),
    ("e^{-10000}", "e^{-10001}"),  # tiny irrational values: no double-precision underflow
    ("\\sqrt{2}e^{i\\pi/4}", "1 - i"),
]


@pytest.mark.parametrize(("gold", "candidate"), EQUIVALENT)
def test_equivalent(gold: str, candidate: str) -> None:
    assert math_equal(candidate, gold)


@pytest.mark.parametrize(("gold", "candidate"), DIFFERENT)
def test_different(gold: str, candidate: str) -> None:
    assert not math_equal(candidate, gold)


def test_decimal_rule_needs_three_significant_digits_and_a_rational_value() -> None:
    assert math_equal("85.71", "\\frac{600}{7}") and math_equal("0.458", "\\frac{27}{59}")
    assert not math_equal("85.72", "\\frac{600}{7}")
    assert math_equal("300", "299.94")  # an integer answer for a decimal gold
    assert not math_equal("3", "2.5")  # ... but not at one significant digit


def test_huge_numbers_are_refused_not_computed() -> None:
    assert not math_equal("9^{9^{9}}", "1")
    assert not math_equal("(10^{7})!", "1")


def test_junk_is_wrong_not_an_error() -> None:
    for junk in ("\\frac{", "__import__('os').system('true')", "}}}{{", "\\undefinedcommand{3}", "a.b.c"):
        assert not math_equal(junk, "3")


@pytest.mark.timeout(120)
def test_fuzz_never_raises() -> None:
    import random

    from ded_plugins.grading.normalize import normalize_answer

    pieces = [
        "\\frac{", "}", "{", "\\sqrt", "^", "_", "(", ")", "[", "]", ",", "x", "2", "0", "-", "+", "=", "<",
        "\\leq", "\\pi", "\\infty", "\\cup", "\\text{", "and", " ", "\\{", "\\}", "!", ":", ".", "\\pm",
        "\\begin{pmatrix}", "\\\\", "&", "\\end{pmatrix}", "%", "^\\circ", "e", "i", "\\left(", "\\right)",
    ]  # fmt: skip
    rng = random.Random(0)
    for _ in range(400):
        a = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        b = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        assert isinstance(math_equal(a, b), bool)
        assert math_equal(a, a) == bool(normalize_answer(a))  # reflexive whenever there is an answer


# --- every form named in issue 13's "Why": (gold, equivalents, near misses) --------------------

WHY_FORMS = [
    # relations keep their direction and strictness
    (
        "x>=5",
        ["x \\geq 5", "5 \\leq x", "x \\ge 5", "[5, \\infty)"],
        ["x<=5", "x > 5", "x \\leq 5", "(5, \\infty)"],
    ),
    (
        "x \\gt 3",
        ["3 < x", "x > 3", "3 \\lt x", "(3, \\infty)"],
        ["x \\lt 3", "x \\geq 3", "3 > x", "(-\\infty, 3)"],
    ),
    (
        "1 \\leq |x| \\leq 3/2",
        ["\\frac{3}{2} \\geq |x| \\geq 1", "[-\\frac32, -1] \\cup [1, \\frac32]"],
        ["1 \\geq |x| \\geq 3/2", "1 < |x| \\leq 3/2", "1 \\leq x \\leq 3/2"],
    ),
    ("1 \\le x < 3", ["[1, 3)", "3 > x \\geq 1"], ["[1, 3]", "1 < x < 3", "1 \\geq x > 3"]),
    (
        "x \\neq 3",
        ["x \\ne 3", "x != 3", "(-\\infty, 3) \\cup (3, \\infty)"],
        ["x! = 3", "x = 3", "x \\neq -3"],
    ),
    ("x + y \\leq 3", ["3 \\geq x + y", "2x + 2y \\leq 6"], ["x + y \\geq 3", "x + y < 3", "x - y \\leq 3"]),
    # thousands separators, never a product of digit groups
    ("1 000", ["1000", "1{,}000", "1\\,000"], ["0", "1\\cdot 000", "100", "1001"]),
    ("14916", ["14{,}916", "14\\,916", "14 916"], ["14{,}917", "14.916", "14 \\cdot 916"]),
    ("32349", ["32,\\! 349", "32,349"], ["32,\\! 348", "32"]),
    ("11111100", ["11,\\! 111,\\! 100"], ["11,\\! 111,\\! 000", "11,\\! 111"]),
    # zero-padded golds are their integer
    (
        "025",
        ["25", "x = 25", "5^{2}", "025", "0025", "\\frac{50}{2}"],
        ["x = 0", "0.0", "\\frac{0}{7}", "x = 024", "0"],
    ),
    # equations with the variables swapped are different lines
    (
        "y = 2x + 3",
        ["y = 3 + 2x", "2x + 3", "f(x) = 2x + 3", "y - 2x = 3"],
        ["x = 2y + 3", "2y + 3", "y = 2x - 3"],
    ),
    # quantity = value golds, any left side
    (
        "S_{MBCN}:S = 7:32",
        ["7:32", "\\frac{7}{32}", "0.21875", "S_{MBCN}:S = 7:32"],
        ["7:33", "\\frac{32}{7}", "32:7"],
    ),
    ("|AB| = 1", ["1", "|AB| = 1", "AB = 1"], ["2", "-1", "|AB| = 2"]),
    # plain braces are a set
    (
        "{2, 3, 5}",
        ["\\{2, 3, 5\\}", "\\{5, 3, 2\\}", "{3, 2, 5}"],
        ["{2, 3}", "{2, 3, 6}", "\\{2, 3, 5, 7\\}"],
    ),
    ("\\{2, 3, 5\\}", ["{2, 3, 5}"], ["{2, 3, 4}"]),
    # units and currency: dropped when the numbers match and the units do not differ
    ("1000.99", ["1,000.99€", "\\$1,000.99", "1000.99 \\text{ dollars}"], ["1,000.98€", "100.99€"]),
    ("12", ["12 m^2", "12\\textnormal{ miles}", "12 \\text{ cm}"], ["13 m^2", "12 m^2 + 1", "12m"]),
    (
        "5 \\text{ miles}",
        ["5", "5 \\textnormal{ mile}", "5\\text{mi}"],
        ["5 \\text{ km}", "5 \\text{ hours}", "6 \\text{ miles}"],
    ),
    (
        "15\\mbox{ cm}^2",
        ["15", "15 cm^2", "15 \\text{ square centimeters}"],
        ["16", "15\\mbox{ cm}^3", "15 \\text{ m}^2"],
    ),
    # decimals as interval ends follow the rounding rule of bare decimals
    (
        "(\\frac35, \\frac83]",
        ["(0.6, 2.6667]", "(0.600, 2.667]"],
        ["(0.6, 2.6666]", "[0.6, 2.6667]", "(0.6, 2.6]"],
    ),
    ("(0.6, 2.6667]", ["(\\frac35, \\frac83]"], ["(\\frac35, \\frac73]"]),
    # mixed numbers
    (
        "1\\frac45",
        ["\\frac95", "1.8", "1 \\frac{4}{5}", "\\frac{9}{5}"],
        ["\\frac45", "1\\frac{4}{6}", "\\frac{4}{5}"],
    ),
    # matrices written with array
    (
        "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}",
        [
            "\\left(\\begin{array}{cc} 1 & 2 \\\\ 3 & 4 \\end{array}\\right)",
            "\\begin{array}{cc} 1 & 2 \\\\ 3 & 4 \\end{array}",
        ],
        [
            "\\left(\\begin{array}{cc} 1 & 2 \\\\ 3 & 5 \\end{array}\\right)",
            "\\left(\\begin{array}{cc} 1 & 3 \\\\ 2 & 4 \\end{array}\\right)",
        ],
    ),
    # finite sums are evaluated
    (
        "55",
        ["\\sum_{k=1}^{10} k", "\\sum_{i=1}^{10} i", "\\sum_{k=0}^{10} k"],
        ["\\sum_{k=1}^{11} k", "\\sum_{k=1}^{10} k^2"],
    ),
    ("\\frac{n(n+1)}{2}", ["\\sum_{k=1}^{n} k"], ["\\sum_{k=1}^{n-1} k", "\\sum_{k=1}^{n} k^2"]),
    ("120", ["\\prod_{i=1}^{5} i", "5!"], ["\\prod_{i=1}^{4} i", "6!"]),
    # the ordering asked for, listed
    ("b < a < d < c", ["b, a, d, c", "c > d > a > b"], ["a, b, c, d", "c, d, a, b", "a < b < c < d"]),
]


@pytest.mark.parametrize(("gold", "equivalents", "near_misses"), WHY_FORMS)
def test_why_forms(gold: str, equivalents: list[str], near_misses: list[str]) -> None:
    accepted = [c for c in equivalents if not math_equal(c, gold)]
    wrongly = [c for c in near_misses if math_equal(c, gold)]
    assert (accepted, wrongly) == ([], [])


def test_several_boxes_are_one_answer_in_parts() -> None:
    assert grade_math("The roots are $\\boxed{1} \\text{ and } \\boxed{-2}$.", "1, -2").correct
    assert grade_math("so $x = \\boxed{1}$ or $x = \\boxed{-2}$", "-2, 1").correct
    assert not grade_math("The roots are $\\boxed{1} \\text{ and } \\boxed{2}$.", "1, -2").correct
    assert not grade_math("The roots are $\\boxed{1} \\text{ and } \\boxed{-2}$.", "1").correct  # extra part
    assert not grade_math("The root is $\\boxed{1}$.", "1, -2").correct  # a part is not the answer


def test_factorial_only_where_it_is_one() -> None:
    assert math_equal("x! = 6", "x! = 6") and not math_equal("x! = 6", "x \\neq 6")
    assert math_equal("3!", "6") and not math_equal("3", "6")
    assert grade_math("so the answer is 12!", "12").correct  # a sentence's exclamation mark
    assert grade_math("the answer is $3!$", "6").correct  # inside math it is a factorial


def test_unparsable_answers_keep_every_operator() -> None:
    # neither side parses; the comparison still sees every operator, sign, digit and letter
    assert math_equal("\\forall x > 0, 3^x \\geq x^2", "∀x＞0, 3<sup>x</sup>≥x<sup>2</sup>")
    assert not math_equal("\\forall x > 0, 3^x \\geq x", "\\forall x > 0, 3^x \\geq x^2")
    assert not math_equal("\\forall x < 0, 3^x \\geq x^2", "\\forall x > 0, 3^x \\geq x^2")
    assert not math_equal("a \\cdots b", "a + \\cdots + b")
    assert not math_equal("a - \\cdots - b", "a + \\cdots + b")


def test_percent_is_a_fraction_of_one_hundred() -> None:
    assert (
        math_equal("\\frac{1}{15}", "6.67\\%") and math_equal("0.25", "25\\%") and math_equal("25", "25\\%")
    )
    assert math_equal("25\\%", "0.25")
    assert not math_equal("\\frac{1}{8}", "6.67\\%") and not math_equal("0.025", "25\\%")
    assert not math_equal("5", "0.05")  # no percent leniency without a percent sign


def test_base_numerals_are_their_digits() -> None:
    assert math_equal("52", "52_8") and math_equal("52_{8}", "52_8")
    assert not math_equal("-52_8", "52_8") and not math_equal("42", "52_8") and not math_equal("52_9", "52_8")
    assert not math_equal("b_{12}", "11")  # a subscripted variable is no numeral


def test_a_short_answer_inside_a_sentence_but_never_a_negated_one() -> None:
    assert math_equal("odd", "The transformed function $f(x+1)-1$ is odd.")
    assert not math_equal("odd", "The transformed function is not odd.")
    assert not math_equal("even", "The transformed function $f(x+1)-1$ is odd.")
