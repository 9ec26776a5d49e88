"""The smoke test's external commands: ``llamafactory-cli train`` and ``lm_eval`` in subprocesses.

Each writes its whole output to its own log file; a failure raises with the log's path
and its last lines, never a half-written result.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ded_plugins.configs.teacher import EvalSpec, TrainSpec
from ded_plugins.errors import StageError
from ded_plugins.io import read_json


__all__ = ["eval_command", "file_log", "read_scores", "run_logged", "train_command"]

log = logging.getLogger(__name__)


def _executable(name: str) -> str:
    """``name`` on PATH, else beside this interpreter (a venv that is not activated)."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    return found or name


def run_logged(
    cmd: Sequence[str], log_path: Path, *, env: Mapping[str, str] = {}, cwd: Path | None = None
) -> None:
    """Run ``cmd`` with stdout and stderr into ``log_path``; raise on a non-zero exit."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    argv = [_executable(cmd[0]), *cmd[1:]]
    log.info("running %s (log: %s)", " ".join(argv), log_path)
    with log_path.open("w", encoding="utf-8") as fh:
        fh.write("$ " + " ".join(argv) + "\n")
        fh.flush()
        try:
            proc = subprocess.run(
                argv, stdout=fh, stderr=subprocess.STDOUT, env={**os.environ, **env}, cwd=cwd, check=False
            )
        except FileNotFoundError as exc:
            raise StageError(f"{argv[0]} not found: install the extra that provides it ({exc})") from None
    if proc.returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        raise StageError(
            f"{Path(argv[0]).name} exited with {proc.returncode}; log: {log_path}\n" + "\n".join(tail)
        )


def _value(v: Any) -> str:
    return json.dumps(v) if isinstance(v, list | dict) else str(v).lower() if isinstance(v, bool) else str(v)


def train_command(
    spec: TrainSpec, *, student: str, dataset_dir: str, dataset: str, output_dir: Path
) -> list[str]:
    """``llamafactory-cli train RECIPE key=value ...``; the run's own keys win over the overrides."""
    overrides = {
        **spec.overrides,
        "model_name_or_path": student,
        "dataset_dir": dataset_dir,
        "dataset": dataset,
        "output_dir": str(output_dir),
    }
    return [*spec.command, str(spec.recipe), *(f"{k}={_value(v)}" for k, v in overrides.items())]


def eval_command(spec: EvalSpec, *, student: str, model_dir: Path, output_path: Path) -> list[str]:
    """``lm_eval --model ... --tasks ...`` on the smoke-test student (a LoRA adapter rides on the base)."""
    if (model_dir / "adapter_config.json").is_file():
        model_args = {"pretrained": student, "peft": str(model_dir)}
    else:
        model_args = {"pretrained": str(model_dir)}
    model_args.update({k: _value(v) for k, v in spec.model_args.items()})
    cmd = [
        *spec.command,
        "--model",
        spec.model,
        "--model_args",
        ",".join(f"{k}={v}" for k, v in model_args.items()),
        "--tasks",
        ",".join(spec.tasks),
        "--output_path",
        str(output_path),
    ]
    if spec.include_path:
        cmd += ["--include_path", spec.include_path]
    # per-question samples: the report's intervals and paired gaps are computed from them
    logged = [] if "--log_samples" in spec.args else ["--log_samples"]
    return [*cmd, *spec.args, *logged]


def read_scores(
    output_path: Path, tasks: Sequence[str], metrics: Mapping[str, str]
) -> dict[str, dict[str, Any]]:
    """``{task: {"metric": key, "score": value}}`` from the newest ``results_*.json`` lm_eval wrote."""
    files = sorted(output_path.rglob("results_*.json"), key=lambda p: p.stat().st_mtime)
    if not files:
        raise StageError(f"lm_eval wrote no results_*.json under {output_path}")
    results = read_json(files[-1]).get("results", {})
    scores: dict[str, dict[str, Any]] = {}
    for task in tasks:
        entry = results.get(task)
        if not isinstance(entry, Mapping):
            raise StageError(f"{files[-1]}: no results for task {task!r}; found {', '.join(sorted(results))}")
        key = metrics.get(task) or next(
            (
                k
                for k, v in entry.items()
                # metric keys read "<metric>,<filter>"; the rest (alias, sample_len) is bookkeeping
                if "," in k and "_stderr" not in k and isinstance(v, int | float)
            ),
            None,
        )
        if key is None or not isinstance(entry.get(key), int | float):
            raise StageError(
                f"{files[-1]}: task {task!r} has no numeric metric {key!r}; found {sorted(entry)}"
            )
        scores[task] = {"metric": key, "score": float(entry[key])}
    return scores


@contextlib.contextmanager
def file_log(path: Path) -> Iterator[None]:
    """Copy this process's log records into ``path`` while a step runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(min(old_level, logging.INFO) if old_level else logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()
