"""Token entropy: ours vs the direct computation, and (with a GPU) bf16 on GPU vs fp32 on CPU.

Input: a tiny random Qwen2 (``ded_plugins.tiny``, built offline; size set by --hidden and
--layers) and N prompt/response pairs whose responses are ~R tokens of random text.

CPU mode (default). Baseline: the direct computation, one example at a time, the full
``model(ids).logits`` matrix through ``log_softmax`` in float32. Ours:
``ded_plugins.teacher.token_entropy`` (length-sorted batches, no output head in the
forward, the vocabulary projection in chunks of positions). The values must agree to
1e-4; the peak size of the logit block is printed for both. Last line:
``bench_token_entropy: X.XXx faster (baseline direct full-logit entropy)``.

GPU mode (--device cuda --dtype bfloat16): ours on the GPU against ours in float32 on
the CPU; prints the max and mean absolute difference in bits and tokens/s of both. Last
line: ``bench_token_entropy: X.XXx faster on cuda (baseline float32 on the CPU)``.

Run: .venv/bin/python benchmarks/bench_token_entropy.py [--examples 16] [--response-tokens 1024]
"""

from __future__ import annotations

import argparse
import math
import random
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from ded_plugins.teacher import token_entropy
from ded_plugins.teacher.entropy import scored_ids
from ded_plugins.tiny import build_tiny_model


def direct(model: torch.nn.Module, tok: object, prompts: list[str], responses: list[str]) -> np.ndarray:
    out = []
    with torch.inference_mode():
        for p, r in zip(prompts, responses, strict=True):
            p_ids, r_ids = scored_ids(tok, p, r)
            logits = model(torch.tensor([p_ids + r_ids])).logits[0].float()
            logp = torch.log_softmax(logits[len(p_ids) - 1 : len(p_ids) + len(r_ids) - 1], dim=-1)
            out.append((-(logp.exp() * logp).sum(-1) / math.log(2)).numpy())
    return np.concatenate(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", type=int, default=16)
    ap.add_argument("--response-tokens", type=int, default=1024)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--chunk-positions", type=int, default=1024)
    args = ap.parse_args()

    path = build_tiny_model(
        Path(tempfile.gettempdir()) / f"ded-bench-entropy-{args.hidden}-{args.layers}",
        hidden_size=args.hidden,
        num_layers=args.layers,
    )
    tok = AutoTokenizer.from_pretrained(path)
    rng = random.Random(0)
    vocab = [i for i in range(len(tok)) if i not in tok.all_special_ids]
    prompts = [f"Question {i}: what is {i} + {i}?" for i in range(args.examples)]
    lengths = [rng.randint(args.response_tokens // 2, args.response_tokens) for _ in prompts]
    responses = [tok.decode([rng.choice(vocab) for _ in range(n)]) for n in lengths]
    cpu = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    torch.set_num_threads(max(1, torch.get_num_threads()))

    t0 = time.perf_counter()
    ours_cpu = token_entropy(cpu, tok, prompts, responses, chunk_positions=args.chunk_positions)
    t_ours = time.perf_counter() - t0
    n = ours_cpu.size
    longest = max(sum(map(len, scored_ids(tok, p, r))) for p, r in zip(prompts, responses, strict=True))
    size = f"model {args.hidden}x{args.layers}"
    print(f"{args.examples} examples, {n} response tokens, vocabulary {len(tok)}, {size}")
    if args.device == "cpu":
        t0 = time.perf_counter()
        base = direct(cpu, tok, prompts, responses)
        t_base = time.perf_counter() - t0
        diff = float(np.abs(base - ours_cpu).max())
        assert diff <= 1e-4, f"ours and the direct computation differ by {diff}"
        print(
            f"baseline (direct, full logits): {t_base:.2f} s, {n / t_base:,.0f} tokens/s, "
            f"largest logit block {longest} x {len(tok)} floats"
        )
        print(
            f"ours (batched, chunked head):   {t_ours:.2f} s, {n / t_ours:,.0f} tokens/s, "
            f"largest logit block {min(args.chunk_positions, longest)} x {len(tok)} floats"
        )
        print(f"max abs difference: {diff:.2e} bits")
        print(f"bench_token_entropy: {t_base / t_ours:.2f}x faster (baseline direct full-logit entropy)")
        return
    dev = AutoModelForCausalLM.from_pretrained(path, dtype=getattr(torch, args.dtype)).to(args.device).eval()
    token_entropy(dev, tok, prompts[:1], responses[:1])  # warm-up (kernels, allocator)
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    ours_dev = token_entropy(dev, tok, prompts, responses, chunk_positions=args.chunk_positions)
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
    t_dev = time.perf_counter() - t0
    err = np.abs(ours_dev.astype(np.float64) - ours_cpu)
    print(
        f"{args.dtype} on {args.device} vs float32 on cpu: max abs diff {err.max():.4f} bits, "
        f"mean abs diff {err.mean():.5f} bits, mean entropy {ours_cpu.mean():.4f} vs {ours_dev.mean():.4f}"
    )
    print(f"cpu float32: {n / t_ours:,.0f} tokens/s; {args.device} {args.dtype}: {n / t_dev:,.0f} tokens/s")
    print(f"bench_token_entropy: {t_ours / t_dev:.2f}x faster on {args.device} (baseline float32 on the CPU)")


if __name__ == "__main__":
    main()
