"""Thin glue for lm-eval's ``!function utils.*``: the code lives in ``ded_plugins.sandbox``."""

from ded_plugins.integrations.lm_eval.intervals import bootstrap_ci95, bootstrap_se
from ded_plugins.integrations.lm_eval.lcb_eval import (
    lcb_prompt,
    load_lcb_docs,
    make_lcb_task_class,
    process_results,
    run_programs,
)


DedLcbTask = make_lcb_task_class()

__all__ = [
    "DedLcbTask",
    "bootstrap_ci95",
    "bootstrap_se",
    "lcb_prompt",
    "load_lcb_docs",
    "process_results",
    "run_programs",
]
