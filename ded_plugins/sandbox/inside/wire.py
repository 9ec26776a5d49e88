"""The sandbox's wire protocol, the one place it is written down.

Three parties take part::

    supervisor  <-- the worker's stdin / stdout -->  worker  <-- two pipes -->  child
    (workerproc.py, compare.py)                  (ded_worker.py)            (ded_child.py, forked per job)

The supervisor imports this module as ``ded_plugins.sandbox.inside.wire``; the worker and
its child import it as ``wire``, because inside the jail only this directory is on the
path. So it uses the standard library only, and every side gets its names from here:
no message kind, key, tag or byte of the protocol is spelled anywhere else
(``tests/sandbox/test_sandbox_wire.py`` checks that).

**Frames.** Everything but one control byte travels as a frame: a 4-byte big-endian
length (:data:`HEADER`), then that many bytes of body. A body is JSON as ``json.dumps``
writes it by default (so the bytes of a message are fixed), except a job's payload,
which is ``marshal`` data. The supervisor refuses a frame over :data:`MAX_FRAME`. A
child sends :data:`OLE_REPORT` in place of a report longer than the job's output cap;
the worker stops reading one that passes the cap by 4 KiB, kills the child and reports
:data:`OLE_REPORT` itself. The only other thing on a pipe is :data:`RUN_NEXT`, one byte
from the worker to the child.

**Start-up.** The supervisor starts ``python -I -S ded_worker.py CONFIG``; CONFIG is a
JSON object ``{SITE: [directories to import from], NAMESPACED: bool, NUMPY: bool}``, plus
``WORKDIR: path`` when the worker runs without namespaces. The worker answers once:
``{TYPE: READY, SECCOMP: bool, SECCOMP_ERROR: str, NUMPY: bool, VERSION: sys.version}``.
The supervisor compiles programs for the worker only when VERSION is its own.

**A job** (``WorkerProcess.run``), in order:

1. supervisor -> worker: the header ``{TIMEOUT_S, MAX_OUTPUT, N_TESTS}``, what the worker
   needs; then the payload, a ``marshal`` dict ``{CODE, INPUTS, FN_NAME, TIMEOUT_S, GRADER,
   MEMORY_MB, MAX_OUTPUT, COMPILED}``, what the child needs (COMPILED: precompiled code or
   ``None``). The worker never reads the payload.
2. worker -> child: the payload frame, unchanged (to a child forked before the job came).
   child -> worker: the compile report.
3. Only if that report is exactly :data:`OK_REPORT`, for each test ``i`` from 0:
   worker -> child: :data:`RUN_NEXT`; child -> worker: the test's report;
   worker -> supervisor: ``{TYPE: TEST, INDEX: i}`` and then the report, unread (or the
   worker's own, see below); after every test but the last, supervisor -> worker:
   ``{GO: bool}``, where false (a failed test) ends the tests.
4. worker -> supervisor: ``{TYPE: END, COMPILE: true, CPU: seconds}`` and then the compile
   report, when step 3 did not run; otherwise ``{TYPE: END, CPU: seconds}``. The frames
   of the last test and the end go out in one write.

At most once per job, while it waits for a report, the worker may also send
``{TYPE: ASLEEP}``: the child has been asleep a while, so its core is free.

**A script** (``WorkerProcess.run_script``, a trusted checker): the header carries
``N_TESTS: 0, MODE: SCRIPT``, the payload ``MODE: SCRIPT``, ``GRADER: SCRIPT`` and
``FILES: [[name, text], ...]``. The child writes the files into its work directory, runs
the code as ``__main__`` with their paths as arguments and reports once (``KIND: EXIT``
unless it was stopped); the worker answers ``{TYPE: END, COMPILE: true, CPU}`` and that
report, and sends no ASLEEP.

**Reports** (a JSON object; the child's are untrusted, and the supervisor takes anything
else for an EXC report):

* ``{KIND: OK}``: compiled; ``{KIND: OK, VALUE: encoded}``: a call returned;
  ``{KIND: OK, OUT: text}``: a stdin program printed;
* ``{KIND: EXC, ERR: repr, TIMED_OUT: bool, MEMORY: bool}``: the program raised (TIMED_OUT:
  a timeout exception, judged a time limit); ``{KIND: EXC, ERR, MEMORY: true}`` or
  ``{KIND: EXC, ERR, BASE: true}``: a MemoryError or a ``BaseException`` got past the test
  harness; ``{KIND: EXC, ERR}``: no function to call, or a value JSON cannot hold;
* ``{KIND: EXIT, EXIT_CODE: int}`` (with ERR when it raised): a script ended;
* the worker's own, in place of the child's: ``{KIND: TLE}`` (time limit), ``{KIND: OLE}``
  (output cap), ``{KIND: DIED, SIGNAL: int, EXIT_STATUS: int or None}``.

**Values** (a call's return value, ``ded_child.encode`` -> ``compare.decode``): ``None``,
``bool``, ``str``, a list, an ``int`` under 2**53 and a finite ``float`` are themselves;
anything else is a one-key object: ``{TAG_INT: hex}``, ``{TAG_FLOAT: repr}`` (inf, nan),
``{TAG_TUPLE: [...]}``, ``{TAG_DICT: [[key, value], ...]}``, ``{TAG_SET: [...]}``,
``{TAG_FROZENSET: [...]}``, ``{TAG_COMPLEX: [real, imag]}``, ``{TAG_BYTES: hex}``,
``{TAG_OPAQUE: type name}`` (equal to nothing; :data:`TOO_DEEP` past the nesting limit);
a numpy scalar is its item, a numpy array ``{TAG_NDARRAY: items, TAG_SIZE: n}``.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any, Final


# --- frames --------------------------------------------------------------------------------------

#: every frame's length prefix
HEADER: Final = struct.Struct(">I")
#: the longest frame the supervisor accepts from a worker
MAX_FRAME: Final = 1 << 30
#: worker -> child: run the next test (the only unframed byte)
RUN_NEXT: Final = b"g"

# --- worker -> supervisor messages: {TYPE: ...} -------------------------------------------------

TYPE: Final = "t"
READY: Final = "ready"
TEST: Final = "test"
ASLEEP: Final = "asleep"
END: Final = "end"
#: TEST: which test the report that follows is for
INDEX: Final = "i"
#: END: the child's CPU seconds, read from /proc
CPU: Final = "cpu"
#: END: a report follows (the compile report, or a script's)
COMPILE: Final = "compile"
#: READY: the filter was built; why not; the interpreter's ``sys.version``
SECCOMP: Final = "seccomp"
SECCOMP_ERROR: Final = "error"
VERSION: Final = "version"
#: READY: numpy was preloaded; CONFIG: preload it
NUMPY: Final = "numpy"

# --- supervisor -> worker -----------------------------------------------------------------------

#: the verdict after a test: go on or stop
GO: Final = "go"
#: the job header (and the payload, for the first two and MODE)
TIMEOUT_S: Final = "timeout_s"
MAX_OUTPUT: Final = "max_output"
N_TESTS: Final = "n"
MODE: Final = "mode"
#: MODE's one value (absent: a job), also a script's GRADER
SCRIPT: Final = "script"
#: the payload (marshal)
CODE: Final = "code"
INPUTS: Final = "inputs"
FN_NAME: Final = "fn_name"
GRADER: Final = "grader"
MEMORY_MB: Final = "memory_mb"
COMPILED: Final = "compiled"
FILES: Final = "files"
#: the seed of a child's ``random`` (0 when absent, which it always is today)
SEED: Final = "seed"
#: CONFIG, the worker's one command-line argument (and NUMPY)
SITE: Final = "site"
NAMESPACED: Final = "namespaced"
WORKDIR: Final = "workdir"

# --- reports: {KIND: ...} -------------------------------------------------------------------------

KIND: Final = "k"
OK: Final = "ok"
EXC: Final = "exc"
EXIT: Final = "exit"
TLE: Final = "tle"
OLE: Final = "ole"
DIED: Final = "died"
#: OK: a call's encoded value; a stdin program's output
VALUE: Final = "v"
OUT: Final = "out"
#: EXC (and EXIT): the exception's repr
ERR: Final = "err"
#: EXC: a timeout exception (a time limit); a MemoryError; a BaseException out of the harness
TIMED_OUT: Final = "tle"
MEMORY: Final = "mem"
BASE: Final = "base"
#: EXIT: the script's exit status
EXIT_CODE: Final = "code"
#: DIED: the signal that killed the child (0: none), its exit status (``None`` if signalled)
SIGNAL: Final = "signal"
EXIT_STATUS: Final = "exit"

#: reports the worker sends or compares as bytes, encoded once
OK_REPORT: Final = json.dumps({KIND: OK}).encode()
TLE_REPORT: Final = json.dumps({KIND: TLE}).encode()
OLE_REPORT: Final = json.dumps({KIND: OLE}).encode()

# --- value tags -----------------------------------------------------------------------------------

TAG_INT: Final = "i"
TAG_FLOAT: Final = "f"
TAG_TUPLE: Final = "t"
TAG_DICT: Final = "d"
TAG_SET: Final = "s"
TAG_FROZENSET: Final = "fs"
TAG_COMPLEX: Final = "c"
TAG_BYTES: Final = "b"
TAG_OPAQUE: Final = "o"
TAG_NDARRAY: Final = "nd"
TAG_SIZE: Final = "size"
#: TAG_OPAQUE's body for a value nested deeper than the encoder goes
TOO_DEEP: Final = "too deep"


# --- framing --------------------------------------------------------------------------------------


def frame(message: dict[str, Any]) -> bytes:
    """A JSON message as one frame."""
    body = json.dumps(message).encode()
    return HEADER.pack(len(body)) + body


def raw_frame(body: bytes) -> bytes:
    """Bytes already encoded (a report, a payload) as one frame."""
    return HEADER.pack(len(body)) + body


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def write_frame(fd: int, message: dict[str, Any]) -> None:
    write_all(fd, frame(message))


def read_exact(fd: int, n: int) -> bytes | None:
    """``n`` bytes from a blocking descriptor; ``None`` at end of file."""
    parts, got = [], 0
    while got < n:
        chunk = os.read(fd, n - got)
        if not chunk:
            return None
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def read_raw(fd: int) -> bytes | None:
    """One frame's body from a blocking descriptor; ``None`` at end of file."""
    head = read_exact(fd, HEADER.size)
    if head is None:
        return None
    return read_exact(fd, HEADER.unpack(head)[0])


def read_frame(fd: int) -> Any:
    """One JSON message from a blocking descriptor; ``None`` at end of file."""
    body = read_raw(fd)
    return None if body is None else json.loads(body)
