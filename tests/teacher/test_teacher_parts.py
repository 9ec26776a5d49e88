"""ded teacher's parts without training: config errors, scores, metrics, ranking and the report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from ded_plugins.cli import main
from ded_plugins.configs.teacher import load_teacher_config
from ded_plugins.errors import StageError
from ded_plugins.plugins import get_registry
from ded_plugins.records import Question, Rollout
from ded_plugins.teacher.commands import eval_command, read_scores, train_command
from ded_plugins.teacher.context import TeacherContext
from ded_plugins.teacher.report import write_report
from ded_plugins.teacher.smoke import TeacherOutcome, _aggregate


DATA = Path(__file__).parent.parent / "data" / "teacher"


def _config(tmp_path: Path, **over: Any) -> dict[str, Any]:
    return {
        "run": "t",
        "output_dir": str(tmp_path / "runs"),
        "questions": str(DATA / "questions.jsonl"),
        "student": "some/student",
        "teachers": [
            {"name": "qwq", "backend": {"openai": {"base_url": "http://127.0.0.1:1/v1", "model": "q"}}},
            {"name": "r1", "backend": {"openai": {"base_url": "http://127.0.0.1:1/v1", "model": "r"}}},
        ],
        "train": {
            "recipe": str(DATA / "tiny_smoke.yaml"),
            "overrides": {"num_train_epochs": 3, "bf16": True},
        },
        "eval": {"tasks": ["ded_aime24", "ded_math500"], "model_args": {"tensor_parallel_size": 8}},
        **over,
    }


def test_bad_config_lists_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = _config(
        tmp_path,
        colour="red",
        teachers=[{"name": "a", "rollouts": "nope.jsonl", "backend": "openai"}, {"name": "b b"}],
        train={"recipe": "missing.yaml"},
        aggregate={"weights": {"ded_gpqa": 1.0}},
    )
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(bad))
    with pytest.raises(SystemExit) as exc:
        main(["teacher", str(tmp_path / "c.yaml")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    for needle in (
        "colour: unknown key 'colour'; accepted: run, output_dir",
        "teachers[0]: give exactly one of 'backend' (sample now) or 'rollouts'",
        "teachers[1].name: expected a snake_case name",
        "train.recipe: training recipe not found",
        "aggregate.weights.ded_gpqa: not one of eval.tasks (ded_aime24, ded_math500)",
    ):
        assert needle in err
    assert "Traceback" not in err
    assert not (tmp_path / "runs").exists()


def test_unknown_metric_fails_before_any_work(tmp_path: Path) -> None:
    from ded_plugins.errors import ConfigError
    from ded_plugins.teacher.smoke import run_teacher_selection

    with pytest.raises(ConfigError, match="unknown teacher_metric 'perplexity'"):
        run_teacher_selection(_config(tmp_path, metrics=["pass_rate", "perplexity"]), progress=False)
    with pytest.raises(ConfigError, match="unknown parameter 'bins' for teacher_metric 'token_entropy'"):
        run_teacher_selection(_config(tmp_path, metrics=[{"token_entropy": {"bins": 3}}]), progress=False)
    assert not (tmp_path / "runs").exists()


def test_commands(tmp_path: Path) -> None:
    cfg = load_teacher_config(_config(tmp_path))
    cmd = train_command(cfg.train, student="s", dataset_dir="/d", dataset="ds", output_dir=tmp_path / "m")
    assert cmd[:3] == ["llamafactory-cli", "train", str(DATA / "tiny_smoke.yaml")]
    assert cmd[3:] == [
        "num_train_epochs=3",
        "bf16=true",
        "model_name_or_path=s",
        "dataset_dir=/d",
        "dataset=ds",
        f"output_dir={tmp_path / 'm'}",
    ]
    ev = eval_command(cfg.eval, student="s", model_dir=tmp_path / "m", output_path=tmp_path / "e")
    assert ev[ev.index("--model_args") + 1] == f"pretrained={tmp_path / 'm'},tensor_parallel_size=8"
    assert ev[ev.index("--tasks") + 1] == "ded_aime24,ded_math500"
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "adapter_config.json").write_text("{}")
    ev = eval_command(cfg.eval, student="s", model_dir=tmp_path / "m", output_path=tmp_path / "e")
    assert ev[ev.index("--model_args") + 1].startswith(f"pretrained=s,peft={tmp_path / 'm'},")


def test_read_scores(tmp_path: Path) -> None:
    out = tmp_path / "eval" / "model"
    out.mkdir(parents=True)
    results = {
        "ded_aime24": {"alias": "x", "sample_len": 30, "pass@1,none": 0.5, "pass@1_stderr,none": 0.1},
        "ded_math500": {"exact_match,none": 0.25, "math_verify,none": 0.75},
    }
    (out / "results_2026.json").write_text(json.dumps({"results": results}))
    scores = read_scores(
        tmp_path / "eval", ["ded_aime24", "ded_math500"], {"ded_math500": "math_verify,none"}
    )
    assert scores == {
        "ded_aime24": {"metric": "pass@1,none", "score": 0.5},
        "ded_math500": {"metric": "math_verify,none", "score": 0.75},
    }
    with pytest.raises(StageError, match="no results for task 'ded_gpqa'"):
        read_scores(tmp_path / "eval", ["ded_gpqa"], {})
    with pytest.raises(StageError, match="wrote no results"):
        read_scores(tmp_path / "nothing", ["ded_gpqa"], {})


def test_pass_rate_and_length_metrics(tmp_path: Path) -> None:
    registry = get_registry()
    qs = {f"q{i}": Question(id=f"q{i}", domain="math", prompt="p", answer="1") for i in range(4)}
    texts = ["<think>a</think>1", "no think", "<think>b</think>", "<think>c</think>2"]
    rollouts = [
        Rollout(
            question_id=f"q{i}",
            model="t",
            sample_index=0,
            text=t,
            n_tokens=10 * (i + 1),
            finish_reason="length" if i == 3 else "stop",
        )
        for i, t in enumerate(texts)
    ]
    ctx = TeacherContext(
        teacher="t",
        questions=qs,
        rollouts=rollouts,
        student="s",
        tuned_student=None,
        teacher_model=None,
        out_dir=tmp_path,
        registry=registry,
        base_dir=tmp_path,
    )
    pr = registry.build("teacher_metric", "pass_rate", {"stages": ["think_format"]}).compute(ctx)
    assert pr["pass_rate"] == 0.5
    assert pr["rejected"] == {"think_format.empty_answer": 1, "think_format.missing_open": 1}
    ln = registry.build("teacher_metric", "length", {}).compute(ctx)
    assert (ln["mean"], ln["median"], ln["max"], ln["truncated"]) == (25.0, 25.0, 40, 0.25)


def test_ranking_and_report(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    cfg = load_teacher_config(
        _config(tmp_path, aggregate={"weights": {"ded_aime24": 3.0, "ded_math500": 1.0}})
    )
    rng = np.random.default_rng(0)
    outcomes = []
    for name, (aime, math) in {"qwq": (0.2, 0.9), "r1": (0.4, 0.1)}.items():
        o = TeacherOutcome(name=name, dir=cfg.run_dir / name, corpus_size=4)
        o.dir.mkdir(parents=True)
        o.scores = {
            "ded_aime24": {"metric": "pass@1,none", "score": aime},
            "ded_math500": {"metric": "exact_match,none", "score": math},
        }
        o.aggregate = _aggregate(o.scores, cfg.weights)
        np.save(
            o.dir / "entropy.npy", rng.exponential(0.5 if name == "qwq" else 0.7, size=500).astype(np.float32)
        )
        o.metrics = {
            "token_entropy": {"file": "entropy.npy", "mean": 0.5, "median": 0.3, "base": 2.0},
            "pca_shift": {"dis": {"aime": 1.5}, "per_layer": {"aime": [0.0, 1.0, 2.0]}, "mean_dis": 1.5},
        }
        o.steps = {"export": "ran"}
        outcomes.append(o)
    # weighted: qwq 3*0.2+0.9 = 1.5/4, r1 3*0.4+0.1 = 1.3/4; the plain mean would also favour qwq
    assert outcomes[0].aggregate == pytest.approx(0.375)
    assert outcomes[1].aggregate == pytest.approx(0.325)
    ranked = sorted(outcomes, key=lambda o: -(o.aggregate or 0.0))
    report = write_report(cfg, ranked)
    assert report["winner"] == "qwq"
    assert report["aggregate"]["weights"] == {"ded_aime24": 3.0, "ded_math500": 1.0}
    md = (cfg.run_dir / "report.md").read_text().splitlines()
    assert md[2].startswith(
        "**Winner: qwq**: weighted mean (ded_aime24: 3, ded_math500: 1) 0.375, 0.050 ahead of **r1**"
    )
    assert md[4].startswith("| rank | teacher | aggregate | ded_aime24 | ded_math500 |")
    assert md[6].startswith("| 1 | **qwq** | 0.375 | 0.200 | 0.900 |")
    for png in ("scores.png", "entropy.png", "pca_shift.png"):
        assert plt.imread(cfg.run_dir / png).shape[2] in (3, 4)
    assert json.loads((cfg.run_dir / "report.json").read_text())["ranking"] == ["qwq", "r1"]


def test_example_configs_load() -> None:
    from ded_plugins.configs.rollout import load_rollout_config

    root = Path(__file__).parent.parent.parent / "recipes" / "curation"
    smoke = load_teacher_config(root / "smoke_test.yaml", check_inputs=False)
    assert [t.name for t in smoke.teachers] == ["qwq_32b", "deepseek_r1", "qwen3_32b", "qwen3_235b_a22b"]
    assert smoke.train.recipe == root.parent / "ded_smoke_32b.yaml"
    assert smoke.questions.path == "simplescaling/s1K"  # a hub id stays as written
    registry = get_registry()
    for m in smoke.metrics:
        assert registry.check_params(registry.get("teacher_metric", m.name), m.params, where=m.name) == []
    rollout = load_rollout_config(root / "rollout_s1k_qwq_32b.yaml", check_inputs=False)
    assert (rollout.samples, rollout.backend) == (8, "vllm")
    assert (
        registry.check_params(registry.get("rollout_backend", "vllm"), rollout.backend_params, where="b")
        == []
    )


def test_corpus_takes_one_rollout_per_question(tmp_path: Path) -> None:
    from ded_plugins.errors import InputError
    from ded_plugins.io import rollout_to_dict, write_jsonl
    from ded_plugins.teacher.smoke import _corpus

    qs = {q: Question(id=q, domain="math", prompt=q) for q in ("a", "b", "c")}
    rows = [
        Rollout(question_id=q, model="m", sample_index=i, text=f"{q}{i}")
        for q, i in (("b", 2), ("a", 1), ("b", 0), ("a", 3))
    ]
    write_jsonl(tmp_path / "r.jsonl", [rollout_to_dict(r) for r in rows])
    assert [r.text for r in _corpus(tmp_path / "r.jsonl", "m", qs)] == [
        "a1",
        "b0",
    ]  # question order; c has none
    write_jsonl(
        tmp_path / "two.jsonl", [rollout_to_dict(rows[0]), {**rollout_to_dict(rows[1]), "model": "other"}]
    )
    with pytest.raises(InputError, match=r"two.jsonl:2: field 'model': holds rollouts of 'm' and 'other'"):
        _corpus(tmp_path / "two.jsonl", "m", qs)
    write_jsonl(tmp_path / "unknown.jsonl", [{**rollout_to_dict(rows[0]), "question_id": "zz"}])
    with pytest.raises(InputError, match=r"unknown\.jsonl:1: rollout for unknown question 'zz'"):
        _corpus(tmp_path / "unknown.jsonl", "m", qs)


def _logged_eval(out: Path, model: str, correct: list[list[int]]) -> None:
    """An lm-eval output dir with --log_samples for ded_aime24 (``pass@1_ci95``: the k verdicts)."""
    folder = out / model
    folder.mkdir(parents=True)
    date = "2026-01-01T00-00-00.0"
    mean = float(np.mean([np.mean(q) for q in correct]))
    (folder / f"results_{date}.json").write_text(
        json.dumps({"results": {"ded_aime24": {"pass@1,none": mean}}})
    )
    rows = [
        {"doc_id": i, "filter": "none", "doc_hash": str(i), "pass@1": float(np.mean(q)), "pass@1_ci95": q}
        for i, q in enumerate(correct)
    ]
    (folder / f"samples_ded_aime24_{date}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.mark.parametrize(("gap", "within"), [(2, True), (48, False)])
def test_report_says_whether_the_lead_is_within_noise(tmp_path: Path, gap: int, within: bool) -> None:
    cfg = load_teacher_config(_config(tmp_path, eval={"tasks": ["ded_aime24"]}))
    rng = np.random.default_rng(0)
    base = [[int(x) for x in rng.random(16) < 0.4] for _ in range(30)]
    better = [list(q) for q in base]
    wrong = [(i, j) for i, q in enumerate(better) for j, x in enumerate(q) if x == 0]
    for n in rng.choice(len(wrong), gap, replace=False):
        better[wrong[n][0]][wrong[n][1]] = 1
    outcomes = []
    for name, correct in (("qwq", better), ("r1", base)):
        o = TeacherOutcome(name=name, dir=cfg.run_dir / name, corpus_size=4)
        _logged_eval(o.dir / "eval", "model", correct)
        o.scores = {"ded_aime24": {"metric": "pass@1,none", "score": float(np.mean(correct))}}
        o.aggregate = _aggregate(o.scores, cfg.weights)
        outcomes.append(o)
    report = write_report(cfg, outcomes)
    assert report["winner"] == "qwq" and report["winner_within_noise"] is within
    lead = report["noise"]["pairs"][0]
    assert (lead["higher"], lead["lower"]) == ("qwq", "r1")
    assert lead["aggregate"]["value"] == pytest.approx(gap / 480)
    md = (cfg.run_dir / "report.md").read_text()
    winner = md.splitlines()[2]
    if within:
        assert winner.startswith("**Winner: qwq** (within noise): mean of the benchmark scores")
        assert "The lead over **r1** is within noise (gap +0.004, 95% interval [" in winner
    else:
        assert winner.startswith("**Winner: qwq**: mean of the benchmark scores")
        assert "The lead over **r1** is larger than the noise (gap +0.100" in winner
    assert "## Is the ranking larger than the noise?" in md
    qwq = report["noise"]["intervals"]["qwq"]["ded_aime24"]
    assert f"| qwq | {qwq['value']:.3f} [{qwq['low']:.3f}, {qwq['high']:.3f}] |" in md
    verdict = "within noise" if within else "larger than the noise"
    assert f"| qwq − r1 | +{gap / 480:.3f} |" in md and md.count(f"| {verdict} |") == 1
