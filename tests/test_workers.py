"""Worker processes end with the process they serve, even when it is killed with SIGKILL.

A ``multiprocessing`` worker holds the write end of its own task pipe, so without
:func:`ded_plugins._workers.exit_with_parent` a worker (and its forkserver) outlives a
killed parent for ever. The local executor's workers are checked in
``tests/engine/test_run.py`` (a ``ded curate`` killed mid-stage); here the two pools that
live inside a stage: the graders (one busy on an answer sympy would chew on for hours) and
the Levenshtein distance workers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from cli_support import alive, descendants


BUSY = r"""
import threading, time
from ded_plugins.grading.parallel import GraderPool
from ded_plugins.selectors import diversity

graders = GraderPool(1)
hostile = [(r"\boxed{\binom{10^{8}}{5\cdot 10^{7}}}", "1")]
threading.Thread(target=graders.grade, args=(hostile,), kwargs={"timeout_s": 600}, daemon=True).start()
distances = diversity._pool(2)
for _ in range(2):
    distances.submit(time.sleep, 600)
time.sleep(2)
print("busy", flush=True)
time.sleep(600)
"""


def test_pool_workers_end_when_their_parent_is_killed() -> None:
    proc = subprocess.Popen([sys.executable, "-c", BUSY], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "busy\n"
        workers = descendants(proc.pid)
        # the forkserver (one per process), one grader and two distance workers, at least
        assert len(workers) >= 4, workers
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # our own child, by pid
        proc.wait()
    deadline = time.monotonic() + 30
    while alive(workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(workers), f"left running after their parent was killed: {sorted(alive(workers))}"
