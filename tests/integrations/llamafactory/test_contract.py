"""Contract tests: exactly the LLaMA-Factory behaviour DED's hook relies on (pinned >=0.9.5,<0.10).

If one of these fails after a LLaMA-Factory upgrade, the hook in
ded_plugins/integrations/llamafactory/hook.py must be revisited before the pin moves.
"""

from __future__ import annotations

import inspect
import json
import os
from importlib import metadata
from pathlib import Path

from packaging.version import Version

from ded_plugins.integrations.llamafactory.hook import EXPECTED_PARAMETERS, TOUCHED


def _original(func: object) -> object:
    return getattr(func, "__ded_original__", func)


def test_pinned_version() -> None:
    version = Version(metadata.version("llamafactory"))
    assert Version("0.9.5") <= version < Version("0.10")


def test_touched_functions_are_exactly_get_dataset_list() -> None:
    assert TOUCHED == ("llamafactory.data.loader.get_dataset_list",)


def test_loader_calls_get_dataset_list_through_its_module_global() -> None:
    """Wrapping ``loader.get_dataset_list`` only works because the loader looks it up by name."""
    from llamafactory.data import loader, parser

    assert _original(loader.get_dataset_list) is parser.get_dataset_list
    assert tuple(inspect.signature(parser.get_dataset_list).parameters) == EXPECTED_PARAMETERS
    source = inspect.getsource(loader._get_merged_dataset)
    assert "get_dataset_list(dataset_names, data_args.dataset_dir)" in source


def test_dataset_loading_runs_main_process_first() -> None:
    """Rank 0 curates while the other ranks wait: the call sits in ``main_process_first``."""
    from llamafactory.data import loader

    source = inspect.getsource(loader.get_dataset)
    _head, _, tail = source.partition('main_process_first(desc="load dataset"')
    assert tail, "get_dataset no longer loads inside main_process_first"
    assert "_get_merged_dataset" in tail.split("main_process_first", 1)[0]


def test_get_dataset_list_accepts_a_dict_and_absolute_file_names(tmp_path: Path) -> None:
    """The hook hands over the patched dataset_info as a dict with an absolute ``file_name``."""
    from llamafactory.data.parser import get_dataset_list

    data = tmp_path / "x.jsonl"
    info = {
        "d": {
            "file_name": str(data),
            "formatting": "sharegpt",
            "columns": {"messages": "messages"},
            "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user"},
        }
    }
    (attr,) = _original(get_dataset_list)(["d"], info)  # type: ignore[operator]
    assert attr.load_from == "file"
    assert attr.dataset_name == str(data)
    assert attr.formatting == "sharegpt"
    assert attr.messages == "messages" and attr.role_tag == "role"
    # _load_single_dataset joins dataset_dir and file_name; an absolute file_name wins
    assert os.path.join("recipes/data", attr.dataset_name) == str(data)


def test_extra_ded_key_in_an_entry_is_ignored(tmp_path: Path) -> None:
    """With the hook off, a ``"ded"`` block is inert: LLaMA-Factory ignores unknown entry keys."""
    from llamafactory.data.parser import get_dataset_list

    (tmp_path / "dataset_info.json").write_text(
        json.dumps({"d": {"file_name": "d.jsonl", "ded": {"run": "x"}}})
    )
    (attr,) = _original(get_dataset_list)(["d"], str(tmp_path))  # type: ignore[operator]
    assert attr.dataset_name == "d.jsonl"
    assert not hasattr(attr, "ded")


def test_missing_file_error_is_llamafactorys_own() -> None:
    """The message the DED_AUTOLOAD=0 test expects comes from LLaMA-Factory's loader."""
    from llamafactory.data import loader

    assert 'raise ValueError(f"File {local_path} not found.")' in inspect.getsource(
        loader._load_single_dataset
    )


def test_template_registry_and_encoder_used_by_the_length_stage() -> None:
    from llamafactory.data.template import TEMPLATES, ReasoningTemplate, get_template_and_fix_tokenizer

    assert isinstance(TEMPLATES["deepseekr1"], ReasoningTemplate)
    assert tuple(inspect.signature(get_template_and_fix_tokenizer).parameters) == ("tokenizer", "data_args")
    params = tuple(inspect.signature(ReasoningTemplate.encode_multiturn).parameters)
    assert params == ("self", "tokenizer", "messages", "system", "tools", "discarding_history_cot")
