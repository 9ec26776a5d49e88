"""``ded demo``: all of DED, end to end, on tiny local models and a pool written by the project.

Steps (everything under ``runs/demo/``, each step reused when its inputs are unchanged):

1. write the pool (``data/``): a few dozen math questions and ten stdin/stdout problems;
2. teach two tiny teachers (two styles) and a tiny student on part of the pool (``models/``);
3. ``ded rollout``: 4 samples per question from each teacher, 2 from the student (``rollouts/``);
4. ``ded teacher``: smoke test of both teachers (1 sample per question -> ``llamafactory-cli
   train`` -> ``lm_eval``) plus token entropy and PCA shift; report in ``teacher/``;
5. ``ded curate``: length -> think_format -> math_correct -> code_correct (sandbox) ->
   pass_rate -> diversity -> LLaMA-Factory export, on the winner's rollouts (``curate/``);
6. ``llamafactory-cli train recipes/ded_demo.yaml`` on a dataset entry that carries only a
   ``ded`` block, curated by the start-up hook (``checkpoint/``);
7. ``lm_eval`` on ``ded_math500`` with the trained student on the demo's math questions
   (``eval/``);

then a short summary with the paths to open.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ded_plugins import io
from ded_plugins._optional import require
from ded_plugins.demo.models import teach
from ded_plugins.demo.pool import CodeProblem, MathProblem, code_problems, math_problems, trajectory
from ded_plugins.exporters.llamafactory import sharegpt_entry


__all__ = ["run_demo"]

log = logging.getLogger(__name__)

#: a tiny model from scratch needs a far larger step than a 32B one to learn anything in a minute
TRAIN_OVERRIDES = {"learning_rate": 3.0e-3, "num_train_epochs": 8.0}

REPO_RECIPES = Path(__file__).resolve().parents[2] / "recipes"


def _recipe() -> Path:
    """``recipes/ded_demo.yaml`` from the checkout, or the copy shipped in the wheel."""
    for candidate in (REPO_RECIPES / "ded_demo.yaml", Path(__file__).parent / "ded_demo.yaml"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("recipes/ded_demo.yaml not found")


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


def run_demo(out: Path, *, echo: Callable[[str], None] = click.echo, fast: bool = False) -> dict[str, Any]:
    """Run every step; returns the summary. ``fast`` shrinks the work for tests."""
    from ded_plugins.config import load_curation_config
    from ded_plugins.pipeline import format_stage_table, run_curation
    from ded_plugins.plugins import get_plugin_manager, get_registry
    from ded_plugins.rollouts.runner import run_rollouts
    from ded_plugins.teacher.smoke import run_teacher_selection
    from ded_plugins.teacher.steps import run_logged

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
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def step(name: str) -> Callable[[], None]:
        t0 = time.perf_counter()
        echo(f"[{time.perf_counter() - started:6.1f}s] {name} ...")
        return lambda: timings.__setitem__(name, round(time.perf_counter() - t0, 1))

    done = step("1/7 pool")
    pool = _write_pool(out / "data")
    questions = out / "data" / "questions.jsonl"
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

    done = step("3/7 rollouts")
    registry = get_registry(get_plugin_manager())
    samples = {"teacher_a": 2 if fast else 4, "teacher_b": 2 if fast else 4, "student": 2}
    for name, m in samples.items():
        run_rollouts(
            {
                "output": str(out / "rollouts" / f"{name}.jsonl"),
                "model": name,
                "role": "student" if name == "student" else "teacher",
                "samples": m,
                "seed": 0,
                "questions": str(questions),
                "sampling": {"temperature": 1.0, "top_p": 0.95, "max_tokens": 96},
                "backend": {"transformers": {"model_path": str(models / name)}},
            },
            registry=registry,
            progress=False,
        )
    done()

    done = step("4/7 teacher smoke test")
    recipe = _recipe()
    eval_env = {"DED_MATH500_PATH": str(out / "data" / "eval_math.jsonl")}
    limit = ["--limit", "8"] if fast else ["--limit", "24"]
    gen = ["--apply_chat_template", "--gen_kwargs", "max_gen_toks=96,do_sample=false,temperature=0.0"]
    report = run_teacher_selection(
        {
            "run": "demo",
            "output_dir": str(out.parent),
            "questions": str(questions),
            "student": str(models / "student"),
            "teachers": [
                {
                    "name": "teacher_a",
                    "rollouts": str(out / "rollouts" / "teacher_a.jsonl"),
                    "model_path": str(models / "teacher_a"),
                },
                {
                    "name": "teacher_b",
                    "rollouts": str(out / "rollouts" / "teacher_b.jsonl"),
                    "model_path": str(models / "teacher_b"),
                },
            ],
            "train": {"recipe": str(recipe), "overrides": TRAIN_OVERRIDES},
            "eval": {"tasks": ["ded_math500"], "model": "hf", "args": [*limit, *gen], "env": eval_env},
        },
        registry=registry,
        progress=False,
    )
    winner = str(report["winner"])
    done()

    done = step("5/7 curation")
    curation = {
        "run": "curate",
        "output_dir": str(out),
        "seed": 0,
        "questions": str(questions),
        "rollouts": [str(out / "rollouts" / f"{winner}.jsonl")],
        "stages": [
            {"length": {"tokenizer": str(models / "student"), "template": "deepseekr1", "max_tokens": 256}},
            "think_format",
            "math_correct",
            {"code_correct": {"allow_degraded": True}},
            {"pass_rate": {"student_rollouts": str(out / "rollouts" / "student.jsonl"), "threshold": 0.5}},
            {"diversity": {"k": 2}},
        ],
        "export": [
            {"llamafactory": {"dataset_dir": str(out / "curate" / "export"), "dataset_name": "ded_demo"}}
        ],
    }
    result = run_curation(
        load_curation_config(curation, registry=registry), registry=registry, progress=False
    )
    table = format_stage_table(result.stages)
    echo(table)
    done()

    done = step("6/7 llamafactory-cli train (curation through the start-up hook)")
    lf_data = out / "lf_data"
    hooked = {**curation, "export": [{"llamafactory": {}}], "output_dir": str(out / "lf_runs")}
    entry = {**sharegpt_entry("ded_demo.jsonl"), "ded": hooked}
    io.write_json(lf_data / "dataset_info.json", {"ded_demo": entry})
    checkpoint = out / "checkpoint"
    run_logged(
        [
            "llamafactory-cli",
            "train",
            str(recipe),
            f"model_name_or_path={models / 'student'}",
            f"dataset_dir={lf_data}",
            f"output_dir={checkpoint}",
            *(f"{k}={v}" for k, v in TRAIN_OVERRIDES.items()),
        ],
        out / "logs" / "train.log",
        env={"DED_AUTOLOAD": "1"},
    )
    loss = _final_loss(checkpoint)
    done()

    done = step("7/7 lm_eval")
    eval_dir = out / "eval"
    run_logged(
        [
            "lm_eval",
            "--model",
            "hf",
            "--model_args",
            f"pretrained={checkpoint}",
            "--tasks",
            "ded_math500",
            *limit,
            *gen,
            "--output_path",
            str(eval_dir),
        ],
        out / "logs" / "eval.log",
        env=eval_env,
    )
    results = sorted(eval_dir.rglob("results_*.json"))
    score = None
    if results:
        data = json.loads(results[-1].read_text())
        metrics = data["results"]["ded_math500"]
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
            "teacher report": str(out / "teacher" / "report.md"),
            "curation": str(out / "curate"),
            "checkpoint": str(checkpoint),
            "eval results": str(results[-1]) if results else str(eval_dir),
            "logs": str(out / "logs"),
        },
    }
    io.write_json(out / "summary.json", summary)
    return summary


def _final_loss(checkpoint: Path) -> float | None:
    path = checkpoint / "train_results.json"
    if path.is_file():
        value = json.loads(path.read_text()).get("train_loss")
        return float(value) if value is not None else None
    return None
