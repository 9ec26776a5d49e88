"""Says why the test process died, when Ray ended it: run beside pytest while the Ray cluster is up.

Ray ends a driver in trouble from C++ (a failed internal check, or its GCS gone for 60 s)
with exit status 1 and no Python unwinding, and pytest had the driver's stderr captured:
the session stops mid-line with no summary and no reason. This process waits for the
pytest process to end; the ``ray_cluster`` fixture stops it (by its handle) at the end of
the session, so it only speaks when pytest ended first. Then it writes to the terminal the
lines of the driver's Ray log that explain the end.

    python ray_driver_watch.py PYTEST_PID RAY_TEMP_DIR
"""

from __future__ import annotations

import os
import select
import sys
from pathlib import Path


def _wait_for_end(pid: int) -> None:
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        select.select([fd], [], [])  # readable once the process has ended
    finally:
        os.close(fd)


def _explanation(pid: int, temp: Path) -> list[str]:
    """The fatal lines of the driver's last Ray log (a driver that reconnected has several)."""
    logs = list(temp.glob(f"session_*/logs/python-core-driver-*_{pid}.log"))
    if not logs:
        return []
    log = max(logs, key=lambda path: path.stat().st_mtime)
    text = log.read_text(errors="replace").splitlines()
    fatal = [i for i, line in enumerate(text) if " C " in line[:40] or " F " in line[:40]]
    start = fatal[0] if fatal else max(0, len(text) - 10)
    return [f"{log}:", *text[start : start + 12]]


def main(pid: int, temp: Path) -> None:
    _wait_for_end(pid)
    print(f"\n!!! the test process (pid {pid}) ended in the Ray tests, before its session did.", flush=True)
    print("!!! Ray's log of it as a driver ends with:", flush=True)
    for line in _explanation(pid, temp) or [f"(no driver log under {temp})"]:
        print(f"    | {line[:400]}", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))
