"""Programs are compiled as upstream compiles them, whether the supervisor or the child does it."""

from __future__ import annotations

import json
import marshal
from pathlib import Path

import pytest
from sandbox_helpers import probe_rows, stdin_request

from ded_plugins.sandbox import RunRequest, Sandbox
from ded_plugins.sandbox.inside import ded_child


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
