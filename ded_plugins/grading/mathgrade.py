"""Public math grading: :func:`math_equal` for bare answers, :func:`grade_math` for responses."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from ded_plugins.grading.answer import Expr, parse_answer
from ded_plugins.grading.compare import answers_equal, values_equal
from ded_plugins.grading.extract import THINK_CLOSE, answer_section, extract_answer
from ded_plugins.grading.normalize import normalize_answer


__all__ = ["MathGrade", "grade_math", "math_equal"]

log = logging.getLogger(__name__)

_INTEGER = re.compile(r"[+-]?\d+")
_DEGREES = re.compile(r"\\circ|°|\\degree|\bdegrees?\b")


@dataclass(frozen=True, slots=True)
class MathGrade:
    """The verdict on one response.

    ``reason``: ``correct``, ``wrong``, ``no_answer`` (no final answer: unfinished thinking
    or nothing extractable) or ``timeout`` (only from :func:`grade_many`).
    ``rule`` says where the answer came from: ``boxed``, ``phrase`` or ``none``.
    """

    correct: bool
    extracted: str | None
    reason: str
    rule: str = "none"
    think_finished: bool = False


def math_equal(candidate: str, gold: str) -> bool:
    """Is ``candidate`` (a bare answer, LaTeX or plain) equivalent to ``gold``? Never raises."""
    try:
        return _math_equal(candidate, gold)
    except Exception:  # anything unforeseen in sympy on odd input is "not shown equal"
        log.debug("math_equal failed for %r vs %r", candidate[:80], gold[:80], exc_info=True)
        return False


def _math_equal(candidate: str, gold: str) -> bool:
    cand_n, gold_n = normalize_answer(candidate), normalize_answer(gold)
    if not cand_n or not gold_n:
        return False
    if _INTEGER.fullmatch(gold_n) and _INTEGER.fullmatch(cand_n):  # AIME: "025" is 25
        return int(gold_n) == int(cand_n)
    if cand_n == gold_n:
        return True
    g, c = parse_answer(gold), parse_answer(candidate)
    equal = answers_equal(g, c)
    if not equal and (_DEGREES.search(candidate) is None) != (_DEGREES.search(gold) is None):
        # one side in degrees, the other in radians (with pi): compare the angle
        deg, rad = (candidate, gold) if _DEGREES.search(candidate) else (gold, candidate)
        if "pi" in rad or "π" in rad:
            d, r = parse_answer(deg), parse_answer(rad)
            if isinstance(d, Expr) and isinstance(r, Expr):
                import sympy

                equal = values_equal(d.value * sympy.pi / 180, r.value)
    return equal


def grade_math(response: str, gold: str, *, require_think_end: bool = False) -> MathGrade:
    """Grade a full response against the reference answer ``gold``.

    Only the text after the last ``</think>`` counts; a response that never closed its
    thinking has no answer (see :mod:`ded_plugins.grading.extract` for the rules).
    """
    finished = THINK_CLOSE in response
    section = answer_section(response, require_think_end=require_think_end)
    if section is None:
        return MathGrade(False, None, "no_answer", think_finished=finished)
    answer, rule = extract_answer(section)
    if answer is None:
        return MathGrade(False, None, "no_answer", rule, finished)
    correct = math_equal(answer, gold)
    return MathGrade(correct, answer, "correct" if correct else "wrong", rule, finished)
