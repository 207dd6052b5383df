"""Compares extracted reports with the hand-checked gold files of tests/gold/ (see its README)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from govreport import paths
from govreport.paths import iter_cells, value_text
from govreport.v1 import report_pb2 as pb

GOLD_DIR = Path(__file__).parent / "gold"
Key = tuple[str, str, str]  # (section, row label, column label)

_STATE_NOTATION = {
    pb.CELL_STATE_BLANK: "blank",
    pb.CELL_STATE_MISSING: "missing",
    pb.CELL_STATE_NOT_APPLICABLE: "n/a",
}
_VERSION_ENUM = {2019: pb.TEMPLATE_VERSION_2019, 2021: pb.TEMPLATE_VERSION_2021}


def _canonical(value: str) -> str:
    """A value as the gold writes it: a zero change is ``0``, not ``+0``."""
    return "0" if value in ("+0", "-0") else value


def expected_notation(cell: pb.Cell) -> str:
    """The gold ``expected`` notation of a Cell: ``12``, ``+48``, ``blank``, ``text=22`` …"""
    if cell.state in _STATE_NOTATION:
        return _STATE_NOTATION[cell.state]
    value = _canonical(value_text(cell))
    if cell.state == pb.CELL_STATE_NUMBER:
        return value or "number(no value)"
    if cell.state == pb.CELL_STATE_TEXT:
        return f"text={value}" if value else "text"
    return f"state{cell.state}"


def csv_notation(value: str, status: str) -> str:
    """The same notation from a ``govreport extract --format cells`` line's value and status."""
    state = status.split("+", 1)[0]
    if state in ("blank", "missing", "n/a"):
        return state
    if state == "number":
        return _canonical(value) or "number(no value)"
    if state == "text":
        return f"text={_canonical(value)}" if value else "text"
    return state


def load_gold_rows(stem: str) -> list[dict[str, str]]:
    path = GOLD_DIR / f"{stem}.cells.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_gold_meta(stem: str) -> dict[str, Any]:
    meta: dict[str, Any] = json.loads((GOLD_DIR / f"{stem}.meta.json").read_text("utf-8"))
    return meta


def compare_notations(
    actual: Mapping[Key, str], gold_rows: Iterable[Mapping[str, str]]
) -> list[str]:
    """Mismatches between cell notations and gold rows, one line each (empty when all agree)."""
    remaining = dict(actual)
    mismatches: list[str] = []
    for gold in gold_rows:
        key = (gold["section"], gold["row"], gold["column"])
        where = " | ".join(key)
        if key not in remaining:
            mismatches.append(f"{where}: expected {gold['expected']}, the report has no such cell")
            continue
        got = remaining.pop(key)
        if got != gold["expected"]:
            mismatches.append(f"{where}: expected {gold['expected']}, got {got}")
    mismatches.extend(
        f"{' | '.join(key)}: not in the gold file, got {got}" for key, got in remaining.items()
    )
    return mismatches


def compare(report: pb.AnnualReport, gold_rows: Iterable[Mapping[str, str]]) -> list[str]:
    """Every cell of ``report`` against the gold rows; a list of mismatches."""
    actual = {
        (placed.section, placed.row.label, placed.column.label): expected_notation(placed.cell)
        for placed in iter_cells(report)
    }
    return compare_notations(actual, gold_rows)


def compare_cells_csv(text: str, gold_rows: Iterable[Mapping[str, str]]) -> list[str]:
    """The CLI's ``--format cells`` output (one report) against the gold rows."""
    actual = {
        (row["section"], row["row"], row["column"]): csv_notation(row["value"], row["status"])
        for row in csv.DictReader(io.StringIO(text))
    }
    return compare_notations(actual, gold_rows)


def sections_present(report: pb.AnnualReport) -> list[str]:
    return [number for number, here in paths.sections_present(report).items() if here]


def compare_meta(report: pb.AnnualReport, gold: Mapping[str, Any]) -> list[str]:
    """The report's metadata against a ``<seed>.meta.json``; a list of mismatches."""
    meta = report.metadata
    pairs: list[tuple[str, object, object]] = [
        ("template_version", _VERSION_ENUM.get(gold["template_version"]), meta.template_version),
        ("title", gold["title"], meta.title),
        ("agency", gold["agency"], meta.agency),
        ("report_year", gold["report_year"], meta.report_year),
        ("publication_date", gold["publication_date"], meta.publication_date),
        ("statistics_period", gold["statistics_period"], meta.statistics_period),
        ("sections", list(gold["sections"]), sections_present(report)),
    ]
    for name, expected in gold.get("contact", {}).items():
        pairs.append((f"contact.{name}", expected, getattr(meta.contact, name)))
    return [
        f"{name}: expected {expected!r}, got {got!r}"
        for name, expected, got in pairs
        if expected != got
    ]
