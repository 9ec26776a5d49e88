"""The DED paper's reported numbers (arXiv 2508.09883v2), for ``ded report --paper``.

Values are in points, as printed. The paper's protocol: AIME 2024/2025 and LiveCodeBench
are avg@16 ("pass@1 over 16 evaluation runs"); MATH-500 and GPQA-Diamond were evaluated
once (their values are multiples of 1/500 and 1/198). LiveCodeBench is the 2025-02..05
window, by difficulty. Every number below carries the table it is copied from; where a
model appears in several tables with the same number, the first table is named.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


__all__ = ["PAPER", "PAPER_ROWS", "TASKS", "PaperRow", "match_paper_row"]

#: the paper's benchmark columns as ``ded_*`` task names
TASKS = (
    "ded_aime24",
    "ded_aime25",
    "ded_math500",
    "ded_gpqa_diamond",
    "ded_lcb_easy",
    "ded_lcb_medium",
    "ded_lcb_hard",
)

PAPER = (
    "Wu, Jiang et al., Beyond Scaling Law: A Data-Efficient Distillation Framework for Reasoning, "
    "arXiv 2508.09883v2"
)


@dataclass(frozen=True, slots=True)
class PaperRow:
    """One model as the paper reports it: ``scores[task] = (points, table)``."""

    key: str
    name: str
    scores: Mapping[str, tuple[float, str]]
    #: hub ids of the same model, matched against an lm-eval run's model name
    aliases: tuple[str, ...] = field(default=())

    def value(self, task: str) -> float | None:
        entry = self.scores.get(task)
        return entry[0] if entry else None


def _row(
    key: str,
    name: str,
    table: str,
    *pairs: tuple[str, float],
    aliases: tuple[str, ...] = (),
    **more: tuple[float, str],
) -> PaperRow:
    scores = {task: (value, table) for task, value in pairs}
    scores.update(more)
    return PaperRow(key=key, name=name, scores=scores, aliases=aliases)


def _math(
    aime24: float, aime25: float, math500: float, gpqa: float | None = None
) -> tuple[tuple[str, float], ...]:
    out = [("ded_aime24", aime24), ("ded_aime25", aime25), ("ded_math500", math500)]
    return tuple(out + ([("ded_gpqa_diamond", gpqa)] if gpqa is not None else []))


def _lcb(easy: float, medium: float, hard: float) -> tuple[tuple[str, float], ...]:
    return (("ded_lcb_easy", easy), ("ded_lcb_medium", medium), ("ded_lcb_hard", hard))


PAPER_ROWS: tuple[PaperRow, ...] = (
    # Table 1 (teacher-student smoke test), student DS-32B; its LiveCodeBench row is Table 4's first
    _row(
        "ds_32b",
        "DS-32B (DeepSeek-R1-Distill-Qwen-32B)",
        "Table 1",
        *_math(65.63, 53.54, 89.8, 62.10),
        aliases=("deepseek-ai/DeepSeek-R1-Distill-Qwen-32B",),
        ded_lcb_easy=(88.37, "Table 4"),
        ded_lcb_medium=(54.93, "Table 4"),
        ded_lcb_hard=(10.39, "Table 4"),
    ),
    # Table 1; the same numbers are Table 3's R1-Math-DS-32B / QwQ-Math-DS-32B (1,000 raw samples)
    _row(
        "smoke_deepseek_r1",
        "DS-32B distilled from DeepSeek-R1 (smoke test)",
        "Table 1",
        *_math(73.96, 65.83, 94.6, 64.65),
    ),
    _row(
        "smoke_qwq_32b",
        "DS-32B distilled from QwQ-32B (smoke test)",
        "Table 1",
        *_math(79.58, 73.22, 95.6, 67.17),
    ),
    _row(
        "smoke_qwen3_32b",
        "DS-32B distilled from Qwen3-32B (smoke test)",
        "Table 1",
        *_math(75.00, 69.73, 94.2, 62.63),
    ),
    _row(
        "smoke_qwen3_235b_a22b",
        "DS-32B distilled from Qwen3-235B-A22B (smoke test)",
        "Table 1",
        *_math(78.75, 68.75, 90.8, 67.68),
    ),
    # Table 1, student Qwen2.5-32B-Instruct
    _row(
        "qwen25_32b_instruct",
        "Qwen2.5-32B-Instruct",
        "Table 1",
        *_math(17.50, 10.0, 81.0, 48.50),
        aliases=("Qwen/Qwen2.5-32B-Instruct",),
    ),
    _row(
        "smoke_qwen25_deepseek_r1",
        "Qwen2.5-32B-Instruct distilled from DeepSeek-R1",
        "Table 1",
        *_math(57.08, 46.88, 93.2, 62.63),
    ),
    _row(
        "smoke_qwen25_qwq_32b",
        "Qwen2.5-32B-Instruct distilled from QwQ-32B",
        "Table 1",
        *_math(67.50, 61.04, 92.8, 63.64),
    ),
    # Table 1, student phi-4
    _row("phi_4", "phi-4", "Table 1", *_math(17.92, 17.29, 79.6, 51.01), aliases=("microsoft/phi-4",)),
    _row(
        "smoke_phi4_deepseek_r1",
        "phi-4 distilled from DeepSeek-R1",
        "Table 1",
        *_math(42.92, 32.91, 88.4, 62.50),
    ),
    _row("smoke_phi4_qwq_32b", "phi-4 distilled from QwQ-32B", "Table 1", *_math(50.62, 41.67, 90.0, 58.59)),
    # Table 3 (math corpus ablation, s1K questions, QwQ-32B teacher, DS-32B student)
    _row("math_right", "QwQ-Math-DS-32B + Right (830 samples)", "Table 3", *_math(80.00, 75.21, 95.0)),
    _row(
        "math_right_hard", "QwQ-Math-DS-32B + Right-Hard (237 samples)", "Table 3", *_math(79.37, 72.29, 95.6)
    ),
    # Table 3 (+ Right-Hard-Diverse, 965 samples); GPQA-D and LiveCodeBench from Table 5 (DS-32B-Math)
    _row(
        "ntele_r1_32b_math",
        "NTele-R1-32B-Math (+ Right-Hard-Diverse, 965 samples)",
        "Table 3",
        *_math(81.87, 77.29, 95.2),
        ded_gpqa_diamond=(68.69, "Table 5"),
        ded_lcb_easy=(92.88, "Table 5"),
        ded_lcb_medium=(62.94, "Table 5"),
        ded_lcb_hard=(18.52, "Table 5"),
    ),
    # Table 4 (code corpus ablation, CodeForces questions, DS-32B student)
    _row(
        "smoke_code_deepseek_r1", "R1-Code-DS-32B (1,000 raw samples)", "Table 4", *_lcb(80.37, 57.57, 15.62)
    ),
    _row("smoke_code_qwq_32b", "QwQ-Code-DS-32B (1,000 raw samples)", "Table 4", *_lcb(85.39, 66.35, 25.27)),
    _row("code_right", "QwQ-Code-DS-32B + Right (846 samples)", "Table 4", *_lcb(89.31, 66.58, 26.72)),
    _row(
        "code_right_hard", "QwQ-Code-DS-32B + Right-Hard (230 samples)", "Table 4", *_lcb(83.72, 61.17, 23.13)
    ),
    # Table 4 (+ Right-Hard-Diverse, 925 samples); its math columns are Table 5's DS-32B-Code row
    _row(
        "ds_32b_code",
        "DS-32B-Code (+ Right-Hard-Diverse, 925 samples)",
        "Table 4",
        *_lcb(90.26, 70.19, 28.43),
        ded_aime24=(73.96, "Table 5"),
        ded_aime25=(64.17, "Table 5"),
        ded_math500=(94.8, "Table 5"),
        ded_gpqa_diamond=(65.15, "Table 5"),
    ),
    # Table 5: the mixed math + code model (~800 samples)
    _row(
        "ntele_r1_32b",
        "NTele-R1-32B (math + code, ~800 samples)",
        "Table 5",
        *_math(83.54, 74.37, 95.2, 67.68),
        *_lcb(92.58, 71.03, 30.94),
    ),
    # Table 2 (math) and Table 5 (GPQA-D, LiveCodeBench): the teacher itself
    _row(
        "qwq_32b",
        "QwQ-32B (the teacher)",
        "Table 2",
        *_math(76.25, 67.30, 94.6),
        aliases=("Qwen/QwQ-32B",),
        ded_gpqa_diamond=(63.60, "Table 5"),
        ded_lcb_easy=(92.44, "Table 5"),
        ded_lcb_medium=(68.63, "Table 5"),
        ded_lcb_hard=(23.05, "Table 5"),
    ),
)


def match_paper_row(label: str, model: str, explicit: Mapping[str, str] | None = None) -> PaperRow | None:
    """The paper row for a run: named in ``explicit[label]``, else the label is a row key, else the
    model name is one of a row's hub ids."""
    by_key = {r.key: r for r in PAPER_ROWS}
    if explicit and label in explicit:
        key = explicit[label]
        if key not in by_key:
            raise KeyError(key)
        return by_key[key]
    if label in by_key:
        return by_key[label]
    return next((r for r in PAPER_ROWS if model in r.aliases), None)
