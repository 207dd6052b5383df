"""What one table cell's text says: a number, blank, not applicable, or text (with a number when unambiguous)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from govreport.domain import CellState
from govreport.templates import Column, Kind

NOT_APPLICABLE = frozenset({"/", "\\", "-", "—", "——", "–", "－", "无", "不适用", "/ /"})

_INTEGER = re.compile(r"^\d{1,3}(?:,\d{3})+$|^\d+$")
_SIGNED = re.compile(r"^([+-]?)\s*(\d+)$")
_DECIMAL = re.compile(r"^\d+(?:\.\d+)?$|^\.\d+$")
# "22（其中修订16件）", "55（含自然失效29件）": a figure followed by a note in brackets.
_WITH_NOTE = re.compile(r"^(\d+(?:\.\d+)?)\s*(件|条|个|项|起|次)?\s*[（(][^（()）]*[)）]$")
_WITH_UNIT = re.compile(r"^(\d+(?:\.\d+)?)\s*(件|条|个|项|起|次|宗|人次|万元|元)$")
_AMOUNT_UNITS = {"万元": Decimal(10000), "元": Decimal(1)}


@dataclass(slots=True)
class Value:
    state: CellState
    value: int | str | None = None  # int for counts and changes, canonical decimal str for amounts
    unit: str = ""
    derived: bool = False
    notes: list[str] = field(default_factory=list)


def canonical_decimal(text: str) -> str:
    value = Decimal(text).normalize()
    out = format(value, "f")
    return "0" if value == 0 else out


def parse_value(text: str, column: Column) -> Value:
    """Reads a cell's (normalised) text as the column's kind of value."""
    compact = re.sub(r"\s+", "", text)
    if not compact:
        return Value(CellState.BLANK)
    if compact in NOT_APPLICABLE:
        return Value(CellState.NOT_APPLICABLE)
    plain = _plain(compact, column)
    if plain is not None:
        return plain
    return _from_text(compact, column)


def _plain(compact: str, column: Column) -> Value | None:
    if column.kind is Kind.AMOUNT:
        if _DECIMAL.match(compact):
            return Value(CellState.NUMBER, canonical_decimal(compact), column.unit)
        return None
    signed = _SIGNED.match(compact)
    if signed and (column.kind is Kind.CHANGE or signed.group(1)):
        number = int(signed.group(2)) * (-1 if signed.group(1) == "-" else 1)
        if column.kind is Kind.COUNT:
            # A signed figure in a count column is a number all the same; R6 reports a negative one.
            return Value(CellState.NUMBER, number)
        return Value(CellState.NUMBER, number)
    if _INTEGER.match(compact):
        return Value(CellState.NUMBER, int(compact.replace(",", "")))
    return None


def _from_text(compact: str, column: Column) -> Value:
    """Prose or a figure with a note: a value only where one reading is possible."""
    match = _WITH_NOTE.match(compact) or _WITH_UNIT.match(compact)
    if match is None:
        return Value(CellState.TEXT)
    figure, unit = match.group(1), match.group(2) or ""
    if column.kind is Kind.AMOUNT:
        if unit and unit not in _AMOUNT_UNITS:
            return Value(CellState.TEXT)
        target = column.unit or unit
        if unit and target and unit != target:
            amount = Decimal(figure) * _AMOUNT_UNITS[unit] / _AMOUNT_UNITS[target]
            note = f"converted from {figure}{unit} to {target}"
            return Value(CellState.TEXT, canonical_decimal(str(amount)), target, True, [note])
        return Value(CellState.TEXT, canonical_decimal(figure), target, True)
    if unit in _AMOUNT_UNITS or "." in figure:
        return Value(CellState.TEXT)
    try:
        return Value(CellState.TEXT, int(figure), derived=True)
    except (ValueError, InvalidOperation):
        return Value(CellState.TEXT)
