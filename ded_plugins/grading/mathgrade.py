"""Public math grading: :func:`math_equal` for bare answers, :func:`grade_math` for responses,
:func:`explain_math` for the reasons behind a verdict."""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass
from typing import Any, Literal

from ded_plugins.grading.answer import parse_answer
from ded_plugins.grading.compare import Match, answers_equal
from ded_plugins.grading.extract import THINK_CLOSE, answer_section, extract_answer
from ded_plugins.grading.nodes import Expr, Node
from ded_plugins.grading.normalize import clean_answer
from ded_plugins.grading.values import values_equal


__all__ = ["MathExplanation", "MathGrade", "explain_math", "grade_math", "math_equal", "timeout_grade"]

log = logging.getLogger(__name__)

_INTEGER = re.compile(r"[+-]?\d+")
_DEGREES = re.compile(r"\\circ|°|\\degree|\bdegrees?\b")


@dataclass(frozen=True, slots=True)
class MathExplanation:
    """Why a response was graded as it was: what was extracted, how both sides parsed, which rule decided.

    ``gold_form``/``answer_form`` are the parsed structures (``value 25``, ``set Interval.open(3, oo)``,
    ``relation 3 < x``, ...); ``decided_by`` names the comparison rule.
    """

    correct: bool
    reason: str
    extracted: str | None
    extraction: str
    gold: str
    gold_form: str
    answer_form: str | None
    decided_by: str
    think_finished: bool

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (for verdict details and ``ded grade --jsonl``)."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class MathGrade:
    """The verdict on one response.

    ``reason``: ``correct``, ``wrong``, ``no_answer`` (no final answer: unfinished thinking
    or nothing extractable) or ``timeout`` (only from :func:`grade_many`).
    ``rule`` says where the answer came from: ``boxed``, ``phrase`` or ``none``.
    ``explanation`` is set when it was asked for (``explain=True``).
    """

    correct: bool
    extracted: str | None
    reason: str
    rule: str = "none"
    think_finished: bool = False
    explanation: MathExplanation | None = None


@dataclass(frozen=True, slots=True)
class _Decision:
    match: Match
    gold: Node | None = None
    answer: Node | None = None


def math_equal(candidate: str, gold: str) -> bool:
    """Is ``candidate`` (a bare answer, LaTeX or plain) equivalent to ``gold``? Never raises."""
    return _decide(candidate, gold).match.equal


def _decide(candidate: str, gold: str) -> _Decision:
    try:
        return _compare(candidate, gold)
    except Exception as exc:  # anything unforeseen in sympy on odd input is "not shown equal"
        log.debug("math_equal failed for %r vs %r", candidate[:80], gold[:80], exc_info=True)
        return _Decision(Match(False, f"grader error ({type(exc).__name__}): not shown equal"))


def _per_cent(node: Node) -> Node:
    """``p%`` is the fraction p/100 (a decimal keeps its rounding, two places further)."""
    if isinstance(node, Expr) and not node.value.free_symbols:
        places = None if node.decimals is None else node.decimals + 2
        return Expr(node.value / 100, places, node.unit)
    return node


def _compare(candidate: str, gold: str) -> _Decision:
    cand_n, gold_n = clean_answer(candidate), clean_answer(gold)
    if not cand_n or not gold_n:
        return _Decision(Match(False, "an empty answer"))
    if _INTEGER.fullmatch(gold_n) and _INTEGER.fullmatch(cand_n):  # AIME: "025" is 25
        return _Decision(Match(int(gold_n) == int(cand_n), "integers (leading zeros do not count)"))
    if cand_n == gold_n:
        return _Decision(Match(True, "identical after normalisation"))
    g, c = parse_answer(gold), parse_answer(candidate)
    match = answers_equal(g, c)
    if not match and ("%" in gold) != ("%" in candidate):
        # an answer written as p% equals both p and the fraction p/100
        scaled = answers_equal(_per_cent(g), c) if "%" in gold else answers_equal(g, _per_cent(c))
        if scaled:
            match = Match(True, f"{scaled.rule}, reading p% as p/100")
    if not match and (_DEGREES.search(candidate) is None) != (_DEGREES.search(gold) is None):
        # one side in degrees, the other in radians (with pi): compare the angle
        deg, rad = (c, g) if _DEGREES.search(candidate) else (g, c)
        rad_text = gold if rad is g else candidate
        if ("pi" in rad_text or "π" in rad_text) and isinstance(deg, Expr) and isinstance(rad, Expr):
            import sympy

            if values_equal(deg.value * sympy.pi / 180, rad.value):
                match = Match(True, "the same angle in degrees and radians")
    return _Decision(match, g, c)


def _grade(response: str, gold: str, require_think_end: bool) -> tuple[MathGrade, _Decision]:
    finished = THINK_CLOSE in response
    section = answer_section(response, require_think_end=require_think_end)
    if section is None:
        why = "the thinking never ended (no </think>): no answer section"
        return MathGrade(False, None, "no_answer", think_finished=finished), _Decision(Match(False, why))
    answer, rule = extract_answer(section)
    if answer is None:
        why = "no final answer: no box and no answer phrase after the thinking"
        return MathGrade(False, None, "no_answer", rule, finished), _Decision(Match(False, why))
    decision = _decide(answer, gold)
    correct = decision.match.equal
    return MathGrade(correct, answer, "correct" if correct else "wrong", rule, finished), decision


def _form(node: Node | None, text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return str(node if node is not None else parse_answer(text))
    except Exception as exc:
        return f"(cannot parse: {type(exc).__name__})"


def _explanation(grade: MathGrade, decision: _Decision, gold: str) -> MathExplanation:
    return MathExplanation(
        correct=grade.correct,
        reason=grade.reason,
        extracted=grade.extracted,
        extraction=grade.rule,
        gold=gold,
        gold_form=_form(decision.gold, gold) or "",
        answer_form=_form(decision.answer, grade.extracted),
        decided_by=decision.match.rule,
        think_finished=grade.think_finished,
    )


def grade_math(
    response: str, gold: str, *, require_think_end: bool = False, explain: bool | Literal["rejected"] = False
) -> MathGrade:
    """Grade a full response against the reference answer ``gold``.

    Only the text after the last ``</think>`` counts; a response that never closed its
    thinking has no answer (see :mod:`ded_plugins.grading.extract` for the rules). With
    ``explain`` (``"rejected"``: only when not correct), the grade carries a :class:`MathExplanation`.
    """
    grade, decision = _grade(response, gold, require_think_end)
    if not explain or (explain == "rejected" and grade.correct):
        return grade
    return MathGrade(
        grade.correct, grade.extracted, grade.reason, grade.rule, grade.think_finished,
        _explanation(grade, decision, gold),
    )  # fmt: skip


def timeout_grade(
    response: str, gold: str, timeout_s: float, *, explain: bool | Literal["rejected"]
) -> MathGrade:
    """The grade of an item whose grading ran over ``timeout_s`` (see :func:`grade_many`)."""
    finished = THINK_CLOSE in response
    explanation = None
    if explain:
        why = f"grading ran over {timeout_s:g} s of CPU time and was stopped: not shown equal"
        explanation = MathExplanation(False, "timeout", None, "none", gold, "", None, why, finished)
    return MathGrade(False, None, "timeout", think_finished=finished, explanation=explanation)


def explain_math(response: str, gold: str, *, require_think_end: bool = False) -> MathExplanation:
    """The verdict on ``response`` with its reasons (what ``ded grade --explain`` prints)."""
    grade = grade_math(response, gold, require_think_end=require_think_end, explain=True)
    assert grade.explanation is not None
    return grade.explanation
