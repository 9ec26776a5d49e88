"""PCA shift of the student's latent representations, before vs after SFT (DED §4.4, Fig. 4).

Follows the method DED cites (Huan et al. 2025; ``reference/paper.md`` §1.5):

1. benchmark texts, left-padded and truncated to 128 tokens with the base tokenizer;
2. every hidden-state index (embeddings plus each layer) mean-pooled over the sequence
   (pad positions included, as in the cited code; ``pool="masked"`` leaves them out);
3. per layer a 2-component PCA fitted on the base model's features; raw (uncentred)
   features of both models projected onto it; Original = (0, pc2_base),
   Updated = (pc1_tuned - pc1_base, pc2_tuned);
4. ``dis`` = distance between the mean Updated and the mean Original point over layers.

All texts are padded to one common width, so results do not depend on the batch size.
Component signs follow scikit-learn's current convention (largest-magnitude loading
positive), which ``dis`` depends on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ded_plugins._optional import require


__all__ = ["PCAShift", "layer_features", "pca_shift"]


@dataclass(frozen=True, slots=True)
class PCAShift:
    """Per-layer points and shifts, and the summary distance ``dis``."""

    original: np.ndarray  # (layers, 2)
    updated: np.ndarray  # (layers, 2)
    dis: float

    @property
    def per_layer(self) -> np.ndarray:
        """Distance between Updated and Original at each hidden-state index."""
        return np.asarray(np.linalg.norm(self.updated - self.original, axis=1))


def layer_features(
    model: Any,
    tokenizer: Any,
    texts: Sequence[str],
    *,
    max_length: int = 128,
    batch_size: int = 8,
    pool: str = "all",
) -> np.ndarray:
    """Mean-pooled hidden states, shape ``(layers + 1, len(texts), hidden)``, float32."""
    torch = require("torch", "train", purpose="PCA shift")
    if pool not in ("all", "masked"):
        raise ValueError(f"pool must be 'all' or 'masked', found {pool!r}")
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    encoded = [list(tokenizer(t)["input_ids"])[:max_length] for t in texts]
    width = max(len(e) for e in encoded)
    device = next(model.parameters()).device
    chunks = []
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(encoded), batch_size):
            part = encoded[start : start + batch_size]
            ids = torch.tensor([[pad] * (width - len(e)) + e for e in part])  # left padding
            mask = torch.tensor([[0] * (width - len(e)) + [1] * len(e) for e in part])
            out = model(
                input_ids=ids.to(device),
                attention_mask=mask.to(device),
                output_hidden_states=True,
                use_cache=False,
            )
            m = mask.to(device).unsqueeze(-1).float()
            pooled = [
                (h.float() * m).sum(1) / m.sum(1) if pool == "masked" else h.float().mean(1)
                for h in out.hidden_states
            ]
            chunks.append(torch.stack(pooled).cpu().numpy())
    return np.concatenate(chunks, axis=1).astype(np.float32)


def _components(x: np.ndarray) -> np.ndarray:
    centred = x - x.mean(axis=0, keepdims=True)
    _, _, vt = np.linalg.svd(centred.astype(np.float64), full_matrices=False)
    comps = vt[:2]
    signs = np.sign(comps[np.arange(comps.shape[0]), np.argmax(np.abs(comps), axis=1)])
    signs[signs == 0] = 1.0
    return np.asarray(comps * signs[:, None])


def pca_shift(base: np.ndarray, tuned: np.ndarray) -> PCAShift:
    """``dis`` from features of :func:`layer_features` for the base and the tuned model."""
    if base.shape != tuned.shape or base.ndim != 3:
        raise ValueError(
            f"feature shapes differ or are not (layers, k, hidden): {base.shape} vs {tuned.shape}"
        )
    if base.shape[1] < 2:
        raise ValueError("PCA shift needs at least 2 texts")
    original = np.zeros((base.shape[0], 2))
    updated = np.zeros((base.shape[0], 2))
    for layer in range(base.shape[0]):
        comps = _components(base[layer])
        pb = (base[layer].astype(np.float64) @ comps.T).mean(axis=0)
        pu = (tuned[layer].astype(np.float64) @ comps.T).mean(axis=0)
        original[layer] = (0.0, pb[1])
        updated[layer] = (pu[0] - pb[0], pu[1])
    dis = float(np.linalg.norm(updated.mean(axis=0) - original.mean(axis=0)))
    return PCAShift(original=original, updated=updated, dis=dis)
