"""Every file format DED reads or writes, atomic writes, locks and markers: the only place that
turns records into bytes and back.

``files`` holds bytes on disk (atomic writes, JSON/JSONL, locks); ``records`` turns
questions, rollouts and sandbox jobs into rows and back, validating as it reads; ``rows``
is the engine's stage-row format; ``yaml`` reads configs with the line of every key.
Every reader raises :class:`~ded_plugins.errors.InputError` naming file, line and field.
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
)
from ded_plugins.io.records import (
    question_from_dict,
    question_to_dict,
    read_checked_rollouts,
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
    "load_yaml",
    "question_from_dict",
    "question_to_dict",
    "read_checked_rollouts",
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
]
