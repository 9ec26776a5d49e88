"""Code extraction from a model's response, as LiveCodeBench's harness does it.

For chat and reasoning models upstream keeps the lines that *contain* a code fence
(anywhere on the line), and returns the text strictly between the last two of them; with
fewer than two fence lines the answer is empty (and fails). No ``<think>`` stripping: a
reasoning trace cut off before its closing fence yields no code. For base models the
whole response, stripped, is the program.
"""

from __future__ import annotations


__all__ = ["extract_code"]

_FENCE = "```"


def extract_code(response: str, *, base_model: bool = False) -> str:
    """The program in ``response`` (empty string when there is none)."""
    if base_model:
        return response.strip()
    lines = response.split("\n")
    fences = [i for i, line in enumerate(lines) if _FENCE in line]
    if len(fences) < 2:
        return ""
    return "\n".join(lines[fences[-2] + 1 : fences[-1]])
