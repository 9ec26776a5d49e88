"""Time-limit verdicts are re-run once: CPU-bound ones one per core, sleepers side by side, early."""

from __future__ import annotations

from typing import Any

import pytest
from sandbox_helpers import stdin_request

from ded_plugins.sandbox import RunRequest, Sandbox
from ded_plugins.sandbox import sandbox as sandbox_mod


pytestmark = pytest.mark.sandbox


def test_every_time_limit_is_rerun_and_extra_workers_go_away(
    box: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # which first runs started their re-run while still running (the early path)
    early: dict[str, bool] = {}
    execute = box._execute

    def spy(request: RunRequest, *args: Any) -> Any:
        result, rerun = execute(request, *args)
        early.setdefault(request.code, rerun is not None)
        return result, rerun

    monkeypatch.setattr(box, "_execute", spy)
    sleeper = stdin_request("import time\ntime.sleep(5)\nprint(1)", out="1\n", timeout_s=0.5)
    spinner = stdin_request("while True:\n    pass", timeout_s=0.5)
    # asleep long enough to start an early re-run, which is then not wanted
    napper = stdin_request("import time\ntime.sleep(0.3)\nprint(1)", out="1\n", timeout_s=1)
    workers = list(box._all)
    results = box.run_many([sleeper, spinner, sleeper, napper, sleeper])
    assert [r.status for r in results] == ["time_limit", "time_limit", "time_limit", "passed", "time_limit"]
    assert [r.reran for r in results] == [True, True, True, False, True]
    for result in (results[0], results[2], results[4]):
        assert result.cpu_s <= sandbox_mod._SLEEPER_CPU_SHARE * 0.5  # counted as a sleeper
    assert results[1].cpu_s > sandbox_mod._SLEEPER_CPU_SHARE * 0.5  # the spinner is not
    # a sleeper's re-run started while its first run slept (so it never costs two limits in
    # a row); the spinner's comes after the batch; the napper's was started and not used
    assert early == {sleeper.code: True, spinner.code: False, napper.code: True}
    # the extra workers (while programs slept, and for the re-runs) were temporary
    assert len(box._all) == len(workers) and all(w.alive() for w in box._all)
    assert box._idle.qsize() == len(workers)
    assert box.run(napper).passed


def test_worker_reports_a_sleeping_program_once_and_a_busy_one_never(box: Sandbox) -> None:
    calls: list[str] = []
    worker = box._idle.get()
    try:
        sleeps = stdin_request("import time\ntime.sleep(0.3)\ntime.sleep(0.3)\nprint(1)", out="1\n")
        status, *_ = worker.run(sleeps, box.grader, None, lambda: calls.append("sleeps"))
        assert status == "passed"
        spins = stdin_request("t = 0\nfor i in range(3 * 10**6):\n    t += i\nprint(1)", out="1\n")
        status, *_ = worker.run(spins, box.grader, None, lambda: calls.append("spins"))
        assert status == "passed"
    finally:
        box._idle.put(worker)
    assert calls == ["sleeps"]
