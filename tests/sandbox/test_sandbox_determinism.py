"""Determinism: a solution needing ~60% of its time limit gets the same verdict at 1 worker and at
2x oversubscription, five runs each."""

from __future__ import annotations

import os
import time

import pytest
from sandbox_helpers import stdin_request

from ded_plugins.sandbox import Sandbox


pytestmark = [pytest.mark.sandbox, pytest.mark.slow]
LIMIT = 1.0


def _calibrated_loop() -> str:
    """A CPU-bound program that needs about 60% of LIMIT here (measured, not assumed)."""
    n = 200_000
    while True:
        start = time.process_time()
        total = 0
        for i in range(n):
            total += i * i % 7
        spent = time.process_time() - start
        if spent > 0.05:
            break
        n *= 2
    iterations = int(n * 0.6 * LIMIT / spent)
    return f"t = 0\nfor i in range({iterations}):\n    t += i * i % 7\nprint('done')"


def test_verdicts_stable_under_oversubscription(namespaces: None) -> None:
    code = _calibrated_loop()
    request = stdin_request(code, out="done\n", timeout_s=LIMIT)
    cores = os.cpu_count() or 1
    verdicts = {}
    for workers in (1, 2 * cores):
        with Sandbox(workers=workers, memory_mb=1024) as box:
            results = box.run_many([request] * (5 if workers == 1 else max(5, workers)))
        verdicts[workers] = {r.status for r in results}
    assert verdicts[1] == {"passed"}
    assert verdicts[2 * cores] == {"passed"}
