"""The supervisor's handle on one worker process: start, run one job, judge, replace.

The expected outputs live only here. For each test the worker reports what the program
produced; this side judges it (:mod:`ded_plugins.sandbox.compare`) and answers go on or
stop, so the child never learns an expected output and stops at the first failure
exactly as upstream does. The messages are :mod:`ded_plugins.sandbox.inside.wire`'s.

Programs are compiled here (:func:`~ded_plugins.sandbox.inside.ded_child.precompile`:
parsed and compiled, never run) and reach the child as ``marshal`` data: this process
never forks, so compiling here costs no copy-on-write faults, where in a freshly forked
child it was the largest part of a short program's cost.
"""

from __future__ import annotations

import json
import logging
import marshal
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from ded_plugins.errors import SandboxError
from ded_plugins.sandbox.compare import failure_status, judge_result, parse_expected
from ded_plugins.sandbox.inside import wire
from ded_plugins.sandbox.inside.ded_child import precompile
from ded_plugins.sandbox.isolation import worker_command
from ded_plugins.sandbox.jobs import RunRequest


__all__ = ["WorkerDied", "WorkerProcess"]

log = logging.getLogger(__name__)
#: judge(test index, child's report) -> status; lets the caller plug in a checker program
Judge = Callable[[int, dict[str, Any]], str]


class WorkerDied(RuntimeError):
    """The worker process ended or stopped answering; the job may be retried elsewhere."""


