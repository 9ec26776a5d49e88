"""lm-eval output directories: ``results_<date>.json`` plus ``samples_<task>_<date>.jsonl``.

``lm_eval --output_path OUT --log_samples`` writes both under ``OUT/<model>/`` (or beside
``OUT`` when it ends in ``.json``). A run may hold several results files (tasks run one at
a time into one directory): each task is read from the newest file that has it. Per
question, the samples of a metric ``M`` are read from the logged ``M_ci95`` value when
the task logs one (every ``ded_*`` task: the 0/1 verdict of each of the k samples, or
the maj@k votes), else the question's own ``M`` value is its one sample, so any lm-eval
task with logged samples can be compared (with only question-level noise).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ded_plugins.errors import InputError
from ded_plugins.evaluation.bootstrap import Votes
from ded_plugins.io import read_json, read_jsonl


__all__ = ["EvalRun", "TaskSamples", "align", "load_run", "parse_run_arg"]

log = logging.getLogger(__name__)

_RESULTS = re.compile(r"^(?:results|.+)_(\d{4}-\d{2}-\d{2}T[0-9.\-]+)\.json$")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")  # org/name: a model's name; a path is not
SAMPLES_KEY = "_ci95"


@dataclass(frozen=True, slots=True)
class TaskSamples:
    """One task's per-question samples of one metric, in the order lm-eval logged them."""

    task: str
    metric: str
    filter: str
    doc_ids: tuple[int, ...]
    doc_hashes: tuple[str, ...]
    #: per question: sample values (avg@k) or :class:`Votes` (maj@k)
    values: tuple[tuple[float, ...] | Votes, ...]
    source: Path

    @property
    def is_votes(self) -> bool:
        return bool(self.values) and isinstance(self.values[0], Votes)

    @property
    def count(self) -> int:
        """All samples of all questions."""
        return sum(len(v.answers) if isinstance(v, Votes) else len(v) for v in self.values)

    @property
    def is_share(self) -> bool:
        """Every value lies in [0, 1], so it is shown in points (x100)."""
        if self.is_votes:
            return True
        return all(0.0 <= x <= 1.0 for v in self.values for x in v)  # type: ignore[union-attr]

    def subset(self, doc_ids: Sequence[int]) -> TaskSamples:
        """These samples restricted to (and ordered as) ``doc_ids``."""
        index = {d: i for i, d in enumerate(self.doc_ids)}
        rows = [index[d] for d in doc_ids]
        return TaskSamples(
            task=self.task,
            metric=self.metric,
            filter=self.filter,
            doc_ids=tuple(doc_ids),
            doc_hashes=tuple(self.doc_hashes[i] for i in rows),
            values=tuple(self.values[i] for i in rows),
            source=self.source,
        )


@dataclass(frozen=True, slots=True)
class EvalRun:
    """One model's lm-eval results (one directory), labelled for tables."""

    label: str
    model: str
    path: Path
    #: task -> (results file, that file's ``results[task]`` entry)
    tasks: Mapping[str, tuple[Path, Mapping[str, Any]]]
    #: samples read so far, by (task, metric, filter): each samples file is read once per metric
    _read: dict[tuple[str, str, str], TaskSamples] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def metric_key(self, task: str, metric: str | None = None) -> tuple[str, str]:
        """``(metric, filter)`` of ``task``: the one named, else ``pass@1``, else the first numeric one."""
        results_file, entry = self._entry(task)
        keys = [k for k, v in entry.items() if "," in k and "_stderr" not in k and isinstance(v, int | float)]
        if metric is None:
            metric = "pass@1" if any(k.split(",")[0] == "pass@1" for k in keys) else None
        candidates = [k for k in keys if metric is None or k.split(",", 1)[0] == metric]
        if not candidates:
            found = ", ".join(sorted(k.split(",")[0] for k in keys)) or "none"
            raise InputError(
                f"task {task!r} has no numeric metric {metric or ''!r}; found {found}", path=str(results_file)
            )
        key = next((k for k in candidates if k.endswith(",none")), candidates[0])
        name, filt = key.split(",", 1)
        return name, filt

    def _entry(self, task: str) -> tuple[Path, Mapping[str, Any]]:
        if task not in self.tasks:
            raise InputError(
                f"no results for task {task!r}; found {', '.join(sorted(self.tasks)) or 'none'}",
                path=str(self.path),
            )
        return self.tasks[task]

    def samples(self, task: str, metric: str | None = None) -> TaskSamples:
        """The per-question samples of ``task``'s metric from its ``--log_samples`` file (read once)."""
        results_file, _ = self._entry(task)
        name, filt = self.metric_key(task, metric)
        key = (task, name, filt)
        if key not in self._read:
            self._read[key] = _read_samples(_samples_file(results_file, task), task, name, filt)
        return self._read[key]


def parse_run_arg(text: str) -> tuple[str | None, Path]:
    """``PATH`` or ``LABEL=PATH`` (a label is a plain name; an existing path always wins)."""
    if "=" in text and not Path(text).exists():
        label, path = text.split("=", 1)
        if label and "/" not in label:
            return label, Path(path)
    return None, Path(text)


def _results_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise InputError("no such lm-eval output (a directory or a results_*.json)", path=str(path))
    files = [p for p in path.rglob("*.json") if _RESULTS.match(p.name)]
    if not files:
        raise InputError("no lm-eval results_*.json under this directory", path=str(path))
    return sorted(files, key=lambda p: (_RESULTS.match(p.name).group(1), str(p)))  # type: ignore[union-attr]


def _model_of(data: Mapping[str, Any]) -> str:
    model = data.get("model_name")
    if not model:
        args = (data.get("config") or {}).get("model_args") or {}
        model = args.get("pretrained") or args.get("model") if isinstance(args, Mapping) else str(args)
    return str(model or "unknown")


