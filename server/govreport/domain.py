"""The domain's small vocabularies, shared by the stages: what a cell holds, how grave a finding is.

Their API (proto) counterparts are mapped in wire.py.
"""

from __future__ import annotations

from enum import StrEnum


class CellState(StrEnum):
    """What a table cell holds (also the status words of the cells output)."""

    NUMBER = "number"  # a figure was written
    BLANK = "blank"  # nothing was written: not a written 0
    NOT_APPLICABLE = "n/a"  # "/", "-", "无"
    TEXT = "text"  # prose, or a figure with a note
    MISSING = "missing"  # the template has the cell, the document does not
    NOT_IN_LAYOUT = "not-in-layout"  # a group printed as one row: its items' cells


# What a rule can read as a figure (a blank applicant cell is 0, "/" too).
FIGURE_STATES = frozenset({CellState.NUMBER, CellState.BLANK, CellState.NOT_APPLICABLE})


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
