"""LiveCodeBench test semantics, as they run inside the forked child.

This module runs inside the sandbox, so it uses the standard library only. It never
sees an expected output: it compiles the program the way the official grader does,
runs one test at a time when told to, and reports what the program produced as plain
data (see :func:`encode`), in the reports of :mod:`wire`. The comparison happens outside,
in :mod:`ded_plugins.sandbox.compare`.

Behaviour written from the documented semantics of the official grader
(``reference/sandbox_lcb.md`` §1.2-1.5), grader versions ``lcb2501`` and ``lcb2505``.
"""

from __future__ import annotations

import builtins
import io
import json
import marshal
import math
import re
import sys
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any


if TYPE_CHECKING or __package__:  # imported by the supervisor (or seen by mypy)
    from ded_plugins.sandbox.inside import wire
else:  # in the jail, where only this directory is on the path
    import wire

#: the fixed prefix the official grader prepends to every program
PREFIX_MODULES = [
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
    "sys",
    "json",
    "builtins",
    "typing",
]
PREFIX = (
    "".join(f"from {m} import *\n" for m in PREFIX_MODULES)
    + "".join(f"import {m}\n" for m in PREFIX_MODULES if m not in ("builtins", "typing"))
    + "sys.setrecursionlimit(50000)\n"
)
#: functions the official ``reliability_guard`` replaces by ``None`` (observable: calling them is an RE)
_NULLED_OS = [
    "kill",
    "system",
    "putenv",
    "remove",
    "removedirs",
    "rmdir",
    "fchdir",
    "setuid",
    "fork",
    "forkpty",
    "killpg",
    "rename",
    "renames",
    "truncate",
    "replace",
    "unlink",
    "fchmod",
    "fchown",
    "chmod",
    "chown",
    "chroot",
    "lchflags",
    "lchmod",
    "lchown",
    "getcwd",
    "chdir",
]
_POISONED_MODULES = ("ipdb", "joblib", "resource", "psutil", "tkinter")
MAX_DEPTH = 64


def clean_if_name(code: str) -> str:
    """Replace a *last* top-level ``if __name__ == '__main__':`` by its body."""
    import ast

    try:
        tree = ast.parse(code)
        if _ends_with_main_guard(tree):
            guard: Any = tree.body[-1]
            return _unparse(tree.body[:-1]) + "\n" + _unparse(guard.body)
    except Exception:
        pass
    return code


def _ends_with_main_guard(tree: Any) -> bool:
    import ast

    last = tree.body[-1]
    return isinstance(last, ast.If) and ast.unparse(last.test).strip() == "__name__ == '__main__'"


def stdin_source(code: str) -> str:
    """``make_function(clean_if_name(code))``, with one parse where upstream's two see the same text.

    ``clean_if_name`` returns the program unchanged unless it ends with a main guard, and
    ``make_function`` would then parse that same text again.
    """
    import ast

    try:
        tree = ast.parse(code)
    except Exception:
        return code  # neither parse would succeed: upstream runs the text as it is
    try:
        guarded = _ends_with_main_guard(tree)
    except Exception:
        guarded = False
    return make_function(clean_if_name(code)) if guarded else make_function(code, tree)


def _unparse(statements: list[Any]) -> str:
    import ast

    return ast.unparse(ast.Module(body=statements, type_ignores=[]))


def make_function(code: str, tree: Any = None) -> str:
    """Keep top-level imports at module level; every other statement becomes ``wrapped_function``'s body.

    ``tree``: ``code`` already parsed.
    """
    import ast

    try:
        tree = ast.parse(code) if tree is None else tree
        imports = [s for s in tree.body if isinstance(s, ast.Import | ast.ImportFrom)]
        others = [s for s in tree.body if not isinstance(s, ast.Import | ast.ImportFrom)]
        func = ast.FunctionDef(
            name="wrapped_function",
            args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]),
            body=others,
            decorator_list=[],
            lineno=-1,
        )
        return PREFIX + "\n" + _unparse(list(imports)) + "\n" + ast.unparse(func)
    except Exception:
        return code


