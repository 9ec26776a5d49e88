"""Fingerprinted, skippable steps with one log file each (``ded teacher``'s bookkeeping).

A finished step leaves ``steps/<step>.json`` with a fingerprint of its inputs and its
result; a re-run returns that result instead of running the step again while the
fingerprint (and the step's output, when one is named) is unchanged.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ded_plugins.config import canonical_json
from ded_plugins.io import write_json


__all__ = ["StepRunner", "digest", "file_log"]

log = logging.getLogger(__name__)


def digest(*parts: Any) -> str:
    """A short stable hash of JSON-able parts."""
    return hashlib.sha256(canonical_json(list(parts)).encode()).hexdigest()[:16]


@contextlib.contextmanager
def file_log(path: Path) -> Iterator[None]:
    """Copy this process's log records into ``path`` while a step runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(min(old_level, logging.INFO) if old_level else logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()


class StepRunner:
    """Steps under ``directory``; ``status`` records ``ran`` or ``skipped`` per step."""

    def __init__(self, name: str, directory: Path, status: dict[str, str]) -> None:
        self.name = name
        self.directory = directory
        self.status = status

    def run(self, step: str, fingerprint: str, body: Callable[[], Any], *, output: Path | None = None) -> Any:
        """``body()`` unless a marker with this fingerprint exists (and ``output``, if named, too)."""
        marker = self.directory / "steps" / f"{step}.json"
        if marker.is_file() and (output is None or output.exists()):
            done = json.loads(marker.read_text(encoding="utf-8"))
            if done.get("fingerprint") == fingerprint:
                log.info("%s: %s done already, skipped", self.name, step)
                self.status[step] = "skipped"
                return done["result"]
        start = time.monotonic()
        with file_log(self.directory / "logs" / f"{step}.log"):
            result = body()
        write_json(
            marker, {"fingerprint": fingerprint, "result": result, "seconds": time.monotonic() - start}
        )
        self.status[step] = "ran"
        return result
