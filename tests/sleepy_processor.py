"""A stand-in processor for the fault tests, registered by them: a fixed delay per unit.

Its verdicts are real decisions on the text (keep a rollout whose text length is even),
so merged outputs are worth comparing; the delay keeps a stage running long enough for
a test to remove a node (or kill the driver) in the middle of it. ``placement`` picks the executor's path:
``spread`` (Ray tasks) or ``node`` (one actor per node).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ded_plugins.hookspecs import hookimpl
from ded_plugins.records import Question, Rollout, Verdict
from ded_plugins.registry import Register


class Sleepy:
    def __init__(self, *, delay_s: float = 0.1, batch_size: int = 16, placement: str = "spread") -> None:
        self.delay_s = delay_s
        self.batch_size = batch_size
        self.placement = placement

    def process(self, items: Sequence[tuple[Question, Rollout]]) -> list[Verdict]:
        time.sleep(self.delay_s)
        return [
            Verdict(passed=len(r.text) % 2 == 0, reason="ok" if len(r.text) % 2 == 0 else "odd")
            for _, r in items
        ]


@hookimpl
def ded_register_processors(register: Register) -> Any:
    register("sleepy", Sleepy)


def plugin_site(dest: Path) -> Path:
    """A directory that makes this module an installed plugin (entry point ``ded: sleepy``)
    for a ``ded`` subprocess with ``dest`` and this directory on ``PYTHONPATH``."""
    info = dest / "ded_sleepy_test-0.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ded-sleepy-test\nVersion: 0.0\n")
    (info / "entry_points.txt").write_text("[ded]\nsleepy = sleepy_processor\n")
    return dest
