"""Sandbox behaviour: statuses, forging, per-test bookkeeping, checkers, worker replacement."""

from __future__ import annotations

import decimal
import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sandbox_helpers import stdin_request

from ded_plugins.errors import SandboxError
from ded_plugins.sandbox import RunRequest, Sandbox
from ded_plugins.sandbox import isolation as isolation_mod


pytestmark = pytest.mark.sandbox
DED = Path(sys.executable).parent / "ded"


def test_stdin_program_per_test_and_early_stop(box: Sandbox) -> None:
    request = RunRequest(
        code="n = int(input())\nprint(n * 2)",
        inputs=("1\n", "2\n", "3\n", "4\n"),
        outputs=("2\n", "5\n", "6\n", "8\n"),
        timeout_s=2,
    )
    result = box.run(request)
    assert result.status == "wrong_answer"
    assert result.per_test == (True, False, None, None)
    assert result.grader == "lcb2505"
    assert result.isolation == "bwrap+seccomp+rlimits"


def test_call_based_instance_reused_and_equality_rules(box: Sandbox) -> None:
    code = "class Solution:\n    def twice(self, xs, k):\n        return [x * k for x in xs], k\n"
    request = RunRequest(
        code=code, inputs=("[1, 2]\n3", "[]\n1.0"), outputs=("[[3, 6], 3]", "[[], 1]"), fn_name="twice"
    )
    assert box.run(request).status == "passed"
    nested_tuple = RunRequest(
        code="def f(a):\n    return [(a, a)]\n", inputs=("1",), outputs=("[[1, 1]]",), fn_name="f"
    )
    assert box.run(nested_tuple).status == "wrong_answer"


def test_forged_equality_and_missing_function(box: Sandbox) -> None:
    forged = (
        "class Any(list):\n    def __eq__(self, other): return True\n"
        "class Solution:\n    def f(self, a): return Any()"
    )
    result = box.run(RunRequest(code=forged, inputs=("1",), outputs=("[42]",), fn_name="f"))
    assert result.status == "wrong_answer"
    missing = box.run(
        RunRequest(code="class Solution:\n    pass", inputs=("1",), outputs=("1",), fn_name="f")
    )
    assert missing.status == "runtime_error"
    assert missing.per_test == (False,)


def test_big_integers_and_numpy_scalars(box: Sandbox) -> None:
    with decimal.localcontext() as ctx:  # 5,000+ digits: past the host's int/str conversion cap
        ctx.prec = 10_000
        expected = str(decimal.Decimal(7) ** 6000)
    big = RunRequest(
        code="def f(n):\n    return 7 ** n\n", inputs=("6000",), outputs=(expected,), fn_name="f"
    )
    assert box.run(big).passed
    scalar = RunRequest(
        code="import numpy as np\ndef f(a):\n    return np.int64(a) * 2\n",
        inputs=("21",),
        outputs=("42",),
        fn_name="f",
    )
    assert box.run(scalar).passed


def test_limits_statuses(box: Sandbox) -> None:
    assert box.run(stdin_request("x = bytearray(3 << 30)")).status == "memory_limit"
    spin = box.run(stdin_request("while True:\n    pass", timeout_s=1))
    assert spin.status == "time_limit"
    assert spin.reran
    assert box.run(stdin_request("raise ValueError('no')")).status == "runtime_error"
    assert box.run(stdin_request("import resource")).status == "runtime_error"  # upstream poisons it


def test_no_tests_is_never_a_pass(box: Sandbox) -> None:
    result = box.run(RunRequest(code="print(1)", inputs=(), outputs=()))
    assert not result.passed
    assert result.status == "sandbox_error"


def test_checker_accepts_any_valid_answer(box: Sandbox) -> None:
    checker = (
        "import sys\n"
        "n = int(open(sys.argv[1]).read())\n"
        "a, b = map(int, open(sys.argv[3]).read().split())\n"
        "sys.exit(0 if a + b == n and a > 0 and b > 0 else 1)\n"
    )
    request = RunRequest(
        code="n = int(input())\nprint(1, n - 1)",
        inputs=("5\n", "9\n"),
        outputs=("2 3\n", "4 5\n"),
        checker=checker,
    )
    assert box.run(request).passed
    wrong = RunRequest(
        code="n = int(input())\nprint(0, n)", inputs=("5\n",), outputs=("2 3\n",), checker=checker
    )
    assert box.run(wrong).status == "wrong_answer"


