"""The demo's tiny models: a random Qwen2 taught, in a few seconds on a CPU, to answer like a teacher.

A random tiny model writes noise, which no verifier accepts, so the demo would curate
nothing. Each demo teacher is therefore first taught its own style on the demo pool
(one short supervised loop, response tokens only); sampling from it at a temperature
then gives a realistic mix of right, wrong and malformed answers. The student is
taught on part of the pool, so the pass-rate stage finds questions it already solves.
The loop is model preparation for the demo, not DED's training path (that is
LLaMA-Factory's).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from pathlib import Path

from ded_plugins._optional import require
from ded_plugins.demo.pool import CodeProblem, MathProblem, trajectory
from ded_plugins.steps import Step, digest
from ded_plugins.tiny import build_tiny_model


__all__ = ["teach"]

log = logging.getLogger(__name__)

Problem = MathProblem | CodeProblem


def teach(
    out_dir: Path,
    *,
    style: str,
    problems: Sequence[Problem],
    corpus: Sequence[str],
    seed: int,
    steps: int = 160,
    hidden_size: int = 128,
) -> Path:
    """Build a tiny model in ``out_dir`` and teach it ``style`` on ``problems``; cached by arguments."""
    step = Step(
        name=f"teach:{out_dir.name}",
        marker=out_dir / ".ded" / "teach.json",  # ``.ded`` is left out when the directory is hashed
        params={
            "style": style,
            "problems": [p.id for p in problems],
            "corpus": digest(list(corpus)),
            "seed": seed,
            "steps": steps,
            "hidden_size": hidden_size,
        },
    )
    fingerprint = step.fingerprint()
    if step.done(fingerprint) is not None and (out_dir / "config.json").is_file():
        return out_dir
    torch = require("torch", "train", purpose="teaching the demo models")
    transformers = require("transformers", "analysis", purpose="teaching the demo models")
    build_tiny_model(out_dir, seed=seed, hidden_size=hidden_size, num_layers=2, corpus=corpus)
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(out_dir))
    model = transformers.AutoModelForCausalLM.from_pretrained(str(out_dir))
    examples = [_encode(tokenizer, p, style) for p in problems]
    torch.manual_seed(seed)
    rng = random.Random(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    loss = None
    for _ in range(steps):
        batch = rng.sample(examples, min(16, len(examples)))
        width = max(len(ids) for ids, _ in batch)
        pad = tokenizer.pad_token_id
        input_ids = torch.tensor([ids + [pad] * (width - len(ids)) for ids, _ in batch])
        labels = torch.tensor([lab + [-100] * (width - len(lab)) for _, lab in batch])
        mask = torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids, _ in batch])
        loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    final = float(loss.detach()) if loss is not None else float("nan")
    log.info("taught %s (%s) in %d steps, final loss %.3f", out_dir.name, style, steps, final)
    model.save_pretrained(str(out_dir), safe_serialization=True)
    step.complete({"final_loss": final}, fingerprint=fingerprint)
    return out_dir


def _encode(tokenizer: object, problem: Problem, style: str) -> tuple[list[int], list[int]]:
    """Prompt in the chat template, then the response (after the template's opening ``<think>``)."""
    prompt = tokenizer.apply_chat_template(  # type: ignore[attr-defined]
        [{"role": "user", "content": problem.user_prompt}], tokenize=False, add_generation_prompt=True
    )
    response = trajectory(style, problem)
    if prompt.endswith("<think>\n") and response.startswith("<think>\n"):
        response = response[len("<think>\n") :]
    response += tokenizer.eos_token  # type: ignore[attr-defined]
    p_ids: list[int] = tokenizer(prompt, add_special_tokens=False)["input_ids"]  # type: ignore[operator]
    r_ids: list[int] = tokenizer(response, add_special_tokens=False)["input_ids"]  # type: ignore[operator]
    return p_ids + r_ids, [-100] * len(p_ids) + r_ids
