"""The ``llamafactory`` exporter: a sharegpt JSONL plus its ``dataset_info.json`` entry.

Each kept rollout becomes one conversation ``[system?, user, assistant]`` in the
OpenAI-style ``messages`` layout that LLaMA-Factory reads with ``formatting: sharegpt``
and role/content tags. The assistant turn is the teacher's text as it was judged:
``<think>...</think>`` followed by the answer, which is what reasoning templates such as
``deepseekr1`` expect (a ``<think>`` block already present means no empty one is added).

The entry is merged into ``dataset_info.json`` under a file lock and written atomically;
other entries are left exactly as they were.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ded_plugins.chat import assistant_text
from ded_plugins.errors import ConfigError, InputError, StageError
from ded_plugins.io import file_lock, read_json, write_json, write_jsonl
from ded_plugins.protocols import StageContext
from ded_plugins.records import Question, Rollout


__all__ = ["DATASET_INFO", "LlamaFactoryExporter", "merge_dataset_info", "sharegpt_entry"]

log = logging.getLogger(__name__)

#: the file LLaMA-Factory looks for in ``dataset_dir``
DATASET_INFO = "dataset_info.json"
# keys that make LLaMA-Factory load from somewhere other than ``file_name``
_SOURCE_KEYS = ("hf_hub_url", "ms_hub_url", "om_hub_url", "script_url", "cloud_file_name")


def sharegpt_entry(file_name: str) -> dict[str, Any]:
    """The ``dataset_info.json`` entry for a messages-style sharegpt file."""
    return {
        "file_name": file_name,
        "formatting": "sharegpt",
        "columns": {"messages": "messages"},
        "tags": {
            "role_tag": "role",
            "content_tag": "content",
            "user_tag": "user",
            "assistant_tag": "assistant",
            "system_tag": "system",
        },
    }


class LlamaFactoryExporter:
    """Write kept rollouts as a LLaMA-Factory sharegpt dataset and register it in dataset_info.json.

    ``dataset_dir`` defaults to the exporter's own stage directory; a relative one is
    resolved against the current directory, as LLaMA-Factory resolves its ``dataset_dir``.
    """

    def __init__(
        self,
        *,
        dataset_dir: str | None = None,
        dataset_name: str = "ded",
        system: str | None = None,
        file_name: str | None = None,
    ) -> None:
        if not dataset_name or "/" in dataset_name or dataset_name.startswith("."):
            raise ConfigError(f"dataset_name must be a plain name, found {dataset_name!r}")
        if file_name is not None and ("/" in file_name or not file_name.endswith(".jsonl")):
            raise ConfigError(f"file_name must be a plain '*.jsonl' name, found {file_name!r}")
        self.dataset_dir = dataset_dir
        self.dataset_name = dataset_name
        self.system = system
        self.file_name = file_name or f"{dataset_name}.jsonl"

    def export(self, rollouts: Iterable[Rollout], context: StageContext, out_dir: Path) -> Mapping[str, Any]:
        """Write the JSONL (streamed), then merge its entry into ``dataset_info.json``."""
        target = (
            Path(self.dataset_dir).expanduser().absolute() if self.dataset_dir else Path(out_dir).absolute()
        )
        path = target / self.file_name
        n = write_jsonl(path, (self._row(r, context.questions) for r in rollouts))
        info = merge_dataset_info(target, self.dataset_name, sharegpt_entry(self.file_name))
        if not n:
            log.warning("llamafactory: no rollouts to export; %s is empty", path)
        log.info("llamafactory: wrote %d conversations to %s (dataset %r)", n, path, self.dataset_name)
        return {
            "dataset_dir": str(target),
            "dataset_name": self.dataset_name,
            "file": str(path),
            "rows": n,
            "dataset_info": str(info),
        }

    def _row(self, rollout: Rollout, questions: Mapping[str, Question]) -> dict[str, Any]:
        question = questions.get(rollout.question_id)
        if question is None:
            raise StageError(
                f"llamafactory: rollout {rollout.id} refers to unknown question {rollout.question_id!r}"
            )
        messages = []
        if self.system:
            messages.append({"role": "system", "content": self.system})
        messages.append({"role": "user", "content": question.prompt})
        messages.append({"role": "assistant", "content": assistant_text(rollout.text)})
        return {"messages": messages, "ded_id": rollout.id}


def merge_dataset_info(dataset_dir: Path, name: str, entry: Mapping[str, Any]) -> Path:
    """Set ``name`` in ``dataset_dir/dataset_info.json`` to ``entry``; other entries stay as they are.

    Keys of an existing entry that we do not own (a ``"ded"`` block, ``num_samples``) are kept;
    keys that would make LLaMA-Factory read from elsewhere (hub URLs) are removed.
    """
    path = dataset_dir / DATASET_INFO
    dataset_dir.mkdir(parents=True, exist_ok=True)
    with file_lock(dataset_dir / f".{DATASET_INFO}.lock"):
        info: dict[str, Any] = {}
        if path.exists():
            loaded = read_json(path, what="dataset_info.json")
            if not isinstance(loaded, dict):
                raise InputError(f"expected a JSON object, found {type(loaded).__name__}", path=str(path))
            info = loaded
        old = info.get(name)
        merged = dict(entry)
        if isinstance(old, dict):
            for key, value in old.items():
                if key not in merged and key not in _SOURCE_KEYS:
                    merged[key] = value
        info[name] = merged
        write_json(path, info, sort_keys=False)  # its entries stay in the order their users wrote
    return path
