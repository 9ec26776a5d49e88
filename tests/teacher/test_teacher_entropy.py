"""token_entropy against a direct log-softmax computation; PCA shift on known geometry."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from ded_plugins.teacher import token_entropy
from ded_plugins.teacher.entropy import entropy_summary, scored_ids
from ded_plugins.teacher.pca_shift import layer_features, pca_shift


PROMPTS = ["What is 3 + 4?", "Factor x^2 - 1.", "Say hi."]
RESPONSES = [
    "<think>\nWe compute 3 + 4 = 7.\n</think>\n\nThe answer is \\boxed{7}.",
    "<think>\nDifference of squares.\n</think>\n\n$(x-1)(x+1)$",
    "hi",
]


def _direct(model, tokenizer, prompt: str, response: str) -> np.ndarray:  # type: ignore[no-untyped-def]
    import torch

    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
    )
    p = tokenizer(text, add_special_tokens=False)["input_ids"]
    r = tokenizer(response, add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        logits = model(torch.tensor([p + r])).logits[0].double()
    logp = torch.log_softmax(logits[len(p) - 1 : len(p) + len(r) - 1], dim=-1)
    return (-(logp.exp() * logp).sum(-1) / math.log(2)).numpy()


def test_matches_direct_log_softmax(tiny_model: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model, dtype=torch.float32)
    expected = np.concatenate([_direct(model, tok, p, r) for p, r in zip(PROMPTS, RESPONSES, strict=True)])
    got = token_entropy(model, tok, PROMPTS, RESPONSES)
    n_resp = sum(len(scored_ids(tok, p, r)[1]) for p, r in zip(PROMPTS, RESPONSES, strict=True))
    assert got.shape == expected.shape == (n_resp,)
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)
    assert got.max() <= math.log2(len(tok)) + 1e-4
    # padding, batching and vocab chunking do not change a value
    small = token_entropy(model, tok, PROMPTS, RESPONSES, max_batch_tokens=8, chunk_positions=3)
    np.testing.assert_allclose(small, expected, atol=1e-4, rtol=0)
    # nats are bits times ln 2
    nats = token_entropy(model, tok, PROMPTS, RESPONSES, base=math.e)
    np.testing.assert_allclose(nats, expected * math.log(2), atol=1e-4, rtol=0)
    with pytest.raises(ValueError, match="2 prompts but 3 responses"):
        token_entropy(model, tok, PROMPTS[:2], RESPONSES)


def test_summary_statistics() -> None:
    s = entropy_summary(np.array([0.0, 1.0, 2.0, 3.0, 4.0], dtype=np.float32))
    assert s == {
        "tokens": 5,
        "mean": 2.0,
        "std": pytest.approx(math.sqrt(2)),
        "median": 2.0,
        "q25": 1.0,
        "q75": 3.0,
    }
    assert entropy_summary(np.zeros(0)) == {"tokens": 0}


def test_pca_shift_geometry() -> None:
    # variance only on axes 0 (most) and 1, uncorrelated, so PC1 = +e0 and PC2 = +e1;
    # the features have non-zero means, which the uncentred projections keep
    base = np.zeros((3, 8, 6), dtype=np.float32)
    base[:, :, 0] = 10 * np.array([1, -1, 1, -1, 1, -1, 1, -1]) + 2
    base[:, :, 1] = np.array([1, 1, -1, -1, 1, 1, -1, -1]) + np.array([[3], [4], [5]])
    same = pca_shift(base, base.copy())
    assert same.dis == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(same.per_layer, 0.0, atol=1e-9)
    moved = base.copy()
    moved[:, :, 0] += 5.0  # every text moved 5 along PC1
    shift = pca_shift(base, moved)
    np.testing.assert_allclose(shift.updated[:, 0], 5.0, rtol=1e-6)  # sign convention: +e0
    np.testing.assert_allclose(shift.updated[:, 1], shift.original[:, 1], atol=1e-6)
    np.testing.assert_allclose(shift.original[:, 1], base[:, :, 1].mean(axis=1), atol=1e-5)  # uncentred
    np.testing.assert_allclose(shift.per_layer, 5.0, rtol=1e-6)
    assert shift.dis == pytest.approx(5.0, rel=1e-6)
    with pytest.raises(ValueError, match="shapes differ"):
        pca_shift(base, moved[:2])


def test_layer_features_shape_and_truncation(tiny_model: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model, dtype=torch.float32)
    texts = ["short", "a much longer text " * 40, "medium length text here"]
    feats = layer_features(model, tok, texts, max_length=128, batch_size=2)
    assert feats.shape == (model.config.num_hidden_layers + 1, 3, model.config.hidden_size)
    # one common padded width: the batch size does not change a feature
    np.testing.assert_allclose(layer_features(model, tok, texts, batch_size=3), feats, atol=1e-5)
    # texts beyond 128 tokens are cut: extending one changes nothing
    longer = [texts[0], texts[1] + " tail" * 50, texts[2]]
    np.testing.assert_allclose(layer_features(model, tok, longer, batch_size=2), feats, atol=1e-5)


def test_architecture_logit_transforms_are_applied(tiny_model: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model, dtype=torch.float32)
    # Cohere-style scaling and Gemma-style softcapping of the head's output, applied in this order
    model.config.logit_scale = 40.0
    model.config.final_logit_softcapping = 3.0
    p, r = scored_ids(tok, PROMPTS[0], RESPONSES[0])
    with torch.no_grad():
        logits = model(torch.tensor([p + r])).logits[0].double()[len(p) - 1 : len(p) + len(r) - 1]
    logits = torch.tanh(logits * 40.0 / 3.0) * 3.0
    logp = torch.log_softmax(logits, dim=-1)
    expected = (-(logp.exp() * logp).sum(-1) / math.log(2)).numpy()
    got = token_entropy(model, tok, PROMPTS[:1], RESPONSES[:1])
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)
    assert (
        np.abs(
            got
            - token_entropy(AutoModelForCausalLM.from_pretrained(tiny_model), tok, PROMPTS[:1], RESPONSES[:1])
        ).max()
        > 1e-2
    )


def test_pca_shift_metric_on_benchmark_files(tiny_model: Path, tmp_path: Path) -> None:
    import dataclasses
    import json

    from ded_plugins.errors import ConfigError
    from ded_plugins.plugins import get_registry
    from ded_plugins.records import Question
    from ded_plugins.teacher.context import TeacherContext
    from ded_plugins.tiny import build_tiny_model

    tuned = build_tiny_model(tmp_path / "tuned", seed=5)
    bench = tmp_path / "math500.jsonl"
    rows = [{"unique_id": f"u{i}", "problem": f"Compute {i} * {i + 1}."} for i in range(6)]
    bench.write_text("".join(json.dumps(r) + "\n" for r in rows))
    registry = get_registry()
    ctx = TeacherContext(
        teacher="t",
        questions={"q": Question(id="q", domain="math", prompt="p")},
        rollouts=[],
        student=str(tiny_model),
        tuned_student=tuned,
        teacher_model=None,
        out_dir=tmp_path,
        registry=registry,
        base_dir=tmp_path,
    )
    spec = {"math500": {"path": "math500.jsonl", "columns": {"id": "unique_id", "prompt": "problem"}}}
    metric = registry.build("teacher_metric", "pca_shift", {"benchmarks": spec, "k": 4, "device": "cpu"})
    result = metric.compute(ctx)
    assert set(result["dis"]) == {"math500"}
    assert result["dis"]["math500"] > 0  # another model's features are elsewhere
    assert len(result["per_layer"]["math500"]) == 3
    assert result["mean_dis"] == result["dis"]["math500"]
    same = registry.build("teacher_metric", "pca_shift", {"benchmarks": spec, "k": 4, "device": "cpu"})
    unchanged = dataclasses.replace(ctx, tuned_student=tiny_model)
    assert same.compute(unchanged)["dis"]["math500"] == pytest.approx(0, abs=1e-6)
    bad = registry.build("teacher_metric", "pca_shift", {"benchmarks": {"x": {"paht": "a.jsonl"}}})
    with pytest.raises(ConfigError, match=r"pca_shift\.benchmarks\.x"):
        bad.compute(ctx)


def test_token_entropy_metric_scores_with_student_or_teacher(tiny_model: Path, tmp_path: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ded_plugins.errors import ConfigError
    from ded_plugins.plugins import get_registry
    from ded_plugins.records import Question, Rollout
    from ded_plugins.teacher.context import TeacherContext
    from ded_plugins.tiny import build_tiny_model

    teacher = build_tiny_model(tmp_path / "teacher", seed=3)
    qs = {f"q{i}": Question(id=f"q{i}", domain="math", prompt=p) for i, p in enumerate(PROMPTS)}
    rollouts = [
        Rollout(question_id=f"q{i}", model="t", sample_index=0, text=r) for i, r in enumerate(RESPONSES)
    ]
    registry = get_registry()

    def run(scoring: str, model_path: Path | None) -> dict[str, float]:
        out = tmp_path / scoring
        out.mkdir(exist_ok=True)
        ctx = TeacherContext(
            teacher="t",
            questions=qs,
            rollouts=rollouts,
            student=str(tiny_model),
            tuned_student=None,
            teacher_model=None if model_path is None else str(model_path),
            out_dir=out,
            registry=registry,
            base_dir=tmp_path,
        )
        metric = registry.build("teacher_metric", "token_entropy", {"scoring": scoring, "device": "cpu"})
        result = dict(metric.compute(ctx))
        values = np.load(out / result["file"])
        assert result["tokens"] == values.size
        assert result["mean"] == pytest.approx(float(values.mean()), rel=1e-6)
        return result

    for scoring, path in (("student", tiny_model), ("teacher", teacher)):
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
        direct = token_entropy(model, AutoTokenizer.from_pretrained(path), PROMPTS, RESPONSES)
        assert run(scoring, teacher)["mean"] == pytest.approx(float(direct.mean()), abs=1e-5)
    with pytest.raises(ConfigError, match="teacher 't' has no local 'model_path'"):
        run("teacher", None)
