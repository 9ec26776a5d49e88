"""Benchmark questions exactly as the ``ded_*`` lm-eval tasks evaluate them, for decontamination.

A task is read from its YAML in DED's task folder (``include`` resolved as lm-eval does);
its ``custom_dataset`` and ``process_docs`` functions are the ones ``utils.py`` re-exports
(:func:`~ded_plugins.integrations.lm_eval.tasks.load_docs`,
:func:`~ded_plugins.integrations.lm_eval.tasks.process_math_docs`,
:func:`~ded_plugins.integrations.lm_eval.tasks.mcq_process_docs`,
:func:`~ded_plugins.integrations.lm_eval.lcb_eval.load_lcb_docs`), called with the same
keyword arguments lm-eval passes (the YAML's ``metadata`` and ``dataset_kwargs``, plus the
caller's ``metadata``). So the hub dataset is loaded by default, and a local file where the
task takes one: ``<name>_path`` (``math500_path``) or ``DED_<NAME>_PATH``; ``lcb_path`` or
``DED_LCB_PATH`` and ``lcb_start``/``lcb_end`` for LiveCodeBench.

A user's own benchmark is ``NAME=PATH``: a JSONL, Parquet or Hugging Face dataset whose
rows have the text in ``prompt``, ``problem``, ``question`` or ``question_content`` (the
first present) and optionally ``id``/``unique_id``/``question_id``.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from ded_plugins import io
from ded_plugins.errors import ConfigError, DedError, InputError
from ded_plugins.integrations.lm_eval.hook import task_dir
from ded_plugins.pool.contests import contest_of
from ded_plugins.pool.records import Benchmark, BenchmarkItem


__all__ = ["PAPER_BENCHMARKS", "load_benchmark", "load_benchmarks", "parse_against", "task_names"]

#: the DED paper's evaluation suite
PAPER_BENCHMARKS = ("ded_aime24", "ded_aime25", "ded_math500", "ded_gpqa_diamond", "ded_livecodebench")
TEXT_FIELDS = ("prompt", "problem", "question", "question_content")
ID_FIELDS = ("id", "unique_id", "question_id", "Record ID")

#: the functions the task folders' ``utils.py`` re-export, by name
_FUNCTIONS = {
    "load_docs": "ded_plugins.integrations.lm_eval.tasks",
    "process_math_docs": "ded_plugins.integrations.lm_eval.tasks",
    "mcq_process_docs": "ded_plugins.integrations.lm_eval.tasks",
    "load_lcb_docs": "ded_plugins.integrations.lm_eval.lcb_eval",
}


class _TaskLoader(yaml.SafeLoader):
    """Reads lm-eval task YAML: ``!function utils.x`` becomes the string ``"!function utils.x"``."""


_TaskLoader.add_constructor(
    "!function",
    lambda loader, node: f"!function {loader.construct_scalar(node)}",  # type: ignore[arg-type]
)


def _read_yaml(path: Path) -> dict[str, Any]:
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_TaskLoader)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a task mapping")
    parent = data.pop("include", None)
    out: dict[str, Any] = _read_yaml((path.parent / str(parent)).resolve()) if parent else {}
    out.update(data)
    return out


def task_names() -> dict[str, Path]:
    """Every ``ded_*`` task (not group) of DED's task folder, with its YAML file."""
    out: dict[str, Path] = {}
    for path in sorted(task_dir().glob("*/*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_TaskLoader)
        if isinstance(data, dict) and isinstance(data.get("task"), str):
            out[data["task"]] = path
    return out


def _function(ref: Any, task: str, key: str) -> Callable[..., Any]:
    name = str(ref).removeprefix("!function").strip().rsplit(".", 1)[-1]
    module = _FUNCTIONS.get(name)
    if module is None:
        raise ConfigError(f"task {task}: {key} {ref!r} is not a loader the decontaminator knows")
    fn: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return fn


def _first(row: Mapping[str, Any], fields: Sequence[str]) -> Any:
    for f in fields:
        if row.get(f) not in (None, ""):
            return row[f]
    return None


def load_benchmark(name: str, *, metadata: Mapping[str, Any] | None = None) -> Benchmark:
    """The items of one ``ded_*`` task, loaded as lm-eval would load them."""
    tasks = task_names()
    if name not in tasks:
        raise ConfigError(f"unknown benchmark {name!r}; DED's tasks: {', '.join(tasks)} (or NAME=PATH)")
    config = _read_yaml(tasks[name])
    kwargs = {
        **dict(config.get("metadata") or {}),
        **dict(metadata or {}),
        **dict(config.get("dataset_kwargs") or {}),
    }
    loader = _function(config.get("custom_dataset"), name, "custom_dataset")
    try:
        dataset = loader(**kwargs)[config.get("test_split", "test")]
    except DedError:
        raise
    except Exception as exc:  # the hub unreachable, a gated dataset, ...: say how to give a local copy
        data_name = kwargs.get("ded_data_name") or "lcb"
        raise InputError(
            f"cannot load benchmark {name} ({type(exc).__name__}: {exc}); give a local copy with "
            f"--metadata '{{\"{data_name}_path\": ...}}' or DED_{str(data_name).upper()}_PATH",
            path=_source(name, config, kwargs),
        ) from exc
    if config.get("process_docs"):
        dataset = _function(config["process_docs"], name, "process_docs")(dataset)
    items = []
    window = None
    if loader.__name__ == "load_lcb_docs":
        from ded_plugins.integrations.lm_eval.lcb_data import DEFAULT_WINDOW

        window = (
            str(kwargs.get("lcb_start") or DEFAULT_WINDOW[0]),
            str(kwargs.get("lcb_end") or DEFAULT_WINDOW[1]),
        )
        for doc in dataset:
            platform = str(doc.get("platform") or "")
            qid = str(doc["question_id"])
            items.append(
                BenchmarkItem(
                    benchmark=name,
                    id=qid,
                    text=str(doc["question_content"]),
                    date=str(doc.get("contest_date") or "")[:10] or None,
                    platform=platform or None,
                    contest=contest_of(qid, platform),
                )
            )
    else:
        for i, doc in enumerate(dataset):
            qid = _first(doc, ID_FIELDS)
            items.append(
                BenchmarkItem(benchmark=name, id=str(qid if qid is not None else i), text=str(doc["problem"]))
            )
    return Benchmark(name=name, items=tuple(items), window=window, source=_source(name, config, kwargs))


def _source(name: str, config: Mapping[str, Any], kwargs: Mapping[str, Any]) -> str:
    data_name = kwargs.get("ded_data_name")
    if data_name:
        local = kwargs.get(f"{data_name}_path") or os.environ.get(f"DED_{str(data_name).upper()}_PATH")
        return f"local {local}" if local else f"hub {kwargs.get('ded_hub_id')}"
    local = kwargs.get("lcb_path") or os.environ.get("DED_LCB_PATH")
    if local:
        return f"local {local}"
    from ded_plugins.integrations.lm_eval.lcb_eval import HUB_ID  # imported already by the task's loader

    return f"hub {HUB_ID}"


def _load_file(name: str, path: str) -> Benchmark:
    items = []
    for n, row in io.question_rows(path):
        text = _first(row, TEXT_FIELDS)
        if not isinstance(text, str) or not text.strip():
            raise InputError(
                f"expected the benchmark text in one of {', '.join(TEXT_FIELDS)}",
                path=path,
                line=n,
                field="prompt",
            )
        qid = _first(row, ID_FIELDS)
        items.append(BenchmarkItem(benchmark=name, id=str(qid if qid is not None else n), text=text))
    if not items:
        raise InputError("no benchmark items found", path=path)
    return Benchmark(name=name, items=tuple(items), source=f"file {path}")


def parse_against(entries: str | Sequence[str]) -> list[tuple[str, str | None]]:
    """``"ded_aime24,mine=path.jsonl"`` (or a list) -> ``[(name, path or None), ...]``, checked."""
    raw = entries.split(",") if isinstance(entries, str) else list(entries)
    out: list[tuple[str, str | None]] = []
    known: dict[str, Path] | None = None
    for entry in (e.strip() for e in raw):
        if not entry:
            continue
        name, sep, path = entry.partition("=")
        name = name.strip()
        if sep:
            if not name or not path.strip():
                raise ConfigError(f"against: {entry!r} is not NAME=PATH")
            out.append((name, path.strip()))
            continue
        known = known if known is not None else task_names()
        if name not in known:
            raise ConfigError(
                f"against: unknown benchmark {name!r}; DED's tasks: {', '.join(known)} (or NAME=PATH)"
            )
        out.append((name, None))
    if not out:
        raise ConfigError("against: no benchmark named")
    names = [n for n, _ in out]
    if len(set(names)) != len(names):
        raise ConfigError(f"against: a benchmark is named twice in {names}")
    return out


def load_benchmarks(
    entries: str | Sequence[str], *, metadata: Mapping[str, Any] | None = None
) -> list[Benchmark]:
    """Every benchmark of an ``--against`` list (task names or ``NAME=PATH``), in order."""
    return [
        _load_file(name, path) if path is not None else load_benchmark(name, metadata=metadata)
        for name, path in parse_against(entries)
    ]
