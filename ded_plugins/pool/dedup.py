"""Question deduplication, streaming: exact (normalised text) and near (MinHash LSH).

Questions arrive in pool order; each is compared with the questions kept so far and
dropped if it duplicates one, so the first of each cluster is the one kept.

* **exact**: the same normalised text (:func:`ded_plugins.pool.normalize.normalize`:
  case, whitespace, LaTeX spelling and delimiters);
* **near**: MinHash signatures (datasketch) of word shingles taken *within sentences*, so
  the same sentences in another order give the same shingle set; candidates come from an
  LSH index (:mod:`ded_plugins.pool.lsh`, datasketch's banding in compact arrays), and a
  candidate is a duplicate when the estimated Jaccard similarity reaches ``threshold``
  *and* both questions have the same numbers (a question with changed numbers is another
  question, however similar its words).

Memory per kept question: its band keys, an 8-bit copy of its signature, a text digest,
a digest of its numbers and its id (a few hundred bytes); never its text.

:class:`Deduplicator` decides one question; the ``dedup`` selector and :func:`dedup_pool`
(``ded pool dedup``: the pool without its duplicate questions, plus
``duplicates.json``/``.md``) both use it. :func:`dedup_pool` decides and writes in one
streaming pass; when duplicates were found, a second pass reads the kept questions'
texts for the report.
"""

from __future__ import annotations

import hashlib
import time
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ded_plugins._optional import require
from ded_plugins.errors import ConfigError
from ded_plugins.pool.lsh import Buckets, LshIndex
from ded_plugins.pool.normalize import numbers, sentences, tokens
from ded_plugins.pool.records import Duplicate
from ded_plugins.pool.report import write_duplicates_report
from ded_plugins.pool.stream import PoolSource, clean_rows, progress_bar
from ded_plugins.records import Question


__all__ = ["DedupResult", "Deduplicator", "check_settings", "dedup_pool", "shingles"]


def shingles(text: str, size: int) -> set[bytes]:
    """Word ``size``-grams inside each sentence (a shorter sentence is one shingle), as bytes."""
    out: set[bytes] = set()
    for sentence in sentences(text):
        toks = tokens(sentence)
        if not toks:
            continue
        if len(toks) <= size:
            out.add(" ".join(toks).encode())
            continue
        for i in range(len(toks) - size + 1):
            out.add(" ".join(toks[i : i + size]).encode())
    return out


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def check_settings(*, threshold: float, num_perm: int, shingle: int) -> Any:
    """Raise :class:`ConfigError` for settings a :class:`Deduplicator` cannot use, or the missing
    extra when datasketch is not installed; returns the datasketch module."""
    if not 0.0 < threshold <= 1.0:
        raise ConfigError(f"threshold: expected a Jaccard similarity in (0, 1], found {threshold}")
    if num_perm < 16:
        raise ConfigError(f"num_perm: expected at least 16 permutations, found {num_perm}")
    if shingle < 1:
        raise ConfigError(f"shingle: expected at least 1 word, found {shingle}")
    return require("datasketch", "pool", purpose="near-duplicate detection (MinHash LSH)")


class Deduplicator:
    """Remembers the questions kept so far; :meth:`add` says whether a new one duplicates one."""

    def __init__(self, *, threshold: float = 0.8, num_perm: int = 128, shingle: int = 3) -> None:
        datasketch = check_settings(threshold=threshold, num_perm=num_perm, shingle=shingle)
        self.threshold = threshold
        self.num_perm = num_perm
        self.shingle = shingle
        self._minhash = datasketch.MinHash
        self._template = datasketch.MinHash(num_perm=num_perm, seed=1)
        self._lsh = LshIndex(threshold, num_perm)
        self._exact = Buckets()
        self.ids: list[str] = []
        self._numbers = array("Q")

    def __len__(self) -> int:
        return len(self.ids)

    def _signature(self, parts: set[bytes]) -> Any:
        m = self._minhash(
            num_perm=self.num_perm,
            seed=1,
            permutations=self._template.permutations,
            scheme=self._template.scheme,
        )
        m.update_batch(sorted(parts))
        return m

    def add(self, qid: str, text: str) -> Duplicate | None:
        """``None`` (and remember ``text``) if it is new, else what it duplicates."""
        toks = tokens(text)
        digest = _digest(" ".join(toks))
        same = self._exact.get([digest])
        if same:
            return Duplicate(id=qid, kept_id=self.ids[min(same)], method="exact", similarity=1.0, text=text)
        nums = _digest(" ".join(sorted(numbers(toks))))
        parts = shingles(text, self.shingle)
        sig = self._signature(parts).hashvalues if parts else None
        if sig is not None:
            near = [
                (member, estimate)
                for member, estimate in self._lsh.candidates(sig)
                if estimate >= self.threshold and self._numbers[member] == nums
            ]
            if near:
                member, estimate = min(near)  # the earliest kept question
                return Duplicate(
                    id=qid, kept_id=self.ids[member], method="near", similarity=round(estimate, 4), text=text
                )
        k = len(self.ids)
        self.ids.append(qid)
        self._exact.put([digest], k)
        self._numbers.append(nums)
        if sig is not None:
            self._lsh.add(sig)
        else:
            self._lsh.add(np.zeros(self.num_perm, dtype=np.uint64))  # no shingles: members stay aligned
        return None

    def kept(self) -> Iterator[str]:
        """Ids of the questions kept, in pool order."""
        return iter(self.ids)


@dataclass(frozen=True, kw_only=True)
class DedupResult:
    """What :func:`dedup_pool` did."""

    questions: int
    kept: int
    duplicates: tuple[Duplicate, ...]
    output: Path
    report_json: Path
    report_md: Path
    seconds: float

    @property
    def clusters(self) -> int:
        return len({d.kept_id for d in self.duplicates})


def dedup_pool(
    source: PoolSource,
    output: str | Path,
    *,
    report_dir: str | Path | None = None,
    threshold: float = 0.8,
    num_perm: int = 128,
    shingle: int = 3,
    progress: bool = True,
) -> DedupResult:
    """Write ``source`` without the questions that duplicate an earlier one (same format)."""
    started = time.perf_counter()
    seen = Deduplicator(threshold=threshold, num_perm=num_perm, shingle=shingle)
    found: list[Duplicate] = []
    counts = {"questions": 0}

    def keep(question: Question, row: Mapping[str, Any]) -> bool:
        counts["questions"] += 1
        dup = seen.add(question.id, question.prompt)
        if dup is not None:
            found.append(dup)
        return dup is None

    out = Path(output)
    with progress_bar("dedup", progress) as bar:
        clean_rows(source, out, keep, bar)
    wanted = {d.kept_id for d in found}
    texts: dict[str, str] = {}
    if wanted:
        for _, _, q in source.rows():
            if q.id in wanted:
                texts[q.id] = q.prompt
    summary = {
        "pool": str(source.path),
        "output": str(out),
        "questions": counts["questions"],
        "kept": len(seen),
        "dropped": len(found),
    }
    json_path, md_path = write_duplicates_report(
        Path(report_dir) if report_dir is not None else out.parent,
        found,
        kept_texts=texts,
        pool=summary,
        settings={"threshold": threshold, "num_perm": num_perm, "shingle": shingle},
    )
    return DedupResult(
        questions=counts["questions"],
        kept=len(seen),
        duplicates=tuple(found),
        output=out,
        report_json=json_path,
        report_md=md_path,
        seconds=time.perf_counter() - started,
    )
