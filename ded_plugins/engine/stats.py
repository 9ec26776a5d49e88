"""A stage's ``stats.json``, counted while its rows stream past, and the stage table.

Top-level counts are of teacher rows (the corpus being curated); student rows, which are
graded and never dropped, are counted under ``by_role.student`` with how many passed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any


__all__ = ["StageCounter", "format_stage_table"]


class StageCounter:
    """Counts of one stage; ``add`` every output row once."""

    def __init__(self, stage: str, *, grades_students: bool) -> None:
        self.stage = stage
        self.grades_students = grades_students
        self.kept = 0
        self.rejected = 0
        self.dropped: Counter[str] = Counter()
        self.by_model: dict[str, dict[str, int]] = defaultdict(lambda: {"input": 0, "kept": 0})
        self.student_input = 0
        self.student_passed = 0
        self.student_failed: Counter[str] = Counter()
        self.student_models: Counter[str] = Counter()
        self._questions = bytearray()

    def add(self, row: Mapping[str, Any]) -> None:
        """Count one output row of the stage."""
        model = str(row["model"])
        if row.get("role", "teacher") == "student":
            self.student_input += 1
            self.student_models[model] += 1
            verdict = row.get("verdicts", {}).get(self.stage)
            if self.grades_students and verdict is not None:
                if verdict["passed"]:
                    self.student_passed += 1
                else:
                    self.student_failed[f"{self.stage}.{verdict['reason']}"] += 1
            return
        self.by_model[model]["input"] += 1
        rejection = row.get("rejection")
        if rejection is None:
            self.kept += 1
            self.by_model[model]["kept"] += 1
            q = int(row["qord"])
            if q >= len(self._questions):
                self._questions.extend(b"\0" * (q + 1 - len(self._questions) + 4096))
            self._questions[q] = 1
        else:
            self.rejected += 1
            self.dropped[str(rejection["reason"])] += 1

    def to_dict(self) -> dict[str, Any]:
        """The counting part of ``stats.json``."""
        student: dict[str, Any] = {"input": self.student_input}
        if self.grades_students:
            student["passed"] = self.student_passed
            student["failed"] = dict(sorted(self.student_failed.items()))
        student["by_model"] = dict(sorted(self.student_models.items()))
        return {
            "input": self.kept + self.rejected,
            "kept": self.kept,
            "rejected": self.rejected,
            "dropped": dict(sorted(self.dropped.items())),
            "questions_kept": self._questions.count(1),
            "by_model": {m: self.by_model[m] for m in sorted(self.by_model)},
            "by_role": {
                "teacher": {"input": self.kept + self.rejected, "kept": self.kept},
                "student": student,
            },
        }


def format_stage_table(stats: Sequence[Mapping[str, Any]]) -> str:
    """A plain-text table: one row per stage with counts, student passes, top drop reasons and time."""
    header = ("stage", "input", "kept", "dropped", "questions", "student", "seconds", "reasons")
    rows = [header]
    for s in stats:
        if s.get("kind") == "exporter":
            continue
        reasons = ", ".join(
            f"{k}={v}" for k, v in sorted(s.get("dropped", {}).items(), key=lambda kv: (-kv[1], kv[0]))
        )
        student = s.get("by_role", {}).get("student", {})
        if "passed" in student:
            students = f"{student['passed']}/{student['input']}"
        else:
            students = str(student.get("input", "")) if student.get("input") else "-"
        rows.append(
            (
                s["stage"],
                str(s["input"]),
                str(s["kept"]),
                str(s["rejected"]),
                str(s.get("questions_kept", s.get("questions", ""))),
                students,
                f"{s['seconds']:.1f}",
                reasons or "-",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    lines = []
    for n, r in enumerate(rows):
        cells = [
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r[:-1], widths, strict=True))
        ]
        lines.append("  ".join(cells) + "  " + r[-1])
        if n == 0:
            lines.append("-" * (sum(widths) + 2 * len(widths) + len(header[-1])))
    return "\n".join(lines)
