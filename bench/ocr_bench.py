"""Scanned-report OCR: speed against one plain Tesseract pass, and accuracy, to docs/ocr-benchmarks.md.

    .venv/bin/python bench/ocr_bench.py [--kinds real,generated] [--dpis 150,200,300]
        [--seals "heading:三;header:三+header:四"] [--stems a,b] [--output F]

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
detection, the tables' recognition and prose; a page is a *table page*
when a ruled table was found on it, else a *prose page*. The report is
then assembled and validated and every gold cell compared. A wrong cell
is *flagged* when its confidence is below GOVREPORT_OCR_MIN_CONFIDENCE or
a finding names it (Q1, a broken R1–R4 sum, R6a: no number where one
belongs).

Side by side, in the same run, every page of the first scan of each
report at each dpi is also read by one plain ``tesseract PAGE - -l chi_sim
--psm 6`` (the page as a PNG; the program's own time), and its text sent
through the plain-text reader for its cells right. Everything runs on one
core: OMP_THREAD_LIMIT=1 for Tesseract and one OpenCV thread.

Then, on the real reports: the two Tesseract engines (tesserocr kept
loaded, pytesseract a process a call) on the 300 dpi scans; the reports
photographed (perspective, shadow, JPEG) as page sets; a 6-page scan read
with one core and with two (ocr/pages.py); prose read at 200 and at 300
dpi, its narrative sections compared with the documents' own.

The docs file is written only when both kinds ran (or --output is given),
so that iterating with ``--kinds real`` leaves it alone.
"""

from __future__ import annotations

import argparse
import difflib
import os
import platform
import statistics
import subprocess
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
from corpus import CORPUS  # noqa: E402
from fixtures.scans import (  # noqa: E402
    CORPUS_SEALS,
    Judgement,
    Photo,
    Scan,
    corpus_pdfs,
    corpus_scan,
    judge,
    photograph_pdf,
    scan_pdf,
    source_pdfs,
    to_tiff,
    to_zip,
)
from fixtures.writer import SYNTHETIC, Gold, gold_stems  # noqa: E402
from PIL import Image  # noqa: E402

from govreport.assembly import assemble  # noqa: E402
from govreport.convert import convert  # noqa: E402
from govreport.errors import GovreportError  # noqa: E402
from govreport.ir import Document, SourceFormat, Table  # noqa: E402
from govreport.ocr import engine as ocr_engine  # noqa: E402
from govreport.ocr import page as ocr_page  # noqa: E402
from govreport.ocr import pages as ocr_pages  # noqa: E402
from govreport.ocr import read_image_page  # noqa: E402
from govreport.settings import Settings  # noqa: E402
from govreport.v1 import service_pb2  # noqa: E402
from govreport.validation import validate  # noqa: E402

cv2.setNumThreads(1)

KINDS = ("real", "generated")
KIND_LABEL = {"real": "real reports", "generated": "generated reports"}
STAGES = ("preprocess", "grid", "recognize", "prose")


@dataclass
class PageTime:
    kind: str  # "table" or "prose"
    seconds: float  # govreport
    prose: float = 0.0  # of which reading the text outside the tables
    plain: float | None = None  # one plain `tesseract --psm 6` pass on the same page


@dataclass
class Run:
    stem: str
    dpi: int
    kind: str = "generated"
    seals: str = ""  # the seal placements of a real report's scan, "+"-joined
    pages: list[PageTime] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    scan_seconds: float = 0.0  # the simulated scan itself, not counted in s/page
    judgement: Judgement | None = None
    plain_judgement: Judgement | None = None
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
        return sum(p.seconds for p in self.pages) / len(self.pages) if self.pages else 0.0


