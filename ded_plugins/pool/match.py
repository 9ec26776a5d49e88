"""Match one pool question against every benchmark item: n-grams, fuzzy ratio, exact text.

**N-grams.** Word n-grams (n = 8) of the normalised statement. An n-gram that occurs in
``common_df`` or more distinct benchmark items is *common* (answer-format sentences,
"find the remainder when ... is divided by 1000") and never counts as evidence; the
document frequency is taken over the benchmark items only, so a pool holding many copies
or templated variants of one benchmark problem cannot talk its own copies into
boilerplate. What decides is **coverage**: the share of the benchmark item's informative
tokens (those inside at least one non-common n-gram) that lie in n-grams shared with the
pool question. A copy covers nearly all of it; boilerplate or figure code alone covers a
small part, so it never decides.

**Numbers.** A copy contains every number of the benchmark statement (as a multiset); a
template look-alike that shares a long passage but asks with other numbers does not.
Numbers in figure labels count when both have a figure (labels often carry the data).
Such a pair, and a pair that shares a long passage but not enough of the statement
(another question asked about the same set-up), is ``similar``: reported, and dropped
only on request. A statement shorter than two n-grams must be covered whole to count as
copied.

**Fuzzy.** ``rapidfuzz.fuzz.ratio`` of the normalised texts (OpenThoughts' ratio >= 95),
computed only for candidates found by blocking: benchmark items sharing one of their
rarest word trigrams with the pool question, and of a length the threshold allows.
Never all pairs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from ded_plugins.pool.normalize import has_figure, label_numbers, numbers, tokens
from ded_plugins.pool.records import BenchmarkItem, Match


__all__ = ["DEFAULTS", "BenchmarkIndex", "MatchSettings"]

#: fuzzy candidates are blocked on each benchmark item's rarest word trigrams: a text within
#: ratio 95 of it keeps nearly all its trigrams, so it shares some of these (measured: the
#: blocked search finds every pair all-pairs rapidfuzz finds, benchmarks/bench_pool.py)
_BLOCK_TRIGRAMS = 8


@dataclass(frozen=True, slots=True, kw_only=True)
class MatchSettings:
    """Thresholds of the matcher (the defaults are the module docstring's)."""

    ngram: int = 8
    #: an n-gram in this many distinct benchmark items is common (boilerplate)
    common_df: int = 2
    #: share of the benchmark item's informative tokens a copy covers
    min_coverage: float = 0.8
    #: a pair covering at least this much (but not a copy) is listed as similar
    similar_coverage: float = 0.5
    #: rapidfuzz ratio (0-100) of the normalised texts
    fuzzy: float = 95.0

    def check(self) -> list[str]:
        problems = []
        if self.ngram < 3:
            problems.append(f"ngram: must be at least 3, found {self.ngram}")
        if self.common_df < 2:
            problems.append(f"common_df: must be at least 2, found {self.common_df}")
        if not 0 < self.similar_coverage <= self.min_coverage <= 1:
            problems.append(
                "coverage: expected 0 < similar_coverage <= min_coverage <= 1, found "
                f"{self.similar_coverage} and {self.min_coverage}"
            )
        if not 0 < self.fuzzy <= 100:
            problems.append(f"fuzzy: expected a ratio in (0, 100], found {self.fuzzy}")
        return problems


DEFAULTS = MatchSettings()


@dataclass(frozen=True, slots=True)
class _Entry:
    item: BenchmarkItem
    tokens: tuple[str, ...]
    norm: str
    numbers: Counter[str]
    label_numbers: Counter[str]
    informative: frozenset[int]  # token positions inside a non-common n-gram


class BenchmarkIndex:
    """Benchmark items indexed for matching; :meth:`match` is called once per pool question."""

    def __init__(self, items: Iterable[BenchmarkItem], settings: MatchSettings = DEFAULTS) -> None:
        self.settings = settings
        n = settings.ngram
        self.entries: list[_Entry] = []
        grams_of: list[dict[str, list[int]]] = []
        df: Counter[str] = Counter()
        tri_df: Counter[str] = Counter()
        for item in items:
            toks = tokens(item.text)
            starts: dict[str, list[int]] = defaultdict(list)
            for i in range(len(toks) - n + 1):
                starts[" ".join(toks[i : i + n])].append(i)
            df.update(starts.keys())
            tri_df.update({" ".join(toks[i : i + 3]) for i in range(len(toks) - 2)})
            grams_of.append(starts)
            self.entries.append(
                _Entry(
                    item,
                    tuple(toks),
                    " ".join(toks),
                    Counter(numbers(toks)),
                    Counter(label_numbers(item.text)),
                    frozenset(),
                )
            )
        self.common = {g for g, c in df.items() if c >= settings.common_df}
        self.grams: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.trigrams: dict[str, list[int]] = defaultdict(list)
        self.exact: dict[str, list[int]] = defaultdict(list)
        for k, (entry, starts) in enumerate(zip(self.entries, grams_of, strict=True)):
            informative: set[int] = set()
            for gram, where in starts.items():
                if gram in self.common:
                    continue
                for s in where:
                    self.grams[gram].append((k, s))
                    informative.update(range(s, s + n))
            self.entries[k] = _Entry(
                entry.item,
                entry.tokens,
                entry.norm,
                entry.numbers,
                entry.label_numbers,
                frozenset(informative),
            )
            etoks = entry.tokens
            tris = sorted(
                {" ".join(etoks[i : i + 3]) for i in range(len(etoks) - 2)}, key=lambda t: (tri_df[t], t)
            )
            for t in tris[:_BLOCK_TRIGRAMS]:
                self.trigrams[t].append(k)
            if entry.norm:
                self.exact[entry.norm].append(k)

    def __len__(self) -> int:
        return len(self.entries)

    def match(self, pool_id: str, text: str) -> list[Match]:
        """Every benchmark item ``text`` copies or resembles, best evidence first."""
        s = self.settings
        toks = tokens(text)
        norm = " ".join(toks)
        n = s.ngram
        hits: dict[int, set[int]] = defaultdict(set)
        shared: dict[int, list[str]] = defaultdict(list)
        grams = [" ".join(toks[i : i + n]) for i in range(len(toks) - n + 1)]
        found = self.grams.keys() & grams  # set operations in C: most questions share nothing
        for gram in (g for g in grams if g in found) if found else ():  # pool order, for stable output
            for k, start in self.grams[gram]:
                if start not in hits[k]:
                    hits[k].add(start)
                    shared[k].append(gram)
        candidates: set[int] = set(self.exact.get(norm, ()))
        for tri in self.trigrams.keys() & [" ".join(toks[i : i + 3]) for i in range(len(toks) - 2)]:
            candidates.update(self.trigrams[tri])
        out = []
        nums: Counter[str] | None = None
        figure = False
        for k in sorted(candidates | hits.keys()):
            entry = self.entries[k]
            exact = bool(norm) and norm == entry.norm
            starts = hits.get(k)
            covered: set[int] = set()
            if starts and entry.informative:
                covered = {p for st in starts for p in range(st, st + n)} & entry.informative
            coverage = len(covered) / len(entry.informative) if covered else 0.0
            score = 0.0
            if not exact and _length_allows(len(norm), len(entry.norm), s.fuzzy):
                score = fuzz.ratio(norm, entry.norm, score_cutoff=s.fuzzy)
            if not exact and not score and coverage < s.similar_coverage:
                continue  # the common case: a blocking candidate that shares too little
            if nums is None:
                nums = Counter(numbers(toks))
                figure = has_figure(text)
                if figure:
                    nums.update(label_numbers(text))
            out.append(
                self._judge(entry, pool_id, text, exact, coverage, covered, score, nums, figure, shared[k])
            )
        out.sort(key=lambda m: (m.status != "contaminated", -float(m.evidence.get("coverage", 0))))
        return out

    def _judge(
        self,
        entry: _Entry,
        pool_id: str,
        text: str,
        exact: bool,
        coverage: float,
        covered: set[int],
        score: float,
        nums: Counter[str],
        figure: bool,
        shared: Sequence[str],
    ) -> Match:
        s = self.settings
        evidence: dict[str, Any] = {}
        if covered:
            evidence["coverage"] = round(coverage, 4)
            evidence["shared_passages"] = _passages(entry.tokens, covered)
            evidence["shared_ngrams"] = list(shared[:12])
            evidence["n_shared_ngrams"] = len(shared)
        if score:
            evidence["fuzzy_ratio"] = round(score, 2)
        # a figure's labels are compared only when the pool question has a figure too:
        # pools often drop the figure code of a copied problem
        missing = (entry.numbers + entry.label_numbers if figure else entry.numbers) - nums
        if missing:
            evidence["numbers_missing"] = sorted(missing.elements(), key=_number_key)
        # a statement shorter than two n-grams must be contained whole: a part of it is
        # too little text to tell a copy from a shared question sentence
        needed = s.min_coverage if len(entry.informative) >= 2 * s.ngram else 1.0
        method: Any = "exact" if exact else "ngram" if coverage >= needed else "fuzzy" if score else None
        status: Any = "contaminated" if method is not None and not missing else "similar"
        return Match(
            pool_id=pool_id,
            benchmark=entry.item.benchmark,
            benchmark_id=entry.item.id,
            status=status,
            method=method or "ngram",
            evidence=evidence,
            pool_text=text,
            benchmark_text=entry.item.text,
        )


def _length_allows(a: int, b: int, ratio: float) -> bool:
    """Can two strings of lengths ``a`` and ``b`` reach ``ratio``? (ratio <= 200 min / (a + b))."""
    return a > 0 and b > 0 and 200.0 * min(a, b) >= ratio * (a + b)


def _passages(toks: Sequence[str], covered: set[int]) -> list[str]:
    """Maximal runs of covered positions, as text (normalised tokens)."""
    out: list[str] = []
    run: list[str] = []
    for i, tok in enumerate(toks):
        if i in covered:
            run.append(tok)
        elif run:
            out.append(" ".join(run))
            run = []
    if run:
        out.append(" ".join(run))
    return out


def _number_key(value: str) -> tuple[float, str]:
    try:
        return float(value), value
    except ValueError:
        return float("inf"), value
