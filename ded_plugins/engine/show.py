"""``ded show``: a curation run's stages as a person wants to read them.

The stage table first, then the rows of one stage with their verdicts, each rollout's
text read back from the run's input files (stage files hold references, not copies).
Rows can be narrowed to the rejected ones, one rejection reason, one question, or the
student's samples.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ded_plugins.chat import THINK_CLOSE, final_answer, thinking
from ded_plugins.engine.ingest import INPUT_DIR
from ded_plugins.engine.stats import format_stage_table
from ded_plugins.errors import ConfigError, InputError
from ded_plugins.io.files import read_json
from ded_plugins.io.rows import SourceReader, iter_row_spans, rejection_of
from ded_plugins.io.store import QuestionStore
from ded_plugins.records import Question, Rejection, Rollout
from ded_plugins.steps import content_digest


__all__ = ["ShownRow", "format_row", "read_stage", "resolve_run", "stage_dirs", "stage_table"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class ShownRow:
    """One row of a stage, whole: the question, the rollout with its text and verdicts, its fate."""

    stage: str
    question: Question
    rollout: Rollout
    rejection: Rejection | None


def resolve_run(run: str | Path) -> Path:
    """A run directory, or the run directory a curation config writes to."""
    p = Path(run)
    if p.is_file() and p.suffix in (".yaml", ".yml"):
        from ded_plugins.configs.curate import load_curation_config

        return load_curation_config(p).run_dir
    if not (p / INPUT_DIR).is_dir():
        raise InputError(f"not a curation run directory (no {INPUT_DIR}/ inside)", path=str(p))
    return p


def stage_dirs(run_dir: Path) -> list[Path]:
    """The run's stage directories in order (``00_input`` first; a ``.partial`` one too)."""
    return sorted(d for d in run_dir.iterdir() if d.is_dir() and d.name[:2].isdigit() and d.name[2:3] == "_")


def stage_table(run_dir: Path) -> str:
    """The stage table of a run, from its ``stats.json`` files."""
    stats = [read_json(d / "stats.json") for d in stage_dirs(run_dir) if (d / "stats.json").is_file()]
    return format_stage_table(stats)


def _stage_dir(run_dir: Path, stage: str | None) -> Path:
    dirs = [d for d in stage_dirs(run_dir) if (d / "kept.jsonl").is_file()]
    if not dirs:
        raise InputError("the run has no finished stage yet", path=str(run_dir))
    if stage is None:
        return dirs[-1]
    matches = [
        d
        for d in dirs
        if stage in (d.name, d.name[3:]) or (stage.isdigit() and int(stage) == int(d.name[:2]))
    ]
    if len(matches) != 1:
        known = ", ".join(d.name for d in dirs)
        raise ConfigError(f"stage {stage!r} {'is ambiguous' if matches else 'not found'}; stages: {known}")
    return matches[0]


def _sources(run_dir: Path) -> list[str]:
    meta = read_json(run_dir / INPUT_DIR / "sources.json")
    sources: list[str] = list(meta["sources"])
    for path, was in zip(sources, meta.get("digests", []), strict=False):
        if not Path(path).is_file():
            raise InputError("input file of this run is gone; its texts cannot be shown", path=path)
        if content_digest(path) != was:
            log.warning("%s changed since this run read it: the texts shown may not be the ones judged", path)
    return sources


def read_stage(
    run_dir: Path,
    stage: str | None = None,
    *,
    rejected: bool = False,
    reason: str | None = None,
    question: str | None = None,
    role: Literal["teacher", "student"] = "teacher",
    limit: int | None = None,
) -> Iterator[ShownRow]:
    """Rows of one stage (default: the last), filtered; each with its full text."""
    directory = _stage_dir(run_dir, stage)
    if role == "student":
        files = [directory / "student.jsonl"]
    else:
        files = [directory / "rejected.jsonl"] if rejected or reason else [directory / "kept.jsonl"]
    store = QuestionStore(run_dir / INPUT_DIR / "questions.sqlite")
    reader = SourceReader(_sources(run_dir))
    shown = 0
    try:
        for path in files:
            if not path.is_file():
                continue
            for _, _, row in iter_row_spans(path):
                rej = rejection_of(row)
                if reason is not None and not _has_reason(rej, reason):
                    continue
                if question is not None and row["question_id"] != question:
                    continue
                yield ShownRow(
                    stage=directory.name,
                    question=store[row["question_id"]],
                    rollout=reader.rollout(row),
                    rejection=rej,
                )
                shown += 1
                if limit is not None and shown >= limit:
                    return
    finally:
        reader.close()
        store.close()


def _has_reason(rejection: Rejection | None, reason: str) -> bool:
    """``length.too_long`` or just ``too_long``."""
    return rejection is not None and reason in (rejection.reason, rejection.reason.split(".", 1)[-1])


def _details(details: Mapping[str, Any]) -> str:
    parts = []
    for k, v in details.items():
        text = repr(v) if not isinstance(v, str) else v
        parts.append(f"{k}={text if len(text) <= 80 else text[:77] + '...'}")
    return ", ".join(parts)


def _clip(text: str, head: int, tail: int) -> str:
    if len(text) <= head + tail + 40:
        return text
    return f"{text[:head]}\n  [... {len(text) - head - tail} characters ...]\n{text[-tail:]}"


def format_row(row: ShownRow, *, full: bool = False) -> str:
    """A row for a person: who wrote it, its fate, its verdicts, the question, the thinking, the answer."""
    r = row.rollout
    if row.rejection is not None:
        fate = f"rejected {row.rejection.reason}"
    else:
        fate = "graded" if r.role == "student" else "kept"
    lines = [
        f"=== {r.question_id} / {r.model} / sample {r.sample_index}  ({r.role}, {fate} at {row.stage})",
    ]
    for stage, v in r.verdicts.items():
        mark = "ok " if v.passed else "NO "
        extra = f"  ({_details(v.details)})" if v.details else ""
        lines.append(f"  {mark}{stage}: {v.reason}{extra}")
    q = row.question
    lines.append(f"--- question ({q.domain}{', answer ' + q.answer if q.answer else ''})")
    lines.append(q.prompt if full else _clip(q.prompt, 600, 200))
    answer = final_answer(r.text)
    if answer is None:
        lines.append(f"--- response ({len(r.text)} characters, no {THINK_CLOSE})")
        lines.append(r.text if full else _clip(r.text, 800, 800))
    else:
        think = thinking(r.text).strip()
        lines.append(f"--- thinking ({len(think)} characters)")
        lines.append(think if full else _clip(think, 400, 400))
        lines.append("--- answer")
        lines.append(answer if full else _clip(answer, 1500, 500))
    return "\n".join(lines)
