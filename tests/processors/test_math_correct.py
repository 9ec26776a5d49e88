"""math_correct: the curation side of the shared grader."""

from __future__ import annotations

from ded_plugins.plugins import get_registry
from ded_plugins.processors.math_correct import MathCorrect
from ded_plugins.records import Question, Rollout


def _item(qid: str, domain: str, answer: str | None, text: str) -> tuple[Question, Rollout]:
    return (
        Question(id=qid, domain=domain, prompt="?", answer=answer),
        Rollout(question_id=qid, model="t", sample_index=0, text=text),
    )


def test_verdicts_per_rollout_in_order() -> None:
    items = [
        _item("a", "math", "025", "<think>hmm \\boxed{7}</think> so \\boxed{25}"),
        _item("b", "math", "\\frac12", "<think>\\boxed{0.5}</think> The answer is \\boxed{0.4}"),
        _item("c", "math", "3", "<think>never finished \\boxed{3}"),
        _item("d", "code", None, "def f(): pass"),
        _item("e", "math", None, "</think>\\boxed{1}"),
        _item("f", "science", "1", "</think>\\boxed{2}"),
    ]
    verdicts = MathCorrect(domains=["math", "science"], workers=2).process(items)
    assert [(v.passed, v.reason) for v in verdicts] == [
        (True, "ok"),
        (False, "wrong"),
        (False, "no_answer"),
        (True, "not_applicable"),
        (False, "no_reference"),
        (False, "wrong"),
    ]
    assert verdicts[0].details == {"extracted": "25", "reference": "025", "rule": "boxed"}  # no explanation
    wrong = verdicts[1].details
    assert (wrong["extracted"], wrong["reference"], wrong["rule"]) == ("0.4", "\\frac12", "boxed")
    assert wrong["explanation"]["gold_form"] == "value 1/2"
    assert wrong["explanation"]["answer_form"] == "value 2/5 (decimal, 1 places)"
    assert wrong["explanation"]["decided_by"] == "different values"
    assert "thinking never ended" in verdicts[2].details["explanation"]["decided_by"]


def test_rejected_rows_carry_the_same_explanation_as_ded_grade() -> None:
    from ded_plugins.grading import explain_math

    text = "</think> so \\boxed{x = 2y + 3}"
    (verdict,) = MathCorrect(workers=1).process([_item("q", "math", "y = 2x + 3", text)])
    assert not verdict.passed and verdict.reason == "wrong"
    assert verdict.details["explanation"] == explain_math(text, "y = 2x + 3").as_dict()


def test_registered_with_its_parameters() -> None:
    registry = get_registry()
    processor = registry.build("processor", "math_correct", {"timeout_s": 5.0, "domains": ["math"]})
    assert isinstance(processor, MathCorrect) and processor.domains == frozenset({"math"})


def test_reference_can_be_a_worked_solution() -> None:
    from ded_plugins.processors.math_correct import MathCorrect
    from ded_plugins.records import Question, Rollout

    q = Question(id="q", domain="math", prompt="p", answer="Since 2+3=5, the answer is $\\boxed{5}$.")
    bare = Question(id="b", domain="math", prompt="p", answer="We are done.")
    right = Rollout(question_id="q", model="t", sample_index=0, text="<think>x</think>\\boxed{5}")
    stage = MathCorrect(reference="solution", workers=1)
    verdicts = stage.process([(q, right), (bare, right)])
    assert verdicts[0].passed
    assert verdicts[0].details["reference"] == "5"
    assert verdicts[1].reason == "no_reference"
    assert not MathCorrect(workers=1).process([(q, right)])[0].passed  # the whole text is no answer
