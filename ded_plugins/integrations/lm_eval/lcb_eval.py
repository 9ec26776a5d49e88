"""What the ``ded_livecodebench`` lm-eval tasks run: data, prompt, the sandbox filter, metrics.

The filter sees every response of the run at once and executes all of them in parallel
through one :class:`~ded_plugins.sandbox.Sandbox` (not one by one inside a metric); the
metric then only reads each sample's verdict. ``pass@1`` is the share of passing samples
per problem (avg@k), averaged over problems, with its two-level bootstrap standard error
and 95% interval (``pass@1_boot_se``, ``pass@1_ci95``).

Metadata keys (task YAML or ``--metadata '{...}'``):

* ``lcb_path`` (or ``DED_LCB_PATH``): a local directory of ``test*.jsonl`` files (a hub
  snapshot of ``livecodebench/code_generation_lite``) or one JSONL file; without it the
  files are fetched from the hub;
* ``lcb_release`` (default ``release_v6``), ``lcb_start`` / ``lcb_end`` (default the
  paper's window 2025-02-01 .. 2025-05-01, inclusive);
* ``lcb_grader``: ``lcb2505`` (default) or ``lcb2501``; ``lcb_timeout_s`` (default 6 s per test);
  sandbox workers: the environment variable ``DED_LCB_WORKERS`` (default one per core);
* ``ded_k``: samples per problem (default 16); ``ded_resamples`` / ``ded_bootstrap_seed``: the
  bootstrap (default 1000 resamples, seed 0).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ded_plugins._optional import require
from ded_plugins.grading.code import extract_code
from ded_plugins.integrations.lm_eval.intervals import bind_resampling, interval_values
from ded_plugins.integrations.lm_eval.lcb_data import DEFAULT_WINDOW, LcbProblem, load_lcb_problems
from ded_plugins.sandbox.jobs import DEFAULT_GRADER, GRADERS, RunRequest


__all__ = ["lcb_prompt", "load_lcb_docs", "make_lcb_task_class", "process_results", "run_programs"]

log = logging.getLogger(__name__)
HUB_ID = "livecodebench/code_generation_lite"
_INTRO = (
    "You will be given a question (problem specification) and will generate a correct Python program "
    "that matches the specification and passes all tests."
)
_WITH_STARTER = (
    "You will use the following starter code to write the solution to the problem and enclose your code "
    "within delimiters."
)
_STDIN = (
    "Read the inputs from stdin solve the problem and write the answer to stdout (do not directly test on "
    "the sample inputs). Enclose your code within delimiters as follows. Ensure that when the python "
    "program runs, it reads the inputs, runs the algorithm and writes output to STDOUT."
)


def lcb_prompt(doc: Mapping[str, Any]) -> str:
    """LiveCodeBench's prompt for reasoning models (the DeepSeek-R1 wording), as the user turn."""
    starter = str(doc.get("starter_code") or "")
    fmt = _WITH_STARTER if starter else _STDIN
    code = starter or "# YOUR CODE HERE"
    return f"{_INTRO}\n\nQuestion: {doc['question_content']}\n\n{fmt}\n```python\n{code}\n```\n\n"


def _source(kwargs: Mapping[str, Any], release: str) -> Path:
    local = kwargs.get("lcb_path") or os.environ.get("DED_LCB_PATH")
    if local:
        return Path(str(local)).expanduser()
    hub = require("huggingface_hub", "hf", purpose="downloading LiveCodeBench")
    n = int(release.rsplit("v", 1)[-1]) if release.startswith("release_v") else 9
    patterns = ["test.jsonl", *(f"test{i}.jsonl" for i in range(2, n + 1))]
    return Path(hub.snapshot_download(HUB_ID, repo_type="dataset", allow_patterns=patterns))


def _doc(problem: LcbProblem, grader: str, timeout_s: float) -> dict[str, Any]:
    return {
        "question_id": problem.question_id,
        "question_title": problem.title,
        "question_content": problem.content,
        "platform": problem.platform,
        "contest_date": problem.contest_date,
        "difficulty": problem.difficulty,
        "starter_code": problem.starter_code,
        "fn_name": problem.fn_name or "",
        "inputs": list(problem.inputs),
        "outputs": list(problem.outputs),
        "grader": grader,
        "timeout_s": timeout_s,
    }


