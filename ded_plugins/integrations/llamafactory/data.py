"""Curate a ``dataset_info.json`` entry's ``"ded"`` block into a LLaMA-Factory dataset, reusably.

The block is a curation config (the same schema as ``ded curate``), inline or as a path
relative to the ``dataset_dir``; relative input paths inside an inline block resolve
against the ``dataset_dir`` (the directory of the file that names them). The curated
sharegpt file LLaMA-Factory reads lives in::

    <cache>/<dataset>/data/<dataset>.jsonl

and the per-stage outputs where ``ded curate`` puts them (``<output_dir>/<run>/``). Every
launch resumes the curation: the engine reuses exactly the stages (and the export) whose
fingerprint still matches, which covers every input file by content, so a changed
student file, tokenizer or checker is curated again and never trained on stale.

``<cache>`` is ``$DED_CACHE_DIR/lf`` or ``<dataset_dir>/.ded_cache``. The run's lock makes
concurrent processes (ranks of one launch, or two launches) curate once; the others
wait, then find everything finished.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ded_plugins.configs.curate import CurationConfig, StageSpec, load_curation_config
from ded_plugins.errors import ConfigError
from ded_plugins.exporters.llamafactory import sharegpt_entry


__all__ = ["CacheEntry", "curate_entry", "lf_entry", "load_block"]

# a child of LLaMA-Factory's library logger, so DED's lines appear in its log and format
log = logging.getLogger("llamafactory.ded")


@dataclasses.dataclass(frozen=True)
class CacheEntry:
    """A finished curation, ready for LLaMA-Factory."""

    directory: Path
    file: Path
    rows: int
    reused: bool
    table: str


def cache_root(dataset_dir: Path) -> Path:
    """Where curated datasets of ``dataset_dir`` live."""
    env = os.environ.get("DED_CACHE_DIR")
    return Path(env).expanduser().absolute() / "lf" if env else dataset_dir.absolute() / ".ded_cache"


def load_block(name: str, block: Any, dataset_dir: Path) -> CurationConfig:
    """The curation config of one entry's ``"ded"`` block."""
    where = f"{dataset_dir / 'dataset_info.json'}: {name}.ded"
    if isinstance(block, str):
        path = Path(block).expanduser()
        path = path if path.is_absolute() else dataset_dir / path
        if not path.is_file():
            raise ConfigError(f"{where}: curation config {str(path)!r} not found")
        return load_curation_config(path)
    if isinstance(block, Mapping):
        data = dict(block)
        data.setdefault("run", name)
        return load_curation_config(data, base_dir=dataset_dir.absolute(), label=where)
    raise ConfigError(f"{where}: expected a curation config (mapping) or a path to one, found {block!r}")


def curate_entry(name: str, block: Any, dataset_dir: Path) -> CacheEntry:
    """Curate one ``dataset_info.json`` entry, or find it curated with the same inputs."""
    from ded_plugins.engine import format_stage_table, run_curation

    config = load_block(name, block, dataset_dir)
    directory = cache_root(dataset_dir) / name
    data_dir = directory / "data"
    export = [s for s in config.export if s.name != "llamafactory"]
    ours = next((s for s in config.export if s.name == "llamafactory"), None)
    params = {**(ours.params if ours else {}), "dataset_dir": str(data_dir), "dataset_name": name}
    export.append(StageSpec(name="llamafactory", params=params, where=ours.where if ours else f"{name}.ded"))
    config = dataclasses.replace(config, export=tuple(export))
    result = run_curation(config, resume=True, progress=False, wait_for_lock=True)
    summary = result.exports["llamafactory"]
    return CacheEntry(
        directory=directory,
        file=Path(str(summary["file"])),
        rows=int(summary["rows"]),
        reused=not result.ran,
        table=format_stage_table(result.stages),
    )


def lf_entry(entry: Mapping[str, Any], curated: CacheEntry) -> dict[str, Any]:
    """The entry LLaMA-Factory gets: the user's options, reading our curated file."""
    out = {
        k: v
        for k, v in entry.items()
        if k not in ("ded", "hf_hub_url", "ms_hub_url", "om_hub_url", "script_url", "cloud_file_name")
    }
    # an absolute file_name is used as is by LLaMA-Factory's os.path.join(dataset_dir, ...)
    out.update(sharegpt_entry(str(curated.file)))
    return out
