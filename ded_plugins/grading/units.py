"""Units after a number: split off, and compared only when both answers write one.

``15 cm^2``, ``12 inches``, ``40 chocolate candies``, ``5.4 cents``: the head must be a
plain number (digits, ``\\frac``, ``\\sqrt``, ``\\pi``; no variable), the tail one to three
words, an optional power. A unit is dropped when the other answer has none, and two
units must name the same unit (``inches`` = ``inch`` = ``in``); ``5 miles`` is never
``5 km``. Single letters count as units only from a short list of SI symbols, and only
with a space or a power (``5 m^2``, ``3 s``), so ``5x`` stays a product.
"""

from __future__ import annotations

import re


__all__ = ["same_unit", "split_unit", "strip_unit"]

_SI = "m|g|s|l|L|h|K|J|N|W|V|Hz|kg|km|cm|mm|ml|mL|ft|in|yd|mi|lb|oz|min|sec|hr|mph"
_ONE = r"(?:[A-Za-z]{2,}\.?|(?:" + _SI + r")(?![A-Za-z]))"
_WORD = _ONE + r"(?:/" + _ONE + r")?"  # km/h, m/s
_POWER = r"(?:\s*\^\s*\{?\s*[23]\s*\}?)"
#: the unit at the end: up to three words ("square feet", "chocolate candies"), a power
_TAIL = re.compile(
    r"(?<![A-Za-z\\])(?P<unit>(?:(?:square|sq\.?|cubic)\s+)?"
    + _WORD
    + r"(?:\s+"
    + _WORD
    + r"){0,2}"
    + _POWER
    + r"?)$"
)
#: what may stand before a unit: a number (digits, fractions, roots, pi), no variable
_NUMBER = re.compile(r"-?(?:[\d.,+*/()\s{}]|\\frac|\\sqrt|\\pi|\\cdot)+")
#: words that make the tail a phrase, not a unit
_NOT_UNITS = frozenset(
    {"and", "or", "for", "when", "where", "if", "is", "of", "to", "pi", "sqrt", "frac", "cdot", "i"}
)
_SYNONYMS = {
    "in": "inch", "inche": "inch", "ft": "foot", "feet": "foot", "yd": "yard", "mi": "mile",
    "m": "meter", "metre": "meter", "cm": "centimeter", "centimetre": "centimeter", "mm": "millimeter",
    "km": "kilometer", "kilometre": "kilometer", "g": "gram", "kg": "kilogram", "lb": "pound",
    "s": "second", "sec": "second", "min": "minute", "h": "hour", "hr": "hour", "l": "liter",
    "litre": "liter", "ml": "milliliter", "deg": "degree", "dollar": "dollar", "usd": "dollar",
    "cent": "cent", "oz": "ounce", "sq": "square",
}  # fmt: skip


def split_unit(text: str) -> tuple[str, str | None]:
    """``(number, unit)`` when ``text`` is a plain number followed by a unit, else ``(text, None)``."""
    s = text.strip()
    m = _TAIL.search(s)
    if not m or m.start() == 0:
        return text, None
    num, unit = s[: m.start()], m.group("unit")
    tight = not num[-1:].isspace()  # "15cm^2": a unit written against the number needs a power
    num = num.strip()
    if tight and not (re.search(_POWER + "$", unit) or (re.fullmatch(_SI, unit) and len(unit) > 1)):
        return text, None
    if not _NUMBER.fullmatch(num) or not re.search(r"\d|\\pi", num) or num.count("(") != num.count(")"):
        return text, None
    if any(w.lower() in _NOT_UNITS for w in re.findall(r"[A-Za-z]+", unit)):
        return text, None
    return num, unit


def strip_unit(s: str) -> str:
    """``40 chocolate candies`` -> ``40``; ``12 inches`` -> ``12``; anything else unchanged."""
    return split_unit(s)[0]


def _canonical(unit: str) -> tuple[str, ...]:
    s = unit.lower().replace(".", " ").replace("/", " / ")  # km/h: kilometer per hour
    power = re.search(r"\^\s*\{?\s*([23])", s)
    s = re.sub(r"\^.*$", "", s)
    words = s.split()
    exponent = power.group(1) if power else ""
    if words and words[0] in ("square", "sq", "cubic"):
        exponent = "3" if words[0] == "cubic" else "2"
        words = words[1:]
    out = []
    for w in words:
        w = _SYNONYMS.get(w, w)
        for suffix in ("es", "s"):  # plurals: inches, miles, cents
            stem = w[: -len(suffix)]
            if w.endswith(suffix) and len(w) > 3 and (stem in _SYNONYMS.values() or suffix == "s"):
                w = _SYNONYMS.get(stem, stem)
                break
        out.append(_SYNONYMS.get(w, w))
    return (*out, exponent)


#: units of measure (canonical singular names); other words after a number only describe it
_MEASURES = frozenset(_SYNONYMS.values()) | {
    "yard", "mile", "meter", "centimeter", "millimeter", "kilometer", "gram", "kilogram", "pound",
    "ton", "second", "minute", "hour", "day", "week", "month", "year", "liter", "milliliter",
    "gallon", "quart", "pint", "cup", "acre", "hectare", "degree", "radian", "cent", "dollar",
    "euro", "ounce", "newton", "joule", "watt", "volt", "kelvin", "hertz", "unit", "mph",
}  # fmt: skip


def same_unit(a: str, b: str) -> bool:
    """Could the two units be the same? Only two different units of measure make the answer wrong.

    ``5 miles`` is not ``5 km``; ``60 lollipop candies`` and ``60 hard candies`` are the
    same number of things (words that are no unit of measure only describe the number).
    """
    ca, cb = _canonical(a), _canonical(b)
    if ca == cb:
        return True
    measured = [all(w in _MEASURES or w == "/" for w in c[:-1]) and len(c) > 1 for c in (ca, cb)]
    return not (measured[0] and measured[1])
