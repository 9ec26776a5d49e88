"""A Ray cluster as DED's steps see it: connect once, list the live nodes, check shared paths.

Shared by the Ray executor (``ded curate``), rollouts on Ray and the teacher smoke test on
Ray. :func:`connect` first checks that the address answers (an unreachable cluster is one
clear :class:`~ded_plugins.errors.ClusterError` at once, not a minute of retries inside
Ray), then joins it; a process that is connected already keeps its connection.
:func:`alive_nodes` labels each node by its host name, made unique where several nodes
share a host (a test cluster on one machine). :func:`check_shared_paths` asks every node
whether it sees a run's files: DED's units read and write files by absolute path, so the
run directory and the inputs must be on a filesystem every node mounts at the same path.
:func:`task_error` is what each of them raises for a task that raised: the
:class:`~ded_plugins.errors.DedError` it carries, or a :class:`~ded_plugins.errors.StageError`.
"""

from __future__ import annotations

import logging
import os
import socket
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from ded_plugins._optional import require
from ded_plugins.errors import ClusterError, DedError, StageError


__all__ = [
    "Node",
    "alive_nodes",
    "cancel_unfinished",
    "check_shared_paths",
    "connect",
    "disconnect",
    "node_strategy",
    "ray_module",
    "task_error",
]

log = logging.getLogger(__name__)

#: seconds to wait for the cluster's address to accept a connection
CONNECT_TIMEOUT_S = 5.0


def ray_module(purpose: str) -> ModuleType:
    """``ray``, or an error that names the extra: ``pip install 'ded-plugins[ray]'``."""
    return require("ray", "ray", purpose=purpose)


@dataclass(frozen=True, kw_only=True)
class Node:
    """One live node: its Ray id, a readable unique label, and its resources."""

    node_id: str
    label: str
    hostname: str
    address: str
    resources: Mapping[str, float] = field(default_factory=dict)

    @property
    def cpus(self) -> float:
        return float(self.resources.get("CPU", 0.0))

    @property
    def gpus(self) -> float:
        return float(self.resources.get("GPU", 0.0))


def _endpoint(address: str) -> tuple[str, int] | None:
    """``(host, port)`` to probe, or None where Ray finds the cluster itself (``auto``)."""
    if address == "auto":
        address = os.environ.get("RAY_ADDRESS", "auto")
    if address in ("auto", ""):
        return None
    bare = address.removeprefix("ray://")
    host, sep, port = bare.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ClusterError(f"Ray address {address!r}: expected HOST:PORT, ray://HOST:PORT or auto")
    return host.strip("[]"), int(port)


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S):
            return True
    except OSError:
        return False


def connect(
    address: str = "auto", *, namespace: str = "ded", purpose: str = "running on a Ray cluster"
) -> bool:
    """Join the cluster at ``address``; True when this call connected (so it should disconnect)."""
    ray = ray_module(purpose)
    if ray.is_initialized():
        return False
    endpoint = _endpoint(address)
    if endpoint is not None and not _answers(*endpoint):
        raise ClusterError(
            f"no Ray cluster answers at {endpoint[0]}:{endpoint[1]} (address {address!r}); start one "
            "with `ray start --head` on the head node and name it with --address or RAY_ADDRESS"
        )
    try:
        ray.init(
            address=address,
            namespace=namespace,
            logging_level=logging.WARNING,
            log_to_driver=False,
        )
    except ray.exceptions.AuthenticationError as exc:
        raise ClusterError(
            f"the Ray cluster at {address!r} refused this process's token: {exc}. Give every process "
            "the cluster's token (RAY_AUTH_TOKEN, or copy ~/.ray/auth_token from the head node)"
        ) from None
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ClusterError(
            f"cannot join a Ray cluster at {address!r}: {exc} Start one with `ray start --head` and "
            "name it with --address or RAY_ADDRESS"
        ) from None
    return True


def task_error(exc: BaseException, what: str) -> Exception:
    """The error to raise for a task that raised (a ``RayTaskError``): the :class:`DedError` it
    carries, as the task raised it, or a :class:`StageError` ``"<what>: <cause>"``."""
    cause = getattr(exc, "cause", None)
    if isinstance(cause, DedError):
        return cause
    return StageError(f"{what}: {cause or exc!r}")


