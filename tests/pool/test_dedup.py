"""Deduplication clusters exactly as planted: exact copies, reordered sentences; changed numbers stay."""

from __future__ import annotations

import random

from pool_problems import generated_problems

from ded_plugins.pool.dedup import Deduplicator, shingles
from ded_plugins.pool.normalize import sentences


def _planted(seed: int = 3) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """200 distinct problems plus planted duplicates; returns the pool and {duplicate id: kept id}."""
    r = random.Random(seed)
    base = generated_problems(200, seed=seed)
    pool = [(f"q{i}", t) for i, t in enumerate(base)]
    expected: dict[str, str] = {}
    multi = [i for i, t in enumerate(base) if len(sentences(t)) >= 2]
    for n, i in enumerate(r.sample(range(len(base)), 20)):  # exact up to spelling
        text = "  ".join(base[i].replace("$", " $ ").split()).upper() if n % 2 else base[i] + "  "
        pool.append((f"exact{n}", text))
        expected[f"exact{n}"] = f"q{i}"
    for n, i in enumerate(r.sample(multi, 20)):  # the same sentences in another order
        parts = sentences(base[i])
        pool.append((f"reordered{n}", " ".join(parts[1:] + parts[:1])))
        expected[f"reordered{n}"] = f"q{i}"
    for n, i in enumerate(r.sample(range(len(base)), 20)):  # one number changed: another problem
        text = base[i]
        digits = [k for k, ch in enumerate(text) if ch.isdigit()]
        k = digits[len(digits) // 2]
        pool.append((f"renumbered{n}", text[:k] + str((int(text[k]) + 1) % 10) + text[k + 1 :]))
    order = r.sample(range(200, len(pool)), len(pool) - 200)
    return pool[:200] + [pool[i] for i in order], expected


def test_clusters_exactly_as_planted() -> None:
    pool, expected = _planted()
    seen = Deduplicator()
    found = {}
    for qid, text in pool:
        dup = seen.add(qid, text)
        if dup is not None:
            found[dup.id] = dup.kept_id
            assert dup.method == ("exact" if qid.startswith("exact") else "near"), dup
    assert found == expected
    assert len(seen) == len(pool) - len(expected)


def test_first_in_pool_order_is_kept() -> None:
    seen = Deduplicator()
    text = "Two trains leave at noon. One goes 40 mph. How far apart are they at 3 pm?"
    assert seen.add("a", text) is None
    swapped = "One goes 40 mph. Two trains leave at noon. How far apart are they at 3 pm?"
    dup = seen.add("b", swapped)
    assert dup is not None and dup.kept_id == "a" and dup.method == "near" and dup.similarity == 1.0
    assert seen.add("c", text.replace("40", "45")) is None
    assert list(seen.kept()) == ["a", "c"]


def test_same_input_same_decisions() -> None:
    pool, _ = _planted(seed=11)

    def run() -> list[tuple[str, str, float]]:
        seen = Deduplicator(threshold=0.7)
        return [(d.id, d.kept_id, d.similarity) for q, t in pool if (d := seen.add(q, t)) is not None]

    assert run() == run()


def test_shingles_stay_inside_sentences() -> None:
    assert shingles("A b c d. E f.", 3) == {b"a b c", b"b c d", b"e f"}
