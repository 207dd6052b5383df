"""Scanned-report OCR: accuracy and seconds per page on one core, written to docs/ocr-benchmarks.md.

    .venv/bin/python bench/ocr_bench.py [--stems a,b] [--dpis 200,300] [--baseline-stems N]

Every gold report (tests/gold plus the two synthetic ones) is rendered to
DOCX by tests/fixtures/writer.py, converted to PDF by LibreOffice, and
scanned by tests/fixtures/scans.py (seal over table 三 and the signature,
0.5–3° skew, grey paper, noise, blur, JPEG 40–85) at each dpi. Each page
is read by govreport.ocr with its time split into preprocessing, grid
detection and recognition; the report is then assembled and validated and
every gold cell compared. A wrong cell is *flagged* when its confidence is
below GOVREPORT_OCR_MIN_CONFIDENCE or it takes part in a broken R1–R4 sum.

The baseline reads the same pages with one full-page Tesseract call
(rules left in, chi_sim, --psm 6 and --psm 4) and sends the text through
the plain-text reader. Everything runs on one core: OMP_THREAD_LIMIT=1
for Tesseract and one OpenCV thread.
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
from fixtures.scans import Judgement, Scan, judge, scan_pdf, source_pdfs  # noqa: E402
from fixtures.writer import SYNTHETIC, gold_stems  # noqa: E402

from govreport.assembly import assemble  # noqa: E402
from govreport.convert import convert  # noqa: E402
from govreport.errors import GovreportError  # noqa: E402
from govreport.ir import Document, SourceFormat  # noqa: E402
from govreport.ocr import read_image_page  # noqa: E402
from govreport.settings import Settings  # noqa: E402
from govreport.v1 import service_pb2  # noqa: E402
from govreport.validation import validate  # noqa: E402

cv2.setNumThreads(1)


@dataclass
class Run:
    stem: str
    dpi: int
    pages: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    judgement: Judgement | None = None
    error: str = ""


def run_ocr(stem: str, pdf: Path, gold: object, dpi: int, threshold: float) -> tuple[Run, list]:
    run = Run(stem, dpi)
    pages = scan_pdf(pdf, Scan(dpi=dpi, seed=1))
    run.pages = len(pages)
    document = Document(SourceFormat.IMAGE, page_count=len(pages))
    for number, page in enumerate(pages, start=1):
        timings: dict[str, float] = {}
        document.blocks.extend(read_image_page(np.asarray(page), number, dpi, timings=timings))
        for stage, seconds in timings.items():
            run.seconds[stage] = run.seconds.get(stage, 0.0) + seconds
    try:
        report = assemble(document, None, filename=f"{stem}.tif")
        extraction = service_pb2.Extraction(report=report, validation=validate(report))
        run.judgement = judge(extraction, gold, threshold)  # type: ignore[arg-type]
    except GovreportError as exc:
        run.error = str(exc)
    return run, pages


def run_baseline(stem: str, pages: list, gold: object, dpi: int, psm: int, threshold: float) -> Run:
    run = Run(stem, dpi, len(pages))
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
        run.judgement = judge(extraction, gold, threshold)  # type: ignore[arg-type]
    except GovreportError as exc:
        run.error = f"{exc.reason}: {exc}"
    return run


def _per_page(runs: list[Run], stage: str) -> float:
    pages = sum(r.pages for r in runs)
    return sum(r.seconds.get(stage, 0.0) for r in runs) / pages if pages else 0.0


def _accuracy_row(label: str, runs: list[Run]) -> str:
    checked = sum(r.judgement.checked for r in runs if r.judgement)
    wrong = sum(len(r.judgement.wrong) for r in runs if r.judgement)
    unflagged = sum(len(r.judgement.unflagged) for r in runs if r.judgement)
    failed = sum(1 for r in runs if r.error)
    accuracy = 100 * (1 - wrong / checked) if checked else 0.0
    total = sum(sum(r.seconds.values()) for r in runs) / max(1, sum(r.pages for r in runs))
    return (
        f"| {label} | {len(runs)} | {sum(r.pages for r in runs)} | {checked} | {wrong} | "
        f"{unflagged} | {accuracy:.2f} % | {failed} | {total:.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stems", default=",".join([*gold_stems(), *SYNTHETIC]))
    parser.add_argument("--dpis", default="200,300")
    parser.add_argument("--baseline-stems", type=int, default=2)
    parser.add_argument("--output", type=Path, default=ROOT / "docs/ocr-benchmarks.md")
    args = parser.parse_args()
    stems = args.stems.split(",")
    dpis = [int(d) for d in args.dpis.split(",")]
    threshold = Settings.from_env().ocr_min_confidence
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="govreport-ocr-bench-") as tmp:
        pdfs = source_pdfs(stems, Path(tmp))
        ours: dict[int, list[Run]] = {d: [] for d in dpis}
        base: dict[tuple[int, int], list[Run]] = {(d, p): [] for d in dpis for p in (6, 4)}
        for i, (stem, (pdf, gold)) in enumerate(pdfs.items()):
            for dpi in dpis:
                run, pages = run_ocr(stem, pdf, gold, dpi, threshold)
                ours[dpi].append(run)
                j = run.judgement
                print(
                    f"{stem} {dpi} dpi: {run.pages} pages, "
                    f"{sum(run.seconds.values()) / run.pages:.2f} s/page, "
                    + (
                        f"{len(j.wrong)} wrong / {j.checked}, {len(j.unflagged)} unflagged"
                        if j
                        else run.error
                    ),
                    flush=True,
                )
                if j:
                    for line in j.wrong:
                        print("   ", line, flush=True)
                if i < args.baseline_stems:
                    for psm in (6, 4):
                        b = run_baseline(stem, pages, gold, dpi, psm, threshold)
                        base[(dpi, psm)].append(b)
                        bj = b.judgement
                        summary = (
                            f"{len(bj.wrong)} wrong / {bj.checked}, {len(bj.unflagged)} unflagged"
                            if bj
                            else b.error
                        )
                        print(f"  baseline psm {psm}: {summary}", flush=True)
    elapsed = time.perf_counter() - started
    lines = [
        "# OCR benchmarks",
        "",
        "Scanned reports read by `govreport.ocr` (readers/image.py), one core "
        "(`OMP_THREAD_LIMIT=1`, one OpenCV thread). Written by `bench/ocr_bench.py`.",
        "",
        f"- machine: {os.cpu_count()} CPUs, {platform.machine()}, {platform.system()} {platform.release()}",
        f"- python: {platform.python_version()}; tesseract: {pytesseract.get_tesseract_version()}; "
        f"OpenCV {cv2.__version__}",
        f"- reports: {len(stems)} ({', '.join(stems)}), rendered DOCX → PDF (LibreOffice) → "
        "simulated scan (seal over 三 and the signature, 0.5–3° skew, grey paper and shadow, "
        "noise σ 6, blur, JPEG 40–85), seed 1",
        f"- flagged: confidence < {threshold} (GOVREPORT_OCR_MIN_CONFIDENCE) or in a broken R1–R4 sum",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; whole run {elapsed:.0f} s",
        "",
        "## Accuracy (every gold cell of 二, 三, 四)",
        "",
        "| reader | reports | pages | cells | wrong | wrong and unflagged | cell accuracy | failed | s/page |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for dpi in dpis:
        lines.append(_accuracy_row(f"govreport.ocr, {dpi} dpi", ours[dpi]))
    for (dpi, psm), runs in base.items():
        if runs:
            lines.append(
                _accuracy_row(f"baseline: full page, chi_sim --psm {psm}, {dpi} dpi", runs)
            )
    lines += [
        "",
        "## Seconds per page, one core",
        "",
        "| reader | dpi | preprocess | grid | recognise | total | slowest report s/page |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for dpi in dpis:
        runs = ours[dpi]
        pre, grid, rec = (_per_page(runs, s) for s in ("preprocess", "grid", "recognize"))
        worst = max(sum(r.seconds.values()) / r.pages for r in runs)
        lines.append(
            f"| govreport.ocr | {dpi} | {pre:.2f} | {grid:.2f} | {rec:.2f} | {pre + grid + rec:.2f} | {worst:.2f} |"
        )
    for (dpi, psm), runs in base.items():
        if runs:
            rec = _per_page(runs, "recognize")
            lines.append(
                f"| baseline chi_sim --psm {psm} | {dpi} | – | – | {rec:.2f} | {rec:.2f} | – |"
            )
    wrong = [
        f"- {r.stem} {r.dpi} dpi: {line}"
        for dpi in dpis
        for r in ours[dpi]
        if r.judgement
        for line in r.judgement.wrong
    ]
    lines += ["", "## Wrong cells (govreport.ocr)", "", *(wrong or ["none"])]
    errors = [f"- {r.stem} {r.dpi} dpi: {r.error}" for dpi in dpis for r in ours[dpi] if r.error]
    if errors:
        lines += ["", "## Failed reports", "", *errors]
    args.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    print(
        "median s/page:",
        {d: statistics.median(sum(r.seconds.values()) / r.pages for r in ours[d]) for d in dpis},
    )


if __name__ == "__main__":
    main()
