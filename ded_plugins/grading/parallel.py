"""Grade many responses in worker processes, with a hard per-item timeout.

sympy can run for hours on a hostile answer (``\\binom{10^{8}}{5\\cdot 10^{7}}``), and
big-integer arithmetic in C cannot be interrupted by a signal (nor does ``SIGALRM``
work off the main thread). So each item runs in a worker process; a worker that is
still busy when its item's time is up is killed and replaced, and that item gets
``reason="timeout"``. The time is the worker's CPU time, so a grade does not depend on how
loaded the machine is (a starved worker is waited for), with a backstop of
``BACKSTOP`` times the limit in wall-clock time for a worker that does not run at all.
Workers are forked from a forkserver that has the grader
imported, so a replacement is ready in milliseconds, and the pool is reused across
calls (lm-eval grades one document at a time).
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing as mp
import os
import threading
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Literal

from ded_plugins._workers import exit_with_parent
from ded_plugins.grading.mathgrade import MathGrade, grade_math, timeout_grade


__all__ = ["GraderPool", "grade_many"]

log = logging.getLogger(__name__)

#: wall-clock time, in multiples of the CPU-time limit, after which a grading worker is stopped anyway
BACKSTOP = 10.0
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

#: which grades carry a :class:`~ded_plugins.grading.MathExplanation` (``rejected``: not correct ones)
Explain = bool | Literal["rejected"]
_Task = tuple[int, str, str, bool, Explain]


def _worker_main(conn: Connection) -> None:
    """Grade tasks until the parent closes the pipe (or ends in the middle of one)."""
    exit_with_parent()
    while True:
        try:
            task: _Task = conn.recv()
        except (EOFError, OSError):
            return
        index, response, gold, require_think_end, explain = task
        conn.send((index, grade_math(response, gold, require_think_end=require_think_end, explain=explain)))


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process, from /proc; None where that cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime: fields 14 and 15 of stat(5)


class _Worker:
    def __init__(self, ctx: Any) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child,), daemon=True)
        self.process.start()
        child.close()
        self.task: _Task | None = None
        self.deadline = 0.0
        self.started = 0.0
        self.cpu_at_start: float | None = None

    def start(self, task: _Task, timeout_s: float) -> None:
        self.task = task
        self.started = time.monotonic()
        self.deadline = self.started + timeout_s
        self.cpu_at_start = _cpu_seconds(self.process.pid)
        self.conn.send(task)

    def time_left(self, timeout_s: float, now: float) -> float:
        """Seconds to wait before looking again, or 0: time is up (CPU time, or the backstop)."""
        cpu = _cpu_seconds(self.process.pid)
        if self.cpu_at_start is None or cpu is None or now - self.started >= BACKSTOP * timeout_s:
            return 0.0
        left = timeout_s - (cpu - self.cpu_at_start)
        return max(left, 0.05) if left > 0 else 0.0

    def kill(self) -> None:
        self.process.kill()  # our own child, by handle
        self.process.join(timeout=5)
        self.conn.close()


class GraderPool:
    """A set of grader processes; use :func:`grade_many` unless you need your own pool."""

    def __init__(self, workers: int | None = None) -> None:
        self.n_workers = workers or max(1, min(8, os.cpu_count() or 1))
        self._ctx = mp.get_context("forkserver")
        self._ctx.set_forkserver_preload(["ded_plugins.grading.mathgrade"])
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()

    def _ensure_workers(self, n: int) -> None:
        self._workers = [w for w in self._workers if w.process.is_alive()]
        while len(self._workers) < n:
            self._workers.append(_Worker(self._ctx))

    def grade(
        self,
        items: Sequence[tuple[str, str]],
        *,
        timeout_s: float,
        require_think_end: bool = False,
        explain: Explain = False,
    ) -> list[MathGrade]:
        """One :class:`MathGrade` per ``(response, gold)``, in order."""
        results: list[MathGrade | None] = [None] * len(items)
        pending = [(i, r, g, require_think_end, explain) for i, (r, g) in enumerate(items)][::-1]
        with self._lock:
            self._ensure_workers(min(self.n_workers, len(items)))
            busy: dict[Connection, _Worker] = {}
            while pending or busy:
                for worker in self._workers:
                    if pending and worker.task is None:
                        worker.start(pending.pop(), timeout_s)
                        busy[worker.conn] = worker
                now = time.monotonic()
                next_deadline = min(w.deadline for w in busy.values())
                for ready in wait(list(busy), timeout=max(0.0, next_deadline - now)):
                    worker = next(w for c, w in busy.items() if c is ready)
                    del busy[worker.conn]
                    try:
                        index, grade = worker.conn.recv()
                        results[index] = grade
                    except (EOFError, OSError):  # the worker died (memory?): count it as a timeout
                        self._replace(worker, results, timeout_s)
                        continue
                    worker.task = None
                now = time.monotonic()
                for conn, worker in list(busy.items()):
                    if worker.deadline <= now:
                        left = worker.time_left(timeout_s, now)
                        if left > 0:  # its CPU time is not up: it was waiting for a core
                            worker.deadline = now + left
                            continue
                        del busy[conn]
                        self._replace(worker, results, timeout_s)
        return [
            r if r is not None else timeout_grade(items[i][0], items[i][1], timeout_s, explain=explain)
            for i, r in enumerate(results)
        ]

    def _replace(self, worker: _Worker, results: list[MathGrade | None], timeout_s: float) -> None:
        task = worker.task
        assert task is not None
        log.debug("grading item %d timed out or crashed; restarting its worker", task[0])
        results[task[0]] = timeout_grade(task[1], task[2], timeout_s, explain=task[4])
        worker.kill()
        self._workers[self._workers.index(worker)] = _Worker(self._ctx)

    def close(self) -> None:
        """Stop all workers."""
        with self._lock:
            for worker in self._workers:
                worker.conn.close()
                worker.process.join(timeout=2)
                if worker.process.is_alive():
                    worker.kill()
            self._workers = []


_shared: GraderPool | None = None
_shared_lock = threading.Lock()


def _shared_pool(workers: int | None) -> GraderPool:
    global _shared
    with _shared_lock:
        if _shared is None or (workers is not None and workers != _shared.n_workers):
            if _shared is not None:
                _shared.close()
            _shared = GraderPool(workers)
            atexit.register(_shared.close)
        return _shared


def grade_many(
    items: Sequence[tuple[str, str]],
    *,
    timeout_s: float = 10.0,
    workers: int | None = None,
    require_think_end: bool = False,
    explain: Explain = False,
) -> list[MathGrade]:
    """Grade ``(response, gold)`` pairs in parallel; an item over ``timeout_s`` gets ``reason="timeout"``.

    ``explain`` says which grades carry a :class:`~ded_plugins.grading.MathExplanation`
    (``rejected``: the ones that are not correct, as curation stores them).

    The timeout is per item, in the worker's CPU time, and hard (the worker process is
    killed), so the call returns within about ``timeout_s * ceil(len(items) / workers)``
    seconds whatever the input on an idle machine; a loaded machine waits longer rather than
    grading differently, up to ``BACKSTOP`` times that.
    Workers come from a forkserver, so, as with ``spawn``, a script that calls this at
    import time needs an ``if __name__ == "__main__":`` guard.
    """
    if not items:
        return []
    if mp.current_process().daemon:  # daemonic processes may not start children: no hard timeout here
        log.warning("grade_many in a daemonic process: grading in-process without a timeout")
        return [grade_math(r, g, require_think_end=require_think_end, explain=explain) for r, g in items]
    pool = _shared_pool(workers)
    return pool.grade(items, timeout_s=timeout_s, require_think_end=require_think_end, explain=explain)
