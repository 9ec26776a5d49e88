"""Programs are compiled as upstream compiles them, whether the supervisor or the child does it."""

from __future__ import annotations

import gzip
import json
import marshal
import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from sandbox_helpers import probe_rows, stdin_request

from ded_plugins.sandbox import RunRequest, Sandbox
from ded_plugins.sandbox.inside import ded_child
from ded_plugins.sandbox.isolation import INSIDE_DIR


pytestmark = pytest.mark.sandbox

_HANDMADE = [
    "",
    "x =",
    "def f(:\n",
    "print(1)\n",
    "if __name__ == '__main__':\n    main()\n",
    'import os\nif __name__ == "__main__":\n    print(1)\n',
    "def main():\n    print(2)\nif __name__ == '__main__':\n    main()\nprint(3)\n",
    "from __future__ import annotations\nprint(1)\n",
]


def _programs(code_data: Path) -> list[str]:
    codes = [row["code"] for row in probe_rows(code_data)]
    for path in sorted(code_data.glob("lcb_eval_all_*.json")):
        for row in json.loads(path.read_text(encoding="utf-8")):
            codes += row.get("code_list", [])
    return codes


def test_one_parse_gives_upstreams_text(code_data: Path) -> None:
    # stdin_source skips clean_if_name's parse when it would return the text unchanged
    codes = _HANDMADE + _programs(code_data)
    assert len(codes) > 1000
    upstream = ded_child.make_function
    differ = [c for c in codes if ded_child.stdin_source(c) != upstream(ded_child.clean_if_name(c))]
    assert differ == []


def test_precompiled_code_is_what_the_child_would_compile() -> None:
    code = "import math\nn = int(input())\nprint(math.isqrt(n))\n"
    blob = ded_child.precompile(code, None, ["16\n"])
    assert blob is not None
    body, in_template, solution, args = marshal.loads(blob)
    source = ded_child.make_function(ded_child.clean_if_name(code))
    text, template = ded_child._split_prefix(source)
    assert (in_template, solution, args) == (template, False, []) == (True, False, [])
    assert body.co_code == ded_child._compile(text).co_code
    call = ded_child.precompile("class Solution:\n    def f(self, a, b): return a + b\n", "f", ["1\n[2]"])
    assert call is not None and marshal.loads(call)[2:] == (True, [[1, [2]]])


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("print(1)\nx = 1" + "0" * 5000 + "\n", "a literal over the host's integer-string limit"),
        ("def f(:\n", "a syntax error: the child reports it"),
        ("from __future__ import annotations\nprint(1)\n", "a __future__ import after the prefix"),
    ],
)
def test_precompile_leaves_to_the_child(code: str, why: str) -> None:
    assert ded_child.precompile(code, None, ["\n"]) is None, why


def test_programs_do_not_inherit_our_future_imports(box: Sandbox) -> None:
    # ded_child itself uses postponed annotations; upstream's grader does not, so an
    # annotation naming something undefined fails when the def runs
    undefined = "class Solution:\n    def f(self, a: TreeNode) -> int:\n        return a\n"
    result = box.run(RunRequest(code=undefined, inputs=("1",), outputs=("1",), fn_name="f"))
    assert result.status == "runtime_error"
    assert "TreeNode" in result.error
    stdin = box.run(stdin_request("def main(x: Undefined):\n    print(1)\nmain(1)\n", out="1\n"))
    assert stdin.status == "runtime_error"
    assert "Undefined" in stdin.error
    # a __future__ import lands after the prefix in upstream's text: a compile error there
    future = "from __future__ import annotations\nclass Solution:\n    def f(self, a):\n        return a\n"
    result = box.run(RunRequest(code=future, inputs=("1",), outputs=("1",), fn_name="f"))
    assert result.status == "runtime_error"
    assert "__future__" in result.error
    # the child compiles what the supervisor leaves to it, under the child's own digit limit
    big = "x = " + "7" * 4500 + "\nprint(len(str(x)))\n"
    assert box.run(stdin_request(big, out="4500\n")).status == "passed"


