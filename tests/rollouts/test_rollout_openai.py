"""The openai backend against a real HTTP server on loopback: retries, a dropped server, resume."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from loopback_openai import LoopbackServer, Responder, completion

from ded_plugins.errors import StageError
from ded_plugins.io import read_rollouts
from ded_plugins.rollouts.runner import run_rollouts


@pytest.fixture
def loopback() -> Iterator[Callable[[Responder], LoopbackServer]]:
    servers: list[LoopbackServer] = []

    def start(responder: Responder) -> LoopbackServer:
        servers.append(LoopbackServer(responder))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


N_QUESTIONS = 6
SAMPLES = 3


def _write_questions(path: Path) -> Path:
    with path.open("w") as fh:
        for i in range(N_QUESTIONS):
            fh.write(
                json.dumps(
                    {"id": f"q{i}", "domain": "math", "prompt": f"What is {i} + {i}?", "answer": str(2 * i)}
                )
                + "\n"
            )
    return path


def _answer(body: dict[str, Any]) -> dict[str, Any]:
    prompt = body["messages"][0]["content"]
    return completion(
        f"The answer to {prompt!r} is \\boxed{{x}} (seed {body['seed']})", reasoning="Let me think."
    )


def _config(tmp_path: Path, base_url: str, **backend: Any) -> dict[str, Any]:
    return {
        "output": str(tmp_path / "out" / "rollouts.jsonl"),
        "model": "teacher-a",
        "samples": SAMPLES,
        "seed": 7,
        "questions": str(_write_questions(tmp_path / "questions.jsonl")),
        "sampling": {"temperature": 0.6, "top_p": 0.95, "max_tokens": 32768},
        "backend": {"openai": {"base_url": base_url, "model": "served-teacher", "concurrency": 4, **backend}},
        "flush_every": 2,
    }


def _keys(path: Path) -> list[tuple[str, int]]:
    return [(r.question_id, r.sample_index) for _, r in read_rollouts(path)]


def test_all_samples_written_with_metadata(tmp_path: Path, loopback: Any) -> None:
    server = loopback(_answer)
    summary = run_rollouts(_config(tmp_path, server.base_url), progress=False)
    assert (summary.generated, summary.total) == (N_QUESTIONS * SAMPLES, N_QUESTIONS * SAMPLES)
    rollouts = [r for _, r in read_rollouts(summary.output)]
    assert sorted(_keys(summary.output)) == sorted(
        (f"q{i}", s) for i in range(N_QUESTIONS) for s in range(SAMPLES)
    )
    r = rollouts[0]
    assert r.text.startswith("<think>\nLet me think.\n</think>\n\nThe answer to")
    assert (r.n_tokens, r.finish_reason, r.model) == (7, "stop", "teacher-a")
    assert r.metadata["sampling"] == {"temperature": 0.6, "top_p": 0.95, "max_tokens": 32768}
    assert f"(seed {r.metadata['seed']})" in r.text  # the seed sent is the seed recorded
    sent = server.requests[0]
    assert (sent["model"], sent["max_tokens"], sent["n"]) == ("served-teacher", 32768, 1)
    # distinct seeds per sample, and the same seeds again on a fresh run
    assert len({r.metadata["seed"] for r in rollouts}) == len(rollouts)
    again = run_rollouts(
        _config(tmp_path, server.base_url) | {"output": str(tmp_path / "again.jsonl")}, progress=False
    )
    assert {(r.question_id, r.sample_index): r.metadata["seed"] for _, r in read_rollouts(again.output)} == {
        (r.question_id, r.sample_index): r.metadata["seed"] for r in rollouts
    }


def test_dropped_connection_is_retried(tmp_path: Path, loopback: Any) -> None:
    dropped = threading.Event()

    def flaky(body: dict[str, Any]) -> dict[str, Any] | None:
        if not dropped.is_set():
            dropped.set()
            return None
        return _answer(body)

    server = loopback(flaky)
    summary = run_rollouts(_config(tmp_path, server.base_url, backoff_s=0.01), progress=False)
    assert summary.generated == N_QUESTIONS * SAMPLES
    assert len(server.requests) == N_QUESTIONS * SAMPLES + 1
    assert len(set(_keys(summary.output))) == N_QUESTIONS * SAMPLES


def test_server_dies_mid_run_then_resume_loses_and_duplicates_nothing(tmp_path: Path, loopback: Any) -> None:
    served = 0
    healthy = True
    lock = threading.Lock()

    def dies_after_seven(body: dict[str, Any]) -> dict[str, Any] | None:
        nonlocal served
        with lock:
            if not healthy or served >= 7:
                return None  # every connection from now on is dropped
            served += 1
        return _answer(body)

    server = loopback(dies_after_seven)
    config = _config(tmp_path, server.base_url, max_retries=1, backoff_s=0.01)
    with pytest.raises(StageError, match="gave up after 2 attempts"):
        run_rollouts(config, progress=False)
    out = Path(config["output"])
    first = out.read_bytes()
    assert len(_keys(out)) == 7  # every answered request was kept
    # a crash can also tear the last line; the resume must repair it
    with out.open("ab") as fh:
        fh.write(b'{"question_id": "q5", "model": "teacher-a", "sampl')

    healthy, served = True, -(10**9)  # the server is back
    summary = run_rollouts(config, progress=False)
    assert (summary.existing, summary.generated) == (7, N_QUESTIONS * SAMPLES - 7)
    keys = _keys(out)
    assert len(keys) == len(set(keys)) == N_QUESTIONS * SAMPLES
    assert out.read_bytes().startswith(first)  # nothing written before was touched
    # a third run has nothing to do and sends nothing
    before = len(server.requests)
    assert run_rollouts(config, progress=False).generated == 0
    assert len(server.requests) == before


def test_non_retryable_status_fails_at_once(tmp_path: Path, loopback: Any) -> None:
    server = loopback(lambda body: {"_status": 400, "error": {"message": "bad model"}})
    with pytest.raises(StageError, match="HTTP 400"):
        run_rollouts(_config(tmp_path, server.base_url, backoff_s=0.01), progress=False)
    assert len(server.requests) >= 1
    assert all(r.get("n") == 1 for r in server.requests)


def test_resume_refuses_other_sampling_and_bad_backend_params(tmp_path: Path, loopback: Any) -> None:
    from ded_plugins.errors import ConfigError, InputError

    server = loopback(_answer)
    config = _config(tmp_path, server.base_url)
    run_rollouts(config, progress=False)
    before = Path(config["output"]).read_bytes()
    hotter = {**config, "samples": SAMPLES + 1, "sampling": {**config["sampling"], "temperature": 1.0}}
    with pytest.raises(InputError, match=r"rollouts.jsonl:1: field 'metadata.sampling': was sampled with"):
        run_rollouts(hotter, progress=False)
    bad = {**config, "backend": {"openai": {"base_url": server.base_url, "model": "m", "concurency": 2}}}
    with pytest.raises(ConfigError, match="unknown parameter 'concurency' for rollout_backend 'openai'"):
        run_rollouts(bad, progress=False)
    assert Path(config["output"]).read_bytes() == before


def test_sigkill_mid_run_then_resume(tmp_path: Path, loopback: Any) -> None:
    """The real CLI in a subprocess, killed with SIGKILL while requests are in flight."""
    import os
    import signal
    import subprocess
    import sys
    import time

    import yaml

    def slow(body: dict[str, Any]) -> dict[str, Any]:
        time.sleep(0.05)
        return _answer(body)

    server = loopback(slow)
    config = _config(tmp_path, server.base_url, concurrency=2) | {"samples": 10, "flush_every": 1}
    (tmp_path / "rollout.yaml").write_text(yaml.safe_dump(config))
    out = Path(config["output"])
    cmd = [
        sys.executable,
        "-c",
        "from ded_plugins.cli import main; main()",
        "rollout",
        str(tmp_path / "rollout.yaml"),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not out.exists() or out.read_bytes().count(b"\n") < 8):
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    killed_at = out.read_bytes().count(b"\n")  # complete lines; a torn tail is repaired on resume
    assert 8 <= killed_at < N_QUESTIONS * 10  # it really died mid-run
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert f"({killed_at} already present, {N_QUESTIONS * 10 - killed_at} generated)" in done.stdout
    keys = _keys(out)
    assert len(keys) == len(set(keys)) == N_QUESTIONS * 10


def test_models_share_a_file_keyed_by_question_model_and_index(tmp_path: Path, loopback: Any) -> None:
    from ded_plugins.errors import InputError

    server = loopback(_answer)
    config = _config(tmp_path, server.base_url)
    run_rollouts(config, progress=False)
    other = run_rollouts({**config, "model": "teacher-b"}, progress=False)
    assert (other.existing, other.generated) == (0, N_QUESTIONS * SAMPLES)
    rollouts = [r for _, r in read_rollouts(Path(config["output"]))]
    assert len({r.id for r in rollouts}) == len(rollouts) == 2 * N_QUESTIONS * SAMPLES
    assert run_rollouts(config, progress=False).generated == 0
    out = Path(config["output"])
    out.write_text(out.read_text() + out.read_text().splitlines(keepends=True)[0])
    with pytest.raises(InputError, match=r"rollouts\.jsonl:37: duplicate rollout q\d/teacher-a/\d"):
        run_rollouts(config, progress=False)


def test_assemble_text_restores_the_think_block() -> None:
    from ded_plugins.rollouts.openai_backend import assemble_text
    from ded_plugins.rollouts.openai_client import ChatResult

    def result(content: str, reasoning: str | None = None) -> ChatResult:
        return ChatResult(content=content, reasoning=reasoning, finish_reason="stop", completion_tokens=3)

    # a server-side reasoning parser split the thinking off
    assert assemble_text(result("\n\nAnswer 4.", "\nThink.\n")) == "<think>\nThink.\n</think>\n\nAnswer 4."
    # the template opened <think> in the prompt: only the closing tag came back
    assert (
        assemble_text(result("\nThink.\n</think>\n\nAnswer 4.")) == "<think>\nThink.\n</think>\n\nAnswer 4."
    )
    # complete, or no thinking at all: unchanged
    assert assemble_text(result("<think>a</think>b")) == "<think>a</think>b"
    assert assemble_text(result("just an answer")) == "just an answer"


def test_concurrency_limit_is_kept(tmp_path: Path, loopback: Any) -> None:
    import time

    lock = threading.Lock()
    active = peak = 0

    def slow(body: dict[str, Any]) -> dict[str, Any]:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.05)
        with lock:
            active -= 1
        return _answer(body)

    server = loopback(slow)
    run_rollouts(_config(tmp_path, server.base_url, concurrency=3), progress=False)
    assert 1 < peak <= 3  # requests overlap, and never more than the limit


def test_client_evens_out_server_differences(tmp_path: Path, loopback: Any) -> None:
    import asyncio

    from ded_plugins.rollouts.openai_client import EndpointError, OpenAICompatClient

    def reply(body: dict[str, Any]) -> dict[str, Any]:
        if body["messages"][0]["content"] == "fastapi":
            return {"_status": 422, "detail": "Unexpected fields in the request: {'top_k'}"}
        if body["messages"][0]["content"] == "openai":
            return {"_status": 400, "error": {"message": "model not found", "type": "invalid_request_error"}}
        return completion("thinking</think> answer STOP and more")  # the stop string left in

    server = loopback(reply)

    async def ask(text: str, **params: Any) -> str:
        async with OpenAICompatClient(base_url=server.base_url, model="m", max_retries=0) as client:
            return (await client.chat([{"role": "user", "content": text}], **params)).content

    assert asyncio.run(ask("x", stop=["STOP", "never"])) == "thinking</think> answer "
    assert asyncio.run(ask("x", stop="</think>")) == "thinking"
    assert asyncio.run(ask("x", stop=[])) == "thinking</think> answer STOP and more"
    assert "stop" not in server.requests[-1]  # an empty list is not sent
    assert server.requests[0]["stop"] == ["STOP", "never"]
    with pytest.raises(EndpointError, match=r"HTTP 422: Unexpected fields in the request: \{'top_k'\}$"):
        asyncio.run(ask("fastapi"))
    with pytest.raises(EndpointError, match=r"HTTP 400: model not found$"):
        asyncio.run(ask("openai"))


def test_not_sampling_is_warned(caplog: pytest.LogCaptureFixture) -> None:
    from ded_plugins.rollouts.openai_backend import warn_if_not_sampling

    with caplog.at_level("WARNING"):
        assert warn_if_not_sampling({"q1": ["a", "a"], "q2": ["b", "b"]}, 0.6, "url")
        assert not warn_if_not_sampling({"q1": ["a", "a"], "q2": ["b", "c"]}, 0.6, "url")
        assert not warn_if_not_sampling({"q1": ["a", "a"]}, 0.0, "url")  # greedy on purpose
        assert not warn_if_not_sampling({"q1": ["a"]}, 0.6, "url")  # one sample says nothing
    assert sum("not sampling" in r.message for r in caplog.records) == 1


# --- against a server no one here wrote: Hugging Face `transformers serve` (session fixture) ---------


def _served_config(tmp_path: Path, server: Any, name: str, **over: Any) -> dict[str, Any]:
    from ded_plugins.demo.pool import math_problems

    questions = tmp_path / "served_questions.jsonl"
    with questions.open("w") as fh:
        for p in math_problems()[:3]:
            fh.write(
                json.dumps({"id": p.id, "domain": "math", "prompt": p.user_prompt, "answer": str(p.answer)})
            )
            fh.write("\n")
    backend = {
        "base_url": server.base_url,
        "model": server.model,
        "api_key_env": None,
        # transformers serve samples only when asked through its own field (README), and seeds
        # the global torch generator per request, so seeds reproduce one request at a time
        "extra_body": {"generation_config": json.dumps({"do_sample": True})},
        "concurrency": 1,
        "max_retries": 1,
        "backoff_s": 0.01,
    }
    return {
        "output": str(tmp_path / name),
        "model": "tiny-served",
        "samples": 2,
        "seed": 3,
        "questions": str(questions),
        "sampling": {"temperature": 0.8, "top_p": 0.95, "max_tokens": 64},
        "backend": {"openai": {**backend, **over.pop("backend", {})}},
        **over,
    }


def test_rollouts_from_transformers_serve_are_complete_resumable_and_seeded(
    tmp_path: Path, hf_server: Any
) -> None:
    config = _served_config(tmp_path, hf_server, "rollouts.jsonl")
    first = run_rollouts(config, progress=False)
    assert (first.generated, first.total) == (6, 6)
    rollouts = [r for _, r in read_rollouts(first.output)]
    assert sorted((r.question_id, r.sample_index) for r in rollouts) == sorted(
        (q, i) for q in {r.question_id for r in rollouts} for i in range(2)
    )
    for r in rollouts:
        assert r.n_tokens is not None and 0 < r.n_tokens <= 64
        assert r.finish_reason in ("stop", "length")
        assert r.metadata["sampling"] == {"temperature": 0.8, "top_p": 0.95, "max_tokens": 64}
        # the chat template opened <think> in the prompt; the reply closes it: the record has both
        assert r.text.startswith("<think>\n") and "</think>" in r.text, r.text
    assert any(r.finish_reason == "stop" for r in rollouts)  # the taught model ends its answers
    assert len({r.text for r in rollouts}) > 3  # really sampled: other seeds, other texts
    # resumable: one more sample per question generates only those
    more = run_rollouts({**config, "samples": 3}, progress=False)
    assert (more.existing, more.generated) == (6, 3)
    keys = _keys(Path(config["output"]))
    assert len(keys) == len(set(keys)) == 9
    # seeded: the same config into a fresh file gives the same texts
    again = run_rollouts({**config, "output": str(tmp_path / "again.jsonl")}, progress=False)
    assert again.generated == 6
    texts = {(r.question_id, r.sample_index): r.text for _, r in read_rollouts(again.output)}
    assert texts == {(r.question_id, r.sample_index): r.text for r in rollouts}


def test_transformers_serve_departures_are_handled(
    tmp_path: Path, hf_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from ded_plugins.errors import StageError

    # without its generation_config the server decodes greedily whatever the temperature: warned
    greedy = _served_config(tmp_path, hf_server, "greedy.jsonl", backend={"extra_body": {}})
    with caplog.at_level("WARNING", logger="ded_plugins.rollouts.openai_backend"):
        run_rollouts(greedy, progress=False)
    assert any("the server is not sampling" in r.message for r in caplog.records)
    # the stop string is cut off as OpenAI does (the server leaves it in); an empty stop list,
    # which the server answers with HTTP 500, is not sent
    for stop, name in ((["</think>"], "stopped.jsonl"), ([], "nostop.jsonl")):
        cfg = _served_config(tmp_path, hf_server, name)
        cfg["sampling"] = {**cfg["sampling"], "extra": {"stop": stop}}
        run_rollouts(cfg, progress=False)
        texts = [r.text for _, r in read_rollouts(Path(cfg["output"]))]
        assert all(("</think>" in t) == (not stop) for t in texts), texts
    # its error bodies ({"detail": ...}) are read: a wrong model name fails at once, saying why
    wrong = _served_config(tmp_path, hf_server, "wrong.jsonl", backend={"model": "someone/else"})
    with pytest.raises(StageError, match=r"HTTP 400: Server is pinned to"):
        run_rollouts(wrong, progress=False)
    odd = _served_config(tmp_path, hf_server, "odd.jsonl")
    odd["sampling"] = {**odd["sampling"], "extra": {"min_p": 0.05}}  # a vLLM extra it does not know
    with pytest.raises(StageError, match=r"HTTP 422: Unexpected fields in the request: \{'min_p'\}"):
        run_rollouts(odd, progress=False)
