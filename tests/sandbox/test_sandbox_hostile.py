"""Hostile programs, run only inside an outer containment a sandbox bug cannot get past.

The test process enters its own pid namespace (``unshare --pid --fork --kill-child
--mount-proc``), drops to uid 65534 (``setpriv``) under a process-count limit
(``prlimit --nproc``), and only then runs hostile_driver.py, which creates the targets
(loopback listener, sentinel process, secret and victim files) inside that containment.
Where the interpreter lives under a directory uid 65534 cannot enter (pyenv under /root),
the containment's private mount namespace exposes just that prefix read-only.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from ded_plugins.sandbox import ISOLATION_FULL


HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
pytestmark = [pytest.mark.sandbox, pytest.mark.slow]
_CONTAINMENT = ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc", "--propagation", "private"]


def _hidden_ancestor(path: Path) -> Path | None:
    """The topmost ancestor of ``path`` that others may not traverse, if any."""
    for ancestor in reversed([path, *path.parents]):
        if not os.stat(ancestor).st_mode & stat.S_IXOTH:
            return ancestor
    return None


def _others_read(path: Path) -> bool:
    return bool(os.stat(path).st_mode & stat.S_IROTH)


def _expose_script(paths: list[Path], keep: Path) -> list[str]:
    """Shell lines (run as root in the containment's mount namespace) exposing ``paths``."""
    lines: list[str] = []
    by_top: dict[Path, list[Path]] = {}
    for path in paths:
        top = _hidden_ancestor(path)
        if top is not None:
            by_top.setdefault(top, []).append(path)
    for n, (top, inner) in enumerate(by_top.items()):
        if top in inner or top == Path("/"):
            pytest.skip(f"{top} is not readable by uid 65534 and cannot be exposed")
        for i, path in enumerate(inner):
            lines += [f"mkdir -p {keep}/{n}_{i}", f"mount --rbind {path} {keep}/{n}_{i}"]
        lines.append(f"mount -t tmpfs -o mode=0755 ded-expose {top}")
        for i, path in enumerate(inner):
            lines += [f"mkdir -p {path}", f"mount --move {keep}/{n}_{i} {path}"]
    return lines


def test_hostile_programs_fail_and_leave_the_host_untouched() -> None:
    if os.geteuid() != 0:
        pytest.skip("entering the outer containment as uid 65534 needs root (CI runs as root)")
    for tool in ("unshare", "setpriv", "prlimit", "bwrap", "mount"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed (make sysdeps installs util-linux and bubblewrap)")
    unreadable = [
        p
        for p in (REPO / "ded_plugins" / "__init__.py", Path(sys.executable).resolve())
        if not _others_read(p)
    ]
    if unreadable:
        pytest.skip(f"uid 65534 cannot read {unreadable} (a clone made with a private umask)")
    work = Path(tempfile.mkdtemp(prefix="ded-hostile-", dir="/tmp"))
    try:
        os.chmod(work, 0o755)
        run_dir = work / "run"
        run_dir.mkdir()
        os.chown(run_dir, 65534, 65534)
        keep = work / "keep"
        keep.mkdir()
        python = Path(sys.executable)
        needed = [Path(sys.base_prefix).resolve(), Path(sys.prefix), REPO]
        script = ["set -e", *_expose_script(needed, keep)]
        script.append(
            "exec prlimit --nproc=256 -- "
            "setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all -- "
            f"env -i PATH=/usr/bin:/bin PYTHONDONTWRITEBYTECODE=1 HOME={run_dir} PYTHONPATH={REPO} "
            f"{python} {HERE / 'hostile_driver.py'} {run_dir}"
        )
        proc = subprocess.run(
            [*_CONTAINMENT, "sh", "-c", "\n".join(script)],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        report = json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(work, ignore_errors=True)

    assert report["uid"] == 65534
    assert report["pid"] < 100  # its own pid namespace
    assert report["isolation"] == ISOLATION_FULL
    results = report["results"]
    assert len(results) >= 25
    escaped = [r["name"] for r in results if r["passed"]]
    assert not escaped, f"graded passed: {escaped}"
    broken = [r["name"] for r in results if not r["after_ok"]]
    assert not broken, f"a correct program failed right after: {broken}"
    assert report["connections"] == 0
    assert report["sentinel_alive"]
    assert report["victim_intact"]
    assert not report["pwned_exists"]
    statuses = {r["name"]: r["status"] for r in results}
    print(json.dumps(statuses, indent=1))  # shown with -s, and on failure
    assert "sandbox_error" not in statuses.values(), statuses
    assert statuses["memory_bomb"] == "memory_limit"
    assert statuses["signal_tricks"] == "time_limit"
    assert statuses["sleep_forever"] == "time_limit"
    assert statuses["segfault"] == "runtime_error"
    assert statuses["forge_eq_object"] == "wrong_answer"
