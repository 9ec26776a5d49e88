"""The ``length`` processor: drop rollouts the student could not be trained on whole.

LLaMA-Factory truncates over-long samples to ``cutoff_len`` instead of dropping them,
which cuts off the final answer of a long reasoning trace. DED therefore drops them
first, counting tokens exactly as LLaMA-Factory's supervised preprocessing will: the
student's tokenizer loaded by LLaMA-Factory's own ``load_tokenizer``, the conversation
formatted by the named LLaMA-Factory template (``encode_multiturn``), with the same
``[system?, user, assistant]`` turns and think-block completion the ``llamafactory``
exporter writes. Nothing is ever truncated.
"""

from __future__ import annotations

import copy
import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ded_plugins._optional import require
from ded_plugins.chat import assistant_text
from ded_plugins.errors import ConfigError
from ded_plugins.records import Question, Rollout, Verdict
from ded_plugins.steps import ModelRef, content_digest


__all__ = ["LengthFilter", "TemplateCounter", "get_counter"]

log = logging.getLogger(__name__)

#: the paper drops trajectories over 16k tokens, its training context (``cutoff_len``)
DEFAULT_MAX_TOKENS = 16384


@dataclass(frozen=True)
class TemplateCounter:
    """A tokenizer plus a private copy of a LLaMA-Factory template, counting encoded length."""

    tokenizer: Any
    template: Any
    mask_history: bool = False

    def count_many(
        self, conversations: Sequence[list[dict[str, str]]], system: str | None = None
    ) -> list[int]:
        """:meth:`count` of each conversation, with every text the template encodes tokenized in one batch.

        The template is run twice: once with a stand-in tokenizer that only records the
        texts it is asked to encode, then, after one batch call of the real tokenizer
        (all cores, in Rust), with a stand-in that hands back those ids. The template's
        own logic runs unchanged, so the counts are exactly :meth:`count`'s.
        """
        recorder = _Recorder(self.tokenizer)
        for messages in conversations:
            self.count(messages, system, tokenizer=recorder)
        texts = list(dict.fromkeys(recorder.texts))
        ids = self.tokenizer(texts, add_special_tokens=False)["input_ids"] if texts else []
        replay = _Replay(self.tokenizer, dict(zip(texts, ids, strict=True)))
        return [self.count(messages, system, tokenizer=replay) for messages in conversations]

    def count(
        self, messages: list[dict[str, str]], system: str | None = None, *, tokenizer: Any = None
    ) -> int:
        """Tokens of the full sample ``input_ids`` as ``SupervisedDatasetProcessor`` builds it."""
        pairs = self.template.encode_multiturn(
            self.tokenizer if tokenizer is None else tokenizer,
            messages,
            system,
            None,
            self.mask_history and not self.template.preserve_thinking,
        )
        total = sum(len(source) + len(target) for source, target in pairs)
        return total + (1 if self.template.efficient_eos else 0)


def get_counter(tokenizer: str, template: str, enable_thinking: bool | None = True) -> TemplateCounter:
    """The counter for (tokenizer, template, thinking), loaded once per process and per tokenizer content.

    A local tokenizer directory is keyed by its content too, so one that changes in place
    is loaded again rather than served from memory.
    """
    version = content_digest(tokenizer) if Path(tokenizer).is_dir() else ""
    return _load_counter(tokenizer, template, enable_thinking, version)


