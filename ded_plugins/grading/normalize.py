"""String-level clean-up of an extracted answer before it is parsed.

Only rewrites that never change the mathematical value belong here: delimiters,
spacing commands, ``\\left``/``\\right``, ``\\dfrac`` -> ``\\frac``, text wrappers,
degree signs, percent signs, currency symbols, thousands separators, relation spellings,
Unicode symbols. Each rule is one line with its reason; units are split off later
(:mod:`ded_plugins.grading.units`), because whether a unit matters depends on the other side.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ded_plugins.grading.units import strip_unit


__all__ = [
    "clean_answer",
    "improper_mixed",
    "mixed_number",
    "normalize_answer",
    "normalize_text",
    "strip_unit",
    "unwrap_command",
]

_UNICODE = {
    "−": "-", "–": "-", "—": "-", "×": r"\times ", "÷": r"\div ", "·": r"\cdot ", "π": r"\pi ",
    "∞": r"\infty ", "∪": r"\cup ", "≤": r"\leq ", "⩽": r"\leq ", "≥": r"\geq ", "⩾": r"\geq ",
    "≠": r"\neq ", "＞": ">", "＜": "<", "＝": "=", "，": ",", "：": ":", "√": r"\sqrt", "°": r"^\circ",
    "∈": r"\in ", "∀": r"\forall ", "∃": r"\exists ", "€": "", "£": "", "¥": "", "¢": r"\text{ cents}",
    "\u200b": "", "\xa0": " ", "\u2009": " ", "\u202f": " ",
}  # fmt: skip
_COMMAND_ALIASES = [
    (r"\\[dt]frac\b", r"\\frac"), (r"\\cfrac\b", r"\\frac"), (r"\\[dt]binom\b", r"\\binom"),
    # every spelling of a relation becomes one command, so no operator is lost or confused
    (r"\\leqslant\b|\\leqq\b|\\le\b|<=", r"\\leq "), (r"\\geqslant\b|\\geqq\b|\\ge\b|>=", r"\\geq "),
    (r"\\ne\b|\\not\s*=|!=", r"\\neq "), (r"\\lt\b", "<"), (r"\\gt\b", ">"),
    (r"\\lbrace\b", r"\\{"), (r"\\rbrace\b", r"\\}"), (r"\\lvert\b|\\rvert\b|\\vert\b|\\mid\b", "|"),
    (r"\\displaystyle\b|\\limits\b", ""), (r"\\(?:big|Big|bigg|Bigg)[lr]?\b", ""),
    (r"\\left\b\.?|\\right\b\.?", ""),
    # a percent sign is read by the grader (p% is p and p/100); a currency sign never changes a price
    (r"\\%|%", ""), (r"\\\$|\$", ""), (r"\\mathbb\{R\}", r"(-\\infty,\\infty)"),
    (r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ\b|\\circ\b|\\degree\b", ""),
    (r"\^\s*\{\s*\\prime\s*\}|\\prime\b", ""),
    (r"\\begin\{array\}\{[^{}]*\}", r"\\begin{pmatrix}"), (r"\\end\{array\}", r"\\end{pmatrix}"),
]  # fmt: skip
#: text in these is words: it is set apart by spaces ("15\\text{cm}" is "15 cm")
_WORD_COMMANDS = ("text", "textnormal", "textrm", "textbf", "textit", "textsf", "mbox", "hbox")
#: wrappers dropped, their argument kept as written: the word commands, the math fonts, operatorname
_TEXT_COMMANDS = (*_WORD_COMMANDS, "mathrm", "mathbf", "mathit", "mathsf", "operatorname")
_UNICODE_TABLE = str.maketrans(_UNICODE)
_ALIASES = [(re.compile(p), r) for p, r in _COMMAND_ALIASES]
_PLAIN_INTEGER = re.compile(r"\s*[+-]?\d+\s*")
_HTML_SUP = re.compile(r"<sup>(.*?)</sup>")
_HTML_SUB = re.compile(r"<sub>(.*?)</sub>")
_MATH_DELIMITERS = re.compile(r"\\\(|\\\)|\\\[|\\\]")
_SPACING = re.compile(r"(?<!\\)\\(?:[,;: ]|quad\b|qquad\b|thinspace\b)|~")
_SPACES = re.compile(r"\s+")
_ANSWER_PREFIX = re.compile(r"^(?:the\s+)?(?:final\s+)?answer\s*(?:is|:)\s*", re.I)
_APPROX = re.compile(r"\\approx\s*[-\d.,]+$")
_SCIENTIFIC = re.compile(r"(-?\d+(?:\.\d+)?)[eE]([+-]?\d+)")
#: a whole number directly before a fraction of numbers: 1\frac{4}{5}, 2 3/4
_MIXED = re.compile(r"^(-?\d+)\s*(?:\\frac\{(\d+)\}\{(\d+)\}|\s(\d+)/(\d+))$")
_ORDINAL = re.compile(r"^(\d+)\s*(?:\^\s*\{?\s*)?(?:st|nd|rd|th)\s*\}?(?:\s+[A-Za-z]+)?$")
#: ``{,}`` and ``,\!`` are LaTeX's thousands separators: never list commas
_LATEX_THOUSANDS = re.compile(r"(?<=\d)(?:\{,\}|,\\!\s*)(?=\d{3}(?!\d))")
#: digit groups of three after a space (``1 000``, ``1\,000`` once spacing is a space)
_SPACED_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?: \d{3})+(?:\.\d+)?(?![\d.])")
#: one number with comma-grouped thousands, possibly after ``x =``: ``58,500``, ``1,000.99``
_COMMA_THOUSANDS = re.compile(r"^((?:[A-Za-z]\s*=\s*)?-?)(\d{1,3}(?:,\d{3})+(?:\.\d+)?)((?:\s+[A-Za-z].*)?)$")
_REPEATING = re.compile(r"(?<![\d.])(\d*)\.(\d*)\\overline\{(\d+)\}")
_FRAC_SHORT = re.compile(r"\\frac\s*(\d|\{[^{}]*\})\s*(\d|\{[^{}]*\})")


def unwrap_command(text: str, names: tuple[str, ...], pad: str = "") -> str:
    r"""Replace ``\name{x}`` by ``x`` (by ``pad + x + pad``) for every listed command (brace-matched)."""
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
        text = text[: m.start()] + pad + inner + pad + text[j:]


def _repair_escapes(s: str) -> str:
    r"""Undo JSON escape damage seen in real data.

    ``\f``rac read as a form feed, ``\t``ext as a tab, and doubled backslashes (``\\frac``).
    """
    s = s.replace("\x0c", "\\f").replace("\x08", "\\b")
    s = re.sub(r"\t(?=[a-z]{2})", r"\\t", s)
    if "\\begin" not in s:
        s = re.sub(r"\\\\(?=[A-Za-z])", r"\\", s)
    return s


def _mixed_parts(s: str) -> tuple[str, int, int] | None:
    m = _MIXED.match(s)
    if not m:
        return None
    num, den = (m.group(2), m.group(3)) if m.group(2) else (m.group(4), m.group(5))
    return m.group(1), int(num), int(den)


def improper_mixed(s: str) -> bool:
    """``1\\frac{9}{5}``: a whole number before an improper fraction: neither clearly a sum nor a product."""
    parts = _mixed_parts(s)
    return parts is not None and parts[1] >= parts[2]


def mixed_number(s: str) -> str:
    """``21 \\frac{13}{14}`` (or ``21 13/14``) is a mixed number (a sum) when the fraction is proper."""
    parts = _mixed_parts(s)
    if parts and parts[1] < parts[2]:
        whole, num, den = parts
        sign, whole = ("-", whole[1:]) if whole.startswith("-") else ("", whole)
        return f"{sign}({whole}+\\frac{{{num}}}{{{den}}})"
    return s


def _braced_fracs(s: str) -> str:
    r"""``\frac45`` is ``\frac{4}{5}`` (so that ``1\frac45`` reads as a mixed number)."""

    def brace(arg: str) -> str:
        return arg if arg.startswith("{") else "{" + arg + "}"

    return _FRAC_SHORT.sub(lambda m: rf"\frac{brace(m.group(1))}{brace(m.group(2))}", s)


def _repeating(m: re.Match[str]) -> str:
    r"""``0.8\overline{6}`` is the repeating decimal 0.8666... = 13/15, exactly."""
    whole, fixed, period = m.group(1) or "0", m.group(2), m.group(3)
    den = 10 ** len(fixed) * (10 ** len(period) - 1)
    num = int(whole) * den + int(fixed + period) - int(fixed or "0")
    return rf"\frac{{{num}}}{{{den}}}"


@lru_cache(maxsize=8192)
def clean_answer(text: str) -> str:
    """Canonical LaTeX-ish form of an answer string, units kept (same value, fewer spellings)."""
    if _PLAIN_INTEGER.fullmatch(text):  # most answers (AIME): nothing to clean
        return text.strip()
    s = _repair_escapes(text).translate(_UNICODE_TABLE).strip()
    s = _HTML_SUP.sub(r"^{\1}", s)  # HTML superscripts are powers
    s = _HTML_SUB.sub(r"_{\1}", s)
    s = _MATH_DELIMITERS.sub(" ", s)
    s = unwrap_command(s, ("boxed", "fbox"))
    s = _LATEX_THOUSANDS.sub("", s)
    s = s.replace("\\!", "")
    s = _SPACING.sub(" ", s)
    s = _SPACES.sub(" ", s).strip()
    s = _SPACED_THOUSANDS.sub(lambda m: m.group(0).replace(" ", ""), s)
    s = unwrap_command(s, _WORD_COMMANDS, pad=" ")
    s = unwrap_command(s, _TEXT_COMMANDS)
    s = _SPACES.sub(" ", s).strip()
    for pattern, repl in _ALIASES:
        s = pattern.sub(repl, s)
    s = _braced_fracs(s)
    s = _REPEATING.sub(_repeating, s)
    s = _SPACES.sub(" ", s).strip()
    s = _ANSWER_PREFIX.sub("", s)
    s = s.rstrip(" .;")
    s = _APPROX.sub("", s).strip()  # "\frac{..}{..} \approx 1.36": keep the exact part
    m = _ORDINAL.match(s)
    if m:
        s = m.group(1)
    m = _SCIENTIFIC.fullmatch(s)  # 6.02e23
    if m:
        s = f"{m.group(1)}\\times10^{{{m.group(2)}}}"
    m = _COMMA_THOUSANDS.match(s)  # one comma-grouped number is that number, not a list
    if m:
        s = m.group(1) + m.group(2).replace(",", "") + m.group(3)
    return s.strip()


def normalize_answer(text: str) -> str:
    """:func:`clean_answer` with a unit after a plain number dropped (``12 inches`` -> ``12``)."""
    return mixed_number(strip_unit(clean_answer(text)))


def normalize_text(text: str) -> str:
    """Words only, lower case: for answers that are names, parities, shapes or choice letters."""
    s = unwrap_command(text, _TEXT_COMMANDS).lower()
    s = re.sub(r"\\[a-z]+", " ", s)
    s = re.sub(r"[^a-z0-9]+", " ", s).strip()
    return s