def run_ocr(
    stem: str,
    pdf: Path,
    gold: Gold,
    scan: Scan,
    threshold: float,
    kind: str = "generated",
    plain: bool = False,
) -> Run:
    run = Run(stem, scan.dpi, kind, "+".join(scan.seal_over or ()) if kind == "real" else "")
    started = time.perf_counter()
    images = scan_pdf(pdf, scan)
    run.scan_seconds = time.perf_counter() - started
    document = Document(SourceFormat.IMAGE, page_count=len(images))
    texts: list[str] = []
    for number, image in enumerate(images, start=1):
        timings: dict[str, float] = {}
        blocks = read_image_page(np.asarray(image), number, scan.dpi, timings=timings)
        document.blocks.extend(blocks)
        for stage, seconds in timings.items():
            run.seconds[stage] = run.seconds.get(stage, 0.0) + seconds
        page = PageTime(
            "table" if any(isinstance(b, Table) for b in blocks) else "prose",
            sum(timings.values()),
            timings.get("prose", 0.0),
        )
        if plain:
            page.plain, text = plain_pass(image)
            texts.append(text)
        run.pages.append(page)
    try:
        report = assemble(document, None, filename=f"{stem}.tif")
        extraction = service_pb2.Extraction(report=report, validation=validate(report))
        run.judgement = judge(extraction, gold, threshold)
    except GovreportError as exc:
        run.error = str(exc)
    if plain:
        try:
            text_extraction = convert("\n".join(texts).encode("utf-8"), f"{stem}.txt")
            run.plain_judgement = judge(text_extraction, gold, threshold)
        except GovreportError:  # the plain text is no report at all: no cell right
            checked = len(gold.cells)
            run.plain_judgement = Judgement(checked, ["no report"] * checked, [])
    return run


