"""What every worker process of ours does first: end when the process that started it ends.

A ``multiprocessing`` worker waits on a pipe whose write end it holds itself, so when its
parent is killed (``SIGKILL``, the kernel's OOM killer, a lost terminal) it never reads
end-of-file and waits for ever, holding its memory and the files it had open; a forkserver
stays alive beside it. :func:`exit_with_parent` starts a thread that waits on the sentinel
``multiprocessing`` gives a started child (a pipe the parent holds open until it exits) and
ends the worker at once when it closes. A parent that shuts its pool down first, as ours
do, is never affected.
"""

from __future__ import annotations

import multiprocessing
import os
import threading


__all__ = ["ORPHANED_EXIT_CODE", "exit_with_parent"]

#: the exit status of a worker whose parent ended under it
ORPHANED_EXIT_CODE = 70


def exit_with_parent() -> None:
    """In a worker started by ``multiprocessing``: exit when the parent process does."""
    parent = multiprocessing.parent_process()
    if parent is None:  # the main process: nothing to follow
        return

    def wait_then_exit() -> None:
        parent.join()  # returns once the parent's end of the sentinel pipe is closed
        os._exit(ORPHANED_EXIT_CODE)  # no clean-up: the parent that owned the work is gone

    threading.Thread(target=wait_then_exit, name="ded-exit-with-parent", daemon=True).start()
