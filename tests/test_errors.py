"""Errors keep their whole message across a process boundary (workers pickle them)."""

from __future__ import annotations

import pickle

import pytest

from ded_plugins.errors import (
    ConfigError,
    DedError,
    InputError,
    MissingDependencyError,
    UnknownComponentError,
)


@pytest.mark.parametrize(
    "error",
    [
        ConfigError("stages[0].length: missing tokenizer", source="cur.yaml"),
        ConfigError(["a", "b"], source="cur.yaml"),
        ConfigError("no source"),
        UnknownComponentError("stages[1]: no processor 'x'", source="cur.yaml"),
        InputError("not JSON", path="r.jsonl", line=3, field="response"),
        MissingDependencyError("ray", "ray", purpose="the Ray executor"),
        MissingDependencyError("datasketch", "pool"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_an_error_survives_pickling_whole(error: DedError) -> None:
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error)
    assert str(back) == str(error)
    assert vars(back) == vars(error)
    assert back.exit_code == error.exit_code