def plain_pass(image: Image.Image) -> tuple[float, str]:
    """One `tesseract PAGE - -l chi_sim --psm 6` on the page as it is (a PNG): its seconds, its
    text."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "page.png"
        image.save(path)
        started = time.perf_counter()
        done = subprocess.run(
            ["tesseract", str(path), "-", "-l", "chi_sim", "--psm", "6"],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        )
        return time.perf_counter() - started, done.stdout


def _summary(run: Run) -> str:
    j = run.judgement
    if j is None:
        return run.error
    return (
        f"{len(j.wrong)} wrong / {j.checked} ({100 * j.accuracy:.2f} %), "
        f"{len(j.unflagged)} unflagged"
    )


def _report(run: Run) -> None:
    plain = [p.plain for p in run.pages if p.plain is not None]
    against = f", plain tesseract {sum(plain) / len(plain):.2f} s/page" if plain else ""
    print(
        f"{run.name}: {len(run.pages)} pages, {run.per_page:.2f} s/page{against} "
        f"(scan simulation {run.scan_seconds / max(1, len(run.pages)):.2f} s/page), "
        f"{_summary(run)}",
        flush=True,
    )
    if run.judgement:
        for line in run.judgement.wrong:
            print("   ", line, flush=True)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _per_page(runs: list[Run], stage: str) -> float:
    pages = sum(len(r.pages) for r in runs)
    return sum(r.seconds.get(stage, 0.0) for r in runs) / pages if pages else 0.0


def _counts(runs: list[Run]) -> tuple[int, int, int, int, float, float]:
    """cells, wrong, wrong and unflagged, failed, accuracy in %, seconds per page."""
    checked = sum(r.judgement.checked for r in runs if r.judgement)
    wrong = sum(len(r.judgement.wrong) for r in runs if r.judgement)
    unflagged = sum(len(r.judgement.unflagged) for r in runs if r.judgement)
    failed = sum(1 for r in runs if r.error)
    accuracy = 100 * (1 - wrong / checked) if checked else 0.0
    total = _mean([p.seconds for r in runs for p in r.pages])
    return checked, wrong, unflagged, failed, accuracy, total


def _right(judgements: list[Judgement]) -> str:
    checked = sum(j.checked for j in judgements)
    right = checked - sum(len(j.wrong) for j in judgements)
    return f"{right}/{checked} ({100 * right / checked:.1f} %)" if checked else "–"


def _speed_row(kind: str, dpi: int, runs: list[Run]) -> str:
    """govreport against the plain pass, on the pages the plain pass read."""
    compared = [r for r in runs if any(p.plain is not None for p in r.pages)]
    pages = [p for r in compared for p in r.pages]
    table = [p.seconds for p in pages if p.kind == "table"]
    tables_only = [p.seconds - p.prose for p in pages if p.kind == "table"]
    prose = [p.seconds for p in pages if p.kind == "prose"]
    ours = [p.seconds for p in pages]
    plain = [p.plain or 0.0 for p in pages]
    ratio = sum(ours) / sum(plain) if sum(plain) else 0.0
    return (
        f"| {KIND_LABEL[kind]} | {dpi} | {len(compared)} | {len(table)} + {len(prose)} | "
        f"**{ratio:.2f}×** | {_mean(table):.2f} ({_mean(tables_only):.2f}) | {_mean(prose):.2f} | "
        f"{_mean(ours):.2f} | "
        f"{_mean(plain):.2f} | {_right([r.judgement for r in compared if r.judgement])} | "
        f"{_right([r.plain_judgement for r in compared if r.plain_judgement])} |"
    )


def _kind_row(kind: str, dpi: int, runs: list[Run]) -> str:
    checked, wrong, unflagged, failed, accuracy, total = _counts(runs)
    documents = len({r.stem for r in runs})
    return (
        f"| {KIND_LABEL[kind]} | {dpi} | {documents} | {len(runs)} | "
        f"{sum(len(r.pages) for r in runs)} | {checked} | {wrong} | {unflagged} | "
        f"{accuracy:.2f} % | {failed} | {total:.2f} |"
    )


def _document_row(run: Run) -> str:
    j = run.judgement
    if j is None:
        return f"| {run.stem} | {run.seals} | {run.dpi} | {len(run.pages)} | – | – | – | failed | {run.per_page:.2f} |"
    return (
        f"| {run.stem} | {run.seals} | {run.dpi} | {len(run.pages)} | {j.checked} | "
        f"{len(j.wrong)} | {len(j.unflagged)} | {100 * j.accuracy:.2f} % | {run.per_page:.2f} |"
    )


SPEED_TABLE = [
    "| reports | dpi | documents | pages (table + prose) | govreport / plain | govreport s/page, table pages (their tables alone) | govreport s/page, prose pages | govreport s/page, all | plain `tesseract --psm 6` s/page | govreport cells right | plain pass cells right |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
]
KIND_TABLE = [
    "| reports | dpi | documents | scans | pages | cells | wrong | wrong and unflagged | cell accuracy | failed | s/page |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
]
DOCUMENT_TABLE = [
    "| report | seals | dpi | pages | cells | wrong | wrong and unflagged | cell accuracy | s/page |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|",
]


# ---------------------------------------------------------------- the real reports' extras


def engines_section(real: dict[str, tuple[Path, Gold]], threshold: float) -> list[str]:
    """tesserocr and pytesseract on the same 300 dpi scans of the real reports."""
    rows = []
    for name in ocr_engine.ENGINES:
        ocr_engine.select(name)
        runs = [
            run_ocr(stem, pdf, gold, corpus_scan(300), threshold, "real")
            for stem, (pdf, gold) in real.items()
        ]
        pages = [p.seconds for r in runs for p in r.pages]
        rows.append(
            f"| {name} | {len(pages)} | {_mean(pages):.2f} | "
            f"{_right([r.judgement for r in runs if r.judgement])} |"
        )
        print(f"engine {name}: {_mean(pages):.2f} s/page", flush=True)
    ocr_engine.select("")
    return [
        "| engine | pages | s/page | cells right |",
        "|---|---:|---:|---:|",
        *rows,
    ]


def photos_section(real: dict[str, tuple[Path, Gold]], threshold: float) -> list[str]:
    """The real reports printed and photographed, sent as page sets (zips of JPEGs)."""
    rows = []
    for dpi in (200, 300):
        for stem, (pdf, gold) in real.items():
            images = photograph_pdf(pdf, Photo(dpi=dpi, seed=1))
            started = time.perf_counter()
            extraction = convert(to_zip(images), "pages.zip")
            seconds = (time.perf_counter() - started) / len(images)
            j = judge(extraction, gold, threshold)
            rows.append(
                f"| {stem} | {dpi} | {len(images)} | {j.checked - len(j.wrong)}/{j.checked} | "
                f"{len(j.unflagged)} | {seconds:.2f} |"
            )
            print(f"photos {stem} {dpi}: {len(j.wrong)} wrong, {seconds:.2f} s/page", flush=True)
    return [
        "| report | page rendered at dpi | photos | cells right | wrong and unflagged | s/page |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
    ]


def parallel_section(real: dict[str, tuple[Path, Gold]]) -> list[str]:
    """A 6-page scan (Pingtan's first six pages, 300 dpi) read with one core and with two."""
    stem = next((s for s in real if s.startswith("pingtan")), next(iter(real)))
    images = scan_pdf(real[stem][0], corpus_scan(300))[:6]
    content = to_tiff(images, 300, compression="raw")
    rows = []
    for cores in (1, 2):
        ocr_pages.lend_local(cores)
        started = time.perf_counter()
        convert(content, f"{stem}.tif")
        rows.append(f"| {cores} | {len(images)} | {time.perf_counter() - started:.2f} |")
    ocr_pages.share(None)
    return [
        "| cores | pages | seconds for the document |",
        "|---:|---:|---:|",
        *rows,
    ]


NARRATIVES = ("overview", "problems_and_improvements", "other_matters")


def _narrative_text(extraction: service_pb2.Extraction) -> str:
    parts = []
    for name in NARRATIVES:
        section = getattr(extraction.report, name)
        parts.append(section.heading + section.text)
        parts += [s.heading + s.text for s in section.subsections]
    return "".join(p.replace(" ", "") for p in parts)


def prose_section(real: dict[str, tuple[Path, Gold]]) -> list[str]:
    """Prose read at 200 and at 300 dpi from the 300 dpi scans: the narrative sections (一, 五,
    六) against those of the document itself (its digital extraction)."""
    rows = []
    saved = ocr_page.PROSE_DPI
    for stem, (pdf, _gold) in real.items():
        source = next(p for p in CORPUS.glob(f"{stem}.*") if p.suffix.lower() != ".csv")
        reference = _narrative_text(convert(source.read_bytes(), source.name))
        content = to_tiff(scan_pdf(pdf, corpus_scan(300)), 300, compression="raw")
        cells = []
        for prose_dpi in (300, 200):
            ocr_page.PROSE_DPI = prose_dpi
            started = time.perf_counter()
            extraction = convert(content, f"{stem}.tif")
            seconds = time.perf_counter() - started
            text = _narrative_text(extraction)
            similar = difflib.SequenceMatcher(None, reference, text, autojunk=False).ratio()
            cells.append(
                f"{similar:.3f} ({len(text)} of {len(reference)} characters), {seconds:.1f} s"
            )
        rows.append(f"| {stem} | {' | '.join(cells)} |")
    ocr_page.PROSE_DPI = saved
    return [
        "| report (300 dpi scan) | prose read at 300 dpi: similarity, document time | prose read at 200 dpi |",
        "|---|---|---|",
        *rows,
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
    ocr_pages.share(None)  # one core: pages one after another
    started = time.perf_counter()
    ours: dict[tuple[str, int], list[Run]] = {(k, d): [] for k in kinds for d in dpis}
    real_names: list[str] = []
    extras: list[str] = []
    with tempfile.TemporaryDirectory(prefix="govreport-ocr-bench-") as tmp:
        if "real" in kinds:
            print("== real reports ==", flush=True)
            real = corpus_pdfs(Path(tmp) / "corpus")
            real_names = list(real)
            for stem, (pdf, gold) in real.items():
                for n, seals in enumerate(seal_sets):
                    for dpi in dpis:
                        run = run_ocr(
                            stem, pdf, gold, corpus_scan(dpi, seals), threshold, "real", n == 0
                        )
                        ours[("real", dpi)].append(run)
                        _report(run)
            extras += [
                "",
                "## Tesseract engines (real reports, 300 dpi, one core)",
                "",
                "tesserocr keeps Tesseract loaded in each worker thread; pytesseract starts the "
                "`tesseract` program for every call (the stacked figures, the stacked labels, "
                "the prose: three or four a page) and loads its model each time.",
                "",
                *engines_section(real, threshold),
                "",
                "## Real reports photographed, sent as page sets",
                "",
                "Each page printed (paper tone) and photographed on a desk: corners moved by up "
                "to 6 % of the page width, the light falling by 45 % across the frame, noise, "
                "JPEG 80; the JPEGs zipped as 第1页.jpg … and extracted as one document. "
                "Seconds per page include straightening.",
                "",
                *photos_section(real, threshold),
                "",
                "## One document's pages on idle cores",
                "",
                "`convert()` with one core, then with two lent to it (ocr/pages.py: what a "
                "worker borrows when the other workers are idle).",
                "",
                *parallel_section(real),
                "",
                "## Prose: 200 or 300 dpi",
                "",
                "Similarity (difflib ratio) of the narrative sections 一, 五 and 六 read from the "
                "300 dpi scan (seal over the heading of 三) to the same sections extracted from "
                "the document itself.",
                "",
                *prose_section(real),
            ]
        if "generated" in kinds:
            print("== generated reports ==", flush=True)
            pdfs = source_pdfs(stems, Path(tmp) / "generated")
            for stem, (pdf, gold) in pdfs.items():
                for dpi in dpis:
                    run = run_ocr(stem, pdf, gold, Scan(dpi=dpi, seed=1), threshold, plain=True)
                    ours[("generated", dpi)].append(run)
                    _report(run)
    elapsed = time.perf_counter() - started

    speed = [*SPEED_TABLE]
    for dpi in dpis:
        speed += [_speed_row(kind, dpi, ours[(kind, dpi)]) for kind in kinds]
    by_kind = [*KIND_TABLE]
    for dpi in dpis:
        by_kind += [_kind_row(kind, dpi, ours[(kind, dpi)]) for kind in kinds]
    print("\n" + "\n".join(speed) + "\n\n" + "\n".join(by_kind))

    lines = [
        "# OCR benchmarks",
        "",
        "Scanned reports read by `govreport.ocr` (readers/image.py), one core "
        "(`OMP_THREAD_LIMIT=1`, one OpenCV thread). Written by `bench/ocr_bench.py` "
        "(`make bench`).",
        "",
        f"- machine: {os.cpu_count()} CPUs, {platform.machine()}, {platform.system()} {platform.release()}",
        f"- python: {platform.python_version()}; engine: {ocr_engine.engine().name} "
        f"(libtesseract bundled with tesserocr); plain pass: the `tesseract` program "
        f"{pytesseract.get_tesseract_version()}; OpenCV {cv2.__version__}",
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
        "## Against one plain Tesseract pass (same pages, same run, one core)",
        "",
        "govreport's seconds per page (its own clock: preprocessing, grid, recognition, prose) "
        "and one `tesseract PAGE - -l chi_sim --psm 6` on each page of the same scans (the "
        "first seal placement of each real report; every generated report). The ratio is "
        "govreport's total time over the plain pass's. A table page is one with a ruled table "
        "found on it; in brackets, its time without the text around its tables (headings, "
        "paragraphs before and after: read as prose). Cells right: every gold cell of 二, 三, "
        "四; the plain pass's text goes through govreport's plain-text reader.",
        "",
        *speed,
        "",
        "## Accuracy by kind of report (every gold cell of 二, 三, 四)",
        "",
        *by_kind,
    ]
    if "real" in kinds:
        lines += ["", "## Real reports, one scan at a time", "", *DOCUMENT_TABLE]
        lines += [_document_row(r) for dpi in dpis for r in ours[("real", dpi)]]
    lines += extras
    lines += [
        "",
        "## Seconds per page by stage, one core",
        "",
        "| reports | dpi | preprocess | grid | recognise (tables) | prose | total | slowest report s/page |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in kinds:
        for dpi in dpis:
            runs = ours[(kind, dpi)]
            pre, grid, rec, prose = (_per_page(runs, s) for s in STAGES)
            worst = max((r.per_page for r in runs), default=0.0)
            lines.append(
                f"| {kind} | {dpi} | {pre:.2f} | {grid:.2f} | {rec:.2f} | {prose:.2f} | "
                f"{pre + grid + rec + prose:.2f} | {worst:.2f} |"
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
