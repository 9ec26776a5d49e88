"""What the ``ded_*`` lm-eval tasks run: data loading, the task class, and their metrics.

The task folders in ``evals/`` hold YAML plus a thin ``utils.py`` that re-exports from
here. Per document with ``k`` samples the metrics are ``pass@1`` (share of correct
samples: avg@k), ``maj@k`` (the most frequent extracted answer is correct),
``think_finished`` (share of samples that closed their ``</think>``) and
``response_tokens`` (mean length, counted with the model's tokenizer when it can be
loaded, else by a whitespace/punctuation split); ``pass@1`` and ``maj@k`` also come with
a two-level bootstrap standard error and 95% interval (``pass@1_boot_se``,
``pass@1_ci95``, ...; :mod:`~ded_plugins.integrations.lm_eval.intervals`). Grading is
:func:`ded_plugins.grading.grade_math` (or :func:`~ded_plugins.grading.extract_choice`
for multiple choice): the same definition of correct as curation.

Metadata keys (task YAML, ``--metadata '{...}'``; model_args arrive here too):

* ``ded_k``: samples per question (overrides the YAML's ``repeats``);
* ``<name>_path`` (e.g. ``aime25_path``) or the environment variable ``DED_<NAME>_PATH``:
  a local JSONL file instead of the hub dataset;
* ``think_required`` (default true): a sample without ``</think>`` has no answer; set it
  false for non-reasoning models or servers that strip the thinking already;
* ``ded_resamples`` (default 1000), ``ded_bootstrap_seed`` (default 0): the bootstrap.
"""

from __future__ import annotations

import logging
import os
import random
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ded_plugins._optional import require
from ded_plugins.errors import InputError
from ded_plugins.integrations.lm_eval.intervals import (
    bind_resampling,
    bootstrap_ci95,
    bootstrap_se,
    interval_values,
    votes_value,
)
from ded_plugins.io import read_jsonl


__all__ = [
    "bootstrap_ci95",
    "bootstrap_se",
    "keep_all",
    "load_docs",
    "make_task_class",
    "math_metrics",
    "mcq_process_docs",
    "process_math_docs",
    "process_results",
    "task_config",
]

log = logging.getLogger(__name__)
_WORDS = re.compile(r"\w+|[^\w\s]")


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() not in ("0", "false", "no", "off", "")


def load_docs(**kwargs: Any) -> dict[str, Any]:
    """``custom_dataset`` of every ``ded_*`` task: a local JSONL when given, else the hub dataset."""
    datasets = require("datasets", "hf", purpose="loading lm-eval task data")
    name = str(kwargs["ded_data_name"])
    local = kwargs.get(f"{name}_path") or os.environ.get(f"DED_{name.upper()}_PATH")
    if local:
        path = Path(str(local)).expanduser()
        if not path.is_file():
            raise InputError(f"no such file (given for {name}_path)", path=str(path))
        return {"test": datasets.Dataset.from_list([row for _, row in read_jsonl(path)])}
    split = datasets.load_dataset(
        kwargs["ded_hub_id"], kwargs.get("ded_hub_config"), split=kwargs.get("ded_hub_split", "test")
    )
    return {"test": split}


def _gold_of(doc: Mapping[str, Any]) -> str:
    from ded_plugins.grading.extract import boxed_answers

    for key in ("answer", "Answer"):
        if doc.get(key) not in (None, ""):
            return str(doc[key])
    boxes = boxed_answers(str(doc.get("solution", "")))  # math-ai/aime24 keeps it in the solution
    return boxes[-1][2] if boxes else ""


def process_math_docs(dataset: Any) -> Any:
    """Give every document ``problem`` and ``answer`` fields whatever the source's names."""

    def fix(doc: dict[str, Any]) -> dict[str, Any]:
        return {
            "problem": str(doc.get("problem") or doc.get("Problem") or doc.get("question") or ""),
            "answer": _gold_of(doc),
        }

    return dataset.map(fix, remove_columns=[c for c in dataset.column_names if c in ("Answer", "Problem")])


def mcq_process_docs(dataset: Any, seed: int = 0) -> Any:
    """GPQA: shuffle the four options with a fixed per-question seed; ``answer`` is the gold letter."""

    def fix(doc: dict[str, Any]) -> dict[str, Any]:
        question = str(doc["Question"]).strip()
        options = [str(doc["Correct Answer"]).strip()] + [
            str(doc[f"Incorrect Answer {i}"]).strip() for i in (1, 2, 3)
        ]
        order = list(range(4))
        random.Random(f"{seed}:{question}").shuffle(order)  # stable across runs and machines
        choices = [options[i] for i in order]
        return {"problem": question, "choices": choices, "answer": "ABCD"[order.index(0)]}

    return dataset.map(fix)


def keep_all(resps: Sequence[Sequence[str]], docs: Sequence[Any]) -> Sequence[Sequence[str]]:
    """Filter that keeps all ``k`` samples (lm-eval's default keeps only the first)."""
    return resps


