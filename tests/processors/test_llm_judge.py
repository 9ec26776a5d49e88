"""``llm_judge`` against a real OpenAI-compatible HTTP server on loopback."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from loopback_openai import LoopbackServer, completion

from ded_plugins.chat import final_answer
from ded_plugins.errors import StageError
from ded_plugins.plugins import get_registry
from ded_plugins.processors.llm_judge import parse_verdict
from ded_plugins.records import Question, Rollout


class _Judge(LoopbackServer):
    """The loopback chat-completions server, replying ``reply(prompt, n)`` (``None`` drops the
    connection); ``n`` counts requests for the same prompt."""

    def __init__(self, reply: Callable[[str, int], str | None]) -> None:
        self.prompts: list[str] = []
        seen: dict[str, int] = {}

        def respond(body: dict[str, Any]) -> dict[str, Any] | None:
            prompt = body["messages"][0]["content"]
            with self.lock:
                self.prompts.append(prompt)
                seen[prompt] = seen.get(prompt, 0) + 1
                n = seen[prompt]
            text = reply(prompt, n)
            return None if text is None else completion(text)

        super().__init__(respond)


@pytest.fixture
def judge_server() -> Iterator[Callable[[Callable[[str, int], str | None]], _Judge]]:
    servers: list[_Judge] = []

    def start(reply: Callable[[str, int], str | None]) -> _Judge:
        servers.append(_Judge(reply))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def _grade(prompt: str, n: int) -> str | None:
    """Correct iff the student's final answer equals the reference; quirks keyed by the question."""
    question = re.search(r"Question:\n(.*)\n\nReference", prompt, re.S).group(1)  # type: ignore[union-attr]
    reference = re.search(r"Reference answer:\n(.*)\n\nStudent", prompt, re.S).group(1)  # type: ignore[union-attr]
    answer = re.search(r"Student's final answer:\n(.*)\n\nDecide", prompt, re.S).group(1)  # type: ignore[union-attr]
    if question == "drop-first" and n == 1:
        return None
    if question == "chatty" and n == 1:
        return "I think it is right."  # no verdict line: asked again
    if question == "never":
        return "VERDICT: MAYBE"
    verdict = "CORRECT" if answer.strip() == reference.strip() else "INCORRECT"
    return f"<think>\nthe verdict is INCORRECT unless...\n</think>\nCompared.\nVERDICT: {verdict}"


def _item(prompt: str, reference: str | None, text: str, domain: str = "science") -> tuple[Question, Rollout]:
    q = Question(id=prompt, domain=domain, prompt=prompt, answer=reference)
    return q, Rollout(question_id=q.id, model="t", sample_index=0, text=text)


def test_verdicts_against_loopback_judge(judge_server: Any) -> None:
    server = judge_server(_grade)
    judge = get_registry().build(
        "processor", "llm_judge", {"base_url": server.base_url, "model": "judge", "backoff_s": 0.01}
    )
    items = [
        _item("ok", "Paris", "<think>\nParis? The answer is Lyon\n</think>\n\nParis"),
        _item("bad", "Paris", "<think>\nmaybe Paris\n</think>\n\nLyon"),
        _item("drop-first", "4", "<think>x</think>4"),
        _item("chatty", "4", "<think>x</think>4"),
        _item("never", "4", "<think>x</think>4"),
        _item("unfinished", "4", "<think>\nstill thinking about 4"),
        _item("no-reference", None, "<think>x</think>4"),
    ]
    verdicts = judge.process(items)
    assert [(v.passed, v.reason) for v in verdicts] == [
        (True, "ok"),
        (False, "wrong"),
        (True, "ok"),  # the dropped connection was retried
        (True, "ok"),  # the unparsable reply was asked again
        (False, "judge_unparsable"),
        (False, "no_final_answer"),
        (True, "not_applicable"),
    ]
    assert verdicts[3].details["attempts"] == 2
    assert verdicts[4].details["attempts"] == 3  # 1 + parse_retries (2)
    # the judge saw only the final answer, never the thinking
    ok_prompt = next(p for p in server.prompts if p.startswith("You are grading") and "\nok\n" in p)
    assert "Lyon" not in ok_prompt
    assert "Student's final answer:\nParis\n" in ok_prompt
    assert not any("unfinished" in p for p in server.prompts)


def test_domains_and_dead_endpoint(judge_server: Any) -> None:
    server = judge_server(lambda prompt, n: None)  # drops everything
    judge = get_registry().build(
        "processor",
        "llm_judge",
        {
            "base_url": server.base_url,
            "model": "judge",
            "domains": ["science"],
            "max_retries": 1,
            "backoff_s": 0.01,
        },
    )
    assert judge.process([_item("m", "4", "<think>x</think>4", domain="math")])[0].reason == "not_applicable"
    with pytest.raises(StageError, match="gave up after 2 attempts"):
        judge.process([_item("s", "4", "<think>x</think>4")])


