"""Tiny local models and tokenizers, built offline, for tests and the demo.

The production path loads real checkpoints from the hub; everything here is built on
the spot from a seed, so tests and ``ded demo`` never download anything. The tokenizer
is a byte-level BPE trained with ``tokenizers`` and carries the special tokens and chat
template of DeepSeek-R1-Distill-Qwen, so LLaMA-Factory's ``deepseekr1`` template and
``tokenizer.apply_chat_template`` both work on it; the model is a Qwen2 of a few layers.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ded_plugins._optional import require
from ded_plugins.steps import Step, digest


__all__ = ["BOS", "EOS", "SPECIAL_TOKENS", "THINK_TOKENS", "build_tiny_model", "build_tiny_tokenizer"]

BOS = "<｜begin▁of▁sentence｜>"
EOS = "<｜end▁of▁sentence｜>"
USER = "<｜User｜>"
ASSISTANT = "<｜Assistant｜>"
SPECIAL_TOKENS = (BOS, EOS, USER, ASSISTANT, "<|endoftext|>")
#: single tokens that are *not* special, as in DeepSeek-R1-Distill: decoding with
#: ``skip_special_tokens=True`` keeps them
THINK_TOKENS = ("<think>", "</think>")

# DeepSeek-R1-Distill's template, reduced to user/assistant turns: the generation
# prompt opens the thinking block, as the real one does.
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if message['role'] == 'user' %}" + USER + "{{ message['content'] }}"
    "{% elif message['role'] == 'assistant' %}" + ASSISTANT + "{{ message['content'] }}" + EOS + ""
    "{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}" + ASSISTANT + "<think>\n{% endif %}"
)

#: bump when the way tiny models are built changes, so cached ones are rebuilt
_FORMAT = 2

_DEFAULT_CORPUS = (
    "Let me think step by step. The answer is \\boxed{42}. We compute 3 + 4 = 7, so x = 7.",
    "def solve():\n    n = int(input())\n    print(n * 2)\n\nsolve()\n",
    "Find the sum of all integers n such that n^2 < 50. Therefore the final answer is 0.",
    "import sys\nfor line in sys.stdin:\n    a, b = map(int, line.split())\n    print(a + b)\n",
    "<think>\nFirst, factor the polynomial. Then check each root.\n</think>\n\nThe answer is $\\frac{1}{2}$.",
    "0 1 2 3 4 5 6 7 8 9 10 11 12 100 1000 + - * / = ( ) [ ] { } \\frac \\sqrt \\pi \\boxed",
)


def build_tiny_tokenizer(out_dir: str | Path, *, corpus: Iterable[str] = (), vocab_size: int = 512) -> Path:
    """Train a byte-level BPE on ``corpus`` (plus a built-in one) and save it in ``out_dir``."""
    tokenizers = require("tokenizers", "analysis", purpose="building a tiny tokenizer")
    transformers = require("transformers", "analysis", purpose="building a tiny tokenizer")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    texts = [*_DEFAULT_CORPUS, *corpus]
    tok = tokenizers.Tokenizer(tokenizers.models.BPE())
    tok.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = tokenizers.decoders.ByteLevel()
    trainer = tokenizers.trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=tokenizers.pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    tok.add_tokens([tokenizers.AddedToken(t, special=False, normalized=False) for t in THINK_TOKENS])
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=EOS,
        additional_special_tokens=[USER, ASSISTANT],
        chat_template=CHAT_TEMPLATE,
        clean_up_tokenization_spaces=False,
        model_max_length=32768,
    )
    fast.add_bos_token = False
    fast.save_pretrained(str(out))
    return out


def build_tiny_model(
    out_dir: str | Path,
    *,
    seed: int = 0,
    hidden_size: int = 64,
    num_layers: int = 2,
    corpus: Iterable[str] = (),
) -> Path:
    """Build (or reuse) a random tiny Qwen2 model plus tokenizer in ``out_dir``.

    The directory is reused when it was built with the same arguments, so repeated
    test runs and demos pay the cost once.
    """
    torch = require("torch", "train", purpose="building a tiny model")
    transformers = require("transformers", "analysis", purpose="building a tiny model")
    out = Path(out_dir)
    corpus = list(corpus)
    step = Step(
        name="tiny-model",
        marker=out / ".ded" / "build.json",  # ``.ded`` is left out when the directory is hashed
        params={
            "format": _FORMAT,
            "seed": seed,
            "hidden_size": hidden_size,
            "num_layers": num_layers,
            "corpus": digest(corpus),
            "transformers": transformers.__version__,
        },
    )
    fingerprint = step.fingerprint()
    if step.done(fingerprint) is not None and (out / "config.json").is_file():
        return out
    build_tiny_tokenizer(out, corpus=corpus)
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(out))
    config = transformers.Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=num_layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=32768,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = transformers.Qwen2ForCausalLM(config)
    model.generation_config.bos_token_id = tokenizer.bos_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(str(out), safe_serialization=True)
    step.complete({"vocab_size": len(tokenizer)}, fingerprint=fingerprint)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return out
