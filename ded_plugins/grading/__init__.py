"""Answer grading shared by curation and evaluation: math answers and choice letters.

``__init__`` only re-exports; each concept lives in its own module.
"""

from __future__ import annotations

from ded_plugins.grading.choice import extract_choice
from ded_plugins.grading.code import extract_code
from ded_plugins.grading.extract import answer_section, extract_answer
from ded_plugins.grading.mathgrade import MathExplanation, MathGrade, explain_math, grade_math, math_equal
from ded_plugins.grading.pairs import GradePair, explain_file, explain_pairs, read_grade_pairs
from ded_plugins.grading.parallel import grade_many


__all__ = [
    "GradePair",
    "MathExplanation",
    "MathGrade",
    "answer_section",
    "explain_file",
    "explain_math",
    "explain_pairs",
    "extract_answer",
    "extract_choice",
    "extract_code",
    "grade_many",
    "grade_math",
    "math_equal",
    "read_grade_pairs",
]
