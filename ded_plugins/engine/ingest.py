"""Stage ``00_input``: read and check the pool and every rollout file once, streaming.

The pool goes into the run's question store (``questions.sqlite``); every rollout line is
parsed and checked (unknown question, duplicate (question, model, sample index), a role
that contradicts its file's) and becomes a stage row pointing at its line, in
``kept.jsonl`` (teacher rows) or ``student.jsonl``. Nothing is written under the final
name unless everything is valid. Memory stays bounded: questions live in SQLite,
duplicate ids are found by sorting 64-bit hashes.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import sqlite3
import time
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ded_plugins.configs.curate import CurationConfig, RolloutInput
from ded_plugins.errors import InputError
from ded_plugins.io.files import atomic_write, dumps_line, read_json, read_jsonl_spans, write_json
from ded_plugins.io.records import rollout_from_dict
from ded_plugins.io.rows import stage_row, verdict_to_dict
from ded_plugins.io.store import write_question_store
from ded_plugins.records import rollout_id
from ded_plugins.steps import Step, content_digest, digest


__all__ = ["INPUT_DIR", "InputState", "ingest"]

log = logging.getLogger(__name__)

INPUT_DIR = "00_input"


@dataclass(frozen=True, kw_only=True)
class InputState:
    """What the later stages build on."""

    dir: Path
    sources: tuple[str, ...]
    store: Path
    fingerprint: str
    stats: dict[str, Any]

    @property
    def kept(self) -> Path:
        return self.dir / "kept.jsonl"

    @property
    def student(self) -> Path:
        return self.dir / "student.jsonl"


def input_step(config: CurationConfig) -> Step:
    """The ingest step: the pool and the rollout files, by content, plus how they are read."""
    inputs = {"questions": config.questions.path}
    for i, r in enumerate(config.rollouts):
        inputs[f"rollouts[{i}]"] = str(r.path)
    source = config.questions.to_dict()
    source.pop("path")
    params = {"questions": source, "roles": [r.role for r in config.rollouts], "seed": config.seed}
    final = config.run_dir / INPUT_DIR
    return Step(name=INPUT_DIR, marker=final / "step.json", params=params, inputs=inputs)


def _referenced_digest(paths: Sequence[str]) -> str:
    """Digest of the files the pool's rows name (checker programs)."""
    return digest({p: content_digest(p) if Path(p).exists() else "missing" for p in paths})


def reuse_input(config: CurationConfig) -> InputState | None:
    """The finished ``00_input`` of an earlier run of the same inputs, if it is still valid."""
    step = input_step(config)
    done = step.done()
    final = config.run_dir / INPUT_DIR
    if done is None or not (final / "questions.sqlite").is_file():
        return None
    referenced = list(done.get("referenced", []))
    if done.get("referenced_digest") != _referenced_digest(referenced):
        return None
    stats = read_json(final / "stats.json")
    return InputState(
        dir=final,
        sources=tuple(read_json(final / "sources.json")["sources"]),
        store=final / "questions.sqlite",
        fingerprint=str(done["fingerprint"]),
        stats=stats,
    )


def ingest(config: CurationConfig, *, progress: bool = True) -> InputState:
    """Build ``00_input`` from scratch (in ``00_input.partial``, renamed into place when complete)."""
    started = time.perf_counter()
    step = input_step(config)
    base_fp = step.fingerprint()
    final = config.run_dir / INPUT_DIR
    partial = config.run_dir / f"{INPUT_DIR}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    store = partial / "questions.sqlite"
    n_questions, referenced = _write_store(config, store)
    sources = tuple(str(r.path.absolute()) for r in config.rollouts)
    counts = _write_rows(config.rollouts, store, partial, progress)
    referenced_digest = _referenced_digest(referenced)
    fingerprint = digest(base_fp, referenced_digest)
    digests = [content_digest(s) for s in sources]  # `ded show` warns when an input changes later
    write_json(partial / "sources.json", {"sources": list(sources), "digests": digests})
    with atomic_write(partial / "rejected.jsonl"):  # like every stage: kept + rejected (here: nothing)
        pass
    stats = {
        "stage": INPUT_DIR,
        "kind": "input",
        "questions": n_questions,
        "input": counts["teacher"],
        "kept": counts["teacher"],
        "rejected": 0,
        "dropped": {},
        "by_role": {"teacher": {"input": counts["teacher"]}, "student": {"input": counts["student"]}},
        "by_model": {m: {"input": n, "kept": n} for m, n in sorted(counts["models"].items())},
        "seconds": round(time.perf_counter() - started, 3),
        "fingerprint": fingerprint,
    }
    write_json(partial / "stats.json", stats)
    result = {"fingerprint": fingerprint, "referenced": referenced, "referenced_digest": referenced_digest}
    Step(name=step.name, marker=partial / "step.json", params=step.params, inputs=step.inputs).complete(
        result, fingerprint=base_fp, seconds=time.perf_counter() - started
    )
    shutil.rmtree(final, ignore_errors=True)
    partial.rename(final)
    return InputState(
        dir=final, sources=sources, store=final / "questions.sqlite", fingerprint=fingerprint, stats=stats
    )


