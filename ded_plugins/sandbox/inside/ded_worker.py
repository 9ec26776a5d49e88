"""The pre-started worker: runs inside bubblewrap, forks one child per program.

Started by the supervisor as ``python -I -S ded_worker.py CONFIG_JSON``; talks over its
stdin/stdout in the frames of :mod:`wire` (which describes the whole protocol). Per job
it forks a child that applies rlimits and the seccomp filter and then runs the
program's tests one at a time (:mod:`ded_child`). The worker measures each test's CPU
time from ``/proc`` (the child cannot lie about it), kills the child at the CPU limit or
the wall-clock backstop, forwards each test's result to the supervisor unread (the
supervisor decodes it) and waits for its verdict (go on or stop) before letting the
child run the next test. It never holds an expected output. Once per job it also tells
the supervisor when the child has been asleep for a while, so that another program may
use the core. Standard library only (numpy is preloaded when the supervisor asks for it).

A job arrives as a JSON header (what the worker needs: time limit, output cap, number of
tests, mode) followed by a ``marshal`` payload from the supervisor (what the child needs,
usually with the program already compiled), which the worker passes on untouched.

Every page a child writes to is copied on its first write, and so is every page the
worker writes to while a child is alive; on virtual machines each such fault costs
microseconds. So everything that can be done once is done here before the first fork:
the imports, the prefix module, the standard streams and upstream's ``reliability_guard``
(the worker keeps its own references to the few functions the guard takes away).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib
import io
import json
import marshal
import os
import random
import resource
import select
import signal
import stat
import sys
import time
from typing import TYPE_CHECKING, Any


if TYPE_CHECKING:
    from ded_plugins.sandbox.inside import wire
else:
    # started as a script under -I, which leaves this directory off the path (and so does bwrap's
    # /sandbox): it holds the worker's own modules
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import wire

_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE = 4
_TICK = float(os.sysconf("SC_CLK_TCK"))
#: after this long asleep (and asleep right now) a child is reported as not using its core
_ASLEEP_NOTICE_S = 0.1
#: what programs commonly import; loaded before the first fork so that no child imports it
_PRELOAD = [
    "string",
    "re",
    "datetime",
    "collections",
    "heapq",
    "bisect",
    "copy",
    "math",
    "random",
    "statistics",
    "itertools",
    "functools",
    "operator",
    "io",
    "json",
    "typing",
    "decimal",
    "fractions",
    "array",
    "threading",
    "numpy",
    "shutil",
    "subprocess",
]


#: a forked child waiting for its job: (pid, pipe to it, pipe from it)
Spare = tuple[int, int, int]
# the guard (applied to this process, see Worker.guard) disarms these in ``os``; the worker keeps them
_fork, _kill, _setuid, _unlink, _rmdir, _chmod = os.fork, os.kill, os.setuid, os.unlink, os.rmdir, os.chmod


def plain_fork() -> Any:
    """``fork`` without CPython's after-fork hooks, for a process with one thread; else ``os.fork``.

    ``os.fork`` runs ``PyOS_AfterFork_Child`` and the ``register_at_fork`` callbacks
    (``threading``'s, ``random``'s): they reset the state of other threads and reseed,
    which a single-threaded worker does not need (each child seeds itself), and on this
    kind of machine the pages they write cost the child about 200 copy-on-write faults,
    a large share of a short program. libc's ``fork`` through ``PyDLL`` keeps the GIL,
    which the only thread, continuing in the child, then still holds.
    """
    if len(os.listdir("/proc/self/task")) != 1:
        return _fork
    fork = ctypes.PyDLL(None, use_errno=True).fork
    fork.restype, fork.argtypes = ctypes.c_int, []

    def raw_fork() -> int:
        pid = int(fork())
        if pid < 0:
            errno = ctypes.get_errno()
            raise OSError(errno, os.strerror(errno))
        return pid

    return raw_fork


def sample(pid: int) -> tuple[float, bool]:
    """CPU seconds of the whole thread group, and whether every thread is asleep right now."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime
        asleep = fields[0] in (b"S", b"D")
        if asleep and int(fields[17]) > 1:  # several threads: asleep only if all of them are
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/stat", "rb") as fh:
                    if fh.read().rsplit(b")", 1)[1].split()[0] not in (b"S", b"D"):
                        return cpu, False
        return cpu, asleep
    except (OSError, IndexError, ValueError):
        return 0.0, False


def cpu_seconds(pid: int) -> float:
    return sample(pid)[0]


