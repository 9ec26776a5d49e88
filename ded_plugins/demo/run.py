"""``ded demo``: all of DED, end to end, on tiny local models and a pool written by the project.

The demo is the recipes in ``recipes/demo/`` run by the same API functions as the
commands (``ded rollout``, ``ded teacher``, ``ded curate``, then ``llamafactory-cli
train`` and ``lm_eval``). It works in its own directory (default ``runs/demo/``), into
which it copies those recipes (``recipes/``): their inputs are relative to themselves,
their outputs to that directory, so every step can be re-run by hand from there.

1. write the pool (``data/``): a few dozen math questions and ten stdin/stdout problems;
2. teach two tiny teachers (two styles) and a tiny student on part of the pool (``models/``);
3. ``ded rollout``: 4 samples per question from each teacher, 2 from the student (``rollouts/``);
4. ``ded teacher``: smoke test of both teachers, report in ``smoke/teacher/``;
5. ``ded curate``: every stage on the winner's rollouts (``curate/``);
6. ``llamafactory-cli train`` on a dataset entry that carries only a ``ded`` block, curated
   by the start-up hook (``checkpoint/``);
7. ``lm_eval`` on ``ded_math500`` with the trained student on the demo's math questions (``eval/``).

Every step is a :class:`~ded_plugins.steps.Step` (or resumes like one): a second run reuses
what is unchanged.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ded_plugins import io
from ded_plugins._optional import require
from ded_plugins.demo.models import teach
from ded_plugins.demo.pool import CodeProblem, MathProblem, code_problems, math_problems, trajectory


__all__ = ["demo_recipes", "run_demo"]

log = logging.getLogger(__name__)


def demo_recipes() -> Path:
    """``recipes/demo/`` of the checkout, or the copy shipped inside the wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parents[1] / "recipes" / "demo", here / "recipes"):
        if (candidate / "curate.yaml").is_file():
            return candidate
    raise FileNotFoundError("the demo's recipes (recipes/demo/) are missing from this installation")


def _training_recipe() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here.parents[1] / "recipes" / "ded_demo.yaml", here / "ded_demo.yaml"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("recipes/ded_demo.yaml is missing from this installation")


def _copy_recipes(out: Path) -> Path:
    """The demo's recipes, copied into ``out/recipes`` (rewritten only when they differ)."""
    target = out / "recipes"
    recipes, training = demo_recipes(), _training_recipe()
    for src in [*sorted(recipes.rglob("*")), training]:
        if not src.is_file() or ".ded_cache" in src.parts:
            continue
        _copy_file(src, target / (src.name if src == training else src.relative_to(recipes)))
    return target


def _write_pool(data: Path) -> dict[str, Any]:
    maths, codes = math_problems(), code_problems()
    questions: list[dict[str, Any]] = [
        {"id": p.id, "domain": "math", "prompt": p.user_prompt, "answer": str(p.answer)} for p in maths
    ]
    questions += [
        {
            "id": p.id,
            "domain": "code",
            "prompt": p.user_prompt,
            "tests": {"inputs": list(p.inputs), "outputs": list(p.outputs), "fn_name": None, "timeout_s": 4},
        }
        for p in codes
    ]
    io.write_jsonl(data / "questions.jsonl", questions)
    # the eval set: the math questions in MATH-500's columns, for the ded_math500 task
    io.write_jsonl(
        data / "eval_math.jsonl",
        [{"unique_id": p.id, "problem": p.prompt, "answer": str(p.answer), "solution": ""} for p in maths],
    )
    corpus = [q["prompt"] for q in questions]
    problems: list[MathProblem | CodeProblem] = [*maths, *codes]
    corpus += [trajectory(style, p) for style in ("teacher_a", "teacher_b") for p in problems]
    return {"maths": maths, "codes": codes, "corpus": corpus}


