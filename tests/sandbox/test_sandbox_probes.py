"""Probe parity: ``ded sandbox check`` matches the official verdict of every probe, per grader."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sandbox_helpers import probe_rows


DED = Path(sys.executable).parent / "ded"
OFFICIAL = {"lcb2505": "lcb_2505_28fef95", "lcb2501": "lcb_2501_15808c7"}


@pytest.mark.sandbox
@pytest.mark.parametrize("grader", sorted(OFFICIAL))
def test_cli_matches_official_verdicts(
    grader: str, code_data: Path, namespaces: None, tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    probes = code_data / "lcb_semantics_probes.jsonl"
    proc = subprocess.run(
        [str(DED), "sandbox", "check", str(probes), "-o", str(out), "--grader", grader, "--workers", "2"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    expected = {r["id"]: r["official"][OFFICIAL[grader]]["graded_pass"] for r in probe_rows(code_data)}
    assert len(rows) == len(expected) >= 30
    mismatches = {r["id"]: (r["status"], r["error"]) for r in rows if r["passed"] != expected[r["id"]]}
    assert not mismatches
    for row in rows:
        assert row["grader"] == grader
        assert row["isolation"] == "bwrap+seccomp+rlimits"
        assert row["status"] in ("passed", "wrong_answer", "time_limit", "runtime_error")
        assert (row["status"] == "passed") == row["passed"]
        ran = [v for v in row["per_test"] if v is not None]
        assert ran and all(ran[:-1]) and ran[-1] == row["passed"]