def test_dead_worker_is_replaced(namespaces: None) -> None:
    with Sandbox(workers=1) as sandbox:
        worker = sandbox._all[0]
        os.killpg(worker.proc.pid, signal.SIGKILL)  # the worker this test started, by its id
        worker.proc.wait()
        result = sandbox.run(stdin_request("print(int(input()) + 1)", "1\n", "2\n"))
        assert result.passed
        assert sandbox._all[0] is not worker


def _world_readable_stdlib() -> bool:
    path = Path(os.__file__).resolve()
    return all(os.stat(p).st_mode & 0o005 == 0o005 for p in path.parents) and bool(
        path.stat().st_mode & 0o004
    )


def test_refuses_without_namespaces_unless_degraded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(isolation_mod, "bwrap_available", lambda: (False, "no user namespaces (simulated)"))
    monkeypatch.setattr("ded_plugins.sandbox.sandbox.bwrap_available", isolation_mod.bwrap_available)
    with pytest.raises(SandboxError, match="allow-degraded"), Sandbox(workers=1):
        pass
    with Sandbox(workers=1, allow_degraded=True) as sandbox:
        result = sandbox.run(stdin_request("print(input())", "hi\n", "hi\n"))
        assert result.passed
        assert result.isolation == "seccomp+rlimits"
        escape = sandbox.run(stdin_request("import posix\nposix.fork()\nprint('forked')", out="forked\n"))
        assert escape.status == "runtime_error"
        if os.geteuid() == 0 and _world_readable_stdlib():  # degraded children drop root when they can
            target = tmp_path / "root_only"
            target.mkdir(mode=0o755)
            write = f"open({str(target / 'x')!r}, 'w').write('x')\nprint('wrote')"
            assert sandbox.run(stdin_request(write, out="wrote\n")).status == "runtime_error"
            assert not (target / "x").exists()


def test_cli_rejects_bad_rows_without_output(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "code": "print(1)", "inputs": ["\n"], "outputs": []}) + "\n")
    out = tmp_path / "out.jsonl"
    proc = subprocess.run(
        [str(DED), "sandbox", "check", str(src), "-o", str(out)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "in.jsonl:1" in proc.stderr and "outputs" in proc.stderr
    assert not out.exists()


def test_threads_and_random_in_a_child(box: Sandbox) -> None:
    # the competitive-programming idiom for deep recursion (17% of o1's LiveCodeBench programs
    # import threading): a big stack and the work in a second thread, joined by the main one
    deep = (
        "import sys, threading\n"
        "sys.setrecursionlimit(10**6)\n"
        "threading.stack_size(1 << 26)\n"
        "def depth(n):\n    return 0 if n == 0 else 1 + depth(n - 1)\n"
        "def main():\n"
        "    print(depth(int(input())), threading.current_thread() is not threading.main_thread())\n"
        "t = threading.Thread(target=main)\nt.start()\nt.join()\n"
        "print(threading.main_thread().is_alive(), threading.active_count())\n"
    )
    result = box.run(stdin_request(deep, inp="20000\n", out="20000 True\nTrue 1\n", timeout_s=6))
    assert result.status == "passed", result.error
    # every child starts from the same seeded generator, whichever worker forked it
    first = repr(random.Random(0).random()) + "\n"
    draw = stdin_request("import random\nprint(random.random())", out=first)
    assert [r.status for r in box.run_many([draw] * 4)] == ["passed"] * 4


def test_worker_forks_plainly_only_when_single_threaded() -> None:
    script = f"""
import os, sys, threading, time
sys.path.insert(0, {str(isolation_mod.INSIDE_DIR)!r})
import ded_worker
fork = ded_worker.plain_fork()
pid = fork()
if pid == 0:
    os._exit(7)
_, status = os.waitpid(pid, 0)
threading.Thread(target=time.sleep, args=(0.5,)).start()
print(fork is not ded_worker._fork, os.WEXITSTATUS(status), ded_worker.plain_fork() is ded_worker._fork)
"""
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "7", "True"]


def test_numpy_is_preloaded_where_the_program_names_it(box: Sandbox) -> None:
    # most workers skip numpy (it doubles every fork's page tables); programs naming it get one that has it
    plain = box.run(stdin_request("import sys\nprint('num' + 'py' in sys.modules)", out="False\n"))
    assert plain.status == "passed", plain.error
    named = box.run(stdin_request("import sys  # uses numpy\nprint('numpy' in sys.modules)", out="True\n"))
    assert named.status == "passed", named.error
    sneaky = box.run(stdin_request("m = __import__('nu' + 'mpy')\nprint(m.int64(2) * 3)", out="6\n"))
    assert sneaky.status == "passed", sneaky.error
