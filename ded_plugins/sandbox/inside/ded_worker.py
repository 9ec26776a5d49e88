"""The pre-started worker: runs inside bubblewrap, forks one child per program.

Started by the supervisor as ``python -I -S ded_worker.py CONFIG_JSON``; talks over its
stdin/stdout in length-prefixed JSON frames. Per job it forks a child that applies
rlimits and the seccomp filter and then runs the program's tests one at a time
(:mod:`ded_child`). The worker measures each test's CPU time from ``/proc`` (the child
cannot lie about it), kills the child at the CPU limit or the wall-clock backstop,
forwards each test's result to the supervisor unread (the supervisor decodes it) and
waits for its verdict ("go" or "stop") before letting the child run the next test. It
never holds an expected output. Once per job it also tells the supervisor when the
child has been asleep for a while (``{"t": "asleep"}``), so that another program may use
the core. Standard library only (numpy is preloaded when the supervisor asks for it).

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
import struct
import sys
import time
from typing import Any


_HEADER = struct.Struct(">I")
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


def read_exact(fd: int, n: int) -> bytes | None:
    parts, got = [], 0
    while got < n:
        chunk = os.read(fd, n - got)
        if not chunk:
            return None
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def read_raw(fd: int) -> bytes | None:
    head = read_exact(fd, _HEADER.size)
    if head is None:
        return None
    return read_exact(fd, _HEADER.unpack(head)[0])


def read_frame(fd: int) -> Any:
    body = read_raw(fd)
    return None if body is None else json.loads(body)


def frame(message: Any) -> bytes:
    body = json.dumps(message).encode()
    return _HEADER.pack(len(body)) + body


def raw_frame(body: bytes) -> bytes:
    return _HEADER.pack(len(body)) + body


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def write_frame(fd: int, message: Any) -> None:
    write_all(fd, frame(message))


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
        self.workdir = config.get("workdir") or "/tmp"
        self.notify_asleep = False
        # uid 65534 must still be able to import the standard library (pyenv under /root cannot)
        self.drop_root = not config.get("namespaced") and os.getuid() == 0 and _world_readable(os.__file__)
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
            payload = read_raw(3)
            if payload is None:
                raise SystemExit
            job = marshal.loads(payload)  # made by the supervisor
            self._limits(job)
            random.seed(job.get("seed", 0))
            sys.set_int_max_str_digits(50000)
            script_args = []
            for name, text in job.get("files", ()):
                with open(os.path.basename(name), "w", encoding="utf-8") as fh:
                    fh.write(text)
                script_args.append(os.path.join(self.workdir, os.path.basename(name)))
            program = self.child_mod.Program(
                job["code"], job["inputs"], job["fn_name"], job["grader"], self.template, job.get("compiled")
            )
            read, write_result = os.read, _result_writer(int(job["max_output"]))
            if self.load_filter is not None:
                self.load_filter()
            if job.get("mode") == "script":
                write_result(_safe(lambda: self.child_mod.run_script(job["code"], ["checker", *script_args])))
                return
            result = _safe(program.compile)
            write_result(result)
            if result.get("k") == "ok":
                for index in range(len(job["inputs"])):
                    if read(3, 1) != b"g":
                        break
                    write_result(_safe(lambda i=index: program.run_test(i)))
                read(3, 1)
            code = 0
        finally:
            os._exit(code)

    def _limits(self, job: dict[str, Any]) -> None:
        n = len(job["inputs"]) + 1
        cpu = int(n * float(job["timeout_s"]) * 1.5 + 5)
        mem = int(job["memory_mb"]) << 20
        limits = [
            (resource.RLIMIT_AS, mem),
            (resource.RLIMIT_CPU, cpu),
            (resource.RLIMIT_FSIZE, 16 << 20),
            (resource.RLIMIT_NOFILE, 64),
            (resource.RLIMIT_CORE, 0),
        ]
        if self.config.get("namespaced"):
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
        unread. After every test but the last the supervisor answers "go" or "stop".
        """
        pid, w2c_w, c2w_r = spare
        try:
            write_all(w2c_w, raw_frame(payload))
        except OSError:  # the spare child is gone; fork a fresh one
            self._reap(spare)
            pid, w2c_w, c2w_r = spare = self.prefork()
            write_all(w2c_w, raw_frame(payload))
        limit = float(job["timeout_s"])
        cap = int(job["max_output"]) + 4096
        n = int(job["n"])
        script = job.get("mode") == "script"
        self.notify_asleep = not script  # a script's caller reads exactly one frame
        end: dict[str, Any] = {"t": "end"}
        tail = b""
        try:
            compiled = self.wait_result(pid, c2w_r, limit, cap)
            if compiled != _OK or script:
                end["compile"] = True
            else:
                for index in range(n):
                    self._send_child(w2c_w, b"g")
                    report = self.wait_result(pid, c2w_r, limit, cap)
                    data = frame({"t": "test", "i": index}) + raw_frame(report)
                    if index == n - 1:
                        tail = data  # sent with the end frame: no verdict is waited for after the last test
                        break
                    write_all(1, data)
                    reply = read_frame(0)
                    if reply is None:
                        raise SystemExit(0)
                    if not reply.get("go"):
                        break
        finally:
            end["cpu"] = round(cpu_seconds(pid), 3)
            with contextlib.suppress(ProcessLookupError):
                _kill(pid, signal.SIGKILL)
        tail += frame(end)
        if end.get("compile"):
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
        start_wall = time.monotonic()
        start_cpu, asleep = sample(pid)
        used = start_cpu
        backstop = 3 * limit + 5
        buf = bytearray()
        need = _HEADER.size
        asleep_s, last = 0.0, start_wall
        while True:
            now = time.monotonic()
            cpu = used - start_cpu
            if asleep:
                asleep_s += now - last
                if self.notify_asleep and asleep_s >= _ASLEEP_NOTICE_S:
                    self.notify_asleep = False
                    write_frame(1, {"t": "asleep"})
            last = now
            over = cpu > limit or cpu + asleep_s > limit or now - start_wall > backstop
            wait = 0.0 if over else max(0.002, min(limit - cpu - asleep_s, 0.05))
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:
                if over:
                    _kill(pid, signal.SIGKILL)
                    return _TLE
            else:
                chunk = os.read(fd, max(65536, need - len(buf)))
                if not chunk:
                    return json.dumps(self._death(pid)).encode()
                buf += chunk
                if len(buf) >= _HEADER.size and need == _HEADER.size:
                    need += _HEADER.unpack(bytes(buf[: _HEADER.size]))[0]
                    if need > cap:
                        _kill(pid, signal.SIGKILL)
                        return _OLE
                if len(buf) >= need:
                    cpu = cpu_seconds(pid) - start_cpu
                    if cpu > limit or cpu + asleep_s > limit:
                        return _TLE
                    return bytes(buf[_HEADER.size : need])
            used, asleep = sample(pid)

    def _death(self, pid: int) -> dict[str, Any]:
        _, status = os.waitpid(pid, 0)
        sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
        if sig == signal.SIGXCPU:
            return {"k": "tle"}
        if sig == signal.SIGXFSZ:
            return {"k": "ole"}
        return {"k": "died", "signal": sig, "exit": os.WEXITSTATUS(status) if not sig else None}

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


