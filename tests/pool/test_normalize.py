"""One canonical text for the spellings pools use."""

from __future__ import annotations

import pytest

from ded_plugins.pool.normalize import figure_labels, normalize, numbers, sentences, strip_figures, tokens


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Find $x^2+1$.", "find  \\(x^{2} + 1\\)"),
        ("$$\\frac{1}{2}$$", "\\[ \\dfrac12 \\]"),
        ("$\\left( a+b \\right)$", "$(a + b)$"),
        ("$a \\le b$, $c\\ge d$", "$a\\leq b$ , $c \\geq d$"),
        ("$1{,}000$ and $2.50$", "1,000 and 2.5"),
        ("AIME answer 025", "aime answer 25"),
        ("$3\\,\\text{cm}$", "3 cm"),
        ("$x \u2264 \u03c0$", "$x \\leq \\pi$"),
        ("$\\tbinom{5}{2}$", "$\\binom52$"),
    ],
)
def test_spellings_normalise_alike(a: str, b: str) -> None:
    assert normalize(a) == normalize(b)


def test_operators_and_numbers_stay_apart() -> None:
    assert normalize("$x+y$") != normalize("$x-y$")
    assert tokens("What is $3.14 \\cdot 2$?") == ["what", "is", "3.14", "cdot", "2"]
    assert numbers(tokens("Take $4\\sqrt{2}$ and 0.50")) == ["4", "2", "0.5"]


def test_figures_are_cut_and_their_labels_kept() -> None:
    text = 'Area?\n[asy]\ndraw((0,0)--(3,0));\nlabel("3 cm",(1,0),S);\n[/asy]\nDone.'
    assert "draw" not in strip_figures(text) and "Done." in strip_figures(text)
    assert figure_labels(text) == "3 cm"
    tikz = "See. \\begin{tikzpicture}\\node[below] at (A) {$7$};\\end{tikzpicture}"
    assert figure_labels(tikz) == "$7$" and tokens(tikz) == ["see"]
    assert tokens("An unclosed [asy] draw((0,0)--(1,1));") == ["an", "unclosed"]


def test_sentences() -> None:
    assert sentences("One. Two? Three!\n\nFour") == ["One.", "Two?", "Three!", "Four"]