def load_run(spec: str | Path, *, label: str | None = None) -> EvalRun:
    """Read an lm-eval output (``PATH`` or ``LABEL=PATH``); the label defaults to the model name
    when it is a hub id (``org/name``), else to the path as given."""
    if label is None and isinstance(spec, str):
        label, path = parse_run_arg(spec)
    else:
        path = Path(spec)
    tasks: dict[str, tuple[Path, Mapping[str, Any]]] = {}
    models: dict[str, Path] = {}
    for file in _results_files(path):
        data = read_json(file, what="lm-eval results")
        results = data.get("results") if isinstance(data, Mapping) else None
        if not isinstance(results, Mapping):
            raise InputError("not an lm-eval results file: no 'results' mapping", path=str(file))
        models.setdefault(_model_of(data), file)
        for task, entry in results.items():
            if isinstance(entry, Mapping) and task not in (data.get("groups") or {}):
                tasks[str(task)] = (file, entry)  # files are sorted by date: the newest wins
    if len(models) > 1:
        listed = "; ".join(f"{m} ({f})" for m, f in models.items())
        raise InputError(
            f"holds results of several models ({listed}); give one model's directory", path=str(path)
        )
    model = next(iter(models))
    if label is None:
        label = model if _HUB_ID.match(model) and not Path(model).exists() else str(spec)
    return EvalRun(label=label, model=model, path=path, tasks=tasks)


def _samples_file(results_file: Path, task: str) -> Path:
    match = _RESULTS.match(results_file.name)
    assert match is not None
    samples = results_file.parent / f"samples_{task}_{match.group(1)}.jsonl"
    if not samples.is_file():
        raise InputError(
            f"no logged samples for task {task!r} (expected {samples.name}); run lm_eval with --log_samples",
            path=str(results_file),
        )
    return samples


def _numbers(value: Any, what: str) -> tuple[float, ...]:
    if isinstance(value, bool | int | float):
        return (float(value),)
    if isinstance(value, list) and value and all(isinstance(x, bool | int | float) for x in value):
        return tuple(float(x) for x in value)
    raise ValueError(f"expected {what}")


def _votes(value: Any) -> Votes:
    if not isinstance(value, Mapping) or set(value) != {"votes", "correct"}:
        raise ValueError("expected {'votes': [...], 'correct': [...]}")
    votes, correct = value["votes"], value["correct"]
    if not (isinstance(votes, list) and isinstance(correct, list) and len(votes) == len(correct) and votes):
        raise ValueError("expected equally long non-empty 'votes' and 'correct' lists")
    if not all(isinstance(v, int) and v >= -1 for v in votes):
        raise ValueError("'votes' must be answer ids >= -1")
    return Votes(tuple(votes), tuple(bool(c) for c in correct))


def _read_samples(path: Path, task: str, metric: str, filt: str) -> TaskSamples:
    from tqdm import tqdm

    ids: list[int] = []
    hashes: list[str] = []
    values: list[tuple[float, ...] | Votes] = []
    seen: dict[int, int] = {}
    rows = tqdm(read_jsonl(path), desc=f"reading {path.name}", unit=" docs", file=sys.stderr, disable=None)
    for line, row in rows:
        if row.get("filter", filt) != filt:
            continue
        doc_id = row.get("doc_id")
        if not isinstance(doc_id, int):
            raise InputError("expected an integer doc_id", path=str(path), line=line, field="doc_id")
        if doc_id in seen:
            raise InputError(
                f"doc {doc_id} logged twice (first at line {seen[doc_id]})", path=str(path), line=line
            )
        seen[doc_id] = line
        field = metric + SAMPLES_KEY if metric + SAMPLES_KEY in row else metric
        if field not in row:
            raise InputError(f"no value for metric {metric!r}", path=str(path), line=line, field=metric)
        try:
            value = row[field]
            values.append(
                _votes(value) if isinstance(value, Mapping) else _numbers(value, "a number or numbers")
            )
        except ValueError as exc:
            raise InputError(
                f"{exc}, found {str(row[field])[:80]}", path=str(path), line=line, field=field
            ) from None
        ids.append(doc_id)
        hashes.append(str(row.get("doc_hash", "")))
    if not ids:
        raise InputError(f"no logged documents for filter {filt!r}", path=str(path))
    kinds = {isinstance(v, Votes) for v in values}
    if len(kinds) > 1:
        raise InputError(f"metric {metric!r} mixes vote and number samples", path=str(path))
    return TaskSamples(
        task=task,
        metric=metric,
        filter=filt,
        doc_ids=tuple(ids),
        doc_hashes=tuple(hashes),
        values=tuple(values),
        source=path,
    )


def align(a: TaskSamples, b: TaskSamples) -> tuple[TaskSamples, TaskSamples]:
    """Both runs restricted to their common questions, in ``a``'s order; the same doc must be the
    same question in both (its logged hash)."""
    in_b = set(b.doc_ids)
    common = [d for d in a.doc_ids if d in in_b]
    if not common:
        raise InputError(f"{a.task}: no question in common with {b.source}", path=str(a.source))
    a2, b2 = a.subset(common), b.subset(common)
    for d, ha, hb in zip(common, a2.doc_hashes, b2.doc_hashes, strict=True):
        if ha and hb and ha != hb:
            raise InputError(
                f"{a.task}: doc {d} is a different question in {b.source} (doc_hash differs); "
                "compare runs on the same data",
                path=str(a.source),
            )
    dropped = len(a.doc_ids) + len(b.doc_ids) - 2 * len(common)
    if dropped:
        log.warning(
            "%s: comparing the %d questions both runs have (%d left out)", a.task, len(common), dropped
        )
    return a2, b2
