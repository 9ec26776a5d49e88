"""The reports a person reads to check each match in a minute: JSON for tools, Markdown for eyes.

:func:`contamination_report` and :func:`duplicates_report` are pure functions of match
records, so a curation engine can rebuild a stage report from its rejected rows (the
``decontaminate`` processor puts :meth:`Match.to_dict` into its verdict details).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ded_plugins import io
from ded_plugins.pool.normalize import strip_figures
from ded_plugins.pool.records import Duplicate, Match


__all__ = [
    "contamination_report",
    "duplicates_report",
    "write_contamination_report",
    "write_duplicates_report",
]

_SHOW = 700  # characters of each text in the Markdown report (the JSON has them whole)


def contamination_report(
    matches: Iterable[Match | Mapping[str, Any]],
    *,
    benchmarks: Mapping[str, Mapping[str, Any]] | None = None,
    pool: Mapping[str, Any] | None = None,
    settings: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], str]:
    """``contamination.json`` (an object) and ``contamination.md`` (text) from match records.

    Matches are grouped per benchmark (benchmarks in the order given, then any others by
    name), contaminated before similar, in the order they came.
    """
    records = [m if isinstance(m, Match) else Match.from_dict(m) for m in matches]
    order = list(benchmarks or {})
    order += sorted({m.benchmark for m in records} - set(order))
    grouped: dict[str, list[Match]] = defaultdict(list)
    for m in records:
        grouped[m.benchmark].append(m)
    per: dict[str, Any] = {}
    for name in order:
        ms = sorted(grouped.get(name, []), key=lambda m: m.status != "contaminated")
        info = dict((benchmarks or {}).get(name, {}))
        per[name] = {
            **info,
            "contaminated": sum(m.status == "contaminated" for m in ms),
            "similar": sum(m.status == "similar" for m in ms),
            "matches": [m.to_dict() for m in ms],
        }
    obj = {"settings": dict(settings or {}), "pool": dict(pool or {}), "benchmarks": per}
    return obj, _contamination_md(obj)


def _contamination_md(obj: Mapping[str, Any]) -> str:
    pool = obj["pool"]
    lines = ["# Contamination report", ""]
    if pool:
        lines += [
            f"Pool `{pool.get('pool', '?')}`: {pool.get('questions', '?')} questions, "
            f"{pool.get('kept', '?')} kept, {pool.get('dropped', '?')} dropped"
            + (" (similar ones dropped too)" if pool.get("drop_similar") else "")
            + ".",
            "",
        ]
    settings = obj["settings"]
    if settings:
        lines += ["Settings: " + ", ".join(f"`{k}={v}`" for k, v in settings.items()), ""]
    lines += ["| benchmark | source | items | contaminated | similar |", "|---|---|---:|---:|---:|"]
    for name, b in obj["benchmarks"].items():
        lines.append(
            f"| {name} | {b.get('source', '')} | {b.get('items', '')} "
            f"| {b['contaminated']} | {b['similar']} |"
        )
    lines += [
        "",
        "*contaminated*: dropped. *similar*: a look-alike (shares a long passage, but not the",
        "numbers or not enough of the statement); kept unless similar ones are dropped on request.",
    ]
    for name, b in obj["benchmarks"].items():
        if not b["matches"]:
            continue
        lines += ["", f"## {name}", ""]
        for i, m in enumerate(b["matches"], 1):
            lines += _match_md(i, m)
    return "\n".join(lines) + "\n"


def _match_md(i: int, m: Mapping[str, Any]) -> list[str]:
    ev = m["evidence"]
    head = f"### {i}. {m['status']} ({m['method']}): pool `{m['pool_id']}` ~ benchmark `{m['benchmark_id']}`"
    facts = []
    if "coverage" in ev:
        facts.append(f"coverage {ev['coverage']:.0%} of the statement's informative tokens")
    if "fuzzy_ratio" in ev:
        facts.append(f"fuzzy ratio {ev['fuzzy_ratio']}")
    if ev.get("numbers_missing"):
        facts.append("benchmark numbers missing from the pool question: " + ", ".join(ev["numbers_missing"]))
    if "date" in ev:
        facts.append(f"contest date {ev['date']} inside the window {' .. '.join(ev.get('window', []))}")
    if "contest_id" in ev:
        facts.append(f"contest {ev.get('platform', '')} {ev['contest_id']} is a benchmark contest")
    out = [head, ""]
    if facts:
        out += ["- " + f for f in facts]
    for passage in ev.get("shared_passages", [])[:6]:
        out.append(f"- shared: «{_cut(passage, 300)}»")
    out += ["", "Pool question:", "", *_quote(m["pool_text"])]
    if m.get("benchmark_text"):
        out += ["", "Benchmark item:", "", *_quote(m["benchmark_text"])]
    out.append("")
    return out


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quote(text: str) -> list[str]:
    shown = strip_figures(text)
    note = " [figure code not shown]" if shown != text else ""
    return ["> " + _cut(shown, _SHOW) + note]


def write_contamination_report(
    directory: str | Path,
    matches: Iterable[Match | Mapping[str, Any]],
    **kwargs: Any,
) -> tuple[Path, Path, dict[str, dict[str, int]]]:
    """Write ``contamination.json`` and ``contamination.md`` into ``directory`` (atomically)."""
    obj, md = contamination_report(matches, **kwargs)
    where = Path(directory)
    json_path, md_path = where / "contamination.json", where / "contamination.md"
    io.write_json(json_path, obj)
    io.write_text(md_path, md)
    counts = {
        name: {"contaminated": b["contaminated"], "similar": b["similar"]}
        for name, b in obj["benchmarks"].items()
    }
    return json_path, md_path, counts


def duplicates_report(
    duplicates: Iterable[Duplicate],
    *,
    kept_texts: Mapping[str, str] | None = None,
    pool: Mapping[str, Any] | None = None,
    settings: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], str]:
    """``duplicates.json`` and ``duplicates.md``: one cluster per kept question that had duplicates."""
    clusters: dict[str, list[Duplicate]] = {}
    for d in duplicates:
        clusters.setdefault(d.kept_id, []).append(d)
    texts = kept_texts or {}
    listed: list[dict[str, Any]] = [
        {
            "kept": {"id": kept, "text": texts.get(kept, "")},
            "duplicates": [
                {"id": d.id, "method": d.method, "similarity": d.similarity, "text": d.text} for d in dups
            ],
        }
        for kept, dups in clusters.items()
    ]
    obj = {"settings": dict(settings or {}), "pool": dict(pool or {}), "clusters": listed}
    lines = ["# Duplicate report", ""]
    if pool:
        lines += [
            f"Pool `{pool.get('pool', '?')}`: {pool.get('questions', '?')} questions, "
            f"{pool.get('kept', '?')} kept, {pool.get('dropped', '?')} dropped as duplicates "
            f"in {len(listed)} clusters; the first of each cluster in pool order is kept.",
            "",
        ]
    if settings:
        lines += ["Settings: " + ", ".join(f"`{k}={v}`" for k, v in settings.items()), ""]
    for i, c in enumerate(listed, 1):
        lines += [f"## {i}. kept `{c['kept']['id']}`", "", *_quote(c["kept"]["text"]), ""]
        for d in c["duplicates"]:
            lines += [f"- dropped `{d['id']}` ({d['method']}, similarity {d['similarity']:.2f})", ""]
            lines += ["  " + q for q in _quote(d["text"])] + [""]
    return obj, "\n".join(lines) + "\n"


def write_duplicates_report(
    directory: str | Path, duplicates: Iterable[Duplicate], **kwargs: Any
) -> tuple[Path, Path]:
    """Write ``duplicates.json`` and ``duplicates.md`` into ``directory`` (atomically)."""
    obj, md = duplicates_report(duplicates, **kwargs)
    where = Path(directory)
    json_path, md_path = where / "duplicates.json", where / "duplicates.md"
    io.write_json(json_path, obj)
    io.write_text(md_path, md)
    return json_path, md_path
