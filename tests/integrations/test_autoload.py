"""The start-up autoload: cheap, lazy, never raising, switchable, and what it enables."""

from __future__ import annotations

import os
import py_compile
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import ded_plugins_autoload


REPO = Path(__file__).resolve().parents[2]


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", **env}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=full_env, timeout=300, check=False
    )


def test_table_names_both_hooks() -> None:
    assert ded_plugins_autoload.HOOKS == {
        "llamafactory.data.loader": "ded_plugins.integrations.llamafactory.hook:install",
        "lm_eval.tasks": "ded_plugins.integrations.lm_eval.hook:install",
    }


def test_startup_cost_under_two_milliseconds() -> None:
    # steady state: a wheel install compiles the module; the editable checkout compiles it once
    py_compile.compile(ded_plugins_autoload.__file__, cfile=None, doraise=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    best = float("inf")
    for _ in range(3):  # the best of three: the machine is shared
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "pass"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        lines = [ln for ln in proc.stderr.splitlines() if re.search(r"\|\s+ded_plugins_autoload$", ln)]
        assert lines, "the .pth start-up line did not import ded_plugins_autoload"
        best = min(best, int(lines[0].split("|")[1]))  # cumulative microseconds
    assert best < 2000, best


def test_nothing_heavy_is_imported_at_startup() -> None:
    heavy = "('ded_plugins', 'typing', 'logging')"
    proc = _python(f"import sys; print(sorted(m for m in sys.modules if m.startswith({heavy})))")
    assert proc.stdout.strip() == "['ded_plugins_autoload']", proc.stdout


def test_disabled_by_env() -> None:
    code = (
        "import sys, ded_plugins_autoload as a\n"
        "print(a.STATUS['enabled'], any(type(f).__name__ == '_PostImportFinder' for f in sys.meta_path))"
    )
    assert _python(code, DED_AUTOLOAD="0").stdout.split() == ["False", "False"]
    assert _python(code).stdout.split() == ["True", "True"]


def test_a_broken_hook_never_raises_into_the_host() -> None:
    code = (
        "import ded_plugins_autoload as a\n"
        "a.HOOKS['json.tool'] = 'no_such_module_xyz:install'\n"
        "a.STATUS['hooks']['json.tool'] = 'waiting'\n"
        "import json.tool\n"
        "print(json.tool.main.__name__, a.STATUS['hooks']['json.tool'])"
    )
    proc = _python(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("main failed: ModuleNotFoundError"), proc.stdout


@pytest.mark.eval
def test_stock_task_manager_lists_the_tasks_and_status_reports_it() -> None:
    code = (
        "from lm_eval.tasks import TaskManager\n"
        "from ded_plugins.integrations import autoload_status\n"
        "names = TaskManager().all_tasks\n"
        "ours = {'ded_aime24', 'ded_aime25', 'ded_gpqa_diamond', 'ded_math500'}\n"
        "ours |= {'ded_math', 'ded_reasoning'}\n"
        "print(ours <= set(names), any(n.startswith('ded_') for n in names), 'mmlu' in names)\n"
        "print(autoload_status()['hooks']['lm_eval.tasks']['state'])"
    )
    on = _python(code)
    assert on.returncode == 0, on.stderr[-2000:]
    tasks, state = on.stdout.strip().splitlines()
    assert tasks == "True True True"
    assert state == "installed"
    off = _python(code, DED_AUTOLOAD="0")
    assert off.stdout.strip().splitlines() == ["False False True", "waiting"]


@pytest.mark.eval
def test_ours_are_indexed_before_builtins_and_after_nothing_else() -> None:
    import lm_eval.tasks

    from ded_plugins.integrations.lm_eval.hook import _with_ded_tasks, task_dir

    builtin = Path(lm_eval.tasks.__file__).resolve().parent
    user = Path("/tmp/user_tasks")
    assert _with_ded_tasks([builtin, user]) == [task_dir().resolve(), builtin, user]
    assert _with_ded_tasks([user]) == [user]  # include_defaults=False: untouched
    assert _with_ded_tasks([task_dir(), builtin]) == [task_dir(), builtin]  # no duplicate


@pytest.mark.slow
def test_wheel_ships_the_pth_the_module_and_the_task_folder(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q", "-w", str(tmp_path)],
        check=True,
        timeout=600,
    )
    (wheel,) = tmp_path.glob("ded_plugins-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"ded_plugins_autoload.pth", "ded_plugins_autoload.py"} <= names
    assert "ded_plugins/evals/ded_aime/_ded_math_yaml" in names
    assert "ded_plugins/evals/ded_reasoning/ded_reasoning.yaml" in names
    entry_points = zipfile.ZipFile(wheel).read("ded_plugins-0.1.0.dist-info/entry_points.txt").decode()
    assert "[lm_eval.tasks]\nded = ded_plugins.evals" in entry_points
    pth = zipfile.ZipFile(wheel).read("ded_plugins_autoload.pth").decode()
    assert pth.startswith("import ") and pth.count("\n") == 1
