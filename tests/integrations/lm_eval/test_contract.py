"""Contract with lm-eval 0.4.13: the one function the hook wraps, and that wrapping is safe."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest


pytestmark = pytest.mark.eval


def test_task_index_build_is_the_static_function_the_hook_wraps() -> None:
    from lm_eval.tasks._index import TaskIndex
    from lm_eval.tasks.manager import TaskManager

    assert isinstance(inspect.getattr_static(TaskIndex, "build"), staticmethod)
    assert next(iter(inspect.signature(TaskIndex.build).parameters)) == "paths"
    assert "index.build(all_paths)" in inspect.getsource(TaskManager.__init__)


def test_hook_is_installed_once_and_survives_its_own_failure(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import lm_eval.tasks
    from lm_eval.tasks._index import TaskIndex

    from ded_plugins.integrations.lm_eval import hook as lm_eval_hook

    lm_eval_hook.install(lm_eval.tasks)  # already installed by the autoload: a no-op
    assert getattr(TaskIndex.build, "_ded_wrapped", False)
    (tmp_path / "t.yaml").write_text("task: my_task\ndataset_path: json\noutput_type: generate_until\n")

    def broken(paths: object) -> list[Path]:
        raise FileNotFoundError("evals folder missing")

    monkeypatch.setattr(lm_eval_hook, "_with_ded_tasks", broken)
    assert set(TaskIndex.build([tmp_path])) == {"my_task"}
