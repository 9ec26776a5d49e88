"""Curate a ``dataset_info.json`` entry's ``"ded"`` block into a cached LLaMA-Factory dataset.

The block is a curation config (the same schema as ``ded curate``), inline or as a path
relative to the ``dataset_dir``; relative paths inside an inline block resolve against the
``dataset_dir`` too. The result lives in a content-addressed cache entry::

    <cache>/<dataset>-<hash>/           hash of: config, input file contents, DED version
        data/<dataset>.jsonl            the sharegpt file LLaMA-Factory reads
        manifest.json                   written last: the entry is complete

The per-stage outputs go where ``ded curate`` puts them (``<output_dir>/<run>/``, against
the current directory), and the run is resumed: stages that an earlier ``ded curate`` of
the same config and inputs finished are reused, not recomputed.

``<cache>`` is ``$DED_CACHE_DIR`` or ``<dataset_dir>/.ded_cache``. A file lock per dataset
makes concurrent processes (ranks of one launch, or two launches) curate once; the
others wait and reuse the entry.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import logging
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ded_plugins import io
from ded_plugins.config import CurationConfig, StageSpec, canonical_json, load_curation_config
from ded_plugins.errors import ConfigError, InputError
from ded_plugins.exporters.llamafactory import sharegpt_entry


__all__ = ["CacheEntry", "curate_entry", "input_digest"]

# a child of LLaMA-Factory's library logger, so DED's lines appear in its log and format
log = logging.getLogger("llamafactory.ded")

MANIFEST = "manifest.json"
# files above this size (model weights next to a tokenizer) are identified by size and
# modification time instead of content, so hashing stays cheap
_CONTENT_HASH_LIMIT = 64 * 2**20


@dataclasses.dataclass(frozen=True)
class CacheEntry:
    """A finished curation in the cache."""

    directory: Path
    file: Path
    rows: int
    reused: bool
    table: str


def cache_root(dataset_dir: Path) -> Path:
    """Where curated datasets of ``dataset_dir`` are cached."""
    env = os.environ.get("DED_CACHE_DIR")
    return Path(env).expanduser().absolute() if env else dataset_dir.absolute() / ".ded_cache"


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
        try:
            config = load_curation_config(data, base_dir=dataset_dir.absolute())
        except ConfigError as exc:
            raise ConfigError([f"{where}: {p.removeprefix('<config>: ')}" for p in exc.problems]) from None
        # later errors (unknown component, bad parameter) name the entry, not "<config>"
        return dataclasses.replace(
            config,
            source=where,
            stages=tuple(_relabel(s, where) for s in config.stages),
            export=tuple(_relabel(s, where) for s in config.export),
        )
    raise ConfigError(f"{where}: expected a curation config (mapping) or a path to one, found {block!r}")


def _relabel(spec: StageSpec, where: str) -> StageSpec:
    return dataclasses.replace(spec, where=spec.where.replace("<config>", where, 1))


def input_digest(config: CurationConfig) -> str:
    """Hash of everything the curation's result depends on."""
    h = hashlib.sha256()
    resolved = config.to_dict()
    resolved.pop("output_dir", None)
    resolved.pop("export", None)  # the hook decides where the export goes
    h.update(canonical_json(resolved).encode())
    h.update(canonical_json(_export_params(config)).encode())
    h.update(_version().encode())
    for path in sorted(_referenced_paths(config)):
        h.update(f"\0{path}\0".encode())
        _hash_path(h, path)
    return h.hexdigest()[:16]


def _export_params(config: CurationConfig) -> list[Any]:
    return [
        {s.name: {k: v for k, v in s.params.items() if k not in ("dataset_dir", "dataset_name")}}
        for s in config.export
    ]


def _referenced_paths(config: CurationConfig) -> set[Path]:
    """Local files and directories the config names: pool, rollouts, stage parameters."""
    found: set[Path] = {p.absolute() for p in config.rollouts}
    candidates: list[str] = [config.questions.path]

    def walk(value: Any) -> None:
        if isinstance(value, str):
            candidates.append(value)
        elif isinstance(value, Mapping):
            for v in value.values():
                walk(v)
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v)

    for spec in (*config.stages, *config.export):
        walk(spec.params)
    for text in candidates:
        if not text or len(text) > 4096 or "\n" in text:
            continue
        p = Path(text).expanduser()
        # stage parameters are resolved by their components: against the config's directory
        # (inputs) or the current directory (tokenizers, as LLaMA-Factory does); hash both
        for cand in (p,) if p.is_absolute() else (config.base_dir / p, Path.cwd() / p):
            if cand.exists() and not _contains_outputs(cand.absolute(), config):
                found.add(cand.absolute())
    return found


def _contains_outputs(path: Path, config: CurationConfig) -> bool:
    """A directory holding run outputs or the cache would change the hash on every run."""
    if not path.is_dir():
        return False
    outputs = config.output_dir.absolute()
    return path == outputs or outputs.is_relative_to(path) or (path / ".ded_cache").exists()


def _hash_path(h: Any, path: Path) -> None:
    files = [path] if path.is_file() else sorted(q for q in path.rglob("*") if q.is_file())
    for f in files:
        if ".ded_cache" in f.parts:
            continue
        st = f.stat()
        h.update(f"{f.relative_to(path) if f != path else ''}:{st.st_size}:".encode())
        if st.st_size > _CONTENT_HASH_LIMIT:
            h.update(str(st.st_mtime_ns).encode())
            continue
        with f.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("ded-plugins")
    except metadata.PackageNotFoundError:
        return "0+unknown"


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _read_manifest(directory: Path, digest: str) -> CacheEntry | None:
    path = directory / MANIFEST
    if not path.is_file():
        return None
    try:
        data = next(iter(io.read_jsonl(path)))[1]
    except (InputError, StopIteration):
        return None
    file = Path(str(data.get("file", "")))
    if data.get("hash") != digest or not file.is_file():
        return None
    return CacheEntry(directory, file, int(data.get("rows", 0)), True, str(data.get("table", "")))


def curate_entry(name: str, block: Any, dataset_dir: Path, *, rank: str = "0") -> CacheEntry:
    """Curate (or reuse the cached curation of) one ``dataset_info.json`` entry."""
    from ded_plugins.pipeline import format_stage_table, run_curation

    config = load_block(name, block, dataset_dir)
    digest = input_digest(config)
    root = cache_root(dataset_dir)
    directory = root / f"{name}-{digest}"
    with _lock(root / f".{name}.lock"):
        cached = _read_manifest(directory, digest)
        if cached is not None:
            return cached
        data_dir = directory / "data"
        export = [s for s in config.export if s.name != "llamafactory"]
        ours = next((s for s in config.export if s.name == "llamafactory"), None)
        params = {**(ours.params if ours else {}), "dataset_dir": str(data_dir), "dataset_name": name}
        export.append(
            StageSpec(name="llamafactory", params=params, where=ours.where if ours else f"{name}.ded")
        )
        config = dataclasses.replace(config, export=tuple(export))
        # resume: stages a `ded curate` of the same config already finished are reused
        result = run_curation(config, resume=True, progress=False)
        summary = result.exports["llamafactory"]
        table = format_stage_table(result.stages)
        manifest = {
            "hash": digest,
            "dataset": name,
            "file": str(summary["file"]),
            "rows": int(summary["rows"]),
            "curated_by": {"rank": rank, "pid": os.getpid()},
            "table": table,
        }
        io.write_jsonl(directory / MANIFEST, [manifest])
        return CacheEntry(directory, Path(str(summary["file"])), int(summary["rows"]), False, table)


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
