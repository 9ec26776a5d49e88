"""The local executor: units in worker processes on this machine, or in this process.

A ``spread`` job's units go to ``workers`` processes (forkserver: fresh interpreters that
import only what the component needs, so the parent's memory is not copied); each process
builds the component once and keeps it for every unit it runs. A ``node`` job (a component
that parallelises itself) and any job whose factory cannot be pickled run in this process,
one unit after another.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.util
import os
import pickle
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from ded_plugins._workers import exit_with_parent
from ded_plugins.engine.units import Job, Unit, UnitReport, close_components, execute_unit
from ded_plugins.errors import DedError, StageError


__all__ = ["LocalExecutor"]

log = logging.getLogger(__name__)


def _init_worker() -> None:
    exit_with_parent()
    # one thread per worker: the workers are the parallelism
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    multiprocessing.util.Finalize(None, close_components, exitpriority=10)


class LocalExecutor:
    """See the module docstring; ``workers`` defaults to the number of cores."""

    name = "local"

    def __init__(self, *, workers: int | None = None) -> None:
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be at least 1, found {workers}")
        self.workers = workers or os.cpu_count() or 1

    def _inline(self, job: Job, units: Sequence[Unit]) -> bool:
        if job.placement == "node" or self.workers == 1 or len(units) <= 1:
            return True
        try:
            pickle.dumps((job, units[0]))
        except Exception:  # a factory defined in a test or a notebook: run it here
            log.debug("%s: component not picklable; running its units in this process", job.stage)
            return True
        return False

    def run(self, job: Job, units: Sequence[Unit], on_done: Callable[[Unit, UnitReport], None]) -> None:
        """Run every unit; ``on_done`` is called here as each finishes."""
        if self._inline(job, units):
            try:
                for unit in units:
                    on_done(unit, execute_unit(job, unit))
            finally:
                close_components(job.key)
            return
        context = multiprocessing.get_context("forkserver")
        n = min(self.workers, len(units))
        pool = ProcessPoolExecutor(max_workers=n, mp_context=context, initializer=_init_worker)
        try:
            pending: dict[Future[UnitReport], Unit] = {}
            queue = deque(units)
            while queue or pending:
                while queue and len(pending) < 2 * n:  # a few in flight: workers never wait
                    unit = queue.popleft()
                    pending[pool.submit(execute_unit, job, unit)] = unit
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    unit = pending.pop(future)
                    try:
                        report = future.result()
                    except DedError:
                        raise
                    except Exception as exc:
                        raise StageError(f"stage {job.stage}: unit {unit.index} failed: {exc!r}") from exc
                    on_done(unit, report)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        """Nothing to release: pools live for one stage."""
