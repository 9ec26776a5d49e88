"""What a teacher metric sees, and the protocol it follows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ded_plugins.records import Question, Rollout
from ded_plugins.registry import Registry


__all__ = ["TeacherContext", "load_model"]


@dataclass(frozen=True, kw_only=True)
class TeacherContext:
    """One candidate teacher after its smoke-test run."""

    teacher: str
    questions: Mapping[str, Question]
    #: the teacher's 1-per-question corpus, in question order
    rollouts: Sequence[Rollout]
    #: the base student (hub id or path)
    student: str
    #: the student after the smoke-test SFT on this teacher's corpus (a model or an adapter dir)
    tuned_student: Path | None
    #: local weights of the teacher, when it has them (for teacher-scored entropy)
    teacher_model: str | None
    #: where the metric may write artifacts (arrays for the plots)
    out_dir: Path
    registry: Registry
    base_dir: Path


def load_model(
    path: str | Path, *, base: str | None = None, dtype: str = "auto", device: str = "auto"
) -> Any:
    """``(model, tokenizer)``; a LoRA adapter directory is merged into ``base``.

    ``auto`` picks CUDA with bfloat16 when a GPU is present, else CPU with float32.
    """
    from ded_plugins._optional import require

    torch = require("torch", "train", purpose="loading a model for teacher metrics")
    transformers = require("transformers", "analysis", purpose="loading a model for teacher metrics")
    # "auto" on GPUs spreads a model too big for one GPU over all of them
    placement: dict[str, Any] = {}
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
        if device == "cuda":
            placement = {"device_map": "auto"}
    if dtype == "auto":
        dtype = "bfloat16" if device.startswith("cuda") else "float32"
    torch_dtype = getattr(torch, dtype)
    adapter = Path(path) / "adapter_config.json"
    if adapter.is_file():
        if base is None:
            raise ValueError(f"{path} is a LoRA adapter; the base model is needed")
        peft = require("peft", "train", purpose="loading a LoRA adapter")
        model = transformers.AutoModelForCausalLM.from_pretrained(base, dtype=torch_dtype, **placement)
        model = peft.PeftModel.from_pretrained(model, str(path)).merge_and_unload()
    else:
        model = transformers.AutoModelForCausalLM.from_pretrained(str(path), dtype=torch_dtype, **placement)
    tokenizer = transformers.AutoTokenizer.from_pretrained(base if adapter.is_file() else str(path))
    if not placement:
        model = model.to(device)
    return model.eval(), tokenizer