_OK = json.dumps({"k": "ok"}).encode()
_TLE = json.dumps({"k": "tle"}).encode()
_OLE = json.dumps({"k": "ole"}).encode()


def _world_readable(path: str) -> bool:
    parts = os.path.realpath(path).split(os.sep)
    dirs = [os.sep + os.path.join(*parts[1:i]) for i in range(2, len(parts))]
    return all(os.stat(d).st_mode & 0o005 == 0o005 for d in dirs) and bool(os.stat(path).st_mode & 0o004)


def _safe(fn: Any) -> dict[str, Any]:
    try:
        result = fn()
        return result if isinstance(result, dict) else {"k": "exc", "err": "bad result"}
    except MemoryError:
        return {"k": "exc", "err": "MemoryError()", "mem": True}
    except BaseException as exc:  # SystemExit or KeyboardInterrupt out of the program: upstream's child dies
        return {"k": "exc", "err": repr(exc)[:300], "base": True}


def _result_writer(cap: int) -> Any:
    dumps, write = json.dumps, os.write
    pack = _HEADER.pack

    def send(result: dict[str, Any]) -> None:
        try:
            body = dumps(result).encode()
        except Exception as exc:
            body = dumps({"k": "exc", "err": repr(exc)[:300]}).encode()
        if len(body) > cap:
            body = b'{"k": "ole"}'
        view = memoryview(pack(len(body)) + body)
        while view:
            view = view[write(4, view) :]

    return send


def main() -> None:
    config = json.loads(sys.argv[1])
    sys.path[:0] = [os.path.dirname(os.path.abspath(__file__))]
    sys.path.extend(config.get("site", []))
    loaded = []
    for name in _PRELOAD:
        if name == "numpy" and not config.get("numpy", True):
            continue  # it doubles what every fork copies; the supervisor sends numpy programs elsewhere
        with contextlib.suppress(Exception):
            importlib.import_module(name)
            loaded.append(name)
    worker = Worker(config)
    gc.collect()
    gc.freeze()  # keep the collector from touching (and so copying) the preloaded objects in every child
    write_frame(
        1,
        {
            "t": "ready",
            "seccomp": worker.bpf is not None,
            "error": worker.seccomp_error,
            "numpy": "numpy" in loaded,
            "version": sys.version,  # compiled programs are accepted only from this very interpreter
        },
    )
    spare = worker.prefork()
    while (job := read_frame(0)) is not None:
        payload = read_raw(0)
        if payload is None:
            break
        worker._reap(worker.run_job(job, payload, spare))
        worker.wipe()  # before the next child exists, so nothing of this job reaches it
        spare = worker.prefork()


if __name__ == "__main__":
    main()
