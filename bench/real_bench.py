"""The real-reports part of ``make bench``: the corpus's documents as published, against their gold.

    .venv/bin/python bench/real_bench.py [--runs N]

For every report of ../shared/corpus/ with gold: cells equal to gold (scored
as the corpus's score.py scores: figures as numbers, 0 or empty for BLANK),
wrong cells left unflagged, the findings, and milliseconds in-process
(median of ``--runs`` after a warm-up). The PDF is also read by the naive
baseline of naive_pdf.py (pdfplumber's ``extract_tables()`` and a label
lookup) for comparison. Scans of these documents are in ocr_bench.py.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

import naive_pdf  # noqa: E402
from corpus import CORPUS  # noqa: E402
from fixtures.scans import judge, load_corpus_gold  # noqa: E402
from fixtures.writer import Gold  # noqa: E402

from govreport.convert import convert  # noqa: E402
from govreport.render import FORMAT_NAMES  # noqa: E402
from govreport.settings import Settings  # noqa: E402
from govreport.templates import template  # noqa: E402


def documents() -> list[tuple[Path, Gold]]:
    out: list[tuple[Path, Gold]] = []
    for gold in sorted((CORPUS / "gold").glob("*.csv")):
        source = next(p for p in sorted(CORPUS.glob(f"{gold.stem}.*")) if p.suffix != ".csv")
        out.append((source, load_corpus_gold(gold)))
    return out


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text.lstrip("+")) if text not in ("", "blank") else None
    except InvalidOperation:
        return None


def naive_right(content: bytes, gold: Gold) -> int:
    """Gold cells the naive pdfplumber baseline gets right, scored like score.py."""
    tpl = template(gold.version)
    found = naive_pdf.extract(content, tpl)
    paths = {(s, r.label, c.label): r.cell_path(c) for s, r, c in tpl.cells()}
    right = 0
    for cell in gold.cells:
        got = found.get(paths[(cell.section, cell.row, cell.column)])
        if got is None:
            continue
        number = _number(got)
        if cell.expected == "blank":
            right += got == "blank" or number == 0
        else:
            right += got == cell.expected or (
                number is not None and number == _number(cell.expected)
            )
    return right


def section(runs: int = 5) -> list[str]:
    threshold = Settings().ocr_min_confidence
    lines = [
        "## Real reports",
        "",
        "The corpus's documents exactly as their agencies published them (../shared/corpus/, "
        "gold checked by eye against the rendered pages), through `convert()` in-process; "
        f"each document's median of {runs} runs after a warm-up. Scored as the corpus's "
        "score.py scores (`bash ../shared/corpus/check.sh` gives the same counts through the "
        "CLI). Scans of these documents: [ocr-benchmarks.md](ocr-benchmarks.md).",
        "",
        "| document | format | pages | cells equal to gold | wrong and unflagged | findings "
        "| ms/doc | naive pdfplumber baseline |",
        "|---|---|---:|---:|---:|---|---:|---:|",
    ]
    total = right_all = unflagged_all = 0
    for path, gold in documents():
        content = path.read_bytes()
        extraction = convert(content, path.name)
        judgement = judge(extraction, gold, threshold)
        seconds = []
        for _ in range(runs):
            started = time.perf_counter()
            convert(content, path.name)
            seconds.append(time.perf_counter() - started)
        right = judgement.checked - len(judgement.wrong)
        total += judgement.checked
        right_all += right
        unflagged_all += len(judgement.unflagged)
        findings = ", ".join(f.rule_id for f in extraction.validation.findings) or "none"
        naive = "–"
        if path.suffix.lower() == ".pdf":
            naive_cells = naive_right(content, gold)
            naive = (
                f"{naive_cells}/{judgement.checked} ({100 * naive_cells / judgement.checked:.1f}%)"
            )
        lines.append(
            f"| {path.name} | {FORMAT_NAMES[extraction.document.format]} | "
            f"{extraction.document.page_count or '–'} | {right}/{judgement.checked} "
            f"({100 * right / judgement.checked:.2f}%) | {len(judgement.unflagged)} | {findings} | "
            f"{1000 * statistics.median(seconds):.0f} | {naive} |"
        )
    lines += [
        "",
        f"All real reports: {right_all}/{total} cells ({100 * right_all / max(total, 1):.2f}%), "
        f"{unflagged_all} wrong and unflagged. Findings are the reports' own: Hongze's 四 "
        "contradicts itself twice (R4) and prints （六）其他处理 as one row (C5, a note).",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    print("\n".join(section(args.runs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
