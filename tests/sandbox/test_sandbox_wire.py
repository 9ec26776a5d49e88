"""The worker wire protocol: spelled only in ``inside/wire.py``, with the bytes it always had."""

from __future__ import annotations

import ast
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ded_plugins.sandbox import compare
from ded_plugins.sandbox.inside import ded_child, wire
from ded_plugins.sandbox.isolation import INSIDE_DIR


SANDBOX_DIR = INSIDE_DIR.parent
#: words of the protocol that the sandbox also uses for something else: (module, word) -> what for
_NOT_PROTOCOL = {
    ("inside/ded_child.py", "numpy"): "the module's name, looked up in sys.modules",
    ("inside/ded_worker.py", "numpy"): "the module's name, preloaded",
    ("isolation.py", "numpy"): "the module's name, found to bind its directory",
    ("inside/ded_seccomp.py", "seccomp"): "the library's name",
    ("jobs.py", "grader"): "a field of a checked row",
    ("jobs.py", "error"): "a field of a checked row",
}


def _protocol_values() -> dict[str | bytes, str]:
    """Every str or bytes constant ``wire`` defines, with its name."""
    values: dict[str | bytes, str] = {}
    for name, value in vars(wire).items():
        if name.isupper() and isinstance(value, str | bytes):
            values.setdefault(value, name)
    return values


def _protocol_literals(root: Path) -> list[str]:
    """Where a module under ``root`` (``wire.py`` aside) spells a piece of the protocol itself."""
    protocol = _protocol_values()
    found = []
    for path in sorted(root.rglob("*.py")):
        where = path.relative_to(root).as_posix()
        if where == "inside/wire.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Import) and any(alias.name == "struct" for alias in node.names):
                found.append(f"{where}:{node.lineno}: imports struct (frames are packed in wire only)")
            if not isinstance(node, ast.Constant) or id(node) in docstrings:
                continue
            value = node.value
            if isinstance(value, str | bytes) and value in protocol and (where, value) not in _NOT_PROTOCOL:
                found.append(f"{where}:{node.lineno}: {value!r} is wire.{protocol[value]}")
    return found


def test_no_protocol_literal_outside_wire() -> None:
    assert {"t", "k", "go", "ok", "i", b"g"} <= set(_protocol_values())  # it looks for the real words
    assert _protocol_literals(SANDBOX_DIR) == []


def test_the_scan_finds_a_protocol_literal(tmp_path: Path) -> None:
    (tmp_path / "inside").mkdir()
    (tmp_path / "inside" / "wire.py").write_text('TYPE = "t"\n', encoding="utf-8")
    (tmp_path / "m.py").write_text(
        '"""go"""\nimport struct\nreply = {"go": True, "x": b"g"}\n', encoding="utf-8"
    )
    assert _protocol_literals(tmp_path) == [
        "m.py:2: imports struct (frames are packed in wire only)",
        "m.py:3: 'go' is wire.GO",
        "m.py:3: b'g' is wire.RUN_NEXT",
    ]


def test_the_vocabulary_and_the_bytes_are_the_ones_the_protocol_always_had() -> None:
    # spelled out on purpose: this is the one test that pins the wire format
    assert wire.HEADER.format == ">I" and wire.MAX_FRAME == 1 << 30 and wire.RUN_NEXT == b"g"
    assert wire.frame({wire.TYPE: wire.TEST, wire.INDEX: 3}) == b'\x00\x00\x00\x15{"t": "test", "i": 3}'
    assert wire.frame({wire.GO: False}) == b'\x00\x00\x00\x0d{"go": false}'
    assert wire.raw_frame(wire.OK_REPORT) == b'\x00\x00\x00\x0b{"k": "ok"}'
    assert (wire.TLE_REPORT, wire.OLE_REPORT) == (b'{"k": "tle"}', b'{"k": "ole"}')
    messages = [wire.TYPE, wire.READY, wire.TEST, wire.ASLEEP, wire.END, wire.INDEX, wire.CPU, wire.COMPILE]
    assert messages == ["t", "ready", "test", "asleep", "end", "i", "cpu", "compile"]
    ready = [wire.SECCOMP, wire.SECCOMP_ERROR, wire.VERSION, wire.NUMPY]
    assert ready == ["seccomp", "error", "version", "numpy"]
    job = [wire.GO, wire.TIMEOUT_S, wire.MAX_OUTPUT, wire.N_TESTS, wire.MODE, wire.SCRIPT]
    assert job == ["go", "timeout_s", "max_output", "n", "mode", "script"]
    payload = [wire.CODE, wire.INPUTS, wire.FN_NAME, wire.GRADER, wire.MEMORY_MB, wire.COMPILED, wire.FILES]
    assert payload == ["code", "inputs", "fn_name", "grader", "memory_mb", "compiled", "files"]
    assert [wire.SEED, wire.SITE, wire.NAMESPACED, wire.WORKDIR] == ["seed", "site", "namespaced", "workdir"]
    kinds = [wire.KIND, wire.OK, wire.EXC, wire.EXIT, wire.TLE, wire.OLE, wire.DIED]
    assert kinds == ["k", "ok", "exc", "exit", "tle", "ole", "died"]
    keys = [wire.VALUE, wire.OUT, wire.ERR, wire.TIMED_OUT, wire.MEMORY, wire.BASE]
    assert keys == ["v", "out", "err", "tle", "mem", "base"]
    assert [wire.EXIT_CODE, wire.SIGNAL, wire.EXIT_STATUS] == ["code", "signal", "exit"]
    tags = [wire.TAG_INT, wire.TAG_FLOAT, wire.TAG_TUPLE, wire.TAG_DICT, wire.TAG_SET, wire.TAG_FROZENSET]
    assert tags == ["i", "f", "t", "d", "s", "fs"]
    more = [wire.TAG_COMPLEX, wire.TAG_BYTES, wire.TAG_OPAQUE, wire.TAG_NDARRAY, wire.TAG_SIZE, wire.TOO_DEEP]
    assert more == ["c", "b", "o", "nd", "size", "too deep"]


