"""Explanations: what was extracted, how both sides parsed, and the rule that decided."""

from __future__ import annotations

import json

from ded_plugins.grading import MathExplanation, explain_math, grade_math


def test_a_rejected_relation_says_why() -> None:
    e = explain_math("so \\boxed{x \\lt 3}", "x \\gt 3")
    assert isinstance(e, MathExplanation)
    assert (e.correct, e.reason, e.extracted, e.extraction) == (False, "wrong", "x \\lt 3", "boxed")
    assert e.gold_form == "relation 3 < x" and e.answer_form == "relation x < 3"
    assert "solution sets" in e.decided_by


def test_an_accepted_answer_names_its_rule() -> None:
    e = explain_math("</think> The answer is \\boxed{x = 25}.", "025")
    assert e.correct and e.think_finished and e.answer_form == "x := value 25"
    assert e.decided_by == "equal values"
    assert "decimal rounding" in explain_math("\\boxed{85.71}", "\\frac{600}{7}").decided_by
    assert "renaming" in explain_math("\\boxed{f(x) = x}", "f(z) = z").decided_by


def test_no_answer_is_explained_too() -> None:
    unfinished = explain_math("<think>so \\boxed{42}", "42")
    assert (unfinished.reason, unfinished.extracted, unfinished.answer_form) == ("no_answer", None, None)
    assert "thinking never ended" in unfinished.decided_by
    assert "no box" in explain_math("We get 5 apples.", "5").decided_by


def test_the_record_is_json_ready_and_grade_math_carries_it_on_request() -> None:
    e = explain_math("\\boxed{x=2y+3}", "y=2x+3")
    assert json.loads(json.dumps(e.as_dict()))["decided_by"] == "different names (y vs x)"
    assert grade_math("\\boxed{3}", "3").explanation is None
    assert grade_math("\\boxed{3}", "3", explain="rejected").explanation is None
    rejected = grade_math("\\boxed{4}", "3", explain="rejected")
    assert rejected.explanation is not None and rejected.explanation.decided_by.startswith("integers")
    assert grade_math("\\boxed{3}", "3", explain=True).explanation is not None