@functools.lru_cache(maxsize=8)
def _load_counter(
    tokenizer: str, template: str, enable_thinking: bool | None, version: str
) -> TemplateCounter:
    hparams = require("llamafactory.hparams", "train", purpose="counting tokens as LLaMA-Factory does")
    model_loader = require("llamafactory.model", "train", purpose="loading the student's tokenizer")
    lf_template = require("llamafactory.data.template", "train", purpose="LLaMA-Factory chat templates")
    if template not in lf_template.TEMPLATES:
        raise ConfigError(
            f"length.template: LLaMA-Factory has no template {template!r}; "
            f"known ones include {', '.join(sorted(lf_template.TEMPLATES)[:12])}, ..."
        )
    try:
        model_args = hparams.ModelArguments(model_name_or_path=tokenizer)
        tok = model_loader.load_tokenizer(model_args)["tokenizer"]
    except (OSError, ValueError) as exc:
        reason = exc.__cause__ or exc  # LLaMA-Factory wraps the informative error in a generic one
        raise ConfigError(f"length.tokenizer: cannot load tokenizer {tokenizer!r}: {reason}") from exc
    data_args = hparams.DataArguments(template=template, enable_thinking=enable_thinking)
    # get_template_and_fix_tokenizer sets flags on the registry's shared template object;
    # a training run in the same process (the LLaMA-Factory hook) holds that object, so
    # LLaMA-Factory's function works on a private copy swapped in for the call.
    shared = lf_template.TEMPLATES[template]
    lf_template.TEMPLATES[template] = copy.deepcopy(shared)
    try:
        tmpl = lf_template.get_template_and_fix_tokenizer(tok, data_args)
    finally:
        lf_template.TEMPLATES[template] = shared
    log.info("length: counting with tokenizer %s and LLaMA-Factory template %r", tokenizer, template)
    return TemplateCounter(tokenizer=tok, template=tmpl)


class _Recorder:
    """A tokenizer that records what it is asked to encode (and answers everything else as the real one)."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.texts: list[str] = []

    def encode(self, text: str, add_special_tokens: bool = True, **kwargs: Any) -> list[int]:
        if add_special_tokens or kwargs:
            return list(self._real.encode(text, add_special_tokens=add_special_tokens, **kwargs))
        self.texts.append(text)
        return []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class _Replay(_Recorder):
    """A tokenizer that hands back ids computed in advance for the texts recorded."""

    def __init__(self, real: Any, ids: dict[str, list[int]]) -> None:
        super().__init__(real)
        self._ids = ids

    def encode(self, text: str, add_special_tokens: bool = True, **kwargs: Any) -> list[int]:
        if add_special_tokens or kwargs or text not in self._ids:
            return list(self._real.encode(text, add_special_tokens=add_special_tokens, **kwargs))
        return list(self._ids[text])


class LengthFilter:
    """Drop rollouts longer than max_tokens as the LLaMA-Factory template encodes them; never truncate.

    ``tokenizer`` is a hub id or a local directory (relative to the config file; it is a
    declared input: a change to its files re-runs the stage); ``template`` is the
    LLaMA-Factory template of the training recipe; ``system`` must match the exporter's.
    """

    #: one process per machine counts on all its cores (the tokenizer's batch encoding): the
    #: tokenizer and LLaMA-Factory are loaded once per machine
    placement = "node"

    def __init__(
        self,
        *,
        tokenizer: ModelRef,
        template: str = "deepseekr1",
        max_tokens: int = DEFAULT_MAX_TOKENS,
        system: str | None = None,
        enable_thinking: bool | None = True,
    ) -> None:
        if max_tokens <= 0:
            raise ConfigError(f"length.max_tokens: must be positive, found {max_tokens}")
        local = Path(tokenizer).expanduser()
        self.tokenizer = str(local.absolute()) if local.exists() else tokenizer
        self.template = template
        self.max_tokens = max_tokens
        self.system = system
        self.enable_thinking = enable_thinking
        # loaded on the first batch, then kept: the stage's fingerprint already covers the
        # tokenizer's content, so one instance never sees two versions of it
        self._counter: TemplateCounter | None = None

    def process(self, items: Sequence[tuple[Question, Rollout]]) -> list[Verdict]:
        """One verdict per item; details carry ``n_tokens`` and ``max_tokens``."""
        if not items:
            return []
        if self._counter is None:
            self._counter = get_counter(self.tokenizer, self.template, self.enable_thinking)
        counter = self._counter
        conversations = [
            [
                {"role": "user", "content": question.prompt},
                {"role": "assistant", "content": assistant_text(rollout.text)},
            ]
            for question, rollout in items
        ]
        counts = counter.count_many(conversations, self.system)
        verdicts = []
        for count in counts:
            details = {"n_tokens": count, "max_tokens": self.max_tokens}
            if count > self.max_tokens:
                verdicts.append(Verdict(passed=False, reason="too_long", details=details))
            else:
                verdicts.append(Verdict(passed=True, details=details))
        return verdicts