def reliability_guard() -> None:
    """What the official guard does that a program can observe (it is not our isolation)."""
    import os
    import shutil
    import subprocess

    builtins.quit = None  # type: ignore[assignment]
    builtins.help = None  # type: ignore[assignment]
    os.environ["OMP_NUM_THREADS"] = "1"
    for name in _NULLED_OS:
        if hasattr(os, name):
            setattr(os, name, None)
    shutil.rmtree = shutil.move = shutil.chown = None  # type: ignore[assignment]
    subprocess.Popen = None  # type: ignore[assignment,misc]
    for name in _POISONED_MODULES:
        sys.modules[name] = None  # type: ignore[assignment]


class _MockBuffer:
    def __init__(self, data: str) -> None:
        self._data = data.encode("utf-8")

    def read(self, *args: Any) -> bytes:
        return self._data

    def readline(self, *args: Any) -> bytes:  # replays the first line, as upstream does
        return self._data.split(b"\n")[0] + b"\n"


class _Stdin2505:
    """``sys.stdin`` under lcb2505: ``read`` repeats, ``readlines`` splits, not iterable."""

    def __init__(self, data: str) -> None:
        self._data = data
        self._sio = io.StringIO(data)
        self.buffer = _MockBuffer(data)

    def read(self, *args: Any) -> str:
        return self._data

    def readline(self, *args: Any) -> str:
        return self._sio.readline(*args)

    def readlines(self, *args: Any) -> list[str]:
        return self._data.split("\n")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sio, name)


def _mock_open(data: str) -> Callable[..., io.StringIO]:
    return lambda *args, **kwargs: io.StringIO(data)


#: a decimal literal this long compiles only under the child's raised integer-string limit
_LONG_DIGITS = re.compile(r"[0-9_]{4000}")
#: what sends a stdin program down upstream's text path (see _compile_wrapped): a look at the
#: text, erring on the side of the text path: an f-string prefix, a "Solution" (as a class
#: name or in a string), an escape that could spell one, a __future__ import
_TEXT_MATTERS = re.compile(r"[fF][rR]?['\"]|[rR][fF]['\"]|Solution|\\(?:[xuUN0-7])|__future__")


def prefix_module() -> ModuleType:
    """The module the prefix leaves behind, built once by the worker before it forks.

    A child compiles its program into this module instead of executing the prefix's
    eighteen star-imports again: those touch (and so copy, after ``fork``) hundreds of
    pages of the worker's memory. The result is the namespace the prefix itself would
    give (``tests/sandbox/test_sandbox_prefix.py`` checks that), provided it is built
    after the standard streams and the guard are in place, as the worker does: the
    star-imports bind ``stdin``, ``stdout``, ``quit`` and the like as they are then.
    Only a forked child may use it (the module is then its private copy).
    """
    limit = sys.getrecursionlimit()
    module = ModuleType("tmp_sol", "")
    exec(PREFIX, module.__dict__)
    sys.setrecursionlimit(limit)  # the prefix's limit is for programs, not for the worker
    return module


def _with_prefix(template: ModuleType) -> ModuleType:
    """The template, with the recursion limit its prefix sets (the worker put its own back)."""
    sys.setrecursionlimit(50000)
    return template


def program_source(code: str, fn_name: str | None, inputs: list[str]) -> tuple[str, list[list[Any]]]:
    """The text upstream executes for a program, and the decoded arguments of a call-based one."""
    if fn_name is None:
        return stdin_source(code), []
    return PREFIX + "\n\n" + code, [[json.loads(line) for line in inp.split("\n")] for inp in inputs]


def _compile(text: str) -> Any:
    # upstream execs the text from a module without __future__ imports: inherit none of ours
    return compile(text, "<string>", "exec", flags=0, dont_inherit=True, optimize=0)


def _split_prefix(source: str) -> tuple[str, bool]:
    """What to compile and whether it runs in the prefix template.

    Blank lines stand in for the prefix, so every line number (and so every message)
    stays as upstream's. A ``__future__`` import is legal only at the top of a file, so
    such a program keeps its real prefix (and fails to compile, as upstream's does).
    """
    if source.startswith(PREFIX) and "__future__" not in source:
        return "\n" * PREFIX.count("\n") + source[len(PREFIX) :], True
    return source, False


