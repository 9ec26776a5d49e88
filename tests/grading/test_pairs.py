"""Many explanations at once: the pairs file and its errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from ded_plugins.errors import InputError
from ded_plugins.grading import explain_file, explain_pairs, read_grade_pairs


def test_pairs_in_order_with_ids_and_numbers_as_golds(tmp_path: Path) -> None:
    path = tmp_path / "pairs.jsonl"
    path.write_text(
        '{"id": "a", "response": "\\\\boxed{25}", "gold": "025"}\n\n'
        '{"response": "\\\\boxed{x \\\\geq 5}", "gold": 5}\n',
        encoding="utf-8",
    )
    pairs = read_grade_pairs(path)
    assert [(p.id, p.gold) for p in pairs] == [("a", "025"), (None, "5")]
    results = explain_file(path, workers=1)
    assert [(p.id, e.correct) for p, e in results] == [("a", True), (None, False)]
    assert results[1][1].decided_by == "sets of reals differ"  # x >= 5 is no answer "5"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"gold": "1"}', "pairs.jsonl:1: field 'response': missing required field"),
        ('{"response": "1", "gold": ["1"]}', "pairs.jsonl:1: field 'gold': expected a string, found list"),
        ('{"response": true, "gold": "1"}', "field 'response': expected a string, found bool"),
        ("[1, 2]", "pairs.jsonl:1: expected a JSON object"),
    ],
)
def test_bad_lines_name_file_line_and_field(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "pairs.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message.replace("[", r"\[")):
        read_grade_pairs(path)


def test_a_pathological_answer_times_out_with_a_reason() -> None:
    (slow, fast) = explain_pairs(
        [("\\boxed{\\binom{10^{8}}{5 \\cdot 10^{7}}}", "3"), ("\\boxed{3}", "3")], timeout_s=2.0, workers=2
    )
    assert (slow.reason, slow.correct) == ("timeout", False) and "ran over 2 s" in slow.decided_by
    assert fast.correct
