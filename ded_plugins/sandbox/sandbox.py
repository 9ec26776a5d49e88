"""The ``Sandbox``: a supervisor over pre-started workers, with ``run`` and ``run_many``.

::

    with Sandbox(grader="lcb2505") as sandbox:
        results = sandbox.run_many(requests)

Time limits are judged on what a test would take on an idle machine: its CPU time plus
the time all its threads were asleep (sampled by the worker), with a raw wall-clock
backstop of 3 x the limit + 5 s. Every time-limit verdict is then run once more on an
idle worker; that second verdict is final. This is the one deliberate deviation from
upstream, whose wall-clock alarm makes verdicts depend on machine load.

How re-runs go: a program whose first run used at most a tenth of its limit in CPU time
spent the rest asleep (``time.sleep``, a blocked read, a thread join). Time asleep does
not stretch under load, and such a program keeps no core busy, so these "sleepers" are
re-run side by side, each on a worker that runs nothing else (started for the batch, at
most ``_SLEEPER_WIDTH``, gone when it ends). The re-run starts as soon as the worker
reports the first run asleep, and is used only if the first run ends as a sleeper's time
limit; so a sleeper costs its limit once in wall time, not twice. Every other time-limit
verdict is re-run after the batch, at most one per two cores: CPU time is not quite
independent of load where cores share caches or are hyperthreads of one physical core
(on the 2-vCPU machines we test on, a program's CPU time grows by about a third when the
other vCPU is busy), so a re-run gets a core whose neighbour is idle.

Workers do not load numpy, which would double what every fork copies: a program whose
text names numpy (or a library built on it) goes to a second set of workers that do,
started when the first such program comes. A program that imports numpy some other way
still runs, importing it in its own time.

Cores, not workers, bound the batch: ``workers`` programs run at once, plus one more for
each of them that its worker reports asleep (up to ``_SLEEPER_WIDTH`` of those; the
sandbox keeps ``workers`` spare workers and starts more while programs sleep, closing
the extra ones when the batch ends). A sleeping program holds no core, so this changes
no measurement; it only keeps the cores busy while, say, a ``time.sleep`` runs into its
limit. Should it wake up and compute, it shares the cores by time-slicing, and time
spent waiting for a core counts neither as CPU time nor as time asleep.
"""

from __future__ import annotations

import logging
import os
import queue
import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from types import TracebackType
from typing import Any

from ded_plugins.errors import ConfigError, SandboxError
from ded_plugins.sandbox.compare import failure_status
from ded_plugins.sandbox.inside import wire
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
#: programs that name one of these run where numpy is already imported, as upstream's always do
_NUMPY_USERS = re.compile(r"numpy|scipy|pandas|sklearn|matplotlib|numba|networkx|torch|jax|tensorflow")


class _Pool:
    """Workers that take jobs in turn: a queue of idle ones, replaced when they die.

    ``limit`` set: started lazily, one more whenever none is idle, up to ``limit``.
    """

    def __init__(self, start: Callable[[], WorkerProcess], limit: int | None = None) -> None:
        self._start = start
        self.limit = limit
        #: ``None`` once closed
        self.idle: queue.Queue[WorkerProcess | None] = queue.Queue()
        self.workers: list[WorkerProcess] = []
        self.closed = False
        self._starting = 0
        self._lock = threading.Lock()

    def add(self, worker: WorkerProcess) -> None:
        with self._lock:
            self.workers.append(worker)
        self.idle.put(worker)

    def get(self) -> WorkerProcess:
        if self.limit is not None:
            with self._lock:
                grow = self.idle.empty() and len(self.workers) + self._starting < self.limit
                self._starting += grow
            if grow:
                try:
                    worker = self._start()
                finally:
                    with self._lock:
                        self._starting -= 1
                with self._lock:
                    if not self.closed:
                        self.workers.append(worker)
                        return worker
                worker.close()
                raise _Closed
        idle = self.idle.get()
        if idle is None:  # closed: wake the next waiter too
            self.idle.put(None)
            raise _Closed
        return idle

    def put(self, worker: WorkerProcess) -> None:
        self.idle.put(worker)

    def trim(self, keep: int) -> None:
        """Close idle workers until at most ``keep`` remain (the pool grew for a batch)."""
        while True:
            with self._lock:
                if len(self.workers) <= keep:
                    return
                try:
                    worker = self.idle.get_nowait()
                except queue.Empty:
                    return
                if worker is None:  # closed
                    self.idle.put(None)
                    return
                self.workers.remove(worker)
            worker.close()

    def replace(self, worker: WorkerProcess) -> None:
        worker.close()
        if self.closed:
            return
        fresh = self._start()
        with self._lock:
            self.workers = [fresh if w is worker else w for w in self.workers]
        self.idle.put(fresh)

    def close(self) -> None:
        with self._lock:
            self.closed = True
            workers, self.workers = self.workers, []
        for worker in workers:
            worker.close()
        self.idle.put(None)  # wakes whoever waits for a worker


