"""The ``Sandbox``: a supervisor over pre-started workers, with ``run`` and ``run_many``.

::

    with Sandbox(grader="lcb2505") as sandbox:
        results = sandbox.run_many(requests)

Time limits are judged on what a test would take on an idle machine: its CPU time plus
the time all its threads were asleep (sampled by the worker), with a raw wall-clock
backstop of 3 x the limit + 5 s. Every time-limit verdict is then run once more on an
idle worker (after the rest of the batch); that second verdict is final. This is the one
deliberate deviation from upstream, whose wall-clock alarm makes verdicts depend on
machine load.

How many re-runs go at once: a program whose first run used at most a tenth of its limit
in CPU time spent the rest asleep (``time.sleep``, a blocked read, a thread join). Time
asleep does not stretch under load, and such a program keeps no core busy, so these
"sleepers" are re-run side by side, each on a fresh worker that runs nothing else
(started for the purpose, at most ``_SLEEPER_WIDTH``), after the others. Every other
re-run gets at most one worker per core, so its CPU time is measured on an unshared core.

Cores, not workers, bound the batch: ``workers`` programs run at once, plus one more for
each of them that its worker reports asleep (the sandbox keeps as many spare workers as
``workers`` for that). A sleeping program holds no core, so this changes no measurement;
it only keeps the cores busy while, say, a ``time.sleep`` runs into its limit. Should it
wake up and compute, it shares the cores by time-slicing, and time spent waiting for a
core counts neither as CPU time nor as time asleep.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from types import TracebackType
from typing import Any

from ded_plugins.errors import ConfigError, SandboxError
from ded_plugins.sandbox.compare import failure_status
from ded_plugins.sandbox.isolation import bwrap_available
from ded_plugins.sandbox.jobs import (
    DEFAULT_GRADER,
    GRADERS,
    ISOLATION_DEGRADED,
    ISOLATION_FULL,
    RunRequest,
    RunResult,
)
from ded_plugins.sandbox.workerproc import WorkerDied, WorkerProcess


__all__ = ["Sandbox"]

log = logging.getLogger(__name__)
#: a time-limit run that used at most this share of its limit in CPU time was mostly asleep
_SLEEPER_CPU_SHARE = 0.1
_SLEEPER_WIDTH = 16


class Sandbox:
    """Isolated execution of programs against tests, with LiveCodeBench semantics."""

    def __init__(
        self,
        *,
        workers: int | None = None,
        grader: str = DEFAULT_GRADER,
        allow_degraded: bool = False,
        memory_mb: int = 4096,
        max_output_bytes: int = 64 << 20,
        rerun_time_limits: bool = True,
    ) -> None:
        if grader not in GRADERS:
            raise ConfigError(f"unknown grader {grader!r}; expected one of {', '.join(GRADERS)}")
        self.grader = grader
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.allow_degraded = allow_degraded
        self.memory_mb = memory_mb
        self.max_output_bytes = max_output_bytes
        self.rerun_time_limits = rerun_time_limits
        self.isolation = ""
        self._idle: queue.Queue[WorkerProcess] = queue.Queue()
        #: one per program that may be using a core; given back early when its worker reports it asleep
        self._cores = threading.BoundedSemaphore(self.workers)
        self._all: list[WorkerProcess] = []
        self._lock = threading.Lock()
        self._checker: WorkerProcess | None = None
        self._checker_lock = threading.Lock()
        self._spawner: ThreadPoolExecutor | None = None

    # --- life cycle ---------------------------------------------------------------------------

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def start(self) -> None:
        """Decide the isolation level and start the workers (in parallel)."""
        if self._all:
            return
        ok, why = bwrap_available()
        if ok:
            self.isolation = ISOLATION_FULL
        elif self.allow_degraded:
            log.warning("sandbox degraded to %s: %s", ISOLATION_DEGRADED, why)
            self.isolation = ISOLATION_DEGRADED
        else:
            raise SandboxError(
                f"refusing to run untrusted code without namespaces: {why}. "
                "Install bubblewrap and allow unprivileged user namespaces, or pass --allow-degraded "
                "(rlimits and seccomp only; programs can then read the host's files)."
            )
        total = 2 * self.workers  # the spares serve while other workers' programs sleep
        with ThreadPoolExecutor(total) as pool:
            started = list(pool.map(lambda _: self._new_worker(), range(total)))
        for worker in started:
            self._all.append(worker)
            self._idle.put(worker)

    def _new_worker(self) -> WorkerProcess:
        if self._spawner is None:
            # bwrap --die-with-parent dies with the *thread* that started it, so every worker is
            # started from one thread that lives as long as the sandbox
            self._spawner = ThreadPoolExecutor(1, thread_name_prefix="ded-sandbox-spawner")
        worker = self._spawner.submit(
            WorkerProcess,
            namespaced=self.isolation == ISOLATION_FULL,
            memory_mb=self.memory_mb,
            max_output=self.max_output_bytes,
        ).result()
        worker.wait_ready()
        return worker

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            workers, self._all = self._all, []
            if self._checker is not None:
                workers.append(self._checker)
                self._checker = None
        for worker in workers:
            worker.close()
        self._idle = queue.Queue()
        if self._spawner is not None:
            self._spawner.shutdown()
            self._spawner = None

    # --- running ------------------------------------------------------------------------------

    def run(self, request: RunRequest) -> RunResult:
        """Run one program (a time-limit verdict is re-run once)."""
        return self.run_many([request])[0]

    def run_many(
        self, requests: Sequence[RunRequest], *, progress: Callable[[int], None] | None = None
    ) -> list[RunResult]:
        """Run programs in parallel on all workers; results in input order."""
        if not self._all:
            self.start()
        done = progress or (lambda n: None)

        def one(request: RunRequest) -> RunResult:
            result = self._execute(request)
            done(1)
            return result

        with ThreadPoolExecutor(len(self._all)) as pool:
            results = list(pool.map(one, requests))
        if self.rerun_time_limits:
            again = [i for i, r in enumerate(results) if r.status == "time_limit"]
            sleepers = [i for i in again if results[i].cpu_s <= _SLEEPER_CPU_SHARE * requests[i].timeout_s]
            busy = sorted(set(again) - set(sleepers))
            # the batch is done, so every worker is idle; never more at once than there are cores
            width = max(1, min(self.workers, os.cpu_count() or 1))
            with ThreadPoolExecutor(width) as pool:
                for index, result in zip(
                    busy, pool.map(lambda i: self._execute(requests[i]), busy), strict=True
                ):
                    results[index] = _with(result, reran=True)
            if sleepers:
                for index, result in zip(
                    sleepers, self._rerun_sleepers([requests[i] for i in sleepers]), strict=True
                ):
                    results[index] = _with(result, reran=True)
        return results

    def _rerun_sleepers(self, requests: list[RunRequest]) -> list[RunResult]:
        """Re-run mostly-asleep programs side by side, each on a fresh worker of its own."""
        width = min(len(requests), _SLEEPER_WIDTH)
        if width <= 1:
            return [self._execute(r) for r in requests]
        extra: queue.Queue[WorkerProcess] = queue.Queue()
        with ThreadPoolExecutor(width) as pool:
            futures = [pool.submit(self._new_worker) for _ in range(width)]
        for future in futures:
            try:
                extra.put(future.result())
            except SandboxError as exc:
                log.warning("no extra worker for a re-run (%s)", exc)
        if extra.empty():
            return [self._execute(r) for r in requests]
        try:
            with ThreadPoolExecutor(width) as pool:
                return list(pool.map(lambda r: self._execute(r, extra, hold_core=False), requests))
        finally:
            while not extra.empty():
                extra.get_nowait().close()

    def _execute(
        self, request: RunRequest, idle: queue.Queue[WorkerProcess] | None = None, *, hold_core: bool = True
    ) -> RunResult:
        n = len(request.inputs)
        if n == 0 or n != len(request.outputs):
            why = "no tests" if n == 0 else f"{n} inputs but {len(request.outputs)} outputs"
            return self._result(request, "sandbox_error", [], why, 0.0)
        if not hold_core:
            return self._attempt(request, self._idle if idle is None else idle, None)
        cores = self._cores
        cores.acquire()
        held = [True]

        def asleep() -> None:
            if held[0]:
                held[0] = False
                cores.release()

        try:
            return self._attempt(request, self._idle if idle is None else idle, asleep)
        finally:
            asleep()

    def _attempt(
        self, request: RunRequest, idle: queue.Queue[WorkerProcess], asleep: Callable[[], None] | None
    ) -> RunResult:
        n = len(request.inputs)
        judge = self._checker_judge(request) if request.checker and request.fn_name is None else None
        for attempt in range(2):
            worker = idle.get()
            try:
                status, per_test, error, cpu = worker.run(request, self.grader, judge, asleep)
            except WorkerDied as exc:
                log.warning("sandbox worker died (%s); replacing it", exc)
                self._replace(worker, idle)
                if attempt == 1:
                    return self._result(request, "sandbox_error", [None] * n, str(exc), 0.0)
                continue
            except BaseException:
                # mid-conversation: its state is unknown, so it never serves again
                self._replace(worker, idle)
                raise
            idle.put(worker)
            return self._result(request, status, per_test, error, cpu)
        raise AssertionError("unreachable")

    def _replace(self, worker: WorkerProcess, idle: queue.Queue[WorkerProcess]) -> None:
        worker.close()
        fresh = self._new_worker()
        with self._lock:
            self._all = [fresh if w is worker else w for w in self._all]
        idle.put(fresh)

    def _checker_judge(self, request: RunRequest) -> Callable[[int, dict[str, Any]], str]:
        assert request.checker is not None
        checker = request.checker

        def judge(index: int, report: dict[str, Any]) -> str:
            if report.get("k") != "ok":
                return failure_status(report)
            files = [
                ("input.txt", request.inputs[index]),
                ("expected.txt", request.outputs[index]),
                ("output.txt", str(report.get("out", ""))),
            ]
            with self._checker_lock:
                if self._checker is None or not self._checker.alive():
                    # checkers get their own worker: programs never run where an expected output was
                    self._checker = self._new_worker()
                try:
                    code, why = self._checker.run_script(checker, files, max(request.timeout_s, 10.0))
                except WorkerDied as exc:
                    self._checker.close()
                    self._checker = None
                    raise SandboxError(f"checker worker died: {exc}") from exc
            if code is None:
                log.warning("checker failed to run: %s", why)
            return "passed" if code == 0 else "wrong_answer"

        return judge

    def _result(
        self, request: RunRequest, status: str, per_test: list[bool | None], error: str, cpu: float
    ) -> RunResult:
        return RunResult(
            id=request.id,
            passed=status == "passed",
            status=status,  # type: ignore[arg-type]
            per_test=tuple(per_test),
            grader=self.grader,
            isolation=self.isolation,
            error=error,
            cpu_s=cpu,
        )


def _with(result: RunResult, **changes: Any) -> RunResult:
    return replace(result, **changes)
