"""DED curation inside ``llamafactory-cli train``.

LLaMA-Factory has no plugin discovery, so the start-up autoload calls :func:`install`
with the module ``llamafactory.data.loader`` right after LLaMA-Factory imports it. We wrap
exactly one function there, ``get_dataset_list(dataset_names, dataset_dir)``: when a
requested dataset's ``dataset_info.json`` entry carries a ``"ded"`` block, the wrapper
curates it (or finds the cached curation) and hands LLaMA-Factory the entry with
``file_name`` pointing at the curated sharegpt file. Everything else goes to the
original untouched.

LLaMA-Factory calls this inside ``training_args.main_process_first``, so local rank 0
curates while the other ranks wait at its barrier; they then find the cache. A file
lock makes that hold even where the barrier does not (two launches at once).

A DED error (bad config, malformed input) is logged as one clear paragraph and, under
the ``llamafactory-cli`` launcher, ends the process with exit code 2 instead of a
traceback from inside LLaMA-Factory; called from Python it is raised as is.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from ded_plugins.errors import DedError


__all__ = ["SUPPORTED", "TARGET_MODULE", "TOUCHED", "describe", "install"]

log = logging.getLogger("llamafactory.ded")

TARGET_MODULE = "llamafactory.data.loader"
#: every LLaMA-Factory function DED replaces, as ``module.attribute``
TOUCHED: tuple[str, ...] = (f"{TARGET_MODULE}.get_dataset_list",)
#: the signature the wrapper relies on (contract-tested)
EXPECTED_PARAMETERS: tuple[str, ...] = ("dataset_names", "dataset_dir")
SUPPORTED = "llamafactory>=0.9.5,<0.10"
_MARK = "__ded_original__"


def install(module: ModuleType) -> bool:
    """Wrap ``module.get_dataset_list``; idempotent; never raises into LLaMA-Factory.

    Returns whether the hook is active afterwards.
    """
    try:
        original = getattr(module, "get_dataset_list", None)
        if original is None:
            log.warning(
                "DED: %s has no get_dataset_list; the curation hook is not installed", module.__name__
            )
            return False
        if hasattr(original, _MARK):
            return True
        params = tuple(inspect.signature(original).parameters)
        if params != EXPECTED_PARAMETERS:
            log.warning(
                "DED: %s.get_dataset_list%s does not match the supported %s; "
                "the curation hook is not installed (supported: %s)",
                module.__name__,
                params,
                EXPECTED_PARAMETERS,
                SUPPORTED,
            )
            return False
        _warn_if_unsupported_version()
        setattr(module, "get_dataset_list", _wrap(original))  # noqa: B010 (mypy: ModuleType has no such attribute)
        return True
    except Exception as exc:  # the host program must never fail because of us
        log.warning("DED: installing the LLaMA-Factory curation hook failed: %r", exc)
        return False


def _warn_if_unsupported_version() -> None:
    """The signature matched, so the hook goes in; an untested version still deserves a word."""
    from importlib import metadata

    try:
        version = metadata.version("llamafactory")
        parts = tuple(int(p) for p in version.split(".")[:3] if p.isdigit())
    except (metadata.PackageNotFoundError, ValueError):
        return
    if not (0, 9, 5) <= parts < (0, 10):
        log.warning("DED: LLaMA-Factory %s is outside the tested range %s", version, SUPPORTED)


def _wrap(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def get_dataset_list(dataset_names: list[str] | None, dataset_dir: Any) -> Any:
        patched = _curated_info(dataset_names, dataset_dir)
        return original(dataset_names, dataset_dir if patched is None else patched)

    setattr(get_dataset_list, _MARK, original)
    return get_dataset_list


def _curated_info(dataset_names: list[str] | None, dataset_dir: Any) -> dict[str, Any] | None:
    """``dataset_info`` with every requested ``"ded"`` entry curated, or None if none asks for it."""
    if not dataset_names or not isinstance(dataset_dir, str) or dataset_dir == "ONLINE":
        return None
    if dataset_dir.startswith("REMOTE:"):
        return None
    from ded_plugins.io import read_json

    info_path = Path(dataset_dir) / "dataset_info.json"
    try:
        info = read_json(info_path)
    except DedError:
        return None  # LLaMA-Factory reports a missing or broken file in its own words
    if not isinstance(info, dict):
        return None
    wanted = [n for n in dict.fromkeys(dataset_names) if isinstance(info.get(n), dict) and "ded" in info[n]]
    if not wanted:
        return None
    from ded_plugins.integrations.llamafactory.data import curate_entry, lf_entry

    rank = os.environ.get("RANK", os.environ.get("LOCAL_RANK", "0"))
    patched = dict(info)
    for name in wanted:
        try:
            curated = curate_entry(name, info[name]["ded"], Path(dataset_dir))
        except DedError as exc:
            _fail(name, info_path, exc)
        if curated.reused:
            log.info(
                "DED: dataset %r: reusing curated cache %s (%d rows) [rank %s]",
                name,
                curated.directory,
                curated.rows,
                rank,
            )
        else:
            log.info(
                "DED: dataset %r curated on rank %s -> %s (%d rows)\n%s",
                name,
                rank,
                curated.file,
                curated.rows,
                curated.table,
            )
        patched[name] = lf_entry(info[name], curated)
    return patched


def _fail(name: str, info_path: Path, exc: DedError) -> None:
    log.error("DED could not curate dataset %r (%s):\n%s", name, info_path, exc)
    if _under_llamafactory_cli():
        raise SystemExit(exc.exit_code) from None
    raise exc


def _under_llamafactory_cli() -> bool:
    argv0 = sys.argv[0] if sys.argv else ""
    name = os.path.basename(argv0)
    return name in ("llamafactory-cli", "lmf") or argv0.endswith(os.path.join("llamafactory", "launcher.py"))


def describe(*, probe: bool = True) -> dict[str, Any]:
    """What the hook touches and whether it is active, for ``ded doctor``.

    With ``probe`` (the default) LLaMA-Factory's loader is imported if it is installed,
    which is exactly when the start-up autoload installs the hook; so ``hooked`` says
    whether a ``llamafactory-cli`` run in this environment would be curated by DED.
    """
    out: dict[str, Any] = {
        "supported": SUPPORTED,
        "touches": list(TOUCHED),
        "llamafactory": None,
        "hooked": False,
        "autoload_disabled": os.environ.get("DED_AUTOLOAD", "") == "0",
    }
    if importlib.util.find_spec("llamafactory") is None:
        out["llamafactory"] = "not installed"
        return out
    module = sys.modules.get(TARGET_MODULE)
    if module is None and probe:
        try:
            module = importlib.import_module(TARGET_MODULE)
        except Exception as exc:
            out["error"] = f"importing {TARGET_MODULE} failed: {exc!r}"
    from importlib import metadata

    out["llamafactory"] = metadata.version("llamafactory")
    if module is not None:
        out["hooked"] = hasattr(getattr(module, "get_dataset_list", None), _MARK)
    return out
