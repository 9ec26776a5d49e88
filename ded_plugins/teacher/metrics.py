"""The built-in teacher metrics: pass rate, length, token entropy, PCA shift."""

from __future__ import annotations

import dataclasses
import logging
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ded_plugins.configs.checker import Checker, QuestionSource, QuestionsRef
from ded_plugins.errors import ConfigError
from ded_plugins.registry import STAGE_KINDS
from ded_plugins.steps import ModelRef
from ded_plugins.teacher.context import TeacherContext, load_model


__all__ = ["LengthStats", "PCAShiftMetric", "PassRate", "TokenEntropy"]

log = logging.getLogger(__name__)


def _stage_specs(stages: Sequence[Any]) -> list[tuple[str, dict[str, Any]]]:
    specs: list[tuple[str, dict[str, Any]]] = []
    for i, s in enumerate(stages):
        if isinstance(s, str):
            specs.append((s, {}))
        elif isinstance(s, Mapping) and len(s) == 1:
            name, params = next(iter(s.items()))
            specs.append((str(name), dict(params or {})))
        else:
            raise ConfigError(f"pass_rate.stages[{i}]: expected a name or {{name: {{params}}}}, found {s!r}")
    return specs


class PassRate:
    """Share of the teacher's trajectories that pass the curation processors, in order.

    It is a curation run of its own (the engine, in ``<teacher>/pass_rate/``) over the
    teacher's smoke-test corpus with these processor stages, so it grades exactly as
    ``ded curate`` does; a rollout counts against the first stage that drops it.
    """

    def __init__(self, *, stages: list[Any] | None = None) -> None:
        self.specs = _stage_specs(stages if stages is not None else ["think_format", "math_correct"])

    def compute(self, context: TeacherContext) -> Mapping[str, Any]:
        """Run the stages over the corpus and count who drops what."""
        from ded_plugins.configs.curate import load_curation_config
        from ded_plugins.engine import run_curation
        from ded_plugins.io import question_to_dict, rollout_to_dict, write_jsonl

        out = context.out_dir / "pass_rate"
        ids = {r.question_id for r in context.rollouts}
        write_jsonl(
            out / "questions.jsonl", (question_to_dict(q) for q in context.questions.values() if q.id in ids)
        )
        write_jsonl(out / "corpus.jsonl", (rollout_to_dict(r) for r in context.rollouts))
        total = len(context.rollouts)
        summary: dict[str, Any] = {"stages": [name for name, _ in self.specs], "total": total}
        if not total:
            return {**summary, "pass_rate": 0.0, "passed": 0, "rejected": {}}
        config = load_curation_config(
            {
                "run": "run",
                "output_dir": str(out),
                "questions": str(out / "questions.jsonl"),
                "rollouts": [str(out / "corpus.jsonl")],
                "stages": [{name: params} for name, params in self.specs],
            },
            base_dir=context.base_dir,
            registry=context.registry,
            label="metrics.pass_rate",
        )
        for spec in config.stages:
            if context.registry.get(STAGE_KINDS, spec.name).kind != "processor":
                raise ConfigError(f"metrics.pass_rate.stages: {spec.name!r} is a selector; name processors")
        result = run_curation(config, registry=context.registry, resume=True, progress=False)
        reasons: Counter[str] = Counter()
        for stats in result.stages:
            reasons.update(stats["dropped"])
        passed = int(result.stages[-1]["kept"]) if result.stages else total
        return {
            **summary,
            "pass_rate": passed / total,
            "passed": passed,
            "rejected": dict(sorted(reasons.items())),
        }


class LengthStats:
    """Length of the teacher's trajectories in tokens (the backend's count, or ``tokenizer``'s)."""

    def __init__(self, *, tokenizer: ModelRef | None = None) -> None:
        self.tokenizer = tokenizer

    def compute(self, context: TeacherContext) -> Mapping[str, Any]:
        """Mean, median, P90, max, and the share cut off at the token limit."""
        counts = [r.n_tokens for r in context.rollouts]
        if self.tokenizer is not None or any(c is None for c in counts):
            from ded_plugins._optional import require

            transformers = require("transformers", "analysis", purpose="counting tokens")
            tok = transformers.AutoTokenizer.from_pretrained(self.tokenizer or context.student)
            counts = [len(tok(r.text, add_special_tokens=False)["input_ids"]) for r in context.rollouts]
        if not counts:
            return {"n": 0}
        v = np.asarray(counts, dtype=np.float64)
        truncated = sum(1 for r in context.rollouts if r.finish_reason == "length")
        return {
            "n": len(counts),
            "mean": float(v.mean()),
            "median": float(np.median(v)),
            "p90": float(np.percentile(v, 90)),
            "max": int(v.max()),
            "truncated": truncated / len(counts),
        }


