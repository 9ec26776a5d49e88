"""Run a rollout config: resumable, append-only, one record per finished sample.

The output JSONL is append-only. On start the runner reads what is there, keyed by
(question, model, sample index), repairs a torn last line left by a crash, and asks
the backend only for what is missing; every finished sample is appended at once and
the file is fsynced every ``flush_every`` records. A crash therefore loses at most
the samples in flight, and a resume never writes a key twice.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ded_plugins.configs.rollout import RolloutConfig, load_rollout_config
from ded_plugins.errors import ConfigError, InputError
from ded_plugins.io import dumps_line, read_rollouts, rollout_to_dict
from ded_plugins.protocols import RolloutBackend
from ded_plugins.records import Question, Rollout
from ded_plugins.registry import Registry
from ded_plugins.rollouts.ray_runner import RayRollouts, executor_problems
from ded_plugins.rollouts.types import Generation, SampleRequest, derive_seed
from ded_plugins.steps import Step, without_inputs


__all__ = ["RolloutSummary", "rollout_step", "run_rollouts"]

log = logging.getLogger(__name__)

#: backend parameters that change how fast samples come, not what they are
_NOT_SEMANTIC = frozenset(
    {"concurrency", "timeout_s", "max_retries", "backoff_s", "chunk_questions", "gpu_memory_utilization"}
)


def rollout_step(config: RolloutConfig) -> Step:
    """What generated (or generates) ``config.output``'s records of ``config.model``.

    The pool and the number of samples are not part of it: more questions or more samples
    extend a file. The model's weights (a local model directory, by content), the
    backend and its parameters, the seed and the role are. (Every record carries its
    decoding parameters, which are checked record by record.)
    """
    params = without_inputs(
        {k: v for k, v in config.backend_params.items() if k not in _NOT_SEMANTIC}, config.inputs
    )
    return Step(
        name=f"rollout:{config.model}",
        marker=config.output.with_name(f"{config.output.name}.{_safe(config.model)}.step.json"),
        params={
            "model": config.model,
            "role": config.role,
            "seed": config.seed,
            "backend": config.backend,
            "backend_params": params,
        },
        inputs=dict(config.inputs),
    )


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def _check_step(config: RolloutConfig) -> tuple[Step, str]:
    """Refuse to extend records that other inputs generated; returns the step and its fingerprint."""
    step = rollout_step(config)
    fingerprint = step.fingerprint()
    if config.output.exists() and step.marker.is_file() and step.done(fingerprint) is None:
        raise InputError(
            f"its records of model {config.model!r} were generated from other inputs than this config's "
            f"(see {step.marker}: model weights, backend, seed or role changed); "
            "write to another output, or delete the file to generate it again",
            path=str(config.output),
        )
    return step, fingerprint


@dataclass(frozen=True, slots=True)
class RolloutSummary:
    output: Path
    existing: int
    generated: int
    total: int


def run_rollouts(
    config: RolloutConfig | str | Path | Mapping[str, Any],
    *,
    registry: Registry | None = None,
    questions: Mapping[str, Question] | None = None,
    progress: bool = True,
) -> RolloutSummary:
    """Generate every missing (question, sample index) of ``config``; returns counts."""
    if registry is None:
        from ded_plugins.plugins import get_registry

        registry = get_registry()
    if not isinstance(config, RolloutConfig):
        config = load_rollout_config(config, registry=registry)
    where = f"backend.{config.backend}"
    problems = registry.check_params(
        registry.get("rollout_backend", config.backend, where=where), config.backend_params, where=where
    )
    problems += executor_problems(config.executor)
    if problems:  # before anything is read or written
        raise ConfigError(problems)
    step, fingerprint = _check_step(config)
    pool = dict(questions) if questions is not None else config.questions.read()
    out = config.output
    sampling = config.sampling.to_dict()
    metadata = {"sampling": sampling, "backend": config.backend}
    done = _existing_keys(out, config.model, sampling)
    requests = []
    for qid, q in pool.items():
        missing = tuple(i for i in range(config.samples) if (qid, i) not in done)
        if missing:
            seeds = tuple(derive_seed(config.seed, qid, i) for i in missing)
            requests.append(
                SampleRequest(question_id=qid, prompt=q.prompt, sample_indices=missing, seeds=seeds)
            )
    pending = sum(len(r.sample_indices) for r in requests)
    total = len(pool) * config.samples
    log.info("%s: %d of %d samples present, %d to generate", out, total - pending, total, pending)
    if not requests:
        step.complete({"records": total}, fingerprint=fingerprint)
        return RolloutSummary(out, total - pending, 0, total)
    backend: RolloutBackend
    if config.executor[0] == "ray":  # replicas of the backend on a cluster; records written here
        backend = RayRollouts(config.backend, config.backend_params, model=config.model, **config.executor[1])
    else:
        backend = registry.build("rollout_backend", config.backend, config.backend_params, where=where)
    from tqdm import tqdm

    out.parent.mkdir(parents=True, exist_ok=True)
    step.complete({"records": total - pending, "complete": False}, fingerprint=fingerprint)
    written = 0
    with (
        out.open("a", encoding="utf-8") as fh,
        tqdm(total=pending, desc=f"rollouts {config.model}", unit="sample", disable=not progress) as bar,
    ):

        def emit(g: Generation) -> None:
            nonlocal written
            if (g.question_id, g.sample_index) in done:  # a backend bug must not corrupt the file
                raise RuntimeError(f"backend produced {g.question_id}/{g.sample_index} twice")
            done.add((g.question_id, g.sample_index))
            rollout = Rollout(
                question_id=g.question_id,
                model=config.model,
                sample_index=g.sample_index,
                text=g.text,
                role=config.role,  # type: ignore[arg-type]
                n_tokens=g.n_tokens,
                finish_reason=g.finish_reason,
                metadata={**metadata, "seed": g.seed},
            )
            fh.write(dumps_line(rollout_to_dict(rollout)))
            fh.flush()
            written += 1
            if written % config.flush_every == 0:
                os.fsync(fh.fileno())
            bar.update(1)

        try:
            backend.generate(requests, config.sampling, emit)
        finally:
            fh.flush()
            os.fsync(fh.fileno())
            close = getattr(backend, "close", None)
            if callable(close):
                close()
    step.complete({"records": total - pending + written, "complete": True}, fingerprint=fingerprint)
    return RolloutSummary(out, total - pending, written, total)


def _existing_keys(path: Path, model: str, sampling: Mapping[str, Any]) -> set[tuple[str, int]]:
    """Keys of ``model`` already in ``path``; a torn last line from a crash is cut off first.

    Records are keyed by (question, model, sample index): other models' records may share
    the file and are left alone. Records of this model sampled with other decoding
    parameters would mix two distributions, so they are an error rather than something
    to build on.
    """
    if not path.exists():
        return set()
    _repair_tail(path)
    seen: set[tuple[str, str, int]] = set()
    keys: set[tuple[str, int]] = set()
    for lineno, r in read_rollouts(path, allow_empty=True):
        if (r.question_id, r.model, r.sample_index) in seen:
            raise InputError(f"duplicate rollout {r.id}", path=str(path), line=lineno)
        seen.add((r.question_id, r.model, r.sample_index))
        if r.model != model:
            continue
        theirs = r.metadata.get("sampling")
        if theirs is not None and theirs != sampling:
            raise InputError(
                f"was sampled with {theirs}, this config asks for {dict(sampling)}; use another output",
                path=str(path),
                line=lineno,
                field="metadata.sampling",
            )
        keys.add((r.question_id, r.sample_index))
    return keys


def _repair_tail(path: Path) -> None:
    with path.open("rb+") as fh:
        size = fh.seek(0, os.SEEK_END)
        if size == 0:
            return
        fh.seek(size - 1)
        if fh.read(1) == b"\n":
            return
        cut = _last_newline(fh, size)
        log.warning("%s: dropping a torn last line (%d bytes) left by an interrupted run", path, size - cut)
        fh.truncate(cut)


def _last_newline(fh: IO[bytes], size: int) -> int:
    pos = size
    while pos > 0:
        step = min(65536, pos)
        fh.seek(pos - step)
        chunk = fh.read(step)
        i = chunk.rfind(b"\n")
        if i >= 0:
            return pos - step + i + 1
        pos -= step
    return 0