def test_parsing_is_strict() -> None:
    assert parse_verdict("VERDICT: CORRECT") is True
    assert parse_verdict("reasoning\n**VERDICT: INCORRECT**\n") is False
    assert parse_verdict("VERDICT: CORRECT\nbut actually no") is None
    assert parse_verdict("verdict: correct") is None
    assert parse_verdict("VERDICT: CORRECT or INCORRECT") is None
    assert parse_verdict("") is None
    assert final_answer("<think>a</think> b </think> c") == "c"
    assert final_answer("no tags") is None


def test_a_judge_prompt_file_changed_in_place_reruns_the_stage(tmp_path: Path, judge_server: Any) -> None:
    """``prompt_file`` is a declared input: edit the prompt and the verdicts are asked for again."""
    import json

    import yaml

    from ded_plugins.configs.curate import load_curation_config
    from ded_plugins.engine import run_curation

    # this judge is as lenient as the prompt asks it to be
    server = judge_server(
        lambda prompt, n: "VERDICT: CORRECT" if "Be lenient" in prompt else "VERDICT: INCORRECT"
    )
    prompt = tmp_path / "judge.txt"
    prompt.write_text("Be lenient.\nQ: {question}\nRef: {reference}\nAns: {answer}\n")
    (tmp_path / "q.jsonl").write_text(
        json.dumps({"id": "q", "domain": "science", "prompt": "Why?", "answer": "x"}) + "\n"
    )
    (tmp_path / "r.jsonl").write_text(
        json.dumps({"question_id": "q", "model": "t", "sample_index": 0, "text": "<think>a</think>y"}) + "\n"
    )
    judge = {"base_url": server.base_url, "model": "judge", "prompt_file": "judge.txt", "backoff_s": 0.01}
    config = {
        "run": "r",
        "output_dir": str(tmp_path / "runs"),
        "questions": "q.jsonl",
        "rollouts": ["r.jsonl"],
        "stages": [{"llm_judge": judge}],
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    first = run_curation(load_curation_config(tmp_path / "c.yaml"), progress=False)
    assert first.stages[0]["kept"] == 1
    asked = len(server.prompts)
    prompt.write_text("Be strict.\nQ: {question}\nRef: {reference}\nAns: {answer}\n")  # in place
    second = run_curation(load_curation_config(tmp_path / "c.yaml"), resume=True, progress=False)
    assert "01_llm_judge" in second.ran and len(server.prompts) == asked + 1
    assert second.stages[0]["dropped"] == {"llm_judge.wrong": 1}
    third = run_curation(load_curation_config(tmp_path / "c.yaml"), resume=True, progress=False)
    assert third.ran == () and len(server.prompts) == asked + 1  # unchanged: not asked again


def test_judge_against_transformers_serve(hf_server: Any) -> None:
    """A real server no one here wrote (session fixture): the tiny model answers math, never a
    verdict line, so every reply is asked again, then rejected as judge_unparsable."""

    def posts() -> int:
        return hf_server.log.read_text(errors="replace").count('"POST /v1/chat/completions HTTP/1.1" 200')

    judge = get_registry().build(
        "processor",
        "llm_judge",
        {
            "base_url": hf_server.base_url,
            "model": hf_server.model,
            "api_key_env": None,
            "max_tokens": 48,
            "parse_retries": 1,
            "max_retries": 1,
            "backoff_s": 0.01,
            "concurrency": 1,
        },
    )
    before = posts()
    items = [
        _item("What is 2 + 3?", "5", "<think>\n2 + 3 = 5\n</think>\n\nThe answer is $\\boxed{5}$."),
        _item("What is 4 times 6?", "24", "<think>\n4 * 6 = 24\n</think>\n\n24"),
        _item("unfinished", "4", "<think>\nstill thinking"),
    ]
    verdicts = judge.process(items)
    assert [(v.passed, v.reason) for v in verdicts[:2]] == [(False, "judge_unparsable")] * 2
    for v in verdicts[:2]:
        assert v.details["attempts"] == 2 and v.details["judge"] == hf_server.model
        assert v.details["last_reply"].strip()  # what the model said, kept for the report
        assert parse_verdict(v.details["last_reply"]) is None
    assert verdicts[2].reason == "no_final_answer"
    deadline = time.monotonic() + 10
    while posts() - before < 4 and time.monotonic() < deadline:  # the access log may lag a little
        time.sleep(0.1)
    assert posts() - before == 4  # 2 judged items x (1 + parse_retries); none for the unfinished one
