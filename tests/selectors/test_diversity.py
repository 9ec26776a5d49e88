"""select_diverse follows its spec exactly; the stage keeps k per question in selection order."""

from __future__ import annotations

import itertools
import random

import pytest
from rapidfuzz.distance import Levenshtein

from ded_plugins.selectors.diversity import Diversity, distance_matrix, select_diverse


def reference(texts: list[str], k: int) -> list[int]:
    """The spec, written as plainly as possible."""

    def d(a: str, b: str) -> float:
        longest = max(len(a), len(b))
        return 0.0 if longest == 0 else Levenshtein.distance(a, b) / longest

    n = len(texts)
    if n <= k:
        return list(range(n))
    if k == 1:
        return [0]
    best = None
    for i, j in itertools.combinations(range(n), 2):  # i ascending, then j ascending
        if best is None or d(texts[i], texts[j]) > best[0]:
            best = (d(texts[i], texts[j]), i, j)
    assert best is not None
    chosen = [best[1], best[2]]
    while len(chosen) < k:
        _, pick = max((min(d(texts[c], texts[x]) for c in chosen), -x) for x in range(n) if x not in chosen)
        chosen.append(-pick)
    return chosen


def test_small_cases() -> None:
    assert select_diverse([], 3) == []
    assert select_diverse(["a", "b"], 3) == [0, 1]
    assert select_diverse(["a", "b", "c"], 1) == [0]
    # "abc" vs "xyz" is the farthest pair; "abd" is then nearest to "abc"
    assert select_diverse(["abc", "abd", "xyz"], 2) == [0, 2]
    assert select_diverse(["", "", "a"], 2) == [0, 2]
    with pytest.raises(ValueError, match="at least 1"):
        select_diverse(["a", "b"], 0)


def test_ties_take_the_smallest_indices() -> None:
    # all four strings are at distance 1 from each other: the first pair and the smallest index win
    assert select_diverse(["a", "b", "c", "d"], 3) == [0, 1, 2]
    assert select_diverse(["x", "x", "x"], 2) == [0, 1]


def test_normalised_by_the_longer_text() -> None:
    m = distance_matrix(["abcd", "ab", ""])
    assert m[0, 1] == pytest.approx(0.5)
    assert m[0, 2] == pytest.approx(1.0)
    assert m[2, 2] == 0.0


@pytest.mark.parametrize("seed", range(25))
def test_matches_the_reference_on_random_inputs(seed: int) -> None:
    rng = random.Random(seed)
    base = "".join(rng.choice("ab c") for _ in range(rng.randint(0, 30)))
    texts = []
    for _ in range(rng.randint(1, 9)):
        t = list(base)
        for _ in range(rng.randint(0, 8)):
            op = rng.random()
            pos = rng.randint(0, len(t))
            if op < 0.4:
                t.insert(pos, rng.choice("abc "))
            elif t and pos < len(t):
                if op < 0.7:
                    del t[pos]
                else:
                    t[pos] = rng.choice("abc ")
        texts.append("".join(t))
    for k in range(1, 6):
        assert select_diverse(texts, k) == reference(texts, k)


def test_token_ids_work_as_units() -> None:
    assert select_diverse([[1, 2, 3], [1, 2, 4], [7, 8, 9]], 2) == [0, 2]  # type: ignore[list-item]


def test_think_part_only() -> None:
    stage = Diversity(k=2, part="think")
    views = [stage._view(t) for t in ("<think>aaa</think>zzz", "<think>aab</think>zzz")]
    assert views == ["aaa", "aab"]


def test_tokens_need_a_tokenizer() -> None:
    with pytest.raises(ValueError, match="needs a tokenizer"):
        Diversity(unit="tokens")
