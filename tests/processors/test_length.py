"""The length processor counts exactly what LLaMA-Factory's supervised preprocessing produces."""

from __future__ import annotations

from pathlib import Path

import pytest

from ded_plugins.errors import ConfigError
from ded_plugins.exporters.llamafactory import LlamaFactoryExporter
from ded_plugins.plugins import get_registry
from ded_plugins.processors.length import LengthFilter
from ded_plugins.protocols import StageContext
from ded_plugins.records import Question, Rollout
from ded_plugins.registry import Registry


QUESTIONS = {
    "q1": Question(id="q1", domain="math", prompt="What is 3 + 4? Put the answer in \\boxed{}.", answer="7"),
    "q2": Question(id="q2", domain="code", prompt="Read n and print 2n.\n\nExample: 3 -> 6"),
}
TEXTS = [
    ("q1", "<think>\nWe compute 3 + 4 = 7.\n</think>\n\nThe answer is \\boxed{7}."),
    ("q1", "Let me think step by step. 3 + 4 = 7\n</think>\n\n\\boxed{7}"),  # opened by the prompt
    ("q2", "def solve():\n    n = int(input())\n    print(n * 2)\n"),  # no think block: template adds one
    (
        "q2",
        "<think>\n"
        + "factor the polynomial then check each root " * 40
        + "\n</think>\n\nprint(2*int(input()))",
    ),
]
ROLLOUTS = [Rollout(question_id=q, model="t", sample_index=i, text=t) for i, (q, t) in enumerate(TEXTS)]


@pytest.mark.parametrize("system", [None, "You are a careful reasoner."])
def test_count_equals_llamafactory_supervised_preprocessing(
    tmp_path: Path, tiny_model: Path, system: str | None
) -> None:
    from llamafactory.train.test_utils import load_dataset_module

    verdicts = LengthFilter(tokenizer=str(tiny_model), system=system).process(
        [(QUESTIONS[r.question_id], r) for r in ROLLOUTS]
    )
    LlamaFactoryExporter(dataset_dir=str(tmp_path), dataset_name="d", system=system).export(
        ROLLOUTS, StageContext(stage="x", questions=QUESTIONS, registry=Registry()), tmp_path
    )
    module = load_dataset_module(
        model_name_or_path=str(tiny_model),
        stage="sft",
        do_train=True,
        finetuning_type="full",
        dataset="d",
        dataset_dir=str(tmp_path),
        template="deepseekr1",
        cutoff_len=100_000,  # large enough that LLaMA-Factory truncates nothing
        output_dir=str(tmp_path / "out"),
        overwrite_cache=True,
        report_to="none",
    )
    lf_lengths = [len(ex["input_ids"]) for ex in module["train_dataset"]]
    ours = [v.details["n_tokens"] for v in verdicts]
    assert ours == lf_lengths
    assert len(set(ours)) == len(ours)  # the rows really differ, so the comparison means something


def test_drops_above_max_tokens_and_keeps_at_the_limit(tiny_model: Path) -> None:
    items = [(QUESTIONS[r.question_id], r) for r in ROLLOUTS]
    counts = [v.details["n_tokens"] for v in LengthFilter(tokenizer=str(tiny_model)).process(items)]
    limit = sorted(counts)[1]
    verdicts = LengthFilter(tokenizer=str(tiny_model), max_tokens=limit).process(items)
    for count, verdict in zip(counts, verdicts, strict=True):
        assert verdict.passed is (count <= limit)
        assert verdict.reason == ("ok" if count <= limit else "too_long")
        assert verdict.details == {"n_tokens": count, "max_tokens": limit}
    assert sum(not v.passed for v in verdicts) == 2


def test_default_max_tokens_is_the_papers_16k(tiny_model: Path) -> None:
    assert LengthFilter(tokenizer=str(tiny_model)).max_tokens == 16384


def test_registered_with_its_parameters() -> None:
    registry = get_registry()
    component = registry.get("processor", "length")
    names = [p.name for p in component.parameters()]
    assert names[:3] == ["tokenizer", "template", "max_tokens"]
    assert registry.check_params(component, {}, where="stages[0]") == [
        "stages[0]: processor 'length' needs parameter 'tokenizer'"
    ]


def test_bad_template_and_tokenizer_are_config_errors(tmp_path: Path, tiny_model: Path) -> None:
    item = [(QUESTIONS["q1"], ROLLOUTS[0])]
    with pytest.raises(ConfigError, match="no template 'nosuch'"):
        LengthFilter(tokenizer=str(tiny_model), template="nosuch").process(item)
    with pytest.raises(ConfigError, match="cannot load tokenizer"):
        LengthFilter(tokenizer=str(tmp_path / "empty")).process(item)
    with pytest.raises(ConfigError, match="must be positive"):
        LengthFilter(tokenizer="x", max_tokens=0)


def test_a_tokenizer_changed_in_place_reruns_length_on_resume(tmp_path: Path, tiny_model: Path) -> None:
    """The tokenizer directory is a declared input: new files in it mean new counts, never stale ones."""
    import json
    import shutil

    import yaml

    from ded_plugins.configs.curate import load_curation_config
    from ded_plugins.engine import run_curation
    from ded_plugins.tiny import build_tiny_tokenizer

    tok = tmp_path / "tokenizer"
    shutil.copytree(tiny_model, tok)
    long = "<think>\n" + "factor the polynomial then check each root " * 40 + "\n</think>\n\n\\boxed{7}"
    (tmp_path / "q.jsonl").write_text(json.dumps({"id": "q1", "domain": "math", "prompt": "3 + 4?"}) + "\n")
    (tmp_path / "r.jsonl").write_text(
        json.dumps({"question_id": "q1", "model": "t", "sample_index": 0, "text": long}) + "\n"
    )
    config = {
        "run": "r",
        "output_dir": str(tmp_path / "runs"),
        "questions": "q.jsonl",
        "rollouts": ["r.jsonl"],
        "stages": [{"length": {"tokenizer": "tokenizer", "max_tokens": 100_000}}],
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))

    def counted(resume: bool) -> tuple[int, tuple[str, ...]]:
        result = run_curation(load_curation_config(tmp_path / "c.yaml"), resume=resume, progress=False)
        (row,) = [
            json.loads(x) for x in (result.run_dir / "01_length" / "kept.jsonl").read_text().splitlines()
        ]
        return int(row["verdicts"]["length"]["details"]["n_tokens"]), result.ran

    before, _ = counted(resume=False)
    # a tokenizer that has learnt the trace's words: far fewer tokens for the same text
    build_tiny_tokenizer(tmp_path / "other", corpus=[long] * 50)
    for f in ("tokenizer.json", "vocab.json", "merges.txt"):
        if (tmp_path / "other" / f).is_file():
            shutil.copyfile(tmp_path / "other" / f, tok / f)  # in place: same directory, same names
    after, ran = counted(resume=True)
    assert "01_length" in ran
    assert after < before
    assert counted(resume=True)[1] == ()  # unchanged since: reused
