"""Shared fixtures: offline environment, the example pool, tiny models, a real OpenAI-compatible server."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import pytest
from cli_support import DATA

from ded_plugins.sandbox.isolation import bwrap_available


if TYPE_CHECKING:
    from hf_server import HFServer
    from ray_cluster import LocalCluster


os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# the content-hash cache of this test session, not the user's
os.environ.setdefault("DED_HASH_CACHE", str(Path(tempfile.mkdtemp(prefix="ded-hashes-")) / "hashes.sqlite"))


@pytest.fixture
def pool(tmp_path: Path) -> Path:
    """A private copy of the example pool (questions, two teachers, a student)."""
    dest = tmp_path / "pool"
    shutil.copytree(DATA / "curation", dest, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return dest


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random tiny Qwen2 + R1-style tokenizer, built offline once per session."""
    from ded_plugins.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.getbasetemp() / "tiny-model")


@pytest.fixture(scope="session")
def example_plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The third-party example plugin, pip-installed (with its entry point) into a private site dir.

    Put the returned directory on PYTHONPATH of a subprocess to make the plugin visible.
    """
    site = tmp_path_factory.mktemp("plugin-site")
    build = tmp_path_factory.mktemp("plugin-src")
    src = build / "ded_example_plugin"
    shutil.copytree(DATA / "ded_example_plugin", src)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(src),
        ],
        check=True,
        capture_output=True,
    )
    return site


@pytest.fixture(scope="session")
def hf_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HFServer]:
    """Hugging Face ``transformers serve`` on loopback with a tiny taught model, one per session.

    The tests stop it (by pid) at the end of the session and check that it is gone.
    """
    missing = [m for m in ("fastapi", "uvicorn", "openai") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"transformers serve needs transformers[serving] (the dev extra); missing {missing}")
    from hf_server import start_server, teach_reasoning_model

    base = tmp_path_factory.mktemp("hf-serve")
    model = teach_reasoning_model(base / "model")
    server = start_server(model, base / "serve.log")
    try:
        yield server
    finally:
        server.stop()
        assert server.proc.poll() is not None, "transformers serve still running after the session"


@pytest.fixture(scope="session")
def namespaces() -> None:
    ok, why = bwrap_available()
    if not ok:
        pytest.skip(f"full isolation unavailable here: {why}")


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[LocalCluster]:
    """A real Ray cluster on loopback (a head and one worker node), shared by every Ray test.

    This process is connected to it as a driver; ``RAY_ADDRESS`` names it for the ``ded``
    subprocesses a test starts. Torn down at the end of the session.
    """
    import logging

    if importlib.util.find_spec("ray") is None:  # not imported yet: Ray reads its settings on import
        pytest.skip("the ray extra is not installed: pip install 'ded-plugins[ray]'")
    from ray_cluster import LocalCluster

    cluster = LocalCluster(workers=1).start()
    try:
        import ray

        ray.init(address=cluster.address, namespace="ded", logging_level=logging.WARNING, log_to_driver=False)
        _RAY_STARTUP.append(cluster.startup_s)
        _RAY_CLUSTER.append(cluster)
        cluster.watch(_tell_now)
        # speaks only if this process ends first: stopped (by its handle) before the cluster is
        script = str(Path(__file__).parent / "ray_driver_watch.py")
        watch = [sys.executable, script, str(os.getpid()), cluster.temp]
        watcher = subprocess.Popen(watch, stdout=_TERMINAL[0] if _TERMINAL else None, start_new_session=True)
        try:
            yield cluster
        finally:
            watcher.kill()
            watcher.wait()
    finally:
        _RAY_CLUSTER.clear()
        cluster.stop()


_RAY_STARTUP: list[float] = []
_RAY_CLUSTER: list[LocalCluster] = []
#: the terminal as pytest found it, before capturing: what must be seen even if this process dies
_TERMINAL: list[TextIO] = []


def pytest_configure(config: pytest.Config) -> None:
    _TERMINAL.append(os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1))


def _tell_now(message: str) -> None:
    """Straight to the terminal, from any thread: Ray ends a driver that has lost its GCS with
    ``_exit(1)``, so what the captured output of the test would have said is lost."""
    if _TERMINAL:
        _TERMINAL[0].write(f"\n!!! ray test cluster: {message}\n")


def _check_ray_cluster(item: pytest.Item, when: str) -> None:
    uses = _RAY_CLUSTER and "ray_cluster" in getattr(item, "fixturenames", ())
    if uses and (deaths := _RAY_CLUSTER[0].deaths()):
        pytest.fail(f"the shared Ray test cluster is broken {when} this test:\n" + "\n".join(deaths.values()))


def pytest_runtest_setup(item: pytest.Item) -> None:
    _check_ray_cluster(item, "before")


def pytest_runtest_teardown(item: pytest.Item) -> None:
    _check_ray_cluster(item, "after")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say what the shared Ray test cluster cost to start, when a test started it."""
    for seconds in _RAY_STARTUP:
        terminalreporter.write_line(f"ray test cluster (head + 1 worker node): started in {seconds:.1f} s")