class WorkerProcess:
    """One pre-started worker (inside bubblewrap unless degraded)."""

    def __init__(self, *, namespaced: bool, memory_mb: int, max_output: int, numpy: bool = True) -> None:
        self.namespaced = namespaced
        self.memory_mb = memory_mb
        self.max_output = max_output
        self._tmp = None if namespaced else tempfile.TemporaryDirectory(prefix="ded-sandbox-")
        if self._tmp is not None and os.geteuid() == 0:
            os.chmod(self._tmp.name, 0o777)  # degraded children drop to uid 65534 and work here
        argv, env = worker_command(
            namespaced=namespaced, workdir=self._tmp.name if self._tmp else None, numpy=numpy
        )
        debug = bool(os.environ.get("DED_SANDBOX_DEBUG"))
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None if debug else subprocess.DEVNULL,
            env=env,
            cwd=self._tmp.name if self._tmp else "/",
            start_new_session=True,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in, self._out = self.proc.stdin.fileno(), self.proc.stdout.fileno()
        self.same_interpreter = False

    def wait_ready(self) -> None:
        """Wait for the worker's greeting; raise SandboxError if it cannot isolate programs."""
        try:
            ready = self._read(60.0)
        except WorkerDied as exc:
            self.close()
            raise SandboxError(f"sandbox worker did not start: {exc}") from exc
        if ready.get(wire.TYPE) != wire.READY:
            self.close()
            raise SandboxError(f"sandbox worker did not start: {ready}")
        if not ready.get(wire.SECCOMP):
            self.close()
            raise SandboxError(
                "sandbox worker could not build its seccomp filter (is Debian's libseccomp2 installed?): "
                + str(ready.get(wire.SECCOMP_ERROR, ""))
            )
        self.same_interpreter = ready.get(wire.VERSION) == sys.version

    # --- framing --------------------------------------------------------------------------------

    def _write(self, message: dict[str, Any], payload: bytes | None = None) -> None:
        data = wire.frame(message)
        if payload is not None:
            data += wire.raw_frame(payload)
        self._send(memoryview(data))

    def _send(self, data: memoryview) -> None:
        try:
            while data:
                data = data[os.write(self._in, data) :]
        except OSError as exc:
            raise WorkerDied(f"worker stopped reading: {exc}") from exc

    def _read_exact(self, n: int, deadline: float) -> bytes:
        parts, got = [], 0
        while got < n:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._out], [], [], left)[0]:
                raise WorkerDied("worker did not answer in time")
            chunk = os.read(self._out, min(n - got, 1 << 20))
            if not chunk:
                raise WorkerDied(f"worker exited ({self.proc.poll()})")
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)

    def _read_raw(self, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        size = wire.HEADER.unpack(self._read_exact(wire.HEADER.size, deadline))[0]
        if size > wire.MAX_FRAME:
            raise WorkerDied("worker sent an oversized frame")
        return self._read_exact(size, deadline)

    def _read(self, timeout: float) -> dict[str, Any]:
        try:
            message = json.loads(self._read_raw(timeout))
        except ValueError as exc:
            raise WorkerDied("worker sent a malformed frame") from exc
        if not isinstance(message, dict):
            raise WorkerDied("worker sent a malformed frame")
        return message

    def _read_report(self, timeout: float) -> dict[str, Any]:
        """A test's report, as the child sent it (so: untrusted) or as the worker made it."""
        body = self._read_raw(timeout)
        try:
            report = json.loads(body)
        except (ValueError, RecursionError):
            report = None
        if not isinstance(report, dict):
            return {wire.KIND: wire.EXC, wire.ERR: "malformed result from the child"}
        return report

    def _payload(self, request: RunRequest, grader: str, **extra: Any) -> bytes:
        """What the child needs, program compiled (when this is the worker's interpreter)."""
        inputs = list(request.inputs)
        compiled = None
        if self.same_interpreter and not extra:
            compiled = precompile(request.code, request.fn_name, inputs)
        job = {
            wire.CODE: request.code,
            wire.INPUTS: inputs,
            wire.FN_NAME: request.fn_name,
            wire.TIMEOUT_S: float(request.timeout_s),
            wire.GRADER: grader,
            wire.MEMORY_MB: self.memory_mb,
            wire.MAX_OUTPUT: self.max_output,
            wire.COMPILED: compiled,
            **extra,
        }
        return marshal.dumps(job)

    # --- jobs -------------------------------------------------------------------------------------

    def run(
        self,
        request: RunRequest,
        grader: str,
        judge: Judge | None = None,
        on_asleep: Callable[[], None] | None = None,
    ) -> tuple[str, list[bool | None], str, float]:
        """Run one program; returns (status, per_test, error message, cpu seconds).

        ``on_asleep`` is called (at most once) when the worker reports the program asleep.
        """
        n = len(request.inputs)
        per_test: list[bool | None] = [None] * n
        call_based = request.fn_name is not None
        try:
            expected = [parse_expected(o) if call_based else o for o in request.outputs]
        except ValueError as exc:
            return "runtime_error", [False] + [None] * (n - 1), f"bad expected output: {exc}", 0.0

        def default_judge(index: int, report: dict[str, Any]) -> str:
            return judge_result(report, expected[index], call_based)

        judge = judge or default_judge
        header = {wire.TIMEOUT_S: float(request.timeout_s), wire.MAX_OUTPUT: self.max_output, wire.N_TESTS: n}
        self._write(header, self._payload(request, grader))
        wait = 3 * request.timeout_s + 30.0  # beyond the worker's own backstop (3 x limit + 5 s)
        status, error = "passed", ""
        while True:
            message = self._read(wait)
            kind = message.get(wire.TYPE)
            if kind == wire.TEST:
                index, report = int(message[wire.INDEX]), self._read_report(wait)
                if not 0 <= index < n:
                    raise WorkerDied(f"worker reported test {index} of {n}")
                status = judge(index, report)
                per_test[index] = status == "passed"
                if status != "passed":
                    error = str(report.get(wire.ERR, ""))
                if index < n - 1:  # after the last test the worker ends the job without asking
                    self._write({wire.GO: status == "passed"})
            elif kind == wire.ASLEEP:
                if on_asleep is not None:
                    on_asleep()
            elif kind == wire.END:
                if message.get(wire.COMPILE):
                    report = self._read_report(wait)
                    status, error = failure_status(report), str(report.get(wire.ERR, ""))
                    per_test = [False] + [None] * (n - 1) if n else []
                return status, per_test, error, float(message.get(wire.CPU, 0.0))
            else:
                raise WorkerDied(f"unexpected message {kind!r}")

    def run_script(self, code: str, files: list[tuple[str, str]], timeout_s: float) -> tuple[int | None, str]:
        """Run a trusted helper (a checker) as ``__main__`` with ``files`` as its arguments."""
        request = RunRequest(code=code, inputs=(), outputs=(), timeout_s=timeout_s)
        header = {
            wire.TIMEOUT_S: float(timeout_s),
            wire.MAX_OUTPUT: self.max_output,
            wire.N_TESTS: 0,
            wire.MODE: wire.SCRIPT,
        }
        extra = {wire.MODE: wire.SCRIPT, wire.FILES: [list(f) for f in files]}
        self._write(header, self._payload(request, wire.SCRIPT, **extra))
        message = self._read(3 * timeout_s + 30.0)
        if message.get(wire.TYPE) != wire.END or not message.get(wire.COMPILE):
            raise WorkerDied(f"unexpected message {message.get(wire.TYPE)!r}")
        report = self._read_report(3 * timeout_s + 30.0)
        if report.get(wire.KIND) == wire.EXIT:
            return int(report.get(wire.EXIT_CODE, 1)), ""
        return None, failure_status(report) + ": " + str(report.get(wire.ERR, ""))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # our own session: bwrap and everything under it
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()
        if self._tmp is not None:
            self._tmp.cleanup()
