"""Multiple-choice answers (GPQA): which letter a response chose.

The same think cut as for math applies; then, latest first: a boxed letter
(``\\boxed{C}``, ``\\boxed{\\text{(C)}}``), an "answer is (C)" / "Answer: C" phrase, or a
final line that is only a letter. A response naming no letter has no answer.
"""

from __future__ import annotations

import re

from ded_plugins.grading.extract import answer_section, boxed_answers


__all__ = ["extract_choice"]

_PHRASE = re.compile(  # the phrase in any case, the letter in upper case ("answer is a mixture" is no "A")
    r"(?i:answer|choice|option)\s*(?i:is|:)?\s*[:\s]*\**\s*(?:\\text\{)?\(?([A-Z])\)?(?![A-Za-z])"
)
_ALONE = re.compile(r"^\W*\(?([A-Z])\)?\W*$")


def _letter(text: str, letters: str) -> str | None:
    inner = re.sub(r"\\(?:text|textbf|mathrm|mathbf)\s*\{([^{}]*)\}", r"\1", text).strip()
    m = _ALONE.match(inner)
    return m.group(1).upper() if m and m.group(1).upper() in letters else None


def extract_choice(response: str, letters: str = "ABCD", *, require_think_end: bool = False) -> str | None:
    """The letter the response chose, or ``None``."""
    section = answer_section(response, require_think_end=require_think_end)
    if section is None:
        return None
    for _, _, content in reversed(boxed_answers(section)):
        found = _letter(content, letters)
        if found:
            return found
    matches = [m.group(1).upper() for m in _PHRASE.finditer(section) if m.group(1).upper() in letters]
    if matches:
        return matches[-1]
    lines = [line for line in section.strip().splitlines() if line.strip()]
    return _letter(lines[-1], letters) if lines else None
