"""Token entropy of a corpus under a scoring model (DED §4.4, Fig. 3).

For every response token, the full-vocabulary entropy of the scoring model's
next-token distribution at that position, teacher-forced. The scored ids are the
prompt as one user turn in the tokenizer's chat template (generation prompt added)
followed by the response tokenized without special tokens.

Memory stays bounded for 16k-token responses: sequences are packed into batches of at
most ``max_batch_tokens`` padded tokens, the model runs without its output head, and
the vocabulary projection plus softmax run over ``chunk_positions`` positions at a time
in float32 (a 16k x 152k logit matrix alone would take ~10 GB).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ded_plugins._optional import require


__all__ = ["entropy_summary", "scored_ids", "token_entropy"]


def scored_ids(tokenizer: Any, prompt: str, response: str) -> tuple[list[int], list[int]]:
    """``(prompt_ids, response_ids)`` exactly as :func:`token_entropy` scores them."""
    rendered = tokenizer.apply_chat_template(
        [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
    )
    prompt_ids = list(tokenizer(rendered, add_special_tokens=False)["input_ids"])
    response_ids = list(tokenizer(response, add_special_tokens=False)["input_ids"])
    return prompt_ids, response_ids


def token_entropy(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    responses: Sequence[str],
    *,
    base: float = 2.0,
    max_batch_tokens: int = 16384,
    chunk_positions: int = 1024,
) -> np.ndarray:
    """Entropy (bits by default) at every response token, concatenated over examples in order."""
    torch = require("torch", "train", purpose="token entropy")
    if len(prompts) != len(responses):
        raise ValueError(f"{len(prompts)} prompts but {len(responses)} responses")
    if base <= 0 or base == 1:
        raise ValueError(f"base must be positive and not 1, found {base}")
    examples = [scored_ids(tokenizer, p, r) for p, r in zip(prompts, responses, strict=True)]
    device = next(model.parameters()).device
    decoder = model.get_decoder()
    head = model.get_output_embeddings()
    # what some architectures do to the head's output before the softmax
    softcap = getattr(model.config, "final_logit_softcapping", None)
    logit_scale = getattr(model.config, "logit_scale", None)  # Cohere multiplies
    logits_scaling = getattr(model.config, "logits_scaling", None)  # Granite divides
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    out: list[np.ndarray | None] = [None] * len(examples)
    scale = 1.0 / math.log(base)
    model.eval()
    with torch.inference_mode():
        for batch in _batches([len(p) + len(r) for p, r in examples], max_batch_tokens):
            width = max(len(examples[i][0]) + len(examples[i][1]) for i in batch)
            ids = torch.full((len(batch), width), pad, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, i in enumerate(batch):
                seq = examples[i][0] + examples[i][1]
                ids[row, : len(seq)] = torch.tensor(seq)
                mask[row, : len(seq)] = 1
            hidden = decoder(
                input_ids=ids.to(device), attention_mask=mask.to(device), use_cache=False
            ).last_hidden_state
            for row, i in enumerate(batch):
                n_prompt, n_resp = len(examples[i][0]), len(examples[i][1])
                # the state at position t predicts token t + 1
                states = hidden[row, n_prompt - 1 : n_prompt + n_resp - 1]
                values = []
                for start in range(0, n_resp, chunk_positions):
                    logits = head(states[start : start + chunk_positions]).float()
                    if isinstance(logit_scale, int | float):
                        logits = logits * logit_scale
                    if isinstance(logits_scaling, int | float) and logits_scaling:
                        logits = logits / logits_scaling
                    if softcap:
                        logits = torch.tanh(logits / softcap) * softcap
                    logp = torch.log_softmax(logits, dim=-1)
                    values.append((-(logp.exp() * logp).sum(-1) * scale).cpu().numpy())
                out[i] = np.concatenate(values) if values else np.zeros(0, dtype=np.float32)
            del hidden
    return np.concatenate([v for v in out if v is not None] or [np.zeros(0)]).astype(np.float32)


def _batches(lengths: Sequence[int], max_batch_tokens: int) -> list[list[int]]:
    """Indices grouped longest first so that ``rows x longest`` stays within the budget."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    for i in order:
        if batches and (len(batches[-1]) + 1) * lengths[batches[-1][0]] <= max_batch_tokens:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


def entropy_summary(values: np.ndarray) -> Mapping[str, float | int]:
    """Mean, std, median, Q25, Q75 and the token count, as in the paper's Figure 3."""
    if values.size == 0:
        return {"tokens": 0}
    v = values.astype(np.float64)
    q25, median, q75 = np.percentile(v, [25, 50, 75])
    return {
        "tokens": int(v.size),
        "mean": float(v.mean()),
        "std": float(v.std()),
        "median": float(median),
        "q25": float(q25),
        "q75": float(q75),
    }