def precompile(code: str, fn_name: str | None, inputs: list[str]) -> bytes | None:
    """Compile a program outside the sandbox, for a child to load instead of compiling it.

    Runs in the supervisor, whose memory is not shared with a forked child, so the
    parsing, the ``ast`` rewriting and the compiling touch no copy-on-write page. It
    executes nothing of the program. Returns ``marshal`` data for :class:`Program`, or
    ``None`` when the child must compile the program itself: whenever compiling fails
    here (the child then reports upstream's error) or could depend on this process's
    settings (a decimal literal near the integer-string limit).
    """
    if _LONG_DIGITS.search(code):
        return None
    try:
        if fn_name is None and (wrapped := _compile_wrapped(code)) is not None:
            return marshal.dumps((wrapped, True, False, []))
        source, args = program_source(code, fn_name, inputs)
        text, in_template = _split_prefix(source)
        return marshal.dumps((_compile(text), in_template, "class Solution" in source, args))
    except Exception:
        return None


def _compile_wrapped(code: str) -> Any:
    """A stdin program wrapped as upstream wraps it, compiled from the tree without the text.

    Upstream unparses the rewritten tree and compiles that text; compiling the tree
    itself gives the same bytecode (``tests/sandbox/test_sandbox_compile.py`` checks
    every program we have) at a third of the cost, with line numbers that point into
    the program as written. Taken only where the text could not matter (``_TEXT_MATTERS``):
    no f-string (unparse can fail on one, and upstream then runs the program unwrapped),
    no ``Solution`` a class name or a string could put into the text (upstream then
    looks for ``tmp_sol.Solution``), no ``__future__`` import; otherwise ``None``.
    """
    import ast

    if _TEXT_MATTERS.search(code):
        return None
    tree = ast.parse(code)
    if not tree.body:
        return None
    statements = tree.body
    if _ends_with_main_guard(tree):
        guard: Any = statements[-1]
        statements = statements[:-1] + guard.body
    imports = [s for s in statements if isinstance(s, ast.Import | ast.ImportFrom)]
    others = [s for s in statements if not isinstance(s, ast.Import | ast.ImportFrom)]
    if not others:
        return None  # upstream's function would have no body: a syntax error, in upstream's words
    func = ast.FunctionDef(
        name="wrapped_function",
        args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]),
        body=others,
        decorator_list=[],
        lineno=1,
        col_offset=0,
        end_lineno=max(s.end_lineno or s.lineno for s in others),
        end_col_offset=0,
    )
    module = ast.fix_missing_locations(ast.Module(body=[*imports, func], type_ignores=[]))
    return compile(module, "<string>", "exec", flags=0, dont_inherit=True, optimize=0)


class Program:
    """A compiled program; ``run_test(i)`` returns plain data describing what happened.

    ``template`` (from :func:`prefix_module`, in a forked child only) stands in for
    executing the prefix. ``compiled`` (from :func:`precompile`, same interpreter) saves
    the child the compiling.
    """

    def __init__(
        self,
        code: str,
        inputs: list[str],
        fn_name: str | None,
        grader: str,
        template: ModuleType | None = None,
        compiled: bytes | None = None,
    ) -> None:
        self.code = code
        self.inputs = inputs
        self.fn_name = fn_name
        self.grader = grader
        self.template = template
        self.compiled = compiled
        self.target: Callable[..., Any] | None = None
        self.args: list[list[Any]] = []

    def compile(self) -> dict[str, Any]:
        try:
            if self.compiled is not None and self.template is not None:
                body, in_template, solution, self.args = marshal.loads(self.compiled)
            else:
                source, self.args = program_source(self.code, self.fn_name, self.inputs)
                text, in_template = _split_prefix(source) if self.template is not None else (source, False)
                body, solution = _compile(text), "class Solution" in source
            in_template = in_template and self.template is not None
            module = _with_prefix(self.template) if in_template else ModuleType("tmp_sol", "")  # type: ignore[arg-type]
            exec(body, module.__dict__)
            holder: Any = module.Solution() if solution else module
            name = self.fn_name or "wrapped_function"
            if not hasattr(holder, name):
                return {wire.KIND: wire.EXC, wire.ERR: f"no function {name!r}"}
            self.target = getattr(holder, name)
        except Exception as exc:
            return _exception(exc)
        return {wire.KIND: wire.OK}

    def run_test(self, index: int) -> dict[str, Any]:
        assert self.target is not None
        if self.fn_name is not None:
            try:
                return {wire.KIND: wire.OK, wire.VALUE: encode(self.target(*self.args[index]))}
            except Exception as exc:
                return _exception(exc)
        return self._run_stdio(self.inputs[index])

    def _run_stdio(self, data: str) -> dict[str, Any]:
        assert self.target is not None
        real_stdin, real_stdout, real_open = sys.stdin, sys.stdout, builtins.open
        lines = iter(data.split("\n"))
        patched = {
            "read": lambda *a: data,
            "readlines": lambda *a: data.split("\n"),
            "readline": lambda *a: next(lines),
        }
        captured = io.StringIO()
        captured.close = lambda x: 1  # type: ignore[assignment,method-assign,misc]  # upstream quirk
        try:
            for attr, fn in patched.items():
                setattr(real_stdin, attr, fn)
            sys.stdin = io.StringIO(data) if self.grader == "lcb2501" else _Stdin2505(data)
            builtins.open = _mock_open(data)  # type: ignore[assignment]
            sys.stdout = captured
            try:
                self.target()
            except SystemExit:
                pass
        except Exception as exc:
            return _exception(exc)
        finally:
            sys.stdin, sys.stdout, builtins.open = real_stdin, real_stdout, real_open
            for attr in patched:
                try:
                    delattr(real_stdin, attr)
                except AttributeError:
                    pass
        return {wire.KIND: wire.OK, wire.OUT: captured.getvalue()}


