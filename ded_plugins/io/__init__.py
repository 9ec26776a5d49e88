"""Every file format DED reads or writes, atomic writes, locks and markers: the only place that
turns records into bytes and back.

``files``: bytes on disk (atomic writes, JSON/JSONL, locks); ``records``: questions,
rollouts and sandbox jobs as rows and back, validated as they are read; ``pools``: question
pools streamed in their own format; ``store``: a run's question store; ``rows``: the
engine's stage rows; ``yamlfile``: configs with the line of every key. Every reader raises
:class:`~ded_plugins.errors.InputError` naming file, line and field.
"""

from __future__ import annotations

from ded_plugins.io.files import (
    atomic_write,
    dump_json,
    dumps_line,
    file_lock,
    read_json,
    read_jsonl,
    read_text,
    write_json,
    write_jsonl,
    write_text,
)
from ded_plugins.io.pools import (
    iter_pool,
    iter_questions,
    question_format,
    question_row_writer,
    question_rows,
)
from ded_plugins.io.records import (
    question_from_dict,
    question_to_dict,
    read_questions,
    read_rollouts,
    rollout_from_dict,
    rollout_to_dict,
    run_request_from_dict,
)
from ded_plugins.io.yamlfile import load_yaml, read_yaml


__all__ = [
    "atomic_write",
    "dump_json",
    "dumps_line",
    "file_lock",
    "iter_pool",
    "iter_questions",
    "load_yaml",
    "question_format",
    "question_from_dict",
    "question_row_writer",
    "question_rows",
    "question_to_dict",
    "read_json",
    "read_jsonl",
    "read_questions",
    "read_rollouts",
    "read_text",
    "read_yaml",
    "rollout_from_dict",
    "rollout_to_dict",
    "run_request_from_dict",
    "write_json",
    "write_jsonl",
    "write_text",
]
