"""Helpers shared by the sandbox tests (a plain module: test files import it by name)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ded_plugins.sandbox import RunRequest


def probe_rows(code_data: Path) -> list[dict[str, Any]]:
    lines = (code_data / "lcb_semantics_probes.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def stdin_request(code: str, inp: str = "\n", out: str = "", timeout_s: float = 2.0, **kw: Any) -> RunRequest:
    return RunRequest(code=code, inputs=(inp,), outputs=(out,), timeout_s=timeout_s, **kw)
