"""Immutable records that flow through DED's stages.

Records are frozen, slotted, keyword-only dataclasses; a stage changes one with
:func:`dataclasses.replace`. Dicts appear only where records cross a file boundary
(:mod:`ded_plugins.io`) or leave for another tool (the exporters).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal


__all__ = [
    "CodeTests",
    "Question",
    "QuestionGroup",
    "Rejection",
    "Rollout",
    "Verdict",
    "rollout_id",
]


def rollout_id(question_id: str, model: str, sample_index: int) -> str:
    """A rollout's identity (:attr:`Rollout.id`) from its three parts, e.g. a stage row's."""
    return f"{question_id}/{model}/{sample_index}"


Domain = str  # "math", "code", "science", ... free text, compared as is
Role = Literal["teacher", "student"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeTests:
    """Tests of a programming question, in LiveCodeBench's encoding.

    ``fn_name`` is ``None`` for stdin/stdout problems; otherwise each input is a
    newline-separated list of JSON arguments and each output a JSON value.
    ``checker`` is the source of a checker program for problems with several right
    answers (Codeforces style); it reads the input, the expected and the actual
    output and exits 0 to accept. A pool may instead name the checker's file
    (``checker_path``, relative to the pool file); it is read into ``checker`` and the
    file is a declared input of the run (a change to it re-runs the curation).
    """

    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    fn_name: str | None = None
    timeout_s: float = 6.0
    checker: str | None = None
    checker_path: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Question:
    """One question of the pool, with what is needed to check an answer to it."""

    id: str
    domain: Domain
    prompt: str
    answer: str | None = None
    tests: CodeTests | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """What one stage concluded about one rollout.

    ``reason`` is a short stable word (``too_long``, ``wrong``); the pipeline turns a
    failed verdict into a :class:`Rejection` whose reason is ``<stage>.<reason>``.
    ``details`` carries measured facts (token counts, extracted answers) that are kept
    with the rollout for later stages and for people reading the run.
    """

    passed: bool
    reason: str = "ok"
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Rollout:
    """One sampled response of one model to one question."""

    question_id: str
    model: str
    sample_index: int
    text: str
    role: Role = "teacher"
    n_tokens: int | None = None
    finish_reason: str | None = None
    #: verdicts of the stages that have looked at this rollout so far, by stage name
    verdicts: Mapping[str, Verdict] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """Stable identity: question, model and sample index."""
        return rollout_id(self.question_id, self.model, self.sample_index)


@dataclass(frozen=True, slots=True, kw_only=True)
class Rejection:
    """Why a rollout was dropped: ``reason`` is ``<stage>.<word>`` (``length.too_long``)."""

    stage: str
    reason: str
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class QuestionGroup:
    """A question with the teacher rollouts still in the run for it, in input order.

    ``student`` holds the student's own samples of the question with the verdicts the
    processors gave them (students are graded, never filtered): what ``pass_rate`` counts.
    """

    question: Question
    rollouts: tuple[Rollout, ...]
    student: tuple[Rollout, ...] = ()