def test_frames_cross_a_pipe_whole_and_end_with_none() -> None:
    read_fd, write_fd = os.pipe()
    try:
        wire.write_frame(write_fd, {wire.TYPE: wire.END, wire.CPU: 0.25})
        wire.write_all(write_fd, wire.raw_frame(b"\x00marshal"))
        os.close(write_fd)
        write_fd = -1
        assert wire.read_frame(read_fd) == {"t": "end", "cpu": 0.25}
        assert wire.read_raw(read_fd) == b"\x00marshal"
        assert wire.read_frame(read_fd) is None
    finally:
        os.close(read_fd)
        if write_fd >= 0:
            os.close(write_fd)


def _through_the_wire(value: Any) -> Any:
    """What the supervisor rebuilds from a value the child encoded."""
    return compare.decode(json.loads(json.dumps(ded_child.encode(value))))


def test_every_value_tag_round_trips() -> None:
    values: list[Any] = [
        1 << 80,
        (1, (2, "x")),
        {1: "a", (2, 3): [4]},
        {1, 2},
        frozenset({3}),
        1 + 2j,
        b"\x00\xff",
        None,
        [True, 2.5, "s"],
    ]
    for value in values:
        back = _through_the_wire(value)
        assert back == value and type(back) is type(value)
    assert _through_the_wire(math.inf) == math.inf and math.isnan(_through_the_wire(math.nan))
    opaque = _through_the_wire(object())
    assert opaque != opaque and repr(opaque) == "<object>"  # equal to nothing, itself included
    deep: list[Any] = []
    for _ in range(ded_child.MAX_DEPTH + 2):
        deep = [deep]
    assert wire.TOO_DEEP in json.dumps(ded_child.encode(deep))


def test_encode_uses_every_tag_and_decode_reads_each() -> None:
    numpy = pytest.importorskip("numpy")
    samples = [1 << 80, math.inf, (1,), {1: 2}, {1}, frozenset(), 1j, b"", object(), numpy.zeros(2)]
    used = {key for value in samples for key in ded_child.encode(value)}
    tags = {value for name, value in vars(wire).items() if name.startswith("TAG_")}
    assert used == tags
    array = compare.decode(json.loads(json.dumps(ded_child.encode(numpy.arange(3)))))
    assert compare.values_match(ded_child.encode(numpy.arange(3)), [0, 1, 2]) is None  # upstream raises here
    assert array.size == 3 and array.items == [0, 1, 2]


def test_reports_are_judged_by_their_kind() -> None:
    assert compare.judge_result({wire.KIND: wire.OK, wire.OUT: "3\n"}, "3", call_based=False) == "passed"
    assert compare.judge_result({wire.KIND: wire.OK, wire.VALUE: [1]}, [2], call_based=True) == "wrong_answer"
    assert compare.failure_status(json.loads(wire.TLE_REPORT)) == "time_limit"
    assert compare.failure_status(json.loads(wire.OLE_REPORT)) == "output_limit"
    assert compare.failure_status({wire.KIND: wire.EXC, wire.TIMED_OUT: True}) == "time_limit"
    assert compare.failure_status({wire.KIND: wire.EXC, wire.MEMORY: True}) == "memory_limit"
    died = {wire.KIND: wire.DIED, wire.SIGNAL: 11, wire.EXIT_STATUS: None}
    assert compare.failure_status(died) == "runtime_error"


def test_both_sides_import_the_same_module() -> None:
    # the supervisor's copy of the child module uses the package's wire ...
    assert ded_child.wire is wire
    # ... and inside the jail, where only inside/ is on the path, the modules import it by its own name
    script = (
        f"import sys\nsys.path.insert(0, {str(INSIDE_DIR)!r})\n"
        "import ded_child, ded_worker, wire\n"
        "print(ded_child.wire is wire, ded_worker.wire is wire, 'ded_plugins' in sys.modules)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "True", "False"]
