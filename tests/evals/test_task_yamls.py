"""Every shipped task YAML loads (lm-eval skips broken YAML silently), and the tasks behave."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from ded_plugins.integrations.lm_eval.hook import task_dir


pytestmark = pytest.mark.eval

TASKS = {"ded_aime24", "ded_aime25", "ded_math500", "ded_gpqa_diamond"}
GROUPS = {"ded_math", "ded_reasoning"}


def _manager(**kwargs: Any) -> Any:
    from lm_eval.tasks import TaskManager

    return TaskManager(include_path=str(task_dir()), include_defaults=False, **kwargs)


def test_every_yaml_and_template_parses_with_functions_resolved() -> None:
    from lm_eval.tasks._yaml_loader import load_yaml

    files = sorted(task_dir().rglob("*.yaml"))
    assert {p.name for p in files} >= {f"{name}.yaml" for name in TASKS | GROUPS}
    for path in files:
        cfg = load_yaml(path, resolve_func=True, recursive=True)
        assert cfg.get("task") or cfg.get("group"), path
    for template in sorted(task_dir().rglob("_*_yaml")):
        cfg = load_yaml(template, resolve_func=True, recursive=True)
        assert callable(cfg["process_results"]) and isinstance(cfg["class"], type), template


def test_index_lists_exactly_our_tasks_and_groups() -> None:
    tm = _manager()
    assert set(tm.all_tasks) >= TASKS | GROUPS
    assert set(tm.all_groups) >= GROUPS
    assert all(name.startswith("ded_") for name in tm.all_tasks)  # never a built-in's name


def test_no_builtin_task_uses_our_prefix() -> None:
    import lm_eval.tasks

    builtin = Path(lm_eval.tasks.__file__).parent
    pattern = re.compile(r"^(?:task|group):\s*['\"]?ded_", re.M)
    clashes = [p for p in builtin.rglob("*.yaml") if pattern.search(p.read_text(errors="replace"))]
    assert clashes == []  # and the hook indexes ours first, so a future clash goes to the built-in


def test_groups_list_our_tasks() -> None:
    from lm_eval.tasks._yaml_loader import load_yaml

    groups = task_dir() / "ded_reasoning"
    assert load_yaml(groups / "ded_math.yaml")["task"] == ["ded_aime24", "ded_aime25", "ded_math500"]
    assert set(load_yaml(groups / "ded_reasoning.yaml")["task"]) >= TASKS


def test_group_loads_all_tasks_with_local_data(local_data: dict[str, Path]) -> None:
    loaded = _manager().load(["ded_math", "ded_gpqa_diamond"])
    assert set(loaded["tasks"]) == TASKS
    aime25 = loaded["tasks"]["ded_aime25"]
    assert aime25.config.repeats == 16
    assert aime25.config.generation_kwargs["temperature"] == 0.6
    assert aime25.config.generation_kwargs["max_gen_toks"] == 32768
    assert aime25.config.generation_kwargs["until"] == []
    assert loaded["tasks"]["ded_math500"].config.repeats == 1
    docs = list(aime25.test_docs())
    assert len(docs) == 30 and docs[0]["answer"] == "70"
    assert "\\boxed{}" in aime25.doc_to_text(docs[0])


def test_k_from_metadata(local_data: dict[str, Path]) -> None:
    task = _manager(metadata={"ded_k": 3}).load(["ded_aime24"])["tasks"]["ded_aime24"]
    assert task.config.repeats == 3
    assert [d["answer"] for d in task.test_docs()][6:8] == ["721", "025"]  # kept as written: "025"


def test_gpqa_options_are_shuffled_deterministically(local_data: dict[str, Path]) -> None:
    task = _manager().load(["ded_gpqa_diamond"])["tasks"]["ded_gpqa_diamond"]
    docs = list(task.test_docs())
    again = list(_manager().load(["ded_gpqa_diamond"])["tasks"]["ded_gpqa_diamond"].test_docs())
    assert docs == again
    for doc in docs:
        assert doc["choices"]["ABCD".index(doc["answer"])].startswith(
            ("The photon", "+6", "The mito", "20 m")
        )
    assert len({d["answer"] for d in docs}) > 1  # the correct option is not always first
    prompt = task.doc_to_text(docs[0])
    assert "A) " in prompt and "D) " in prompt


def test_metrics_of_one_document(local_data: dict[str, Path]) -> None:
    task = _manager().load(["ded_aime25"])["tasks"]["ded_aime25"]
    doc = next(iter(task.test_docs()))  # answer 70
    samples = [
        "<think>long</think> so \\boxed{70}",
        "<think>long</think> so \\boxed{070}",
        "<think>still thinking \\boxed{70}",  # unfinished: no answer
        "<think>long</think> \\boxed{69}",
    ]
    metrics = task.process_results(doc, [samples])
    assert metrics["pass@1"] == 0.5
    assert metrics["think_finished"] == 0.75
    assert metrics["maj@k"] == 1.0
    assert metrics["response_tokens"] > 0
    wrong_majority = task.process_results(
        doc, [["</think>\\boxed{1}", "</think>\\boxed{1}", "</think>\\boxed{70}"]]
    )
    assert wrong_majority["maj@k"] == 0.0 and wrong_majority["pass@1"] == pytest.approx(1 / 3)
    spellings = [f"</think>\\boxed{{{a}}}" for a in ("5", "5", "070", "70", "70")]  # 3 votes for 70, 2 for 5
    assert task.process_results(doc, [spellings])["maj@k"] == 1.0  # "070" and "70" vote together


def test_gpqa_metrics(local_data: dict[str, Path]) -> None:
    task = _manager().load(["ded_gpqa_diamond"])["tasks"]["ded_gpqa_diamond"]
    doc = next(iter(task.test_docs()))
    right, wrong = doc["answer"], "ABCD"[("ABCD".index(doc["answer"]) + 1) % 4]
    metrics = task.process_results(doc, [[f"</think>\\boxed{{{right}}}", f"</think>Answer: {wrong}"]])
    assert metrics["pass@1"] == 0.5


def test_missing_local_file_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from ded_plugins.errors import InputError
    from ded_plugins.integrations.lm_eval.tasks import load_docs

    monkeypatch.setenv("DED_AIME25_PATH", str(tmp_path / "nope.jsonl"))
    with pytest.raises(InputError, match=r"nope\.jsonl"):
        load_docs(ded_data_name="aime25", ded_hub_id="x")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"problem": "1+1", "answer": "2"}\n{oops\n')
    with pytest.raises(InputError, match=r"bad.jsonl:2"):
        load_docs(ded_data_name="aime25", ded_hub_id="x", aime25_path=str(bad))


def test_think_end_token_in_model_args_means_responses_are_answers_only(local_data: dict[str, Path]) -> None:
    task = _manager(metadata={"think_end_token": "</think>"}).load(["ded_aime25"])["tasks"]["ded_aime25"]
    doc = next(iter(task.test_docs()))
    assert task.process_results(doc, [["So the answer is \\boxed{70}."]])["pass@1"] == 1.0
    strict = _manager().load(["ded_aime25"])["tasks"]["ded_aime25"]
    assert strict.process_results(doc, [["So the answer is \\boxed{70}."]])["pass@1"] == 0.0


def test_warns_once_without_chat_template(
    local_data: dict[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    task = _manager().load(["ded_math500"])["tasks"]["ded_math500"]
    docs = list(task.test_docs())[:2]
    with caplog.at_level("WARNING"):
        prompts = [task.fewshot_context(d, num_fewshot=0, apply_chat_template=False) for d in docs]
    assert prompts[0].startswith(docs[0]["problem"])
    assert sum("--apply_chat_template" in r.message for r in caplog.records) == 1


def test_hub_layouts_are_mapped_to_problem_and_answer() -> None:
    import datasets

    from ded_plugins.integrations.lm_eval.tasks import process_math_docs

    capitalised = datasets.Dataset.from_list([{"Problem": "p", "Answer": 25, "ID": "x"}])  # Maxwell-Jia style
    assert list(process_math_docs(capitalised)) == [{"ID": "x", "problem": "p", "answer": "25"}]
    boxed = datasets.Dataset.from_list(
        [{"problem": "q", "solution": "so \\boxed{204}"}]
    )  # math-ai/aime24 style
    assert next(iter(process_math_docs(boxed)))["answer"] == "204"