def _write_store(config: CurationConfig, path: Path) -> tuple[int, list[str]]:
    """The pool into the run's question store (ids checked unique)."""
    return write_question_store(path, config.questions.rows(), source=config.questions.path)


def _id_hash(rid: str) -> int:
    return int.from_bytes(hashlib.blake2b(rid.encode(), digest_size=8).digest(), "little", signed=True)


def _write_rows(
    rollouts: Sequence[RolloutInput], store_path: Path, out: Path, progress: bool
) -> dict[str, Any]:
    """Check every rollout line and write its stage row; duplicates found afterwards by hash."""
    from tqdm import tqdm

    db = sqlite3.connect(f"file:{store_path.absolute()}?mode=ro", uri=True)
    order_cache: dict[str, int | None] = {}

    def order(qid: str) -> int | None:
        if qid not in order_cache:
            if len(order_cache) > 100_000:
                order_cache.clear()
            row = db.execute("SELECT ord FROM questions WHERE id = ?", (qid,)).fetchone()
            order_cache[qid] = None if row is None else int(row[0])
        return order_cache[qid]

    hashes = array("q")
    counts: dict[str, Any] = {"teacher": 0, "student": 0, "models": Counter()}
    seq = 0
    total_bytes = sum(r.path.stat().st_size for r in rollouts)
    bar = tqdm(
        total=total_bytes, desc=INPUT_DIR, unit="B", unit_scale=True, disable=not progress, leave=False
    )
    try:
        with atomic_write(out / "kept.jsonl") as kept, atomic_write(out / "student.jsonl") as student:
            for file_index, entry in enumerate(rollouts):
                path = entry.path
                seen_any = False
                done = 0
                for lineno, offset, length, obj in read_jsonl_spans(path, allow_empty=True):
                    bar.update(offset + length - done)
                    done = offset + length
                    obj = {k: v for k, v in obj.items() if k != "rejection"}
                    r = rollout_from_dict(obj, path=str(path), line=lineno)
                    seen_any = True
                    role = r.role
                    if entry.role is not None:
                        if "role" in obj and obj["role"] != entry.role:
                            raise InputError(
                                f"row says role {obj['role']!r} but the config lists this file "
                                f"as {entry.role!r}",
                                path=str(path),
                                line=lineno,
                                field="role",
                            )
                        role = entry.role  # type: ignore[assignment]
                    qord = order(r.question_id)
                    if qord is None:
                        what = "student rollout" if role == "student" else "rollout"
                        raise InputError(
                            f"{what} for unknown question {r.question_id!r} (not in the question pool)",
                            path=str(path),
                            line=lineno,
                            field="question_id",
                        )
                    hashes.append(_id_hash(r.id))
                    verdicts = {stage: verdict_to_dict(v) for stage, v in r.verdicts.items()}
                    row = stage_row(
                        question_id=r.question_id,
                        model=r.model,
                        sample_index=r.sample_index,
                        role=role,
                        src=(file_index, offset, length),
                        qord=qord,
                        seq=seq,
                        verdicts=verdicts,
                    )
                    seq += 1
                    (student if role == "student" else kept).write(dumps_line(row))
                    counts[role] += 1
                    if role == "teacher":
                        counts["models"][r.model] += 1
                if not seen_any:
                    raise InputError("file is empty: expected one JSON object per line", path=str(path))
            _check_duplicates(hashes, rollouts)
    finally:
        bar.close()
        db.close()
    return counts


def _check_duplicates(hashes: array[int], rollouts: Sequence[RolloutInput]) -> None:
    """Sort the id hashes; on a repeat, find the two lines (a second pass over the files)."""
    values = np.frombuffer(hashes, dtype=np.int64) if len(hashes) else np.zeros(0, dtype=np.int64)
    ordered = np.sort(values)
    repeated = set(ordered[1:][ordered[1:] == ordered[:-1]].tolist())
    if not repeated:
        return
    first: dict[str, tuple[Path, int]] = {}
    for entry in rollouts:
        for lineno, _, _, obj in read_jsonl_spans(entry.path, allow_empty=True):
            rid = rollout_id(obj["question_id"], obj["model"], obj["sample_index"])
            if _id_hash(rid) not in repeated:
                continue
            if rid in first:
                where = first[rid]
                raise InputError(
                    f"duplicate rollout {rid!r} (question, model, sample_index); "
                    f"first at {where[0]}:{where[1]}",
                    path=str(entry.path),
                    line=lineno,
                    field="sample_index",
                )
            first[rid] = (entry.path, lineno)
