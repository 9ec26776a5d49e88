"""The worker's pre-built prefix module gives a child the namespace the prefix itself would."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sandbox_helpers import stdin_request

from ded_plugins.sandbox import RunRequest, Sandbox
from ded_plugins.sandbox.isolation import INSIDE_DIR


pytestmark = pytest.mark.sandbox

# Runs in a fresh interpreter started the way the worker is (-I -S), because the guard
# disarms os functions for good: set up the streams and the guard and build the template
# (as the worker does), then do what a child does before it compiles, then compare with
# the prefix executed afresh.
_SCRIPT = """
import io, json, os, sys
from types import ModuleType
sys.path.insert(0, {inside!r})
import ded_child
report = os.dup(1)
sys.stdin = io.TextIOWrapper(io.BytesIO())
sys.stdout = io.TextIOWrapper(io.BytesIO())
sys.stderr = io.TextIOWrapper(io.BytesIO())
ded_child.reliability_guard()
template = ded_child.prefix_module()
before = sys.getrecursionlimit()
fresh = ModuleType("tmp_sol", "")
exec(ded_child.PREFIX, fresh.__dict__)
got = ded_child._with_prefix(template).__dict__
want = fresh.__dict__
os.write(report, json.dumps({{
    "worker_limit_kept": before != 50000,
    "limit": sys.getrecursionlimit(),
    "only_in_template": sorted(set(got) - set(want)),
    "only_in_fresh": sorted(set(want) - set(got)),
    "different": sorted(k for k in want if k in got and got[k] is not want[k]),
}}).encode())
"""


def test_template_equals_a_freshly_executed_prefix() -> None:
    script = _SCRIPT.format(inside=str(INSIDE_DIR))
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report == {
        "worker_limit_kept": True,
        "limit": 50000,
        "only_in_template": [],
        "only_in_fresh": [],
        "different": [],
    }


def test_prefix_names_that_a_child_rebinds(box: Sandbox) -> None:
    # stdin, stdout and quit come from the prefix's star-imports, bound after the child's own set-up
    reads = box.run(stdin_request("print(int(stdin.readline()) + 1)", inp="41\n", out="42\n"))
    assert reads.status == "passed", reads.error
    # bound at compile time to the child's own stdout, not to the per-test capture: as upstream
    writes = box.run(stdin_request("stdout.write('7\\n')", out="7\n"))
    assert writes.status == "wrong_answer"
    nulled = box.run(stdin_request("print(1)\nquit()", out="1\n"))
    assert nulled.status == "runtime_error"
    assert "NoneType" in nulled.error


def test_line_numbers_unchanged(box: Sandbox) -> None:
    code = "class Solution:\n    def f(self, a):\n        return a +\n"
    result = box.run(RunRequest(code=code, inputs=("1",), outputs=("1",), fn_name="f", timeout_s=2))
    assert result.status == "runtime_error"
    prefix_lines = 18 + 16 + 1 + 2  # star-imports, plain imports, recursion limit, the two blank lines
    assert f"'<string>', {prefix_lines + 3}," in result.error, result.error
