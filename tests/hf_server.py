"""A real OpenAI-compatible server no one here wrote: Hugging Face ``transformers serve`` on loopback.

It serves a tiny local model taught the demo's reasoning style (``<think>`` ... ``</think>``
then a boxed answer), so replies look like a reasoning model's. Started once per session
by the ``hf_server`` fixture (tests/conftest.py) and stopped by pid when the session ends.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx


BIN = Path(sys.executable).parent


@dataclass
class HFServer:
    model: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path
    startup_s: float = 0.0
    stopped: bool = field(default=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout_s: float = 20.0) -> None:
        """SIGTERM by pid (uvicorn shuts down cleanly), SIGKILL if it lingers."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout_s)
        self.stopped = True


def teach_reasoning_model(out_dir: Path) -> Path:
    """A tiny Qwen2 taught (seconds, CPU) to answer the demo's math questions in its thinking style.

    In a subprocess with one OpenMP thread: in a busy test process the same loop took minutes.
    """
    code = (
        "import sys; from pathlib import Path\n"
        "from ded_plugins.demo.models import teach\n"
        "from ded_plugins.demo.pool import math_problems, trajectory\n"
        "ps = math_problems()\n"
        "corpus = [p.user_prompt for p in ps] + [trajectory('teacher_a', p) for p in ps]\n"
        "teach(Path(sys.argv[1]), style='teacher_a', problems=ps, corpus=corpus,\n"
        "      seed=1, steps=80, hidden_size=64)\n"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error"}
    subprocess.run([sys.executable, "-c", code, str(out_dir)], env=env, check=True, capture_output=True)
    return out_dir


def _die_with_parent() -> None:
    """Linux: SIGTERM the server when the test process dies without its teardown (killed, crashed)."""
    import ctypes

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(model_dir: Path, log: Path, *, timeout_s: float = 180.0) -> HFServer:
    """``transformers serve MODEL`` on a free loopback port; returns once ``/health`` answers."""
    port = _free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "TRANSFORMERS_VERBOSITY": "warning"}
    cmd = [
        str(BIN / "transformers"), "serve", str(model_dir),
        "--host", "127.0.0.1", "--port", str(port), "--device", "cpu", "--log-level", "info",
    ]  # fmt: skip
    started = time.monotonic()
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, preexec_fn=_die_with_parent
        )
    server = HFServer(model=str(model_dir), port=port, proc=proc, log=log)
    deadline = started + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"transformers serve exited with {proc.returncode}:\n{server.log_tail()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2.0).status_code == 200:
                server.startup_s = time.monotonic() - started
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(
        f"transformers serve did not answer /health within {timeout_s:.0f} s:\n{server.log_tail()}"
    )
