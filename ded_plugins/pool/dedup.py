"""Question deduplication, streaming: exact (normalised text) and near (MinHash LSH).

Questions arrive in pool order; each is compared with the questions kept so far and
dropped if it duplicates one, so the first of each cluster is the one kept.

* **exact**: the same normalised text (:func:`ded_plugins.pool.normalize.normalize`:
  case, whitespace, LaTeX spelling and delimiters);
* **near**: MinHash (datasketch) of word shingles taken *within sentences*, so the same
  sentences in another order give the same shingle set; candidates come from datasketch's
  LSH index, and a candidate is a duplicate when the estimated Jaccard similarity of the
  signatures reaches ``threshold`` *and* both questions have the same numbers (a question
  with changed numbers is another question, however similar its words).

Memory per kept question: its LSH band keys, a 32-bit signature (``num_perm`` x 4 bytes),
an 8-byte text digest and its id; never its text.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterator
from typing import Any

import numpy as np

from ded_plugins._optional import require
from ded_plugins.errors import ConfigError
from ded_plugins.pool.normalize import numbers, sentences, tokens
from ded_plugins.pool.records import Duplicate


__all__ = ["Deduplicator", "shingles"]

_GROW = 4096


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


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=8).digest()


class Deduplicator:
    """Remembers the questions kept so far; :meth:`add` says whether a new one duplicates one."""

    def __init__(self, *, threshold: float = 0.8, num_perm: int = 128, shingle: int = 3) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ConfigError(f"threshold: expected a Jaccard similarity in (0, 1], found {threshold}")
        if num_perm < 16:
            raise ConfigError(f"num_perm: expected at least 16 permutations, found {num_perm}")
        if shingle < 1:
            raise ConfigError(f"shingle: expected at least 1 word, found {shingle}")
        datasketch = require("datasketch", "pool", purpose="near-duplicate detection (MinHash LSH)")
        self.threshold = threshold
        self.num_perm = num_perm
        self.shingle = shingle
        self._minhash = datasketch.MinHash
        self._template = datasketch.MinHash(num_perm=num_perm, seed=1)
        self._lsh = datasketch.MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._exact: dict[bytes, int] = {}
        self.ids: list[str] = []
        self._numbers = array("Q")
        self._sigs = np.zeros((_GROW, num_perm), dtype=np.uint32)

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
        first = self._exact.get(digest)
        if first is not None:
            return Duplicate(id=qid, kept_id=self.ids[first], method="exact", similarity=1.0, text=text)
        nums = int.from_bytes(_digest(" ".join(sorted(numbers(toks)))), "little")
        parts = shingles(text, self.shingle)
        m = self._signature(parts) if parts else None
        if m is not None:
            sig = m.hashvalues.astype(np.uint32)
            best: tuple[int, float] | None = None
            for k in self._lsh.query(m):
                if self._numbers[k] != nums:
                    continue
                similarity = float(np.count_nonzero(self._sigs[k] == sig)) / self.num_perm
                if similarity >= self.threshold and (best is None or k < best[0]):
                    best = (k, similarity)
            if best is not None:
                return Duplicate(
                    id=qid, kept_id=self.ids[best[0]], method="near", similarity=round(best[1], 4), text=text
                )
        k = len(self.ids)
        self.ids.append(qid)
        self._exact[digest] = k
        self._numbers.append(nums)
        if m is not None:
            if k >= len(self._sigs):
                self._sigs = np.concatenate([self._sigs, np.zeros_like(self._sigs)])
            self._sigs[k] = m.hashvalues.astype(np.uint32)
            self._lsh.insert(k, m, check_duplication=False)
        return None

    def kept(self) -> Iterator[str]:
        """Ids of the questions kept, in pool order."""
        return iter(self.ids)
