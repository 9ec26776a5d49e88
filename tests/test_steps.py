"""The one step mechanism: fingerprints over declared inputs by content, markers, chaining."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ded_plugins.steps import Step, content_digest, digest, without_inputs


def _step(tmp_path: Path, **kw: object) -> Step:
    base: dict[str, object] = {"name": "s", "marker": tmp_path / "steps" / "s.json", "params": {"k": 1}}
    base.update(kw)
    return Step(**base)  # type: ignore[arg-type]


def test_done_only_with_the_same_fingerprint(tmp_path: Path) -> None:
    step = _step(tmp_path)
    assert step.done() is None
    fp = step.complete({"n": 1})
    assert step.done() == {"n": 1}
    assert step.done(fp) == {"n": 1}
    assert _step(tmp_path, params={"k": 2}).done() is None  # a parameter changed
    assert _step(tmp_path, after="upstream").done() is None  # something upstream changed
    step.invalidate()
    assert step.done() is None


def test_a_file_input_counts_by_content_not_by_name_or_time(tmp_path: Path) -> None:
    f = tmp_path / "student.jsonl"
    f.write_text("a\n")
    step = _step(tmp_path, inputs={"student": str(f)})
    fp = step.fingerprint()
    os.utime(f, ns=(1, 1))  # touched, same bytes
    assert step.fingerprint() == fp
    f.write_text("b\n")  # replaced in place
    assert step.fingerprint() != fp
    f.write_text("a\n")
    assert step.fingerprint() == fp


def test_a_directory_input_sees_a_change_in_any_file(tmp_path: Path) -> None:
    tok = tmp_path / "tokenizer"
    tok.mkdir()
    (tok / "tokenizer.json").write_text("{}")
    (tok / "config.json").write_text("{}")
    before = content_digest(tok)
    (tok / "tokenizer.json").write_text('{"x": 1}')
    assert content_digest(tok) != before
    (tok / "tokenizer.json").write_text("{}")
    assert content_digest(tok) == before
    (tok / "extra.txt").write_text("")
    assert content_digest(tok) != before
    (tok / "extra.txt").unlink()
    (tok / "__pycache__").mkdir()  # bookkeeping directories do not count
    (tok / "__pycache__" / "x.pyc").write_text("junk")
    assert content_digest(tok) == before
    with pytest.raises(FileNotFoundError, match="declared input not found"):
        content_digest(tmp_path / "missing")


def test_a_hub_id_counts_by_name(tmp_path: Path) -> None:
    a = _step(tmp_path, inputs={"tokenizer": "org/model"})
    b = _step(tmp_path, inputs={"tokenizer": "org/other"})
    assert a.fingerprint() != b.fingerprint()


def test_digest_is_order_sensitive_and_stable() -> None:
    assert digest("inputs", [1, 2]) == digest("inputs", [1, 2]) != digest("inputs", [2, 1])


def test_without_inputs_drops_every_declared_parameter_by_its_labels() -> None:
    params = {"tokenizer": "/t", "checkers": ["/a", "/b"], "files": {"x": "/x"}, "k": 4, "template": "q"}
    inputs = {"tokenizer": "/t", "checkers[0]": "/a", "checkers[1]": "/b", "files.x": "/x"}
    assert without_inputs(params, inputs) == {"k": 4, "template": "q"}
    assert without_inputs(params, {}) == params