class _Closed(SandboxError):
    """The pool was closed while a job waited for one of its workers."""


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
        self._main, self._numpy = self._pools()
        #: one per program that may be using a core; given back early when its worker reports it asleep
        self._cores = threading.BoundedSemaphore(self.workers)
        self._lock = threading.Lock()
        self._checker: WorkerProcess | None = None
        self._checker_lock = threading.Lock()
        self._spawner: ThreadPoolExecutor | None = None

    @property
    def _width(self) -> int:
        """Programs in flight at most: one per core, a spare per core, and sleepers."""
        return 2 * self.workers + _SLEEPER_WIDTH

    @property
    def _all(self) -> list[WorkerProcess]:
        return self._main.workers

    @property
    def _idle(self) -> queue.Queue[WorkerProcess | None]:
        return self._main.idle

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
        self._main, self._numpy = self._pools()
        for worker in started:
            self._main.add(worker)

    def _pools(self) -> tuple[_Pool, _Pool]:
        """Empty pools: the main one (filled by ``start``, grows while programs sleep) and numpy's."""
        return _Pool(self._new_worker, limit=self._width), _Pool(self._numpy_worker, limit=self.workers)

    def _numpy_worker(self) -> WorkerProcess:
        return self._new_worker(numpy=True)

    def _new_worker(self, numpy: bool = False) -> WorkerProcess:
        if self._spawner is None:
            # bwrap --die-with-parent dies with the *thread* that started it, so every worker is
            # started from one thread that lives as long as the sandbox
            self._spawner = ThreadPoolExecutor(1, thread_name_prefix="ded-sandbox-spawner")
        worker = self._spawner.submit(
            WorkerProcess,
            namespaced=self.isolation == ISOLATION_FULL,
            memory_mb=self.memory_mb,
            max_output=self.max_output_bytes,
            numpy=numpy,
        ).result()
        worker.wait_ready()
        return worker

    def close(self) -> None:
        """Stop every worker."""
        self._main.close()
        self._numpy.close()
        with self._lock:
            checker, self._checker = self._checker, None
        if checker is not None:
            checker.close()
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
        sleepers = _Pool(self._numpy_worker, limit=_SLEEPER_WIDTH)  # whatever the program imports
        reruns = ThreadPoolExecutor(_SLEEPER_WIDTH, thread_name_prefix="ded-sandbox-rerun")
        early = reruns if self.rerun_time_limits else None

        def one(request: RunRequest) -> RunResult:
            result, rerun = self._execute(request, sleepers, early)
            if rerun is not None and result.status == "time_limit" and _slept(result, request):
                result = _with(rerun.result(), reran=True)
            done(1)
            return result

        try:
            with ThreadPoolExecutor(self._width) as pool:
                results = list(pool.map(one, requests))
            self._main.trim(2 * self.workers)
            if self.rerun_time_limits:
                again = [i for i, r in enumerate(results) if r.status == "time_limit" and not r.reran]
                sleepy = [i for i in again if _slept(results[i], requests[i])]
                busy = sorted(set(again) - set(sleepy))
                pending = {i: reruns.submit(self._attempt, requests[i], sleepers, None) for i in sleepy}
                # the batch is done, so every worker is idle; at most one re-run per two cores
                width = max(1, min(self.workers, os.cpu_count() or 1) // 2)
                with ThreadPoolExecutor(width) as pool:
                    again_busy = pool.map(lambda i: self._execute(requests[i], sleepers, None)[0], busy)
                    for index, result in zip(busy, again_busy, strict=True):
                        results[index] = _with(result, reran=True)
                for index, future in pending.items():
                    results[index] = _with(future.result(), reran=True)
        finally:
            reruns.shutdown(wait=False, cancel_futures=True)
            sleepers.close()  # a sleeper's re-run that is no longer wanted ends here
        return results

    def _execute(
        self, request: RunRequest, sleepers: _Pool, reruns: ThreadPoolExecutor | None
    ) -> tuple[RunResult, Future[RunResult] | None]:
        """Run a program holding a core until its worker reports it asleep.

        With ``reruns``, that report also starts the program's re-run on a worker of
        ``sleepers`` (returned as the future), in case the first run ends in a sleeper's
        time limit.
        """
        n = len(request.inputs)
        if n == 0 or n != len(request.outputs):
            why = "no tests" if n == 0 else f"{n} inputs but {len(request.outputs)} outputs"
            return self._result(request, "sandbox_error", [], why, 0.0), None
        cores = self._cores
        cores.acquire()
        held = [True]
        rerun: list[Future[RunResult]] = []

        def release() -> None:
            if held[0]:
                held[0] = False
                cores.release()

        def asleep() -> None:
            release()
            if reruns is not None and not rerun:
                rerun.append(reruns.submit(self._attempt, request, sleepers, None))

        pool = self._numpy if _NUMPY_USERS.search(request.code) else self._main
        try:
            return self._attempt(request, pool, asleep), (rerun[0] if rerun else None)
        finally:
            release()

    def _attempt(self, request: RunRequest, pool: _Pool, asleep: Callable[[], None] | None) -> RunResult:
        n = len(request.inputs)
        judge = self._checker_judge(request) if request.checker and request.fn_name is None else None
        for attempt in range(2):
            try:
                worker = pool.get()
            except _Closed:
                return self._result(request, "sandbox_error", [None] * n, "sandbox closed", 0.0)
            try:
                status, per_test, error, cpu = worker.run(request, self.grader, judge, asleep)
            except WorkerDied as exc:
                if pool.closed:  # closed under it: nobody waits for this result
                    return self._result(request, "sandbox_error", [None] * n, "sandbox closed", 0.0)
                log.warning("sandbox worker died (%s); replacing it", exc)
                pool.replace(worker)
                if attempt == 1:
                    return self._result(request, "sandbox_error", [None] * n, str(exc), 0.0)
                continue
            except BaseException:
                # mid-conversation: its state is unknown, so it never serves again
                pool.replace(worker)
                raise
            pool.put(worker)
            return self._result(request, status, per_test, error, cpu)
        raise AssertionError("unreachable")

    def _checker_judge(self, request: RunRequest) -> Callable[[int, dict[str, Any]], str]:
        assert request.checker is not None
        checker = request.checker

        def judge(index: int, report: dict[str, Any]) -> str:
            if report.get(wire.KIND) != wire.OK:
                return failure_status(report)
            files = [
                ("input.txt", request.inputs[index]),
                ("expected.txt", request.outputs[index]),
                ("output.txt", str(report.get(wire.OUT, ""))),
            ]
            with self._checker_lock:
                if self._checker is None or not self._checker.alive():
                    # checkers get their own worker: programs never run where an expected output was
                    self._checker = self._numpy_worker()
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


def _slept(result: RunResult, request: RunRequest) -> bool:
    """A time limit reached mostly asleep: little CPU time for the limit."""
    return result.cpu_s <= _SLEEPER_CPU_SHARE * request.timeout_s
