"""Clean a question pool before spending GPUs: benchmark decontamination and deduplication.

``ded pool decontaminate`` / ``ded pool dedup`` and the ``decontaminate`` processor and
``dedup`` selector are built from these parts: :mod:`normalize` (one canonical text),
:mod:`match` (n-gram coverage, numbers, fuzzy ratio), :mod:`contests` (code: contest and
date window), :mod:`dedup` (exact + MinHash LSH), :mod:`report` (the reports, pure).
"""

from ded_plugins.pool.decontaminate import DecontaminationResult, Decontaminator, decontaminate_pool
from ded_plugins.pool.dedup import DedupResult, dedup_pool
from ded_plugins.pool.match import MatchSettings
from ded_plugins.pool.records import Benchmark, BenchmarkItem, Duplicate, Match
from ded_plugins.pool.report import contamination_report, duplicates_report
from ded_plugins.pool.stream import PoolSource


__all__ = [
    "Benchmark",
    "BenchmarkItem",
    "DecontaminationResult",
    "Decontaminator",
    "DedupResult",
    "Duplicate",
    "Match",
    "MatchSettings",
    "PoolSource",
    "contamination_report",
    "decontaminate_pool",
    "dedup_pool",
    "duplicates_report",
]