def _vote_key(answer: str | None) -> str | None:
    """Spellings of one answer vote together: ``070`` and ``70``, ``\\dfrac12`` and ``\\frac12``."""
    from ded_plugins.grading.normalize import normalize_answer

    if not answer:
        return None
    key = normalize_answer(answer).replace(" ", "")
    return str(int(key)) if re.fullmatch(r"[+-]?\d+", key) else key


def math_metrics(
    samples: Sequence[str],
    gold: str,
    *,
    grader: str = "math",
    require_think_end: bool = True,
    count_tokens: Callable[[str], int] | None = None,
) -> dict[str, Any]:
    """The per-document metrics of a ``ded_*`` task (module docstring)."""
    from ded_plugins.grading import extract_choice, grade_many

    if grader == "choice":
        answers = [extract_choice(s, require_think_end=require_think_end) for s in samples]
        correct = [a == gold for a in answers]
    else:
        grades = grade_many([(s, gold) for s in samples], require_think_end=require_think_end)
        answers = [g.extracted for g in grades]
        correct = [g.correct for g in grades]
    keys = [_vote_key(a) for a in answers]
    counter = Counter(k for k in keys if k)
    majority = counter.most_common(1)[0][0] if counter else None
    maj_correct = next((c for k, c in zip(keys, correct, strict=True) if k and k == majority), False)
    count = count_tokens or (lambda text: len(_WORDS.findall(text)))
    n = max(len(samples), 1)
    return {
        "pass@1": sum(correct) / n,
        "maj@k": float(maj_correct),
        "think_finished": sum("</think>" in s for s in samples) / n,
        "response_tokens": sum(count(s) for s in samples) / n,
        **interval_values("pass@1", [int(c) for c in correct]),
        **interval_values("maj@k", votes_value(keys, correct)),
    }


def process_results(doc: Mapping[str, Any], results: Sequence[Any]) -> dict[str, Any]:
    """Plain ``process_results`` (no tokenizer, think required) for use outside the task class."""
    samples = results[0] if results and isinstance(results[0], list | tuple) else list(results)
    grader = "choice" if "choices" in doc else "math"
    return math_metrics([str(s) for s in samples], str(doc["answer"]), grader=grader)


def task_config(config: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """A ``ded_*`` task's config without ``class``, ``ded_k`` applied as ``repeats``; and its metadata."""
    out = dict(config or {})
    out.pop("class", None)
    meta = dict(out.get("metadata") or {})
    if meta.get("ded_k") not in (None, ""):
        out["repeats"] = int(meta["ded_k"])
    return out, meta


def make_task_class() -> type:
    """Build the ``ded_*`` task class (lm-eval is imported only when a task is loaded)."""
    from lm_eval.api.task import ConfigurableTask

    class DedTask(ConfigurableTask):  # type: ignore[misc]
        """``ConfigurableTask`` plus ``ded_k`` -> ``repeats``, tokenizer-counted lengths, seeded intervals."""

        def __init__(self, config: dict[str, Any] | None = None, **kwargs: Any) -> None:
            config, meta = task_config(config)
            self._grader = str(meta.get("ded_grader", "math"))
            self._think_required = _truthy(meta.get("think_required", True))
            if meta.get("think_end_token"):
                # the backend already cut the thinking off: what we get is the answer part only
                log.warning(
                    "%s: model_args set think_end_token, so responses arrive without their thinking; "
                    "grading them as answers (think_finished is then not measurable)",
                    config.get("task"),
                )
                self._think_required = False
            self._warned_template = False
            self._tokenizer_name = meta.get("tokenizer") or meta.get("pretrained")
            self._counter: Callable[[str], int] | None = None
            super().__init__(config=config, **kwargs)
            bind_resampling(self._aggregation_list, meta)

        def _count_tokens(self) -> Callable[[str], int] | None:
            if self._counter is None and self._tokenizer_name:
                try:
                    transformers = require("transformers", "analysis", purpose="counting tokens")
                    tok = transformers.AutoTokenizer.from_pretrained(str(self._tokenizer_name))
                    self._counter = lambda text: len(tok(text, add_special_tokens=False)["input_ids"])
                except Exception as exc:  # counting is a report, not a reason to fail the run
                    log.warning(
                        "response_tokens: no tokenizer %s (%s); counting words", self._tokenizer_name, exc
                    )
                    self._tokenizer_name = None
            return self._counter

        def fewshot_context(self, doc: Any, num_fewshot: int, *args: Any, **kwargs: Any) -> Any:
            if not kwargs.get("apply_chat_template") and not self._warned_template:
                self._warned_template = True
                log.warning(
                    "%s: prompts are sent without the model's chat template; reasoning models "
                    "need --apply_chat_template",
                    self.config.task,
                )
            return super().fewshot_context(doc, num_fewshot, *args, **kwargs)

        def process_results(self, doc: Mapping[str, Any], results: Sequence[Any]) -> dict[str, Any]:
            samples = results[0] if results and isinstance(results[0], list | tuple) else list(results)
            return math_metrics(
                [str(s) for s in samples],
                str(doc["answer"]),
                grader=self._grader,
                require_think_end=self._think_required,
                count_tokens=self._count_tokens(),
            )

    return DedTask
