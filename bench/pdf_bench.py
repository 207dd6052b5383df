"""The PDF part of ``make bench``: govreport against a naive pdfplumber baseline, same PDFs, one core.

    .venv/bin/python bench/pdf_bench.py [--runs N] [--limit N]   # prints the markdown section

The PDFs are the test fixtures (tests/fixtures/pdf.py: every gold report in
every layout, LibreOffice conversions and reportlab drawings). The process is pinned to one CPU so that
the figures are per core (making the fixtures takes about a minute). For each PDF: govreport's ``convert`` (pdfplumber
reader, template-anchored assembly, validation) and the naive baseline of
naive_pdf.py (pdfplumber's ``extract_tables()`` with a label lookup), each
timed ``--runs`` times after one untimed run, and each scored cell by cell
against the gold.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

import naive_pdf  # noqa: E402
from fixtures import Gold  # noqa: E402
from fixtures.pdf import PdfFixtures, pdf_cases  # noqa: E402
from goldcheck import compare  # noqa: E402

from govreport.convert import convert  # noqa: E402
from govreport.templates import template  # noqa: E402

TYPICAL_PAGES = 5  # "a typical 5-page report": the target is under 1 s on one core


@dataclass
class Case:
    name: str
    content: bytes
    gold: Gold


@dataclass
class Score:
    seconds: list[float] = field(default_factory=list)  # each PDF's median
    pages: list[int] = field(default_factory=list)
    right: int = 0
    cells: int = 0

    def add(self, seconds: float, pages: int, right: int, cells: int) -> None:
        self.seconds.append(seconds)
        self.pages.append(pages)
        self.right += right
        self.cells += cells

    @property
    def accuracy(self) -> float:
        return 100.0 * self.right / self.cells if self.cells else 0.0

    def per_page(self) -> float:
        return statistics.median(s / p for s, p in zip(self.seconds, self.pages, strict=True))

    def per_report(self) -> float:
        return statistics.median(self.seconds)

    def typical(self) -> float | None:
        """Median seconds of the PDFs with TYPICAL_PAGES pages, if there are any."""
        picked = [s for s, p in zip(self.seconds, self.pages, strict=True) if p == TYPICAL_PAGES]
        return statistics.median(picked) if picked else None


def load_cases(work: Path, limit: int | None) -> list[Case]:
    """Every PDF fixture with its gold (LibreOffice converts them all in one run)."""
    wanted = pdf_cases()[:limit] if limit else pdf_cases()
    with PdfFixtures(work) as fixtures:
        fixtures.start_conversion(wanted)
        return [Case(f"{stem}/{layout}", *fixtures.get(stem, layout)) for stem, layout in wanted]


def _median_seconds(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up, outside the timing
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _gold_keys(gold: Gold) -> dict[str, str]:
    """Template cell path -> expected notation."""
    tpl = template(gold.version)
    by_label = {(s, row.label, col.label): row.cell_path(col) for s, row, col in tpl.cells()}
    return {
        by_label[(c.section, c.row, c.column)]: c.expected
        for c in gold.cells
        if (c.section, c.row, c.column) in by_label
    }


def measure(cases: list[Case], runs: int) -> tuple[Score, Score, list[str]]:
    ours, naive = Score(), Score()
    notes: list[str] = []
    for case in cases:
        extraction = convert(case.content, case.name)
        pages = extraction.document.page_count
        mismatches = compare(extraction.report, [c._asdict() for c in case.gold.cells])
        total = len(case.gold.cells)
        seconds = _median_seconds(lambda c=case: convert(c.content, c.name), runs)
        ours.add(seconds, pages, total - min(total, len(mismatches)), total)
        if mismatches:
            notes.append(f"{case.name}: {len(mismatches)} cells differ from gold")

        tpl = template(case.gold.version)
        expected = _gold_keys(case.gold)
        found = naive_pdf.extract(case.content, tpl)
        right = sum(1 for path, want in expected.items() if found.get(path) == want)
        seconds = _median_seconds(lambda c=case, t=tpl: naive_pdf.extract(c.content, t), runs)
        naive.add(seconds, pages, right, len(expected))
    return ours, naive, notes


def profile_of(case: Case, top: int = 8) -> list[str]:
    """Where convert's time goes on one PDF: the functions with the most cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    convert(case.content, case.name)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return [
        "```",
        *[line for line in out.getvalue().splitlines() if line.strip()][-top - 1 :],
        "```",
    ]


def section(runs: int, limit: int | None = None) -> list[str]:
    """The markdown section for docs/benchmarks.md."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    with tempfile.TemporaryDirectory(prefix="govreport-pdf-bench-") as work:
        cases = load_cases(Path(work), limit)
    ours, naive, notes = measure(cases, runs)
    typical = ours.typical()
    ratio = ours.accuracy / naive.accuracy if naive.accuracy else float("inf")
    lines = [
        "## Digital PDFs",
        "",
        f"{len(cases)} PDFs (the gold reports in every layout of tests/fixtures/pdf.py, "
        f"{sum(ours.pages)} pages, {ours.cells} gold cells), one process pinned to one CPU; "
        f"each PDF's median of {runs} runs after a warm-up, then the median over the PDFs.",
        "",
        "| extractor | cells equal to gold | s/page | s/report | s per 5-page report |",
        "|---|---:|---:|---:|---:|",
        f"| govreport (pdfplumber + template-anchored assembly + validation) | "
        f"{ours.right}/{ours.cells} ({ours.accuracy:.2f}%) | {ours.per_page():.3f} | "
        f"{ours.per_report():.3f} | {_fmt(typical)} |",
        f"| naive: pdfplumber `extract_tables()` + label lookup (bench/naive_pdf.py) | "
        f"{naive.right}/{naive.cells} ({naive.accuracy:.2f}%) | {naive.per_page():.3f} | "
        f"{naive.per_report():.3f} | {_fmt(naive.typical())} |",
        "",
        f"Accuracy ratio govreport/naive: {ratio:.2f}×. "
        f"Target: a 5-page report under 1 s on one core: "
        + (
            "no 5-page PDF in the set."
            if typical is None
            else f"{typical:.3f} s ({'met' if typical < 1.0 else 'missed'})."
        ),
    ]
    if notes:
        lines += ["", "govreport cells that differ from gold:", "", *[f"- {n}" for n in notes]]
    slowest = max(cases, key=lambda c: len(c.content))
    lines += ["", f"Where the time goes (cProfile, cumulative, {slowest.name}):", ""]
    lines += profile_of(slowest)
    return lines


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None, help="only the first N PDFs")
    args = parser.parse_args(argv)
    print("\n".join(section(args.runs, args.limit)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
