"""Errors raised by ded-plugins.

Every error the project raises on purpose derives from :class:`DedError` and also
from the builtin it refines, so callers that catch the builtin keep working::

    DedError
    ├── ConfigError(ValueError)            a config key, value or component is wrong
    │   └── UnknownComponentError(KeyError) no component registered under that name
    ├── InputError(ValueError)             a data file is malformed (names file, line, field)
    ├── PluginError(RuntimeError)          a plugin misbehaved while registering
    ├── MissingDependencyError(ImportError) an optional extra is not installed
    ├── StageError(RuntimeError)           a stage failed while running
    ├── ClusterError(ConnectionError)      a cluster cannot be reached or lacks what a step needs
    └── SandboxError(RuntimeError)         the sandbox could not run a program

The CLI prints ``str(error)`` and exits with ``error.exit_code`` (2 for user
errors, 1 for run-time failures), never with a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar


__all__ = [
    "ClusterError",
    "ConfigError",
    "DedError",
    "InputError",
    "MissingDependencyError",
    "PluginError",
    "SandboxError",
    "StageError",
    "UnknownComponentError",
]


class DedError(Exception):
    """Base of every error ded-plugins raises deliberately."""

    exit_code: ClassVar[int] = 1


class ConfigError(DedError, ValueError):
    """One or more problems in a configuration; all of them are listed at once."""

    exit_code: ClassVar[int] = 2

    def __init__(self, problems: str | Sequence[str], *, source: str | None = None) -> None:
        self.problems: tuple[str, ...] = (problems,) if isinstance(problems, str) else tuple(problems)
        self.source = source
        head = f"invalid config {source}" if source else "invalid config"
        if len(self.problems) == 1:
            message = f"{head}: {self.problems[0]}"
        else:
            message = f"{head} ({len(self.problems)} problems):\n" + "\n".join(
                f"  - {p}" for p in self.problems
            )
        super().__init__(message)

    def __str__(self) -> str:  # KeyError would quote the message otherwise
        return str(self.args[0])

    def __reduce__(self) -> tuple[Any, ...]:  # survives a trip between processes
        return (_rebuild, (type(self), (list(self.problems),), {"source": self.source}))


class UnknownComponentError(ConfigError, KeyError):
    """A config names a component that no plugin registered."""


class InputError(DedError, ValueError):
    """A data file is malformed; the message names the file, the line and the field."""

    exit_code: ClassVar[int] = 2

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.field = field
        self.message = message
        where = path or "<input>"
        if line is not None:
            where = f"{where}:{line}"
        if field is not None:
            where = f"{where}: field '{field}'"
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:  # survives a trip between processes
        return (
            _rebuild,
            (type(self), (self.message,), {"path": self.path, "line": self.line, "field": self.field}),
        )


class PluginError(DedError, RuntimeError):
    """A plugin failed to register or registered something invalid."""

    exit_code: ClassVar[int] = 2


class MissingDependencyError(DedError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""

    exit_code: ClassVar[int] = 2

    def __init__(self, module: str, extra: str, *, purpose: str = "") -> None:
        self.module = module
        self.extra = extra
        why = f" ({purpose})" if purpose else ""
        self.purpose = purpose
        super().__init__(f"'{module}' is needed{why} but not installed: pip install 'ded-plugins[{extra}]'")

    def __reduce__(self) -> tuple[Any, ...]:  # survives a trip between processes
        return (_rebuild, (type(self), (self.module, self.extra), {"purpose": self.purpose}))


def _rebuild(cls: type[DedError], args: tuple[Any, ...], kwargs: dict[str, Any]) -> DedError:
    """Unpickle an error that takes keyword arguments (pickle's default passes ``args`` only)."""
    return cls(*args, **kwargs)


class StageError(DedError, RuntimeError):
    """A pipeline stage failed while running."""


class ClusterError(DedError, ConnectionError):
    """A cluster (Ray) cannot be reached, or offers too little of a resource a step needs.

    A user error (exit code 2): start or name the cluster, or ask for less.
    """

    exit_code: ClassVar[int] = 2


class SandboxError(DedError, RuntimeError):
    """The sandbox could not run a program (not: the program failed)."""
