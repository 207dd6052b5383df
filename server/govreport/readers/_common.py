"""What the structured readers (HTML, DOCX) share: cleaning their text, placing their absent cells.

Joining lines and laying cells on a grid are layout.py's, for every reader.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from govreport.ir import Location
from govreport.layout import solid
from govreport.normalize import normalize

_WHITESPACE = re.compile(r"\s+")


def clean(text: str) -> str:
    """Normalises one line and collapses its white space.

    Source line breaks between two CJK characters vanish (Word's HTML export
    wraps Chinese text mid-word); any other run of white space becomes one space.
    """
    text = normalize(text)

    def squeeze(match: re.Match[str]) -> str:
        run = match.group(0)
        before, after = text[: match.start()], text[match.end() :]
        if ("\n" in run or "\r" in run) and before and after and solid(before[-1], after[0]):
            return ""
        return " "

    return _WHITESPACE.sub(squeeze, text).strip()


def in_row(locator: str) -> Callable[[int, int], Location]:
    """Where a table's absent slot is: its row, since there is no cell to name."""
    return lambda r, _c: Location(locator=f"{locator}/row[{r + 1}]")
