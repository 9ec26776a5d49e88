"""Make stock ``lm_eval`` see DED's task folder (``lm_eval --tasks ded_aime25``).

lm-eval 0.4.13 indexes only its own ``lm_eval/tasks`` tree and ``--include_path``.
When ``lm_eval.tasks`` is imported, the start-up autoload (``ded_plugins_autoload``)
calls :func:`install`, which wraps ``TaskIndex.build`` so that whenever the built-in
tree is indexed, DED's folder is indexed *before* it. lm-eval lets later paths win, so
a built-in task always beats a ``ded_*`` one of the same name, and a user's
``--include_path`` still beats both. ``include_defaults=False`` managers are left alone.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import Any


__all__ = ["install", "task_dir"]

_MARK = "_ded_wrapped"
log = logging.getLogger(__name__)


def task_dir() -> Path:
    """DED's lm-eval task folder: inside the installed package, or ``evals/`` of a source checkout."""
    package = Path(__file__).resolve().parents[2]
    for candidate in (package / "evals", package.parent / "evals"):
        if (candidate / "ded_aime").is_dir():
            return candidate
    raise FileNotFoundError(f"DED's lm-eval task folder is missing (looked in {package} and its parent)")


def _with_ded_tasks(given: Iterable[Path | str]) -> list[Path]:
    paths = [Path(p) for p in given]
    import lm_eval.tasks as builtin

    builtin_dir = Path(builtin.__file__).resolve().parent
    resolved = [p.resolve() for p in paths]
    if builtin_dir not in resolved:
        return paths  # include_defaults=False: the caller chose exactly what to index
    ours = task_dir().resolve()
    if ours in resolved:
        return paths
    at = resolved.index(builtin_dir)
    return [*paths[:at], ours, *paths[at:]]


def install(module: ModuleType) -> None:
    """Wrap ``lm_eval.tasks._index.TaskIndex.build`` (idempotent)."""
    from lm_eval.tasks._index import TaskIndex

    original: Callable[..., Any] = TaskIndex.build
    if getattr(original, _MARK, False):
        return

    @functools.wraps(original)
    def build(paths: Iterable[Path], *args: Any, **kwargs: Any) -> Any:
        paths = list(paths)
        try:
            extended = _with_ded_tasks(paths)
        except Exception:  # a broken install of ours must not break lm-eval itself
            log.debug("DED tasks not added to lm-eval's index", exc_info=True)
            extended = paths
        return original(extended, *args, **kwargs)

    setattr(build, _MARK, True)
    TaskIndex.build = staticmethod(build)
