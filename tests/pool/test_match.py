"""Matching on real benchmark data: copies flagged, boilerplate and look-alikes not."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pool_problems import generated_problems, read_jsonl

from ded_plugins.pool import Decontaminator
from ded_plugins.pool.normalize import sentences, strip_figures
from ded_plugins.records import Question


def _q(qid: str, text: str, domain: str = "math") -> Question:
    return Question(id=qid, domain=domain, prompt=text)


@pytest.fixture(scope="module")
def math500_only(math_benchmarks: list) -> Decontaminator:
    return Decontaminator([b for b in math_benchmarks if b.name == "ded_math500"])


@pytest.fixture(scope="module")
def all_math(math_benchmarks: list) -> Decontaminator:
    return Decontaminator(math_benchmarks)


def _plain_ngram_flags(pool: list[str], bench: list[str], n: int = 8) -> set[int]:
    """open-r1/s1-style decontamination: lower-cased word n-grams, any one shared flags."""

    def grams(text: str) -> set[str]:
        words = re.findall(r"\w+", text.lower())
        return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}

    bench_grams = set().union(*(grams(t) for t in bench))
    return {i for i, t in enumerate(pool) if grams(t) & bench_grams}


def test_the_five_math500_copies_and_no_other(shared_data: Path, math500_only: Decontaminator) -> None:
    pool = read_jsonl(shared_data / "qwen25math_math_cot_100.jsonl")
    bench_texts = {str(r["problem"]) for r in read_jsonl(shared_data / "math500.jsonl")}
    verbatim = {str(r["idx"]) for r in pool if r["question"] in bench_texts}
    assert len(verbatim) == 5

    flagged, similar = set(), set()
    for r in pool:
        matches = math500_only.check(_q(str(r["idx"]), str(r["question"])))
        if math500_only.dropped(matches):
            flagged.add(str(r["idx"]))
        similar |= {m.pool_id for m in matches if m.status == "similar"}
    assert flagged == verbatim

    # plain 8-gram overlap flags 15 here: the 5 copies, boilerplate, figure code, look-alikes
    plain = _plain_ngram_flags([str(r["question"]) for r in pool], sorted(bench_texts))
    plain_ids = {str(pool[i]["idx"]) for i in plain}
    assert len(plain_ids) == 15 and verbatim < plain_ids
    # the template look-alikes (same set-up, other numbers or another quantity) are listed as similar
    assert similar == {"45", "97"} and similar < plain_ids - verbatim


def test_lookalikes_carry_the_missing_numbers(shared_data: Path, math500_only: Decontaminator) -> None:
    rows = read_jsonl(shared_data / "qwen25math_math_cot_100.jsonl")
    pool = {str(r["idx"]): str(r["question"]) for r in rows}
    for qid in ("45", "97"):
        (match,) = [m for m in math500_only.check(_q(qid, pool[qid])) if m.status == "similar"]
        assert match.evidence["numbers_missing"], match
        assert match.evidence["shared_passages"]
    strict = Decontaminator(math500_only.benchmarks, drop_similar=True)
    assert strict.dropped(strict.check(_q("97", pool["97"]))) is not None


def _boilerplate(text: str) -> list[str]:
    """The figure code and answer-format sentences of a benchmark statement."""
    parts = [m.group(0) for m in re.finditer(r"\[asy\].*?\[/asy\]", text, re.S)]
    parts += [s for s in sentences(text) if re.match(r"\s*(Express|Enter|Give) your answer", s)]
    return parts


def test_boilerplate_alone_never_flags(shared_data: Path, all_math: Decontaminator) -> None:
    bench = [str(r["problem"]) for r in read_jsonl(shared_data / "math500.jsonl")]
    borrowed = [(i, part) for i, text in enumerate(bench) for part in _boilerplate(text)]
    assert len(borrowed) > 50  # figures and answer formats of real MATH-500 items
    problems = generated_problems(len(borrowed), seed=7)
    found = []
    for (i, part), problem in zip(borrowed, problems, strict=True):
        found += all_math.check(_q(f"b{i}", f"{problem} {part}"))
    assert [m for m in found if m.status == "contaminated"] == []
    # a short statement that is mostly an answer-format sentence may be listed as similar, never more
    similar = [m for m in found if m.status == "similar"]
    assert len(similar) <= len(borrowed) // 20, similar


def test_unrelated_problems_are_not_flagged(all_math: Decontaminator) -> None:
    found = [m for i, text in enumerate(generated_problems(200)) for m in all_math.check(_q(str(i), text))]
    assert found == []


def _rewrites(text: str) -> dict[str, str]:
    """The edits pools make to a copied problem."""
    inline = re.sub(r"(?<!\$)\$([^$]+)\$(?!\$)", r"\\(\1\\)", text)
    display = re.sub(r"\$\$(.+?)\$\$", r"\\[\1\\]", inline, flags=re.S)
    spaced = re.sub(r"([=+<>])", r" \1 ", text).replace("\\frac", "\\dfrac").replace("(", "\\left(")
    spaced = spaced.replace(")", "\\right)").replace("^", "^{}").replace(", ", ",\\, ")
    parts = sentences(text)
    last = parts[-1].strip()
    reworded_end = re.sub(r"^(Find|Compute|Determine)\b", "Work out", last) if parts else last
    if reworded_end == last:
        reworded_end = "Now, " + last
    return {
        "whitespace": "\n\n  ".join(text.split()),
        "delimiters": display,
        "latex spacing": spaced,
        "wrapped": f"Solve this competition problem.\n\n{text}\n\nReturn your final answer in \\boxed{{}}.",
        "reworded last sentence": " ".join([*parts[:-1], reworded_end]),
    }


def test_rewritten_aime_problems_are_flagged(shared_data: Path, all_math: Decontaminator) -> None:
    missed = []
    n = 0
    for name in ("aime24", "aime25"):
        for r in read_jsonl(shared_data / f"{name}.jsonl"):
            for how, text in _rewrites(str(r["problem"])).items():
                n += 1
                dropped = all_math.dropped(all_math.check(_q(f"{r['id']}:{how}", text)))
                found = (dropped.benchmark, dropped.benchmark_id) if dropped else None
                if found != (f"ded_{name}", str(r["id"])):
                    missed.append((r["id"], how, found))
    assert n == 300
    assert missed == []


def test_many_copies_in_the_pool_are_all_flagged(shared_data: Path, all_math: Decontaminator) -> None:
    """The boilerplate frequency comes from the benchmarks: a pool's own copies cannot hide each other."""
    problem = str(read_jsonl(shared_data / "aime25.jsonl")[4]["problem"])
    variants = [f"Problem {i}. {problem}" for i in range(25)] + list(_rewrites(problem).values())
    assert all(all_math.dropped(all_math.check(_q(str(i), t))) for i, t in enumerate(variants))


def test_figure_labels_carry_numbers(shared_data: Path, math500_only: Decontaminator) -> None:
    """Figure code never matches, but the numbers in its labels are compared when both have a figure."""
    bench = {str(r["unique_id"]): str(r["problem"]) for r in read_jsonl(shared_data / "math500.jsonl")}
    text = bench["test/prealgebra/1187.json"]  # the trapezoid's side lengths are only in the figure labels
    assert strip_figures(text) != text and '"9 cm"' in text
    relabelled = text.replace('"9 cm"', '"11 cm"')
    (match,) = [m for m in math500_only.check(_q("p", relabelled)) if m.benchmark_id.endswith("1187.json")]
    assert match.status == "similar" and match.evidence["numbers_missing"] == ["9"]
    without_figure = strip_figures(text)  # a pool that dropped the figure: the text alone decides
    dropped = math500_only.dropped(math500_only.check(_q("p", without_figure)))
    assert dropped is not None and dropped.benchmark_id.endswith("1187.json")
    other_figure = strip_figures(text) + "[asy]draw((0,0)--(4,0));[/asy]"
    (match,) = [m for m in math500_only.check(_q("p", other_figure)) if m.benchmark_id.endswith("1187.json")]
    assert match.status == "similar"