def run_demo(out: Path, *, echo: Callable[[str], None] = print, fast: bool = False) -> dict[str, Any]:
    """Run every step; returns the summary. ``fast`` shrinks the work for tests."""
    from ded_plugins.configs.rollout import load_rollout_config
    from ded_plugins.configs.teacher import load_teacher_config
    from ded_plugins.engine import curate
    from ded_plugins.plugins import get_registry
    from ded_plugins.rollouts.runner import run_rollouts
    from ded_plugins.teacher.commands import run_logged
    from ded_plugins.teacher.smoke import run_teacher_selection

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    # tiny models: one thread per process is several times faster than two fighting over 2 cores
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    torch = require("torch", "train", purpose="the demo's tiny models")
    transformers = require("transformers", "analysis", purpose="the demo's tiny models")
    torch.set_num_threads(1)
    # the demo prints its own progress; per-model loading bars would drown it
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    out = out.absolute()
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def step(name: str) -> Callable[[], None]:
        t0 = time.perf_counter()
        echo(f"[{time.perf_counter() - started:6.1f}s] {name} ...")
        return lambda: timings.__setitem__(name, round(time.perf_counter() - t0, 1))

    recipes = _copy_recipes(out)
    limit = "8" if fast else "24"

    done = step("1/7 pool")
    pool = _write_pool(out / "data")
    done()

    done = step("2/7 tiny models")
    maths, codes, corpus = pool["maths"], pool["codes"], pool["corpus"]
    everything = [*maths, *codes]
    steps = 160  # enough for the tiny teachers to answer mostly right; fewer leaves nothing to curate
    models = out / "models"
    teach(models / "teacher_a", style="teacher_a", problems=everything, corpus=corpus, seed=1, steps=steps)
    teach(models / "teacher_b", style="teacher_b", problems=everything, corpus=corpus, seed=2, steps=steps)
    known = everything[::3]  # the student already solves a third of the pool
    teach(models / "student", style="teacher_a", problems=known, corpus=corpus, seed=3, steps=steps)
    done()

    registry = get_registry()
    with contextlib.chdir(out):  # the recipes' outputs are relative to it
        done = step("3/7 rollouts (ded rollout)")
        for name in ("teacher_a", "teacher_b", "student"):
            path = recipes / f"rollout_{name}.yaml"
            raw = dict(io.read_yaml(path))
            if fast and name != "student":
                raw["samples"] = 2
            config = load_rollout_config(raw, base_dir=path.parent, label=str(path), registry=registry)
            run_rollouts(config, registry=registry, progress=False)
        done()

        done = step("4/7 teacher smoke test (ded teacher)")
        path = recipes / "teacher.yaml"
        raw = dict(io.read_yaml(path))
        args = list(raw["eval"]["args"])
        args[args.index("--limit") + 1] = limit
        raw["eval"] = {**raw["eval"], "args": args}
        smoke = load_teacher_config(raw, base_dir=path.parent, label=str(path), registry=registry)
        report = run_teacher_selection(smoke, registry=registry, progress=False)
        winner = str(report["winner"])
        _copy_file(out / "rollouts" / f"{winner}.jsonl", out / "rollouts" / "winner.jsonl")
        done()

        done = step("5/7 curation (ded curate)")
        result = curate(recipes / "curate.yaml", progress=False)
        echo(result.table())
        done()

        done = step("6/7 llamafactory-cli train (curation through the start-up hook)")
        checkpoint = out / "checkpoint"
        overrides = raw["train"]["overrides"]
        run_logged(
            [
                "llamafactory-cli",
                "train",
                str(recipes / "ded_demo.yaml"),
                f"model_name_or_path={models / 'student'}",
                f"dataset_dir={recipes / 'lf_data'}",
                f"output_dir={checkpoint}",
                *(f"{k}={v}" for k, v in overrides.items()),
            ],
            out / "logs" / "train.log",
            env={"DED_AUTOLOAD": "1"},
        )
        loss = _final_loss(checkpoint)
        done()

        done = step("7/7 lm_eval")
        eval_dir = out / "eval"
        gen = args[args.index("--apply_chat_template") :]
        run_logged(
            [
                "lm_eval",
                "--model",
                "hf",
                "--model_args",
                f"pretrained={checkpoint}",
                "--tasks",
                "ded_math500",
                "--limit",
                limit,
                *gen,
                "--output_path",
                str(eval_dir),
            ],
            out / "logs" / "eval.log",
            env={"DED_MATH500_PATH": str(out / "data" / "eval_math.jsonl")},
        )
    results = sorted(eval_dir.rglob("results_*.json"))
    score = None
    if results:
        metrics = io.read_json(results[-1])["results"]["ded_math500"]
        score = next((v for k, v in metrics.items() if k.startswith("pass@1")), None)
    done()

    summary = {
        "winner": winner,
        "teacher_scores": {name: t.get("aggregate") for name, t in report["teachers"].items()},
        "stages": [{k: s[k] for k in ("stage", "input", "kept", "rejected")} for s in result.stages],
        "train_loss": loss,
        "eval_pass@1": score,
        "seconds": round(time.perf_counter() - started, 1),
        "timings": timings,
        "paths": {
            "teacher report": str(Path(report["report"]).absolute()),
            "curation": str(result.run_dir.absolute()),
            "checkpoint": str(checkpoint),
            "eval results": str(results[-1]) if results else str(eval_dir),
            "recipes": str(recipes),
            "logs": str(out / "logs"),
        },
    }
    io.write_json(out / "summary.json", summary)
    return summary


def _copy_file(src: Path, dest: Path) -> None:
    data = src.read_bytes()
    if not dest.is_file() or dest.read_bytes() != data:
        with io.atomic_write(dest, "wb") as fh:
            fh.write(data)


def _final_loss(checkpoint: Path) -> float | None:
    path = checkpoint / "train_results.json"
    if path.is_file():
        value = io.read_json(path).get("train_loss")
        return float(value) if value is not None else None
    return None
