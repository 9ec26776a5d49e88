"""Thin glue for lm-eval's ``!function utils.*``: the code lives in ``ded_plugins``."""

from ded_plugins.integrations.lm_eval.tasks import (
    bootstrap_ci95,
    bootstrap_se,
    keep_all,
    load_docs,
    make_task_class,
    mcq_process_docs,
    process_math_docs,
    process_results,
)


DedTask = make_task_class()

__all__ = [
    "DedTask",
    "bootstrap_ci95",
    "bootstrap_se",
    "keep_all",
    "load_docs",
    "mcq_process_docs",
    "process_math_docs",
    "process_results",
]
