"""Without the ``ray`` extra, choosing Ray is one error that names the extra to install."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from ded_plugins.cli import main


def test_a_missing_ray_extra_names_it(
    pool: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if ray were not installed
    config = {
        "run": "r",
        "output_dir": str(pool / "runs"),
        "questions": "questions.jsonl",
        "rollouts": ["teacher_a.jsonl"],
        "stages": ["think_format"],
        "export": [],
    }
    (pool / "c.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(SystemExit) as exc:
        main(["curate", str(pool / "c.yaml"), "--executor", "ray", "--no-progress"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "pip install 'ded-plugins[ray]'" in err
    assert "Traceback" not in err
    assert not (pool / "runs").exists()
