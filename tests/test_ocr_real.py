"""Scanned real reports: the corpus's own documents, scanned in software and read back by OCR.

Every report of ../shared/corpus with a gold CSV (tests/fixtures/scans.py:
corpus_pdfs; the HTML page printed by headless Chromium) is scanned with a
red seal over the heading of 三, and again with seals over the header rows
of 三 and 四, at 150, 200 and 300 dpi (up to 2° of skew, grey paper,
noise, blur, JPEG), saved as a multi-page TIFF and extracted by
``convert()`` as a user's upload would be. Every gold cell is judged the
way the corpus's score.py scores it (figures as numbers, 0 for a blank).

The scans and their readings are made once per session, in a process per
core, for the cases the session selected. bench/ocr_bench.py --kinds real
prints the same numbers with timings.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from fixtures.scans import (
    CORPUS_SEALS,
    Scan,
    ScanReading,
    corpus_pdfs,
    corpus_scan,
    load_corpus_gold,
    read_scan,
    scan_pdf,
    seal_anchors,
)
from fixtures.writer import Gold

from govreport.settings import Settings

assert shutil.which("tesseract") and shutil.which("chromium"), (
    "the real-report OCR tests need tesseract-ocr (+chi-sim) and Chromium: run `make system-deps`"
)

HONGZE = "huaian-hongze-2023-district"
PINGTAN = "pingtan-2023-county"
# At 200 dpi and more a scan must read like the document itself (one cell in 200 may go
# wrong, flagged); at 150 dpi thin strokes of small digits blur, and 2 % may, flagged too.
MIN_ACCURACY = {150: 0.98, 200: 0.995, 300: 0.995}
THRESHOLD = Settings().ocr_min_confidence
_DIGITS = str.maketrans("一二三四五六", "123456")


@dataclass(frozen=True)
class Case:
    stem: str
    seal_over: tuple[str, ...]
    dpi: int

    @property
    def scan(self) -> Scan:
        return corpus_scan(self.dpi, self.seal_over)

    def __str__(self) -> str:
        # An ASCII test id ("heading3-200dpi"): pytest escapes other characters in ids.
        seals = "+".join(self.seal_over).replace(":", "").translate(_DIGITS)
        return f"{seals}-{self.dpi}dpi"


def cases(stem: str) -> list[Case]:
    return [Case(stem, seals, dpi) for seals in CORPUS_SEALS for dpi in MIN_ACCURACY]


@pytest.fixture(scope="session")
def real_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Gold]]:
    return corpus_pdfs(tmp_path_factory.mktemp("corpus-pdfs"))


@pytest.fixture(scope="session")
def readings(
    request: pytest.FixtureRequest, real_pdfs: dict[str, tuple[Path, Gold]]
) -> dict[Case, ScanReading]:
    """Every selected case scanned and read once, the cases spread over the machine's cores
    (a reading is a few seconds a page on one core, too slow for one process)."""
    wanted = sorted(
        {
            case
            for item in request.session.items
            if isinstance(
                case := getattr(getattr(item, "callspec", None), "params", {}).get("case"), Case
            )
        },
        key=lambda c: (-c.dpi, c.stem, c.seal_over),  # the slowest first: a shorter tail
    )
    # spawn: the session may have threads (in-process servers), which a fork would not carry.
    context = multiprocessing.get_context("spawn")
    workers = max(1, min(len(wanted), os.cpu_count() or 1))
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures = {
            case: pool.submit(read_scan, *real_pdfs[case.stem], case.scan, THRESHOLD)
            for case in wanted
        }
        return {case: _result(future) for case, future in futures.items()}


def _result(future: Future[ScanReading]) -> ScanReading:
    """The reading, or the worker's crash as a failed reading (one case fails, not all)."""
    try:
        return future.result()
    except Exception as exc:
        return ScanReading(0, 0.0, 0.0, None, f"{type(exc).__name__}: {exc}")


def _reads_to_gold(case: Case, readings: dict[Case, ScanReading]) -> None:
    reading = readings[case]
    assert reading.judgement is not None, f"{case.stem} {case}: {reading.error}"
    judgement = reading.judgement
    wrong = "\n".join(judgement.wrong)
    assert judgement.checked >= 180
    assert judgement.accuracy >= MIN_ACCURACY[case.dpi], (
        f"{case.stem} {case}: {len(judgement.wrong)} of {judgement.checked} cells wrong "
        f"({100 * judgement.accuracy:.2f} %):\n{wrong}"
    )
    # A wrong figure never comes back unflagged.
    assert not judgement.unflagged, (
        f"{case.stem} {case}: {len(judgement.unflagged)} wrong cells unflagged:\n"
        + "\n".join(judgement.unflagged)
        + f"\nall wrong cells:\n{wrong}"
    )