class Worker:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.libc.prctl(_PR_SET_DUMPABLE, ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
        self.child_mod = importlib.import_module("ded_child")
        self.bpf: bytes | None = None
        self.load_filter: Any = None
        self.seccomp_error = ""
        try:
            seccomp = importlib.import_module("ded_seccomp")
            self.bpf = seccomp.build_filter()
            self.load_filter = seccomp.prepare(self.bpf)
        except Exception as exc:
            self.seccomp_error = repr(exc)
        self.workdir = config.get(wire.WORKDIR) or "/tmp"
        self.notify_asleep = False
        # uid 65534 must still be able to import the standard library (pyenv under /root cannot)
        self.drop_root = not config.get(wire.NAMESPACED) and os.getuid() == 0 and _world_readable(os.__file__)
        os.makedirs(self.workdir, exist_ok=True)
        os.chdir(self.workdir)  # children start here; a program cannot chdir (the guard takes it away)
        self.workdir_mode = stat.S_IMODE(os.stat(self.workdir).st_mode)
        self.guard()
        self.template = self.child_mod.prefix_module()
        self.fork = plain_fork()

    def guard(self) -> None:
        """What every child would otherwise do first, done once here (children inherit it).

        The streams a child's program sees (on descriptors that a child points at
        ``/dev/null``), then upstream's ``reliability_guard``; the prefix module is built
        after both, so it binds the same objects a freshly executed prefix would.
        """
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=True)
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), write_through=True)
        self.child_mod.reliability_guard()

    # --- the forked child ------------------------------------------------------------------

    def child_main(self, rfd: int, wfd: int) -> None:
        """The forked child: generic set-up now, then wait for a job, limit itself, run it."""
        code = 3
        try:
            zero = ctypes.c_ulong(0)
            self.libc.prctl(_PR_SET_PDEATHSIG, ctypes.c_ulong(signal.SIGKILL), zero, zero, zero)
            os.dup2(rfd, 3)
            os.dup2(wfd, 4)
            os.closerange(5, 65536)
            null = os.open("/dev/null", os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os.close(null)
            if self.drop_root:
                # degraded and root: at least do not run the program as root
                os.setgroups([])
                os.setgid(65534)
                _setuid(65534)
            payload = wire.read_raw(3)
            if payload is None:
                raise SystemExit
            job = marshal.loads(payload)  # made by the supervisor
            self._limits(job)
            random.seed(job.get(wire.SEED, 0))
            sys.set_int_max_str_digits(50000)
            script_args = []
            for name, text in job.get(wire.FILES, ()):
                with open(os.path.basename(name), "w", encoding="utf-8") as fh:
                    fh.write(text)
                script_args.append(os.path.join(self.workdir, os.path.basename(name)))
            code_text, inputs = job[wire.CODE], job[wire.INPUTS]
            program = self.child_mod.Program(
                code_text, inputs, job[wire.FN_NAME], job[wire.GRADER], self.template, job.get(wire.COMPILED)
            )
            read, write_result = os.read, _result_writer(int(job[wire.MAX_OUTPUT]))
            run_next = wire.RUN_NEXT
            if self.load_filter is not None:
                self.load_filter()
            if job.get(wire.MODE) == wire.SCRIPT:
                write_result(_safe(lambda: self.child_mod.run_script(code_text, ["checker", *script_args])))
                return
            result = _safe(program.compile)
            write_result(result)
            if result.get(wire.KIND) == wire.OK:
                for index in range(len(inputs)):
                    if read(3, 1) != run_next:
                        break
                    write_result(_safe(lambda i=index: program.run_test(i)))
                read(3, 1)
            code = 0
        finally:
            os._exit(code)

    def _limits(self, job: dict[str, Any]) -> None:
        n = len(job[wire.INPUTS]) + 1
        cpu = int(n * float(job[wire.TIMEOUT_S]) * 1.5 + 5)
        mem = int(job[wire.MEMORY_MB]) << 20
        limits = [
            (resource.RLIMIT_AS, mem),
            (resource.RLIMIT_CPU, cpu),
            (resource.RLIMIT_FSIZE, 16 << 20),
            (resource.RLIMIT_NOFILE, 64),
            (resource.RLIMIT_CORE, 0),
        ]
        if self.config.get(wire.NAMESPACED):
            limits.append((resource.RLIMIT_NPROC, 64))  # counted inside our own user namespace
        for which, value in limits:
            _soft, hard = resource.getrlimit(which)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            high = value + 1 if which == resource.RLIMIT_CPU else value
            resource.setrlimit(which, (value, min(high, hard) if hard != resource.RLIM_INFINITY else high))

    # --- the worker side of one job ------------------------------------------------------------

    def prefork(self) -> Spare:
        """Fork the next job's child ahead of time: (pid, pipe to it, pipe from it)."""
        c2w_r, c2w_w = os.pipe()
        w2c_r, w2c_w = os.pipe()
        pid = self.fork()
        if pid == 0:
            os.close(c2w_r)
            os.close(w2c_w)
            self.child_main(w2c_r, c2w_w)
        os.close(c2w_w)
        os.close(w2c_r)
        return pid, w2c_w, c2w_r

    def run_job(self, job: dict[str, Any], payload: bytes, spare: Spare) -> Spare:
        """Run one job on the spare child; returns the child used (the caller reaps it).

        Test results go to the supervisor as they come, each a header frame and the
        child's report (or this worker's own: a time-out, an output flood, a death)
        unread. After every test but the last the supervisor answers go on or stop.
        """
        frame, raw_frame, write_all = wire.frame, wire.raw_frame, wire.write_all
        pid, w2c_w, c2w_r = spare
        try:
            write_all(w2c_w, raw_frame(payload))
        except OSError:  # the spare child is gone; fork a fresh one
            self._reap(spare)
            pid, w2c_w, c2w_r = spare = self.prefork()
            write_all(w2c_w, raw_frame(payload))
        limit = float(job[wire.TIMEOUT_S])
        cap = int(job[wire.MAX_OUTPUT]) + 4096
        n = int(job[wire.N_TESTS])
        script = job.get(wire.MODE) == wire.SCRIPT
        self.notify_asleep = not script  # a script's caller reads exactly one frame
        end: dict[str, Any] = {wire.TYPE: wire.END}
        tail = b""
        try:
            compiled = self.wait_result(pid, c2w_r, limit, cap)
            if compiled != wire.OK_REPORT or script:
                end[wire.COMPILE] = True
            else:
                # this loop runs per test: the protocol's names are bound once, as locals
                run_next, read_frame, go = wire.RUN_NEXT, wire.read_frame, wire.GO
                type_key, test, index_key = wire.TYPE, wire.TEST, wire.INDEX
                for index in range(n):
                    self._send_child(w2c_w, run_next)
                    report = self.wait_result(pid, c2w_r, limit, cap)
                    data = frame({type_key: test, index_key: index}) + raw_frame(report)
                    if index == n - 1:
                        tail = data  # sent with the end frame: no verdict is waited for after the last test
                        break
                    write_all(1, data)
                    reply = read_frame(0)
                    if reply is None:
                        raise SystemExit(0)
                    if not reply.get(go):
                        break
        finally:
            end[wire.CPU] = round(cpu_seconds(pid), 3)
            with contextlib.suppress(ProcessLookupError):
                _kill(pid, signal.SIGKILL)
        tail += frame(end)
        if end.get(wire.COMPILE):
            tail += raw_frame(compiled)
        write_all(1, tail)  # the verdict is complete; clean up while the supervisor moves on
        return spare

    def _reap(self, spare: Spare) -> None:
        pid, w2c_w, c2w_r = spare
        with contextlib.suppress(ProcessLookupError):
            _kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):  # already reaped if it died on its own
            os.waitpid(pid, 0)
        os.close(c2w_r)
        os.close(w2c_w)

    def _send_child(self, fd: int, byte: bytes) -> None:
        with contextlib.suppress(OSError):
            os.write(fd, byte)

    def wait_result(self, pid: int, fd: int, limit: float, cap: int) -> bytes:
        """Wait for one frame from the child, enforcing the time limit; return its body.

        The limit applies to what the test would take on an idle machine: CPU time plus
        the time every thread of the child was asleep (sampled from ``/proc`` every
        50 ms). Time spent waiting for a CPU does not count, so a loaded machine does not
        turn a pass into a time-out; a raw wall-clock backstop (3 x limit + 5 s) remains.
        The body is the child's report as it sent it, or this worker's own verdict.
        """
        header, size = wire.HEADER, wire.HEADER.size  # bound once: the loop below runs every few ms
        start_wall = time.monotonic()
        start_cpu, asleep = sample(pid)
        used = start_cpu
        backstop = 3 * limit + 5
        buf = bytearray()
        need = size
        asleep_s, last = 0.0, start_wall
        while True:
            now = time.monotonic()
            cpu = used - start_cpu
            if asleep:
                asleep_s += now - last
                if self.notify_asleep and asleep_s >= _ASLEEP_NOTICE_S:
                    self.notify_asleep = False
                    wire.write_frame(1, {wire.TYPE: wire.ASLEEP})
            last = now
            over = cpu > limit or cpu + asleep_s > limit or now - start_wall > backstop
            wait = 0.0 if over else max(0.002, min(limit - cpu - asleep_s, 0.05))
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:
                if over:
                    _kill(pid, signal.SIGKILL)
                    return wire.TLE_REPORT
            else:
                chunk = os.read(fd, max(65536, need - len(buf)))
                if not chunk:
                    return self._death(pid)
                buf += chunk
                if len(buf) >= size and need == size:
                    need += header.unpack(bytes(buf[:size]))[0]
                    if need > cap:
                        _kill(pid, signal.SIGKILL)
                        return wire.OLE_REPORT
                if len(buf) >= need:
                    cpu = cpu_seconds(pid) - start_cpu
                    if cpu > limit or cpu + asleep_s > limit:
                        return wire.TLE_REPORT
                    return bytes(buf[size:need])
            used, asleep = sample(pid)

    def _death(self, pid: int) -> bytes:
        """The report on a child that ended without one (its CPU or file size limit, or else)."""
        _, status = os.waitpid(pid, 0)
        sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
        if sig == signal.SIGXCPU:
            return wire.TLE_REPORT
        if sig == signal.SIGXFSZ:
            return wire.OLE_REPORT
        died = {
            wire.KIND: wire.DIED,
            wire.SIGNAL: sig,
            wire.EXIT_STATUS: os.WEXITSTATUS(status) if not sig else None,
        }
        return json.dumps(died).encode()

    def wipe(self) -> None:
        """Empty the work directory, whatever the program left there (unreadable directories too)."""
        top = self.workdir
        with contextlib.suppress(OSError):
            if stat.S_IMODE(os.stat(top).st_mode) != self.workdir_mode:
                _chmod(top, self.workdir_mode)
        stack: list[tuple[str, bool]] = [(top, False)]
        while stack:
            path, emptied = stack.pop()
            if emptied:
                with contextlib.suppress(OSError):
                    _rmdir(path)
                continue
            if path != top:
                with contextlib.suppress(OSError):
                    _chmod(path, 0o700)
                stack.append((path, True))
            try:
                with os.scandir(path) as entries:
                    found = [(entry.path, entry.is_dir(follow_symlinks=False)) for entry in entries]
            except OSError:
                continue
            for child, is_dir in found:
                if is_dir:
                    stack.append((child, False))
                else:
                    with contextlib.suppress(OSError):
                        _unlink(child)


