"""Options several commands share (``ded compare``, ``ded report``): one definition each."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click


F = TypeVar("F", bound=Callable[..., Any])


def statistics(*, out: str, what: str) -> Callable[[F], F]:
    """``--task``, ``--metric``, ``--resamples``, ``--seed``, ``--level`` and ``--out`` (default ``out``)."""

    def decorate(f: F) -> F:
        options = [
            click.option(
                "--task", "tasks", multiple=True, help=f"Task to {what} (repeatable; default: every task)."
            ),
            click.option(
                "--metric", default=None, help=f"Metric to {what} (default: pass@1 where a task has it)."
            ),
            click.option("--resamples", default=1000, show_default=True, type=click.IntRange(min=2)),
            click.option("--seed", default=0, show_default=True, type=int),
            click.option(
                "--level",
                default=0.95,
                show_default=True,
                type=click.FloatRange(0, 1, min_open=True, max_open=True),
            ),
            click.option(
                "--out",
                type=click.Path(file_okay=False, path_type=Path),
                default=Path(out),
                show_default=True,
                help=f"Where {out}.md, {out}.json and {out}.png go.",
            ),
        ]
        for option in reversed(options):
            f = option(f)
        return f

    return decorate
