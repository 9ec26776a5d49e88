"""Answer grading shared by curation and evaluation: math answers and choice letters.

``__init__`` only re-exports; each concept lives in its own module.
"""

from __future__ import annotations

from ded_plugins.grading.choice import extract_choice
from ded_plugins.grading.code import extract_code
from ded_plugins.grading.extract import answer_section, extract_answer
from ded_plugins.grading.mathgrade import MathGrade, grade_math, math_equal
from ded_plugins.grading.parallel import grade_many


__all__ = [
    "MathGrade",
    "answer_section",
    "extract_answer",
    "extract_choice",
    "extract_code",
    "grade_many",
    "grade_math",
    "math_equal",
]
