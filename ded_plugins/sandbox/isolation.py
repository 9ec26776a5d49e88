"""How a worker is started: inside bubblewrap when user namespaces work, else degraded.

Full isolation (``bwrap+seccomp+rlimits``): a new user, pid, network, ipc, uts and
cgroup namespace; the system (``/usr``), the interpreter's prefix, the directory that
holds numpy and the worker's own modules (``inside/``) are bound read-only; ``/proc``, a
minimal ``/dev`` and a 64 MiB private tmpfs on ``/tmp``; no home, no ``/etc`` beyond the
loader cache, a cleared environment, uid 65534 inside, all capabilities dropped, no
further user namespaces, killed with its parent. Nothing else of the host is visible, so the
tests' expected outputs (which stay in the supervisor) are not on any reachable disk.

Degraded (``seccomp+rlimits``): the same worker as a plain child process; it must be
asked for explicitly, because the program then sees the host's file system.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ded_plugins.sandbox.inside import wire


__all__ = ["INSIDE_DIR", "bwrap_available", "worker_command"]

INSIDE_DIR = Path(__file__).resolve().parent / "inside"
_WORKER_ENV = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "TZ": "UTC",
    "PYTHONHASHSEED": "0",
    "PYTHONDONTWRITEBYTECODE": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    # importing numpy sets these unless present, and the guard has taken os.putenv away by
    # the time a program on a worker without numpy imports it
    "OPENBLAS_MAIN_FREE": "1",
    "GOTOBLAS_MAIN_FREE": "1",
}
_TMPFS_BYTES = 64 << 20


def _python() -> str:
    return os.path.realpath(sys.executable)


def _site_dirs() -> list[str]:
    """The directory numpy is installed in (solutions may import it), if any."""
    spec = importlib.util.find_spec("numpy")
    if spec is None or spec.origin is None:
        return []
    return [str(Path(spec.origin).resolve().parent.parent)]


def _bwrap_prefix() -> list[str]:
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise FileNotFoundError("bwrap")
    argv = [
        bwrap,
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--die-with-parent",
        "--new-session",
    ]
    argv += ["--cap-drop", "ALL", "--clearenv", "--hostname", "sandbox", "--uid", "65534", "--gid", "65534"]
    argv += ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/lib", "/lib64", "/sbin", "/lib32", "/libx32"):
        if os.path.islink(top):
            argv += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            argv += ["--ro-bind", top, top]
    if os.path.exists("/etc/ld.so.cache"):
        argv += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    # the private /tmp comes before the interpreter and its site directory: bwrap mounts in
    # order, and a venv under /tmp (a CI clone, say) would otherwise be hidden by the tmpfs
    argv += ["--proc", "/proc", "--dev", "/dev", "--size", str(_TMPFS_BYTES), "--tmpfs", "/tmp"]
    bound: set[str] = {"/usr"}
    for path in [str(Path(_python()).parent.parent), *_site_dirs()]:
        if not any(path == b or path.startswith(b + "/") for b in bound):
            argv += ["--ro-bind", path, path]
            bound.add(path)
    argv += ["--chdir", "/tmp"]
    for key, value in _WORKER_ENV.items():
        argv += ["--setenv", key, value]
    return argv


@functools.cache
def bwrap_available() -> tuple[bool, str]:
    """Whether bubblewrap can create the namespaces here (cached per process); and why not."""
    try:
        argv = [*_bwrap_prefix(), _python(), "-I", "-S", "-c", "pass"]
    except FileNotFoundError:
        return False, "bubblewrap (bwrap) is not installed"
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"bwrap failed to start: {exc}"
    if proc.returncode != 0:
        return False, f"bwrap cannot create namespaces: {proc.stderr.strip()[:300]}"
    return True, ""


def worker_command(
    *, namespaced: bool, workdir: str | None = None, numpy: bool = True
) -> tuple[list[str], dict[str, str]]:
    """argv and environment that start one worker (``numpy``: preload it)."""
    # the worker's one argument (the protocol's CONFIG)
    config: dict[str, object] = {wire.SITE: _site_dirs(), wire.NAMESPACED: namespaced, wire.NUMPY: numpy}
    if namespaced:
        argv = [*_bwrap_prefix(), "--ro-bind", str(INSIDE_DIR), "/sandbox"]
        script = "/sandbox/ded_worker.py"
    else:
        argv, script = [], str(INSIDE_DIR / "ded_worker.py")
        config[wire.WORKDIR] = workdir
    argv += [_python(), "-I", "-S", script, json.dumps(config)]
    return argv, dict(_WORKER_ENV)
