"""A real Ray cluster on loopback for the tests: a head and worker nodes, all on this machine.

Every node is a real raylet (``ray.cluster_utils.Cluster``) with 1 CPU and 2 *logical*
GPUs (this machine has none: Ray only counts them, so placement can be tested; the fake
vLLM engine never touches CUDA). Settings every process shares go into ``os.environ``
before the first node starts, so the nodes, this process and the ``ded`` subprocesses a
test starts all agree:

- token authentication stays on (``RAY_AUTH_MODE=token``) with a token made for the
  session (``RAY_AUTH_TOKEN``), so joining nodes and drivers authenticate;
- ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` makes Ray take 127.0.0.1 as this machine's
  address instead of resolving the network interface's: every connection stays on loopback;
- usage stats and the dashboard are off; ``RAY_ADDRESS`` names the head for ``address: auto``;
- ``PYTHONPATH`` starts with the checkout under test, so Ray's workers import this
  checkout's ``ded_plugins``.

:meth:`LocalCluster.stop` stops the nodes it started (by their own handles) and restores
the environment. :meth:`LocalCluster.deaths` names any process of the cluster that ended
without being asked to, with the end of its log: a driver whose GCS has gone exits
without a word (Ray ends it with exit status 1 after 60 s), so the tests watch for it
(and ``ray_driver_watch.py`` for the end of the test process itself).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


REPO = Path(__file__).resolve().parents[1]
#: bytes of object store per node: DED moves small unit descriptors and reports, never rows
OBJECT_STORE = 80 * 1024 * 1024
GPUS_PER_NODE = 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _tail(path: str | None, lines: int = 15) -> str:
    if not path:
        return ""
    try:
        text = Path(path).read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return ""
    return "".join(f"\n    | {line}" for line in text) if text else ""


def _reload_settings() -> None:
    """Ray reads these variables when it is imported: make an earlier import see them."""
    import sys

    if "ray" in sys.modules:
        from ray._private import ray_constants
        from ray._raylet import AuthenticationTokenLoader, Config

        ray_constants.ENABLE_RAY_CLUSTER = False  # as RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 says
        Config.initialize("")
        AuthenticationTokenLoader.instance().reset_cache()


class LocalCluster:
    """A head and ``workers`` more nodes; :meth:`add_worker` / :meth:`remove` change it later."""

    def __init__(self, workers: int = 1) -> None:
        self.workers = workers
        self.cluster: Any = None
        self.address = ""
        self.startup_s = 0.0
        self._saved: dict[str, str | None] = {}
        self._temp = ""
        self._count = 0
        self._leaving: list[Any] = []  # nodes being removed (or all, once stopping): their ends are expected

    @property
    def temp(self) -> str:
        """The cluster's temp directory: its sessions' sockets and logs."""
        return self._temp

    def _node_args(self, name: str) -> dict[str, Any]:
        return {
            "num_cpus": 1,
            "num_gpus": GPUS_PER_NODE,
            "object_store_memory": OBJECT_STORE,
            "node_ip_address": "127.0.0.1",
            "node_name": name,
            "include_dashboard": False,
            "temp_dir": self._temp,
        }

    def _setenv(self, **values: str) -> None:
        for key, value in values.items():
            self._saved.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def start(self) -> LocalCluster:
        started = time.perf_counter()
        # a short path: Ray's unix sockets live under it
        self._temp = tempfile.mkdtemp(prefix="ded-ray-", dir="/tmp")
        path = os.environ.get("PYTHONPATH")
        self._setenv(
            RAY_USAGE_STATS_ENABLED="0",
            RAY_AUTH_MODE="token",
            RAY_AUTH_TOKEN=secrets.token_hex(32),
            RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0",
            PYTHONPATH=str(REPO) + (os.pathsep + path if path else ""),
        )
        _reload_settings()
        from ray.cluster_utils import Cluster

        # ray.cluster_utils writes the head's address under /tmp/ray for `address="auto"`
        Path("/tmp/ray").mkdir(exist_ok=True)
        head = {**self._node_args("head"), "gcs_server_port": _free_port()}
        try:
            self.cluster = Cluster(initialize_head=True, head_node_args=head)
            for _ in range(self.workers):
                self.add_worker()
        except BaseException:
            self.stop()
            raise
        self.address = str(self.cluster.address)
        self._setenv(RAY_ADDRESS=self.address)
        self.startup_s = time.perf_counter() - started
        return self

    def add_worker(self) -> Any:
        """One more node (about 4 s); returns its handle for :meth:`remove`."""
        self._count += 1
        node = self.cluster.add_node(**self._node_args(f"worker{self._count}"))
        self.cluster.wait_for_nodes()
        return node

    def remove(self, node: Any, timeout: float = 90.0) -> None:
        """Kill a worker node's processes, as a machine that is lost would; return once Ray
        has marked it dead, so later tests see the cluster they expect."""
        import ray

        node_id = node.node_id
        self._leaving.append(node)
        self.cluster.remove_node(node, allow_graceful=False)
        deadline = time.monotonic() + timeout
        while any(n["NodeID"] == node_id and n["Alive"] for n in ray.nodes()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"Ray still lists removed node {node_id} as alive after {timeout} s")
            time.sleep(0.2)

    def deaths(self) -> dict[int, str]:
        """By pid, each process of a node still in the cluster that has ended, with the end of its log."""
        nodes = [] if self.cluster is None else [self.cluster.head_node, *self.cluster.worker_nodes]
        found = {}
        for node in nodes:
            if node is None or any(node is gone for gone in self._leaving):
                continue
            for kind, infos in list(node.all_processes.items()):
                for info in infos:
                    code = info.process.poll()
                    if code is not None:
                        name, pid = node._ray_params.node_name, info.process.pid
                        logs = _tail(info.stdout_file) + _tail(info.stderr_file)
                        found[pid] = f"{name}'s {kind} (pid {pid}) ended with status {code}{logs}"
        return found

    def watch(self, report: Callable[[str], None], every_s: float = 1.0) -> None:
        """Call ``report`` from a daemon thread as soon as a process of the cluster ends."""
        told: set[int] = set()

        def poll() -> None:
            while self.cluster is not None:  # None once stopped
                for pid, death in self.deaths().items():
                    if pid not in told:
                        told.add(pid)
                        report(death)
                time.sleep(every_s)

        threading.Thread(target=poll, name="ray-test-cluster-watch", daemon=True).start()

    def stop(self) -> None:
        import ray

        if self.cluster is not None:
            self._leaving.extend([self.cluster.head_node, *self.cluster.worker_nodes])
        if ray.is_initialized():
            ray.shutdown()
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.shutdown()
            self.cluster = None
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved.clear()
        if self._temp:
            shutil.rmtree(self._temp, ignore_errors=True)