def cancel_unfinished(refs: Iterable[Any], *, force: bool = True) -> None:
    """Cancel those of ``refs`` whose result is not there yet; leave the others alone.

    A task must not be cancelled once its result can be read. The owner stores a task's
    return value (which wakes ``ray.get``) a moment before it marks the task finished; a
    task cancelled in between makes Ray 2.60 abort the driver (the failed check "Tried to
    complete task that was not pending", exit status 1, nothing on the console). Seen on a
    loaded 2-core machine in ``ded teacher`` on Ray, which cancelled every job right after
    reading every result.
    """
    refs = list(refs)
    if not refs:
        return
    ray = ray_module("cancelling Ray tasks")
    _, unfinished = ray.wait(refs, num_returns=len(refs), timeout=0, fetch_local=False)
    for ref in unfinished:
        ray.cancel(ref, force=force)


def disconnect(owned: bool) -> None:
    """Leave the cluster if :func:`connect` joined it."""
    if owned:
        ray = ray_module("leaving the Ray cluster")
        if ray.is_initialized():
            ray.shutdown()


def alive_nodes() -> list[Node]:
    """The cluster's live nodes, in a stable order, each with a unique readable label."""
    ray = ray_module("listing the cluster's nodes")
    raw = [n for n in ray.nodes() if n.get("Alive")]
    hosts = Counter(str(n.get("NodeManagerHostname", "")) for n in raw)
    names = Counter(str(n.get("NodeName", "")) for n in raw)
    nodes = []
    for n in raw:
        host, name, node_id = str(n.get("NodeManagerHostname", "")), str(n.get("NodeName", "")), n["NodeID"]
        if hosts[host] == 1:
            label = host
        elif name and names[name] == 1 and name != host:
            label = f"{host}:{name}"
        else:
            label = f"{host}:{node_id[:8]}"
        nodes.append(
            Node(
                node_id=node_id,
                label=label,
                hostname=host,
                address=str(n.get("NodeManagerAddress", "")),
                resources={str(k): float(v) for k, v in dict(n.get("Resources", {})).items()},
            )
        )
    return sorted(nodes, key=lambda node: node.label)


def node_strategy(node_id: str, *, soft: bool = False) -> Any:
    """A scheduling strategy that pins a task or actor to one node."""
    ray = ray_module("pinning work to a node")
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    del ray
    return NodeAffinitySchedulingStrategy(node_id=node_id, soft=soft)


def _missing(paths: Sequence[str], writable: Sequence[str]) -> list[str]:
    """Runs on a node: what it cannot see (or cannot write)."""
    out = [p for p in paths if not os.path.exists(p)]
    out += [f"{d} (not writable)" for d in writable if not os.access(d, os.W_OK)]
    return out


def check_shared_paths(
    nodes: Sequence[Node], paths: Sequence[str], writable: Sequence[str] = ()
) -> list[Node]:
    """The nodes that answered; raise :class:`ClusterError` naming every node that cannot see
    ``paths`` (or write ``writable``). A node that dies before it answers is left out."""
    ray = ray_module("checking the nodes' shared filesystem")
    probe = ray.remote(num_cpus=0, max_retries=0)(_missing)
    refs = [
        probe.options(scheduling_strategy=node_strategy(n.node_id)).remote(paths, writable) for n in nodes
    ]
    answered: list[Node] = []
    problems: list[str] = []
    for n, ref in zip(nodes, refs, strict=True):
        try:
            missing = ray.get(ref, timeout=120)
        except ray.exceptions.GetTimeoutError:
            raise ClusterError(f"node {n.label} did not answer a file check within 120 s") from None
        except ray.exceptions.RayError as exc:  # the node went away since it was listed
            log.warning("node %s is gone: %s", n.label, type(exc).__name__)
            continue
        answered.append(n)
        if missing:
            problems.append(f"{n.label}: {', '.join(missing[:3])}")
    if problems:
        raise ClusterError(
            "every node must see the run's files at the same path (a shared filesystem: NFS, Lustre, "
            "a mounted bucket); these nodes do not:\n  " + "\n  ".join(problems)
        )
    if not answered:
        raise ClusterError("no node of the Ray cluster answered a file check")
    return answered
