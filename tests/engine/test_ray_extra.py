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


def test_ray_addresses_are_read_as_written_and_a_malformed_one_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ded_plugins.engine.executors.ray_cluster import _endpoint
    from ded_plugins.errors import ClusterError

    assert _endpoint("10.1.2.3:6379") == ("10.1.2.3", 6379)
    assert _endpoint("ray://head:10001") == ("head", 10001)
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:6380")
    assert _endpoint("auto") == ("127.0.0.1", 6380)  # auto reads RAY_ADDRESS
    monkeypatch.delenv("RAY_ADDRESS")
    assert _endpoint("auto") is None  # Ray looks for a cluster started on this machine
    with pytest.raises(
        ClusterError, match=r"Ray address 'head': expected HOST:PORT, ray://HOST:PORT or auto"
    ):
        _endpoint("head")
