"""Scanned-report OCR: accuracy and seconds per page on one core, written to docs/ocr-benchmarks.md.

    .venv/bin/python bench/ocr_bench.py [--kinds real,generated] [--dpis 150,200,300]
        [--seals "heading:三;header:三+header:四"] [--stems a,b] [--baseline-stems N] [--output F]

Two kinds of report, measured and reported apart, the real ones first:

- real: every report of ../shared/corpus with a gold CSV, its own PDF or
  its HTML page printed by headless Chromium, scanned by
  tests/fixtures/scans.py once per seal placement (--seals: placements of
  one scan joined by "+", scans by ";"; by default a seal over the heading
  of 三, then seals over the header rows of 三 and 四), 0.5–2° skew. Its
  gold is the corpus CSV, scored as the corpus's score.py scores it.
- generated: every gold report (tests/gold plus the two synthetic ones)
  rendered to DOCX by tests/fixtures/writer.py, converted to PDF by
  LibreOffice and scanned with a seal over table 三 and the signature,
  0.5–3° skew.

Both get grey paper, noise, blur and JPEG 40–85 at each dpi. Each page is
read by govreport.ocr with its time split into preprocessing, grid
detection and recognition; the report is then assembled and validated and
every gold cell compared. A wrong cell is *flagged* when its confidence is
below GOVREPORT_OCR_MIN_CONFIDENCE or a finding names it (Q1, a broken R1–R4
sum, R6a: no number where one belongs).

The baseline reads the first --baseline-stems generated reports' pages
with one full-page Tesseract call (rules left in, chi_sim, --psm 6 and
--psm 4) and sends the text through the plain-text reader. Everything runs
on one core: OMP_THREAD_LIMIT=1 for Tesseract and one OpenCV thread.

The docs file is written only when both kinds ran (or --output is given),
so that iterating with ``--kinds real`` leaves it alone.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

os.environ["OMP_THREAD_LIMIT"] = "1"

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import pytesseract  # noqa: E402
from fixtures.scans import (  # noqa: E402
    CORPUS_SEALS,
    Judgement,
    Scan,
    corpus_pdfs,
    corpus_scan,
    judge,
    scan_pdf,
    source_pdfs,
)
from fixtures.writer import SYNTHETIC, Gold, gold_stems  # noqa: E402
from PIL import Image  # noqa: E402

from govreport.assembly import assemble  # noqa: E402
from govreport.convert import convert  # noqa: E402
from govreport.errors import GovreportError  # noqa: E402
from govreport.ir import Document, SourceFormat  # noqa: E402
from govreport.ocr import read_image_page  # noqa: E402
from govreport.settings import Settings  # noqa: E402
from govreport.v1 import service_pb2  # noqa: E402
from govreport.validation import validate  # noqa: E402

cv2.setNumThreads(1)

KINDS = ("real", "generated")
KIND_LABEL = {"real": "real reports", "generated": "generated reports"}


@dataclass
class Run:
    stem: str
    dpi: int
    kind: str = "generated"
    seals: str = ""  # the seal placements of a real report's scan, "+"-joined
    pages: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    scan_seconds: float = 0.0  # the simulated scan itself, not counted in s/page
    judgement: Judgement | None = None
    error: str = ""

    @property
    def name(self) -> str:
        return (
            f"{self.stem} [{self.seals}] {self.dpi} dpi"
            if self.seals
            else f"{self.stem} {self.dpi} dpi"
        )

    @property
    def per_page(self) -> float:
        return sum(self.seconds.values()) / self.pages if self.pages else 0.0


def run_ocr(
    stem: str, pdf: Path, gold: Gold, scan: Scan, threshold: float, kind: str = "generated"
) -> tuple[Run, list[Image.Image]]:
    run = Run(stem, scan.dpi, kind, "+".join(scan.seal_over or ()) if kind == "real" else "")
    started = time.perf_counter()
    pages = scan_pdf(pdf, scan)
    run.scan_seconds = time.perf_counter() - started
    run.pages = len(pages)
    document = Document(SourceFormat.IMAGE, page_count=len(pages))
    for number, page in enumerate(pages, start=1):
        timings: dict[str, float] = {}
        document.blocks.extend(read_image_page(np.asarray(page), number, scan.dpi, timings=timings))
        for stage, seconds in timings.items():
            run.seconds[stage] = run.seconds.get(stage, 0.0) + seconds
    try:
        report = assemble(document, None, filename=f"{stem}.tif")
        extraction = service_pb2.Extraction(report=report, validation=validate(report))
        run.judgement = judge(extraction, gold, threshold)
    except GovreportError as exc:
        run.error = str(exc)
    return run, pages


def run_baseline(
    stem: str, pages: list[Image.Image], gold: Gold, dpi: int, psm: int, threshold: float
) -> Run:
    run = Run(stem, dpi, pages=len(pages))
    texts: list[str] = []
    started = time.perf_counter()
    for page in pages:
        gray = cv2.cvtColor(np.asarray(page), cv2.COLOR_RGB2GRAY)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "page.pgm"
            cv2.imwrite(str(path), gray)
            texts.append(
                pytesseract.image_to_string(str(path), lang="chi_sim", config=f"--psm {psm}")
            )
    run.seconds["recognize"] = time.perf_counter() - started
    try:
        extraction = convert("\n".join(texts).encode("utf-8"), f"{stem}.txt")
        run.judgement = judge(extraction, gold, threshold)
    except GovreportError as exc:
        run.error = f"{exc.reason}: {exc}"
    return run


def _summary(run: Run) -> str:
    j = run.judgement
    if j is None:
        return run.error
    return (
        f"{len(j.wrong)} wrong / {j.checked} ({100 * j.accuracy:.2f} %), "
        f"{len(j.unflagged)} unflagged"
    )


def _report(run: Run) -> None:
    print(
        f"{run.name}: {run.pages} pages, {run.per_page:.2f} s/page "
        f"(scan simulation {run.scan_seconds / max(1, run.pages):.2f} s/page), {_summary(run)}",
        flush=True,
    )
    if run.judgement:
        for line in run.judgement.wrong:
            print("   ", line, flush=True)


def _per_page(runs: list[Run], stage: str) -> float:
    pages = sum(r.pages for r in runs)
    return sum(r.seconds.get(stage, 0.0) for r in runs) / pages if pages else 0.0


def _counts(runs: list[Run]) -> tuple[int, int, int, int, float, float]:
    """cells, wrong, wrong and unflagged, failed, accuracy in %, seconds per page."""
    checked = sum(r.judgement.checked for r in runs if r.judgement)
    wrong = sum(len(r.judgement.wrong) for r in runs if r.judgement)
    unflagged = sum(len(r.judgement.unflagged) for r in runs if r.judgement)
    failed = sum(1 for r in runs if r.error)
    accuracy = 100 * (1 - wrong / checked) if checked else 0.0
    total = sum(sum(r.seconds.values()) for r in runs) / max(1, sum(r.pages for r in runs))
    return checked, wrong, unflagged, failed, accuracy, total


def _accuracy_row(label: str, runs: list[Run]) -> str:
    checked, wrong, unflagged, failed, accuracy, total = _counts(runs)
    return (
        f"| {label} | {len(runs)} | {sum(r.pages for r in runs)} | {checked} | {wrong} | "
        f"{unflagged} | {accuracy:.2f} % | {failed} | {total:.2f} |"
    )


def _kind_row(kind: str, dpi: int, runs: list[Run]) -> str:
    checked, wrong, unflagged, failed, accuracy, total = _counts(runs)
    documents = len({r.stem for r in runs})
    return (
        f"| {KIND_LABEL[kind]} | {dpi} | {documents} | {len(runs)} | "
        f"{sum(r.pages for r in runs)} | {checked} | {wrong} | {unflagged} | "
        f"{accuracy:.2f} % | {failed} | {total:.2f} |"
    )


def _document_row(run: Run) -> str:
    j = run.judgement
    if j is None:
        return f"| {run.stem} | {run.seals} | {run.dpi} | {run.pages} | – | – | – | failed | {run.per_page:.2f} |"
    return (
        f"| {run.stem} | {run.seals} | {run.dpi} | {run.pages} | {j.checked} | {len(j.wrong)} | "
        f"{len(j.unflagged)} | {100 * j.accuracy:.2f} % | {run.per_page:.2f} |"
    )


KIND_TABLE = [
    "| reports | dpi | documents | scans | pages | cells | wrong | wrong and unflagged | cell accuracy | failed | s/page |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
]
DOCUMENT_TABLE = [
    "| report | seals | dpi | pages | cells | wrong | wrong and unflagged | cell accuracy | s/page |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--kinds", default=",".join(KINDS), help="real, generated or both (comma-separated)"
    )
    parser.add_argument("--stems", default=",".join([*gold_stems(), *SYNTHETIC]))
    parser.add_argument("--dpis", default="150,200,300")
    parser.add_argument(
        "--seals",
        default=";".join("+".join(v) for v in CORPUS_SEALS),
        help='real reports\' scans: placements of one scan joined by "+", scans by ";"',
    )
    parser.add_argument("--baseline-stems", type=int, default=2)
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="the docs file (default docs/ocr-benchmarks.md, written only when both kinds ran)",
    )
    args = parser.parse_args()
    kinds = [k for k in KINDS if k in args.kinds.split(",")]
    unknown = set(args.kinds.split(",")) - set(KINDS)
    if unknown or not kinds:
        parser.error(f"--kinds: {', '.join(sorted(unknown)) or 'none'}; use real and/or generated")
    stems = args.stems.split(",")
    dpis = [int(d) for d in args.dpis.split(",")]
    seal_sets = [tuple(v.split("+")) for v in args.seals.split(";") if v]
    threshold = Settings.from_env().ocr_min_confidence
    started = time.perf_counter()
    ours: dict[tuple[str, int], list[Run]] = {(k, d): [] for k in kinds for d in dpis}
    base: dict[tuple[int, int], list[Run]] = {(d, p): [] for d in dpis for p in (6, 4)}
    real_names: list[str] = []
    with tempfile.TemporaryDirectory(prefix="govreport-ocr-bench-") as tmp:
        if "real" in kinds:
            print("== real reports ==", flush=True)
            real = corpus_pdfs(Path(tmp) / "corpus")
            real_names = list(real)
            for stem, (pdf, gold) in real.items():
                for seals in seal_sets:
                    for dpi in dpis:
                        run, _ = run_ocr(
                            stem, pdf, gold, corpus_scan(dpi, seals), threshold, "real"
                        )
                        ours[("real", dpi)].append(run)
                        _report(run)
        if "generated" in kinds:
            print("== generated reports ==", flush=True)
            pdfs = source_pdfs(stems, Path(tmp) / "generated")
            for i, (stem, (pdf, gold)) in enumerate(pdfs.items()):
                for dpi in dpis:
                    run, pages = run_ocr(stem, pdf, gold, Scan(dpi=dpi, seed=1), threshold)
                    ours[("generated", dpi)].append(run)
                    _report(run)
                    if i < args.baseline_stems:
                        for psm in (6, 4):
                            b = run_baseline(stem, pages, gold, dpi, psm, threshold)
                            base[(dpi, psm)].append(b)
                            print(f"  baseline psm {psm}: {_summary(b)}", flush=True)
    elapsed = time.perf_counter() - started

    by_kind = [*KIND_TABLE]
    for dpi in dpis:
        by_kind += [_kind_row(kind, dpi, ours[(kind, dpi)]) for kind in kinds]
    print("\n" + "\n".join(by_kind))

    lines = [
        "# OCR benchmarks",
        "",
        "Scanned reports read by `govreport.ocr` (readers/image.py), one core "
        "(`OMP_THREAD_LIMIT=1`, one OpenCV thread). Written by `bench/ocr_bench.py`.",
        "",
        f"- machine: {os.cpu_count()} CPUs, {platform.machine()}, {platform.system()} {platform.release()}",
        f"- python: {platform.python_version()}; tesseract: {pytesseract.get_tesseract_version()}; "
        f"OpenCV {cv2.__version__}",
    ]
    if "real" in kinds:
        lines.append(
            f"- real reports: {len(real_names)} ({', '.join(real_names)}), the files of "
            "`../shared/corpus` with a gold CSV (HTML printed by headless Chromium on A4) → simulated scan "
            f"(seals over {' / '.join('+'.join(v) for v in seal_sets)}, one scan each; 0.5–2° skew, "
            "grey paper and shadow, noise σ 6, blur, JPEG 40–85), seed 1; scored as the corpus's "
            "score.py does (numbers compare as numbers, 0 is right for a blank)"
        )
    if "generated" in kinds:
        lines.append(
            f"- generated reports: {len(stems)} ({', '.join(stems)}), rendered DOCX → PDF (LibreOffice) → "
            "simulated scan (seal over 三 and the signature, 0.5–3° skew, grey paper and shadow, "
            "noise σ 6, blur, JPEG 40–85), seed 1"
        )
    lines += [
        f"- flagged: confidence < {threshold} (GOVREPORT_OCR_MIN_CONFIDENCE) or named by a finding "
        "(Q1, a broken R1–R4 sum, R6a no number where one belongs)",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; whole run {elapsed:.0f} s",
        "",
        "## Accuracy by kind of report (every gold cell of 二, 三, 四)",
        "",
        *by_kind,
    ]
    if "real" in kinds:
        lines += ["", "## Real reports, one scan at a time", "", *DOCUMENT_TABLE]
        lines += [_document_row(r) for dpi in dpis for r in ours[("real", dpi)]]
    if "generated" in kinds:
        lines += [
            "",
            "## Generated reports against the baseline (full-page Tesseract)",
            "",
            "| reader | reports | pages | cells | wrong | wrong and unflagged | cell accuracy | failed | s/page |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for dpi in dpis:
            lines.append(_accuracy_row(f"govreport.ocr, {dpi} dpi", ours[("generated", dpi)]))
        for (dpi, psm), runs in base.items():
            if runs:
                lines.append(
                    _accuracy_row(f"baseline: full page, chi_sim --psm {psm}, {dpi} dpi", runs)
                )
    lines += [
        "",
        "## Seconds per page, one core",
        "",
        "| reader | reports | dpi | preprocess | grid | recognise | total | slowest report s/page |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in kinds:
        for dpi in dpis:
            runs = ours[(kind, dpi)]
            pre, grid, rec = (_per_page(runs, s) for s in ("preprocess", "grid", "recognize"))
            worst = max((r.per_page for r in runs), default=0.0)
            lines.append(
                f"| govreport.ocr | {kind} | {dpi} | {pre:.2f} | {grid:.2f} | {rec:.2f} | "
                f"{pre + grid + rec:.2f} | {worst:.2f} |"
            )
    for (dpi, psm), runs in base.items():
        if runs:
            rec = _per_page(runs, "recognize")
            lines.append(
                f"| baseline chi_sim --psm {psm} | generated | {dpi} | – | – | {rec:.2f} | {rec:.2f} | – |"
            )
    for kind in kinds:
        wrong = [
            f"- {r.name}: {line}"
            for dpi in dpis
            for r in ours[(kind, dpi)]
            if r.judgement
            for line in r.judgement.wrong
        ]
        lines += [
            "",
            f"## Wrong cells, {KIND_LABEL[kind]} (govreport.ocr)",
            "",
            *(wrong or ["none"]),
        ]
    errors = [f"- {r.name}: {r.error}" for runs in ours.values() for r in runs if r.error]
    if errors:
        lines += ["", "## Failed reports", "", *errors]
    output = args.output
    if output is None and len(kinds) == len(KINDS):
        output = ROOT / "docs/ocr-benchmarks.md"
    if output is None:
        print("not writing docs/ocr-benchmarks.md: only some kinds ran (--output F writes anyway)")
    else:
        output.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"wrote {output}")
    print(
        "median s/page:",
        {
            f"{kind} {dpi}": round(statistics.median(r.per_page for r in runs), 2)
            for (kind, dpi), runs in ours.items()
            if runs
        },
    )
    print(f"whole run {elapsed:.0f} s")


if __name__ == "__main__":
    main()
