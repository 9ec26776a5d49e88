"""String-level clean-up of an extracted answer before it is parsed.

Only rewrites that never change the mathematical value belong here: delimiters,
spacing commands, ``\\left``/``\\right``, ``\\dfrac`` -> ``\\frac``, text wrappers,
degree signs, percent signs, currency, unit words after a number, Unicode symbols.
"""

from __future__ import annotations

import re


__all__ = ["mixed_number", "normalize_answer", "normalize_text", "strip_unit", "unwrap_command"]

_UNICODE = {
    "−": "-", "–": "-", "—": "-", "×": r"\times ", "÷": r"\div ", "·": r"\cdot ", "π": r"\pi ",
    "∞": r"\infty ", "∪": r"\cup ", "≤": r"\leq ", "⩽": r"\leq ", "≥": r"\geq ", "⩾": r"\geq ",
    "≠": r"\neq ", "＞": ">", "＜": "<", "，": ",", "：": ":", "√": r"\sqrt", "°": r"^\circ", "∈": r"\in ",
    "\u200b": "", "\xa0": " ",
}  # fmt: skip
_COMMAND_ALIASES = [
    (r"\\[dt]frac\b", r"\\frac"), (r"\\cfrac\b", r"\\frac"), (r"\\[dt]binom\b", r"\\binom"),
    (r"\\leqslant\b|\\le\b", r"\\leq"), (r"\\geqslant\b|\\ge\b", r"\\geq"), (r"\\ne\b", r"\\neq"),
    (r"\\lbrace\b", r"\\{"), (r"\\rbrace\b", r"\\}"), (r"\\lvert\b|\\rvert\b|\\vert\b", "|"),
    (r"\\displaystyle\b|\\limits\b", ""), (r"\\(?:big|Big|bigg|Bigg)[lr]?\b", ""),
    (r"\\left\b\.?|\\right\b\.?", ""),
    (r"\\%|%", ""), (r"\\\$|\$", ""), (r"\\mathbb\{R\}", r"(-\\infty,\\infty)"),
    (r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ\b|\\circ\b|\\degree\b", ""),
    (r"\^\s*\{\s*\\prime\s*\}|\\prime\b", ""),
]  # fmt: skip
_TEXT_COMMANDS = ("text", "textbf", "textit", "textrm", "mathrm", "mathbf", "mathit", "mbox", "operatorname")
_UNIT_TAIL = re.compile(
    r"^(?P<num>-?[\d.,]+|\\frac\{[^{}]*\}(?:\{[^{}]*\}|\d)|\d+/\d+)\s+(?:[A-Za-z]+\.?\s*){1,3}$"
)
_TEXT_UNIT = re.compile(r"^(?P<num>-?[\d.,]+)\s*\\(?:text|mathrm|mbox)\s*\{\s*[A-Za-z]{1,12}\.?\s*\}$")
_SCIENTIFIC = re.compile(r"(-?\d+(?:\.\d+)?)[eE]([+-]?\d+)")
_MIXED = re.compile(r"^(-?\d+)\s*\\frac\{(\d+)\}\{(\d+)\}$")
_ORDINAL = re.compile(r"^(\d+)\s*(?:\^\{?\s*)?(?:st|nd|rd|th)\}?(?:\s+[A-Za-z]+)?$")


def unwrap_command(text: str, names: tuple[str, ...]) -> str:
    r"""Replace ``\name{x}`` by ``x`` for every listed command (brace-matched, repeatedly)."""
    pattern = re.compile(r"\\(?:" + "|".join(names) + r")\s*\{")
    while True:
        m = pattern.search(text)
        if not m:
            return text
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        inner = text[m.end() : j - 1] if depth == 0 else text[m.end() :]
        text = text[: m.start()] + inner + text[j:]


def _repair_escapes(s: str) -> str:
    r"""Undo JSON escape damage seen in real data.

    ``\f``rac read as a form feed, ``\t``ext as a tab, and doubled backslashes (``\\frac``).
    """
    s = s.replace("\x0c", "\\f").replace("\x08", "\\b")
    s = re.sub(r"\t(?=[a-z]{2})", r"\\t", s)
    if "\\begin" not in s:
        s = re.sub(r"\\\\(?=[A-Za-z])", r"\\", s)
    return s


def strip_unit(s: str) -> str:
    """``40 chocolate candies`` -> ``40``; ``12 inches`` -> ``12`` (a number followed by words only)."""
    m = _UNIT_TAIL.match(s)
    if m and not re.fullmatch(r"[A-Za-z]", s.split()[-1]):
        return m.group("num")
    return s


def mixed_number(s: str) -> str:
    """``21 \\frac{13}{14}`` is a mixed number (a sum) when the fraction is proper."""
    m = _MIXED.match(s)
    if m and int(m.group(2)) < int(m.group(3)):
        sign, whole = ("-", m.group(1)[1:]) if m.group(1).startswith("-") else ("", m.group(1))
        return f"{sign}({whole}+\\frac{{{m.group(2)}}}{{{m.group(3)}}})"
    return s


def normalize_answer(text: str) -> str:
    """Canonical LaTeX-ish form of an answer string (same value, fewer spellings)."""
    s = _repair_escapes(text).strip()
    for k, v in _UNICODE.items():
        s = s.replace(k, v)
    s = re.sub(r"\\\(|\\\)|\\\[|\\\]", " ", s)
    s = unwrap_command(s, ("boxed", "fbox"))
    s = re.sub(r"\\!", "", s)  # 10,\!080
    s = re.sub(r"(?<!\\)\\(?:[,;: ]|quad\b|qquad\b)|~", " ", s)
    s = re.sub(r"\s+", " ", s).strip()
    m = _TEXT_UNIT.match(s)  # "2.653 \mathrm{m}", "5 \text{cm}": a unit, not a product
    if m:
        s = m.group("num")
    s = unwrap_command(s, _TEXT_COMMANDS)
    for pattern, repl in _COMMAND_ALIASES:
        s = re.sub(pattern, repl, s)
    s = s.replace("{,}", ",")
    s = re.sub(r"\s+", " ", s).strip()
    s = re.sub(r"^(?:the\s+)?(?:final\s+)?answer\s*(?:is|:)\s*", "", s, flags=re.I)
    s = s.rstrip(" .;")
    s = re.sub(r"\\approx\s*[-\d.,]+$", "", s).strip()  # "\frac{..}{..} \approx 1.36": keep the exact part
    m = _ORDINAL.match(s)
    if m:
        s = m.group(1)
    s = mixed_number(strip_unit(s))
    m = _SCIENTIFIC.fullmatch(s)  # 6.02e23
    if m:
        s = f"{m.group(1)}\\times10^{{{m.group(2)}}}"
    if re.fullmatch(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?", s):  # 10,080 and 32,348: thousands separators
        s = s.replace(",", "")
    return s.strip()


def normalize_text(text: str) -> str:
    """Words only, lower case: for answers that are names, parities, shapes or choice letters."""
    s = unwrap_command(text, _TEXT_COMMANDS).lower()
    s = re.sub(r"\\[a-z]+", " ", s)
    s = re.sub(r"[^a-z0-9]+", " ", s).strip()
    return s