@pytest.mark.parametrize("case", cases(HONGZE), ids=str)
def test_huaian_hongze_scan_reads_to_gold(case: Case, readings: dict[Case, ScanReading]) -> None:
    """The WPS PDF: narrative in frames, 三's group labels in vertical merged cells,
    （六） as one row, 三 and 四 split across pages."""
    _reads_to_gold(case, readings)


@pytest.mark.parametrize("case", cases(PINGTAN), ids=str)
def test_pingtan_scan_reads_to_gold(case: Case, readings: dict[Case, ScanReading]) -> None:
    """The portal page printed by a browser: site chrome on the first and last pages,
    Word-exported tables, 三 over three pages."""
    _reads_to_gold(case, readings)


@pytest.mark.parametrize("case", [c for c in cases(PINGTAN) if c.dpi >= 200], ids=str)
def test_pingtan_scan_keeps_its_narrative_sections(
    case: Case, readings: dict[Case, ScanReading]
) -> None:
    """Found on Pingtan's 300 dpi scans: Tesseract dropped the bold heading 一、总体情况 when
    prose was read at 300 dpi (read at 200 now), and misread 五 and 六 past the heading
    matcher (存在的土要问题及改进请, 其他需要避生的享项)."""
    assert readings[case].narratives == (
        "overview",
        "problems_and_improvements",
        "other_matters",
    ), readings[case].error


def test_corpus_gold_names_template_cells(real_pdfs: dict[str, tuple[Path, Gold]]) -> None:
    """Every corpus gold line became one template cell (a line that does not raises)."""
    assert set(real_pdfs) >= {HONGZE, PINGTAN}
    hongze = real_pdfs[HONGZE][1]
    assert len(hongze.cells) == 186
    assert hongze.expected("三", "三、本年度办理结果 / （六）其他处理", "总计") == "0"
    assert hongze.expected("四", "行政复议", "结果维持") == "10"
    pingtan = real_pdfs[PINGTAN][1]
    assert len(pingtan.cells) == 200
    partly = "三、本年度办理结果 / （二）部分公开（区分处理的，只计这一情形，不计其他情形）"
    assert pingtan.expected("三", partly, "法人或其他组织 / 商业企业") == "1"
    assert (
        pingtan.expected("二", "第二十条第（八）项 / 行政事业性收费", "本年收费金额（单位：万元）")
        == "5949.088667"
    )


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("三,三、本年度办理结果 / （三）不予公开 / 1.属于国家机密,自然人,1", "0 template cells"),
        ("三,三、本年度办理结果 / （三）不予公开 / 1.属于国家秘密,商业,1", "0 template cells"),
        ("三,三、本年度办理结果 / （三）不予公开,自然人,1", "the same cell"),
        ("二,第二十条第（一）项 / 规章,本年制发件数,七", "no figure"),
    ],
)
def test_corpus_gold_typo_is_refused(tmp_path: Path, line: str, problem: str) -> None:
    """A gold line that names no cell, or one already named, or no figure, fails the load."""
    lines = [
        "section,row,column,value",
        "三,三、本年度办理结果 / （三）不予公开,自然人,BLANK",
        "三,三、本年度办理结果 / （三）不予公开 / 1.属于国家秘密,自然人,0",
        line,
    ]
    path = tmp_path / "typo.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=problem):
        load_corpus_gold(path)


@pytest.mark.parametrize("stem", [HONGZE, PINGTAN])
def test_seals_land_on_headings_and_header_rows(
    stem: str, real_pdfs: dict[str, tuple[Path, Gold]]
) -> None:
    """Each placement puts red ink where it says (scanned without noise or skew, at 72 dpi so
    that a point is a pixel): on the heading's text, on the header row below it."""
    pdf, _ = real_pdfs[stem]
    specs = ("heading:二", "heading:三", "heading:四", "header:二", "header:三", "header:四")
    anchors = dict(zip(specs, seal_anchors(pdf, specs), strict=True))
    for n in "二三四":
        page, _, y = anchors[f"heading:{n}"]
        header_page, _, header_y = anchors[f"header:{n}"]
        assert (header_page, header_y) > (page, y), (n, anchors)
    for spec, (page, x, y) in anchors.items():
        plain = Scan(dpi=72, angle=0, paper=False, noise=0, blur=0, jpeg=95, seal_over=(spec,))
        pixels = np.asarray(scan_pdf(pdf, plain)[page].convert("RGB"), dtype=np.int16)
        around = pixels[int(y) - 30 : int(y) + 31, int(x) - 30 : int(x) + 31]
        red = (around[..., 0] > 150) & (around[..., 1] < 110) & (around[..., 2] < 110)
        assert red.sum() > 50, spec