def run_script(code: str, argv: list[str]) -> dict[str, Any]:
    """Run a trusted helper (a checker) as ``__main__``; report its exit status."""
    module = ModuleType("__main__")
    sys.argv = argv
    try:
        exec(code, module.__dict__)
    except SystemExit as exc:
        status = exc.code
        exit_code = status if isinstance(status, int) else (0 if status is None else 1)
        return {wire.KIND: wire.EXIT, wire.EXIT_CODE: exit_code}
    except Exception as exc:
        return {wire.KIND: wire.EXIT, wire.EXIT_CODE: 1, wire.ERR: repr(exc)[:300]}
    return {wire.KIND: wire.EXIT, wire.EXIT_CODE: 0}


def _exception(exc: BaseException) -> dict[str, Any]:
    text = repr(exc)
    return {
        wire.KIND: wire.EXC,
        wire.ERR: text[:300],
        wire.TIMED_OUT: "timeoutexception" in text.lower(),
        wire.MEMORY: isinstance(exc, MemoryError),
    }


def encode(value: Any, depth: int = 0) -> Any:
    """Turn a program's return value into JSON-able plain data, keeping Python's types.

    Only exact builtin types are kept (a subclass could carry a forged ``__eq__``);
    anything else becomes ``{wire.TAG_OPAQUE: type name}``, which equals nothing outside.
    The tags are in :mod:`wire`.
    """
    t = type(value)
    if depth > MAX_DEPTH:
        return {wire.TAG_OPAQUE: wire.TOO_DEEP}
    if value is None or t is bool or t is str:
        return value
    if t is int:
        return value if abs(value) < 1 << 53 else {wire.TAG_INT: hex(value)}
    if t is float:
        return value if math.isfinite(value) else {wire.TAG_FLOAT: repr(value)}
    if t is list:
        return [encode(v, depth + 1) for v in value]
    if t is tuple:
        return {wire.TAG_TUPLE: [encode(v, depth + 1) for v in value]}
    if t is dict:
        return {wire.TAG_DICT: [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    if t is set or t is frozenset:
        return {wire.TAG_SET if t is set else wire.TAG_FROZENSET: [encode(v, depth + 1) for v in value]}
    if t is complex:
        return {wire.TAG_COMPLEX: [value.real, value.imag]}
    if t is bytes:
        return {wire.TAG_BYTES: value.hex()}
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.generic):
        return encode(value.item(), depth + 1)
    if numpy is not None and t is numpy.ndarray:
        return {wire.TAG_NDARRAY: encode(value.tolist(), depth + 1), wire.TAG_SIZE: int(value.size)}
    return {wire.TAG_OPAQUE: t.__name__}