class TokenEntropy:
    """Token entropy of the teacher's corpus under the student (default) or the teacher itself."""

    def __init__(
        self,
        *,
        scoring: str = "student",
        base: float = 2.0,
        dtype: str = "auto",
        device: str = "auto",
        max_batch_tokens: int = 16384,
        chunk_positions: int = 1024,
        max_examples: int | None = None,
    ) -> None:
        if scoring not in ("student", "teacher"):
            raise ConfigError(f"token_entropy.scoring: expected 'student' or 'teacher', found {scoring!r}")
        self.scoring = scoring
        self.base = base
        self.dtype = dtype
        self.device = device
        self.max_batch_tokens = max_batch_tokens
        self.chunk_positions = chunk_positions
        self.max_examples = max_examples

    def compute(self, context: TeacherContext) -> Mapping[str, Any]:
        """Summary statistics; the per-token values go to ``entropy.npy`` for the histogram."""
        from ded_plugins.teacher.entropy import entropy_summary, token_entropy

        path = context.student if self.scoring == "student" else context.teacher_model
        if path is None:
            raise ConfigError(
                f"token_entropy: teacher {context.teacher!r} has no local 'model_path' to score with"
            )
        model, tokenizer = load_model(path, dtype=self.dtype, device=self.device)
        rollouts = list(context.rollouts)[: self.max_examples]
        values = token_entropy(
            model,
            tokenizer,
            [context.questions[r.question_id].prompt for r in rollouts],
            [r.text for r in rollouts],
            base=self.base,
            max_batch_tokens=self.max_batch_tokens,
            chunk_positions=self.chunk_positions,
        )
        np.save(context.out_dir / "entropy.npy", values)
        return {**entropy_summary(values), "scoring": self.scoring, "base": self.base, "file": "entropy.npy"}


class PCAShiftMetric:
    """Shift of the student's latent representations from the smoke-test SFT (DED Fig. 4).

    ``benchmarks`` maps a name to a question source, given like the pool (a path, or
    ``{path, format, split, domain, columns, limit}``; e.g. MATH-500's JSONL with
    ``columns: {id: unique_id, prompt: problem}``); without it the run's own questions are
    used. ``k`` texts are sampled per benchmark with ``seed``.
    """

    def __init__(
        self,
        *,
        benchmarks: dict[str, QuestionsRef] | None = None,
        k: int = 30,
        seed: int = 42,
        max_length: int = 128,
        pool: str = "all",
        dtype: str = "auto",
        device: str = "auto",
        batch_size: int = 8,
    ) -> None:
        if k < 2:
            raise ConfigError(f"pca_shift.k: expected at least 2, found {k}")
        self.benchmarks = dict(benchmarks or {})
        self.k = k
        self.seed = seed
        self.max_length = max_length
        self.pool = pool
        self.dtype = dtype
        self.device = device
        self.batch_size = batch_size

    def _texts(self, context: TeacherContext) -> dict[str, list[str]]:
        sources: dict[str, list[str]] = {}
        if not self.benchmarks:
            sources["questions"] = [q.prompt for q in context.questions.values()]
        checker = Checker("metrics", {}, context.base_dir)
        resolved: dict[str, QuestionSource] = {}
        for name, spec in self.benchmarks.items():
            # from a config, the checker resolved it already; from Python, the same rule applies here
            source = (
                spec
                if isinstance(spec, QuestionSource)
                else checker.questions(spec, ("pca_shift", "benchmarks", name))
            )
            if source is not None:
                resolved[name] = source
        checker.finish()
        for name, source in resolved.items():
            if source.domain is None:  # the texts are all that is used: benchmark rows need no domain
                source = dataclasses.replace(source, domain="benchmark")
            sources[name] = [q.prompt for q in source.read().values()]
        rng = random.Random(self.seed)
        return {n: (rng.sample(t, self.k) if len(t) > self.k else t) for n, t in sources.items()}

    def compute(self, context: TeacherContext) -> Mapping[str, Any]:
        """``dis`` per benchmark and the per-layer shifts."""
        from ded_plugins.teacher.pca_shift import layer_features, pca_shift

        if context.tuned_student is None:
            raise ConfigError("pca_shift needs the smoke-test student; the train step has not run")
        texts = self._texts(context)
        feats = {}
        for label, path in (("base", context.student), ("tuned", str(context.tuned_student))):
            model, tokenizer = load_model(path, base=context.student, dtype=self.dtype, device=self.device)
            if label == "base":
                base_tokenizer = tokenizer
            feats[label] = {
                name: layer_features(
                    model,
                    base_tokenizer,
                    t,
                    max_length=self.max_length,
                    batch_size=self.batch_size,
                    pool=self.pool,
                )
                for name, t in texts.items()
            }
            del model
        result: dict[str, Any] = {"dis": {}, "per_layer": {}, "k": self.k, "pool": self.pool}
        for name in texts:
            shift = pca_shift(feats["base"][name], feats["tuned"][name])
            result["dis"][name] = shift.dis
            result["per_layer"][name] = [float(x) for x in shift.per_layer]
        result["mean_dis"] = float(np.mean(list(result["dis"].values())))
        return result
