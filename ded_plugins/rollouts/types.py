"""What a rollout backend receives and gives back.

A backend gets :class:`SampleRequest` objects (one question, the sample indices still
missing for it, one seed per index) and calls ``emit`` with a :class:`Generation` as
soon as each sample is finished, so the runner can persist it at once: a crash then
loses only what was in flight.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


__all__ = ["Emit", "Generation", "SampleRequest", "Sampling", "derive_seed"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Sampling:
    """Decoding parameters, shared by every backend (vendor defaults of R1-Distill)."""

    temperature: float = 0.6
    top_p: float = 0.95
    #: sized for long chains of thought; the paper trains at 16k and evaluates at 32k
    max_tokens: int = 32768
    #: backend-specific extras (top_k, min_p, repetition_penalty, ...), passed through
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain form, written into every rollout's metadata."""
        out = asdict(self)
        out["extra"] = dict(self.extra)
        if not out["extra"]:
            del out["extra"]
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class SampleRequest:
    """Samples still missing for one question."""

    question_id: str
    prompt: str
    sample_indices: tuple[int, ...]
    seeds: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Generation:
    """One finished sample."""

    question_id: str
    sample_index: int
    seed: int
    text: str
    n_tokens: int | None
    finish_reason: str | None


Emit = Callable[[Generation], None]


def derive_seed(seed: int, question_id: str, sample_index: int) -> int:
    """A per-sample seed that does not depend on what else is in the batch (so resumes agree)."""
    import hashlib

    digest = hashlib.sha256(f"{seed}\x00{question_id}\x00{sample_index}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF
