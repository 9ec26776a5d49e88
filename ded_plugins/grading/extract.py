"""Where the final answer of a response is: the think cut, then the last box, then phrases.

Rules (``shared/reference/math_data.md`` section 6):

1. A response with ``</think>`` is graded on the text after the last ``</think>`` only.
   A response that opened ``<think>`` but never closed it has no answer; so does any
   response without ``</think>`` when the caller requires one (R1-style templates put
   ``<think>`` in the prompt, so a truncated trace contains neither tag).
2. The last brace-matched ``\\boxed{...}``/``\\fbox{...}`` (or ``\\boxed 5``); boxes
   separated only by commas, "and"/"or", spacing or a repeated ``x =`` are one multi-part
   answer (``x = \\boxed{1}`` or ``x = \\boxed{-2}``).
3. Otherwise the last "final answer is ...", "Final Answer: ...", "answer is ..." or
   "Answer: ..." phrase, up to the end of its line. Nothing else: no last-number guess.
"""

from __future__ import annotations

import re

from ded_plugins.chat import THINK_CLOSE, THINK_OPEN


__all__ = ["THINK_CLOSE", "THINK_OPEN", "answer_section", "boxed_answers", "extract_answer"]


_BOX = re.compile(r"\\(?:boxed|fbox)\s*(\{|\s[^\s${}]+)")
#: what may stand between the boxes of one answer in parts: commas, and/or, spacing, "x ="
_JOINER = re.compile(
    r"^[\s$,;.]*(?:(?:and|or|\\text\{\s*(?:and|or)\s*\}|\\quad|\\qquad|,|;)[\s$,;.]*)?"
    r"(?:[A-Za-z](?:_\{?\w+\}?)?\s*=\s*)?[\s$]*$",
    re.I,
)
_PHRASES = [
    re.compile(r"final\s+answer\s+is\s*:?\s*(.+?)(?:\.?\s*I hope it is correct|$)", re.I | re.M),
    re.compile(r"final\s+answer\s*:\s*(.+)$", re.I | re.M),
    re.compile(r"\banswer\s+is\s*:?\s*(.+)$", re.I | re.M),
    re.compile(r"\banswer\s*:\s*(.+)$", re.I | re.M),
]


def answer_section(response: str, *, require_think_end: bool = False) -> str | None:
    """The part of ``response`` that may hold the final answer, or ``None`` (unfinished thinking)."""
    if THINK_CLOSE in response:
        return response.rsplit(THINK_CLOSE, 1)[1]
    if THINK_OPEN in response or require_think_end:
        return None
    return response


def boxed_answers(text: str) -> list[tuple[int, int, str]]:
    """Every outermost box as ``(start, end, content)``, in order."""
    found: list[tuple[int, int, str]] = []
    pos = 0
    while True:
        m = _BOX.search(text, pos)
        if not m:
            return found
        if m.group(1) != "{":  # "\boxed 5"
            found.append((m.start(), m.end(), m.group(1).strip()))
            pos = m.end()
            continue
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        if depth:  # unbalanced: the response was cut inside the box
            return found
        found.append((m.start(), j, text[m.end() : j - 1].strip()))
        pos = j


def _clean_phrase(answer: str) -> str:
    answer = answer.strip().rstrip(" .").strip("*").rstrip(" .")  # "**17**." and "$14$."
    math = re.match(r"\$+([^$]+)\$+", answer)
    if math:  # "$5$!": the math span is the answer; what follows it is the sentence's
        return math.group(1).strip()
    return re.sub(r"^\$+|\$+$", "", answer).strip().rstrip("!").rstrip()  # "is 5!": a sentence's mark


def extract_answer(section: str) -> tuple[str | None, str]:
    """``(answer, rule)`` from an answer section; rule is ``boxed``, ``phrase`` or ``none``."""
    boxes = boxed_answers(section)
    if boxes:
        start, _, content = boxes[-1]
        parts = [content]
        for prev_start, prev_end, prev_content in reversed(boxes[:-1]):
            if not _JOINER.match(section[prev_end:start]):
                break
            parts.insert(0, prev_content)
            start = prev_start
        answer = ", ".join(p for p in parts if p)
        return (answer, "boxed") if answer else (None, "none")
    best: tuple[int, str] | None = None
    for pattern in _PHRASES:
        for m in pattern.finditer(section):
            text = _clean_phrase(m.group(1))
            if text and (best is None or m.start() > best[0]):
                best = (m.start(), text)
        if best is not None:
            break  # a more specific phrase wins over a later generic one
    return (best[1], "phrase") if best else (None, "none")