def load_lcb_docs(**kwargs: Any) -> dict[str, Any]:
    """``custom_dataset`` of the ``ded_lcb*`` tasks: decoded problems of the release and window."""
    datasets = require("datasets", "hf", purpose="loading lm-eval task data")
    release = str(kwargs.get("lcb_release") or "release_v6")
    grader = str(kwargs.get("lcb_grader") or DEFAULT_GRADER)
    if grader not in GRADERS:
        raise ValueError(f"lcb_grader must be one of {', '.join(GRADERS)}, not {grader!r}")
    problems = load_lcb_problems(
        _source(kwargs, release),
        release=release,
        start=str(kwargs.get("lcb_start") or DEFAULT_WINDOW[0]),
        end=str(kwargs.get("lcb_end") or DEFAULT_WINDOW[1]),
        difficulty=kwargs.get("ded_lcb_difficulty") or None,
    )
    timeout_s = float(kwargs.get("lcb_timeout_s") or 6.0)
    log.info("LiveCodeBench %s: %d problems, grader %s", release, len(problems), grader)
    return {"test": datasets.Dataset.from_list([_doc(p, grader, timeout_s) for p in problems])}


def run_programs(
    resps: Sequence[Sequence[str]], docs: Sequence[Mapping[str, Any]]
) -> list[list[dict[str, Any]]]:
    """Filter: extract every sample's program and run them all in one parallel sandbox batch."""
    from ded_plugins.sandbox.sandbox import Sandbox

    requests: list[RunRequest] = []
    for n, (samples, doc) in enumerate(zip(resps, docs, strict=True)):
        for i, text in enumerate(samples):
            requests.append(
                RunRequest(
                    id=f"{doc['question_id']}/{i}/{n}",
                    code=extract_code(str(text)),
                    inputs=tuple(doc["inputs"]),
                    outputs=tuple(doc["outputs"]),
                    fn_name=doc["fn_name"] or None,
                    timeout_s=float(doc.get("timeout_s") or 6.0),
                )
            )
    graders = {str(doc.get("grader") or DEFAULT_GRADER) for doc in docs} or {DEFAULT_GRADER}
    if len(graders) != 1:
        raise ValueError(f"one grader per run, found {sorted(graders)}")
    workers = os.environ.get("DED_LCB_WORKERS")
    with Sandbox(grader=graders.pop(), workers=int(workers) if workers else None) as box:
        results = box.run_many(requests)
    out: list[list[dict[str, Any]]] = []
    it = iter(results)
    for samples in resps:
        out.append(
            [
                {"passed": r.passed, "status": r.status, "grader": r.grader, "isolation": r.isolation}
                for r in (next(it) for _ in samples)
            ]
        )
    return out


def process_results(doc: Mapping[str, Any], results: Sequence[Any]) -> dict[str, Any]:
    """``pass@1`` = share of the k samples that passed (avg@k); ``time_limit`` = share that timed out."""
    verdicts = results[0] if results and isinstance(results[0], list | tuple) else list(results)
    n = max(len(verdicts), 1)
    passed = [int(bool(v.get("passed"))) for v in verdicts]
    return {
        "pass@1": sum(passed) / n,
        "time_limit": sum(v.get("status") == "time_limit" for v in verdicts) / n,
        **interval_values("pass@1", passed),
    }


def make_lcb_task_class() -> type:
    """The task class: ``ConfigurableTask`` plus ``ded_k`` -> ``repeats`` (lm-eval imported lazily)."""
    from lm_eval.api.task import ConfigurableTask

    class DedLcbTask(ConfigurableTask):  # type: ignore[misc]
        def __init__(self, config: dict[str, Any] | None = None, **kwargs: Any) -> None:
            from ded_plugins.integrations.lm_eval.tasks import task_config

            config, meta = task_config(config)
            super().__init__(config=config, **kwargs)
            bind_resampling(self._aggregation_list, meta)

    return DedLcbTask
