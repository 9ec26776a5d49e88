"""``ded pool decontaminate|dedup``: clean pool in the input's format, reports, determinism, bad input."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cli_support import BIN, ded_env
from pool_problems import generated_problems, read_jsonl

from ded_plugins.cli import main


MAP = ["--column", "id=idx", "--column", "prompt=question", "--domain", "math"]


def _decontaminate(pool: Path, out: Path, local_tasks: dict[str, str], *extra: str) -> None:
    main(
        [
            "pool",
            "decontaminate",
            str(pool),
            "--against",
            "ded_math500",
            "--metadata",
            json.dumps(local_tasks),
            "-o",
            str(out),
            "--no-progress",
            *MAP,
            *extra,
        ]
    )


def test_decontaminate_writes_clean_pool_and_reports(
    shared_data: Path, local_tasks: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pool = shared_data / "qwen25math_math_cot_100.jsonl"
    _decontaminate(pool, tmp_path / "clean.jsonl", local_tasks)
    printed = capsys.readouterr().out
    assert (
        "100 questions: 95 kept, 5 dropped" in printed and "ded_math500: 5 contaminated, 2 similar" in printed
    )
    kept = read_jsonl(tmp_path / "clean.jsonl")
    original = read_jsonl(pool)
    assert len(kept) == 95 and all(row in original for row in kept)  # rows unchanged, all fields kept
    assert [r["idx"] for r in kept] == sorted(r["idx"] for r in kept)  # pool order

    report = json.loads((tmp_path / "contamination.json").read_text())
    bench = report["benchmarks"]["ded_math500"]
    assert (bench["contaminated"], bench["similar"], bench["items"]) == (5, 2, 500)
    first = bench["matches"][0]
    assert first["status"] == "contaminated" and first["evidence"]["shared_ngrams"]
    assert first["pool_text"] and first["benchmark_text"]
    md = (tmp_path / "contamination.md").read_text()
    assert md.count("contaminated (exact)") == 5 and md.count("similar (") == 2
    assert "benchmark numbers missing from the pool question" in md


def test_same_input_same_bytes(shared_data: Path, local_tasks: dict[str, str], tmp_path: Path) -> None:
    pool = shared_data / "qwen25math_math_cot_100.jsonl"
    outputs = []
    for run in ("a", "b"):
        _decontaminate(pool, tmp_path / run / "clean.jsonl", local_tasks)
        outputs.append([(tmp_path / run / f).read_bytes() for f in ("clean.jsonl", "contamination.md")])
        report = json.loads((tmp_path / run / "contamination.json").read_text())
        report["pool"].pop("output")
        outputs[-1].append(json.dumps(report).encode())
    assert outputs[0] == outputs[1]


def test_parquet_in_parquet_out(
    shared_data: Path, local_tasks: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    pa = pytest.importorskip("pyarrow")
    rows = [
        {"idx": r["idx"], "question": r["question"], "gt": r["gt"]}
        for r in read_jsonl(shared_data / "qwen25math_math_cot_100.jsonl")
    ]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "pool.parquet")
    _decontaminate(tmp_path / "pool.parquet", tmp_path / "clean.parquet", local_tasks, "--drop-similar")
    assert "93 kept, 7 dropped" in capsys.readouterr().out
    table = pq.read_table(tmp_path / "clean.parquet")
    assert table.num_rows == 93 and table.schema == pq.read_table(tmp_path / "pool.parquet").schema


def test_hf_dataset_directory(local_tasks: dict[str, str], tmp_path: Path, shared_data: Path) -> None:
    datasets = pytest.importorskip("datasets")
    problems = generated_problems(30)
    aime = read_jsonl(shared_data / "aime24.jsonl")
    rows = [{"id": f"g{i}", "prompt": t} for i, t in enumerate(problems)] + [
        {"id": "copy", "prompt": aime[3]["problem"]}
    ]
    datasets.Dataset.from_list(rows).save_to_disk(str(tmp_path / "pool"))
    meta = json.dumps(local_tasks)
    args = ["--against", "ded_aime24", "--metadata", meta, "-o", str(tmp_path / "clean"), "--domain", "math"]
    main(["pool", "decontaminate", str(tmp_path / "pool"), *args, "--no-progress"])
    clean = datasets.load_from_disk(str(tmp_path / "clean"))
    assert clean.num_rows == 30 and "copy" not in clean["id"]


def test_own_benchmark_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    problems = generated_problems(40, seed=5)
    (tmp_path / "mine.jsonl").write_text("".join(json.dumps({"problem": t}) + "\n" for t in problems[:3]))
    pool = [{"id": str(i), "domain": "math", "prompt": t} for i, t in enumerate(problems[2:])]
    (tmp_path / "pool.jsonl").write_text("".join(json.dumps(r) + "\n" for r in pool))
    against = f"mine={tmp_path / 'mine.jsonl'}"
    main(["pool", "decontaminate", str(tmp_path / "pool.jsonl"), "--against", against, "--no-progress"])
    assert "38 questions: 37 kept, 1 dropped" in capsys.readouterr().out
    assert len(read_jsonl(tmp_path / "pool.decontaminated.jsonl")) == 37


def test_dedup_command_through_the_binary(tmp_path: Path) -> None:
    problems = generated_problems(50, seed=9)
    pool = [{"id": f"q{i}", "domain": "math", "prompt": t} for i, t in enumerate(problems)]
    pool += [{"id": "again", "domain": "math", "prompt": problems[7].upper()}]
    pool += [{"id": "spaced", "domain": "math", "prompt": "  ".join(problems[9].split()) + " "}]
    (tmp_path / "pool.jsonl").write_text("".join(json.dumps(r) + "\n" for r in pool))
    command = [
        str(BIN / "ded"),
        "pool",
        "dedup",
        str(tmp_path / "pool.jsonl"),
        "-o",
        str(tmp_path / "out" / "c.jsonl"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=ded_env(), check=False)
    assert done.returncode == 0, done.stderr
    assert "52 questions: 50 kept, 2 duplicates in 2 clusters" in done.stdout
    report = json.loads((tmp_path / "out" / "duplicates.json").read_text())
    clusters = {c["kept"]["id"]: [d["id"] for d in c["duplicates"]] for c in report["clusters"]}
    assert clusters == {"q7": ["again"], "q9": ["spaced"]}
    assert report["clusters"][0]["kept"]["text"] == problems[7]
    assert "kept `q7`" in (tmp_path / "out" / "duplicates.md").read_text()
    first = [(tmp_path / "out" / f).read_bytes() for f in ("c.jsonl", "duplicates.md")]
    again = subprocess.run(command, capture_output=True, text=True, env=ded_env(), check=False)
    assert again.returncode == 0
    assert [(tmp_path / "out" / f).read_bytes() for f in ("c.jsonl", "duplicates.md")] == first


def _fails(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exc:
        main(["pool", *args, "--no-progress"])
    err = capsys.readouterr().err
    assert exc.value.code == 2, err
    assert "Traceback" not in err
    return err


def test_bad_input_names_file_line_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = json.dumps({"id": "a", "domain": "math", "prompt": "What is 1+1?"})
    pool = tmp_path / "pool.jsonl"
    pool.write_text(good + "\n" + json.dumps({"id": "b", "domain": "math"}) + "\n")
    err = _fails(capsys, "dedup", str(pool))
    assert f"{pool}:2: field 'prompt': missing required field" in err
    pool.write_text(good + "\n{not json\n")
    err = _fails(capsys, "dedup", str(pool))
    assert f"{pool}:2: malformed JSON" in err
    pool.write_text(good + "\n" + good + "\n")
    assert f"{pool}:2: field 'id': duplicate question id 'a'" in _fails(capsys, "dedup", str(pool))
    assert not list(tmp_path.glob("pool.dedup*")) and not (tmp_path / "duplicates.json").exists()

    pool.write_text(good + "\n")
    bench = tmp_path / "bench.jsonl"
    bench.write_text(json.dumps({"text": "no known field"}) + "\n")
    err = _fails(capsys, "decontaminate", str(pool), "--against", f"b={bench}")
    assert f"{bench}:1: field 'prompt'" in err
    assert "unknown benchmark 'ded_nope'" in _fails(
        capsys, "decontaminate", str(pool), "--against", "ded_nope"
    )
    assert "--metadata: not valid JSON" in _fails(capsys, "decontaminate", str(pool), "--metadata", "{")
    assert "file not found" in _fails(capsys, "dedup", str(tmp_path / "missing.jsonl"))
    assert "OURS=THEIRS" in _fails(capsys, "dedup", str(pool), "--column", "prompt")
    assert not (tmp_path / "contamination.json").exists()


def test_unreachable_benchmark_says_how_to_give_a_local_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DED_GPQA_DIAMOND_PATH", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # no hub here: the loader fails as it would offline
    pool = tmp_path / "pool.jsonl"
    pool.write_text(json.dumps({"id": "a", "domain": "math", "prompt": "What is 1+1?"}) + "\n")
    err = _fails(capsys, "decontaminate", str(pool), "--against", "ded_gpqa_diamond")
    assert "cannot load benchmark ded_gpqa_diamond" in err and "DED_GPQA_DIAMOND_PATH" in err
    assert not (tmp_path / "pool.decontaminated.jsonl").exists()


def test_output_never_overwrites_the_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pool = tmp_path / "pool.jsonl"
    pool.write_text(json.dumps({"id": "a", "domain": "math", "prompt": "What is 1+1?"}) + "\n")
    before = pool.read_bytes()
    assert "overwrite the input" in _fails(capsys, "dedup", str(pool), "-o", str(pool))
    assert pool.read_bytes() == before


def test_decontaminate_defaults_are_the_matchers() -> None:
    """The command, the curation stage and the library decide alike on the same pool."""
    import dataclasses

    from ded_plugins.cli.pool import decontaminate
    from ded_plugins.pool.match import DEFAULTS

    defaults = {p.name: p.default for p in decontaminate.params}
    for field in dataclasses.fields(DEFAULTS):
        assert defaults[field.name] == getattr(DEFAULTS, field.name), field.name