def _shape(code: Any) -> list[Any]:
    """Everything of a code object that decides what it does (not its line numbers)."""
    out: list[Any] = [code.co_code, code.co_names, code.co_varnames, code.co_freevars, code.co_cellvars]
    out += [code.co_name, code.co_flags, code.co_argcount, code.co_kwonlyargcount, code.co_posonlyargcount]
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            out.append(_shape(const))
        elif isinstance(
            const, frozenset
        ):  # same items; marshal writes them sorted, so the child loads one order
            out.append((frozenset, sorted(map(repr, const))))
        else:
            out.append((type(const), repr(const)))
    return out


def test_tree_compiled_stdin_programs_match_upstreams_text(code_data: Path) -> None:
    codes = _HANDMADE + _programs(code_data)
    with gzip.open(code_data / "HumanEval.jsonl.gz", "rt", encoding="utf-8") as fh:
        codes += [json.loads(line)["prompt"] + json.loads(line)["canonical_solution"] for line in fh]
    fast = 0
    for code in codes:
        try:
            wrapped = ded_child._compile_wrapped(code)
        except SyntaxError:
            continue  # left to the child, which reports upstream's error
        if wrapped is None:
            continue
        fast += 1
        text, in_template = ded_child._split_prefix(ded_child.make_function(ded_child.clean_if_name(code)))
        assert in_template, code
        assert _shape(wrapped) == _shape(ded_child._compile(text)), code
    assert fast > 1000  # the call-based (class Solution) programs take the text path


@pytest.mark.parametrize(
    "code",
    [
        "print(f'{1}')\n",  # an f-string: unparse may fail on one, and upstream then runs the text unwrapped
        "class Solution:\n    pass\nprint(1)\n",  # upstream instantiates a top-level Solution
        "x = 'class \\x53olution'\nprint(x)\n",  # ... which unparse would write into the text
        "import os\n",  # nothing to wrap
    ],
)
def test_tree_compile_leaves_text_dependent_programs_to_the_text(code: str) -> None:
    assert ded_child._compile_wrapped(code) is None
    assert ded_child.precompile(code, None, ["\n"]) is not None or code == "import os\n"


_HASHING = """
import marshal, sys
sys.path.insert(0, {inside!r})
import ded_child
code = "words = {{" + ", ".join(repr("w%d" % i) for i in range(60)) + "}}\\nfor w in words:\\n    print(w)\\n"
sys.stdout.buffer.write(ded_child.precompile(code, None, ["\\n"]))
"""


def test_constant_sets_iterate_alike_whatever_the_supervisors_hash_seed() -> None:
    # the same program compiled by supervisors with different string hashing...
    blobs = []
    for seed in ("1", "2", "3"):
        proc = subprocess.run(
            [sys.executable, "-c", _HASHING.format(inside=str(INSIDE_DIR))],
            capture_output=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            timeout=60,
            check=True,
        )
        blobs.append(proc.stdout)
    # ... loads into a child (whose seed is fixed) with its set in one order: marshal writes
    # a frozenset's items sorted, whatever order they had in the supervisor
    load = (
        "import marshal, sys\n"
        f"sys.path.insert(0, {str(INSIDE_DIR)!r})\n"
        "import ded_child\n"
        "for blob in sys.argv[1:]:\n"
        "    body = marshal.loads(bytes.fromhex(blob))[0]\n"
        "    inner = [c for c in body.co_consts if hasattr(c, 'co_consts')][0]\n"
        "    print([list(c) for c in inner.co_consts if isinstance(c, frozenset)])\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", load, *(b.hex() for b in blobs)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        timeout=60,
        check=True,
    )
    orders = proc.stdout.splitlines()
    assert len(orders) == 3 and len(set(orders)) == 1, orders
    assert "w59" in orders[0]