def _world_readable(path: str) -> bool:
    parts = os.path.realpath(path).split(os.sep)
    dirs = [os.sep + os.path.join(*parts[1:i]) for i in range(2, len(parts))]
    return all(os.stat(d).st_mode & 0o005 == 0o005 for d in dirs) and bool(os.stat(path).st_mode & 0o004)


def _safe(fn: Any) -> dict[str, Any]:
    try:
        result = fn()
        return result if isinstance(result, dict) else {wire.KIND: wire.EXC, wire.ERR: "bad result"}
    except MemoryError:
        return {wire.KIND: wire.EXC, wire.ERR: "MemoryError()", wire.MEMORY: True}
    except BaseException as exc:  # SystemExit or KeyboardInterrupt out of the program: upstream's child dies
        return {wire.KIND: wire.EXC, wire.ERR: repr(exc)[:300], wire.BASE: True}


def _result_writer(cap: int) -> Any:
    dumps, write = json.dumps, os.write
    pack, kind, exc_kind, err, ole_report = wire.HEADER.pack, wire.KIND, wire.EXC, wire.ERR, wire.OLE_REPORT

    def send(result: dict[str, Any]) -> None:
        try:
            body = dumps(result).encode()
        except Exception as exc:
            body = dumps({kind: exc_kind, err: repr(exc)[:300]}).encode()
        if len(body) > cap:
            body = ole_report
        view = memoryview(pack(len(body)) + body)
        while view:
            view = view[write(4, view) :]

    return send


def main() -> None:
    config = json.loads(sys.argv[1])
    sys.path.extend(config.get(wire.SITE, []))
    loaded = []
    for name in _PRELOAD:
        if name == "numpy" and not config.get(wire.NUMPY, True):
            continue  # it doubles what every fork copies; the supervisor sends numpy programs elsewhere
        with contextlib.suppress(Exception):
            importlib.import_module(name)
            loaded.append(name)
    worker = Worker(config)
    gc.collect()
    gc.freeze()  # keep the collector from touching (and so copying) the preloaded objects in every child
    wire.write_frame(
        1,
        {
            wire.TYPE: wire.READY,
            wire.SECCOMP: worker.bpf is not None,
            wire.SECCOMP_ERROR: worker.seccomp_error,
            wire.NUMPY: "numpy" in loaded,
            wire.VERSION: sys.version,  # compiled programs are accepted only from this very interpreter
        },
    )
    spare = worker.prefork()
    while (job := wire.read_frame(0)) is not None:
        payload = wire.read_raw(0)
        if payload is None:
            break
        worker._reap(worker.run_job(job, payload, spare))
        worker.wipe()  # before the next child exists, so nothing of this job reaches it
        spare = worker.prefork()


if __name__ == "__main__":
    main()
