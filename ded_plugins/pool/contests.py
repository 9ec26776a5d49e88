"""Code benchmarks by contest and date: a pool problem from the evaluation window is flagged.

LiveCodeBench takes its problems from Codeforces, AtCoder and LeetCode contests and
evaluates on a date window (``ded_livecodebench``: 2025-02-01 .. 2025-05-01). A pool
problem from a contest inside that window is contaminated even when its statement was
reworded, so it is flagged by its metadata, not its text. The fields read, from the
question's ``metadata`` (and, for ``ded pool``, from top-level columns of the row):

* date: ``contest_date`` (ISO date or date-time, LiveCodeBench's field), ``date``, or
  ``contest_start`` (Unix seconds or ISO, open-r1/codeforces' field);
* ``platform`` (``codeforces``, ``atcoder``, ``leetcode``; case-insensitive) and
  ``contest_id`` (``1873``, ``abc400``, ``weekly-contest-432``).

The date rule applies to a problem of the domain ``code`` and to one whose platform is a
LiveCodeBench source (Codeforces, AtCoder, LeetCode, or another platform of the
benchmark's items): the window is about contests, whichever platform's problems the
benchmark happened to take. The contest rule flags a problem whose
(platform, contest id) is the contest of a benchmark problem, whatever its date. For a
benchmark problem the contest is read from LiveCodeBench's ``question_id``
(``abc400_a`` -> ``abc400``, ``1873_A`` -> ``1873``); LeetCode ids do not name contests.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ded_plugins.pool.records import Benchmark, Match


__all__ = ["ContestRule", "contest_of", "question_day"]

DATE_KEYS = ("contest_date", "date", "contest_start")
#: the platforms LiveCodeBench takes problems from
PLATFORMS = frozenset({"codeforces", "atcoder", "leetcode"})
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _day(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        if value > 10**11:  # milliseconds
            value = value / 1000
        return datetime.fromtimestamp(float(value), tz=UTC).strftime("%Y-%m-%d")
    text = str(value).strip()
    if text.isdigit():
        return _day(int(text))
    return text[:10] if _DAY.match(text) else None


def question_day(fields: Mapping[str, Any]) -> str | None:
    """The contest day (``YYYY-MM-DD``) named by the first date field present, or ``None``."""
    for key in DATE_KEYS:
        day = _day(fields.get(key))
        if day:
            return day
    return None


def contest_of(question_id: str, platform: str) -> str | None:
    """The contest of a LiveCodeBench problem id, where the id names one."""
    platform = platform.lower()
    if platform == "atcoder":
        m = re.fullmatch(r"([a-z]+\d+)_[a-z0-9]+", question_id.lower())
        return m.group(1) if m else None
    if platform == "codeforces":
        m = re.fullmatch(r"(\d+)_?[a-z]\d?", question_id.lower())
        return m.group(1) if m else None
    return None


class ContestRule:
    """The date and contest checks of one code benchmark."""

    def __init__(self, benchmark: Benchmark) -> None:
        self.benchmark = benchmark
        self.window = benchmark.window
        self.platforms = PLATFORMS | {i.platform.lower() for i in benchmark.items if i.platform}
        self.contests: dict[tuple[str, str], str] = {}
        for item in benchmark.items:
            if item.platform and item.contest:
                self.contests.setdefault((item.platform.lower(), item.contest.lower()), item.id)

    def check(self, pool_id: str, domain: str, fields: Mapping[str, Any], text: str) -> Match | None:
        """A ``date`` or ``contest`` match for one pool question, or ``None``."""
        platform = str(fields.get("platform") or "").lower()
        contest = str(fields.get("contest_id") or "").lower()
        if platform and contest and (platform, contest) in self.contests:
            return Match(
                pool_id=pool_id,
                benchmark=self.benchmark.name,
                benchmark_id=self.contests[(platform, contest)],
                status="contaminated",
                method="contest",
                evidence={"platform": platform, "contest_id": contest},
                pool_text=text,
            )
        if self.window is None or (domain != "code" and platform not in self.platforms):
            return None
        day = question_day(fields)
        if day is None or not self.window[0] <= day <= self.window[1]:
            return None
        return Match(
            pool_id=pool_id,
            benchmark=self.benchmark.name,
            benchmark_id=f"window {self.window[0]}..{self.window[1]}",
            status="contaminated",
            method="date",
            evidence={
                "date": day,
                "window": list(self.window),
                **({"platform": platform} if platform else {}),
            },
            pool_text=text,
        )
