"""The template's own wording, to put a misread label back to what it must have said.

OCR of a label loses a stroke now and then (行政处罚 read as 行政处娩); the
assembler finds rows by their labels, so a label read close to exactly one
template wording, and about as long, is given that wording.
"""

from __future__ import annotations

from functools import cache

from govreport.normalize import label_key, similarity
from govreport.templates import HEADER_WORDS, TEMPLATES

# A reading at least this similar to a wording, and clearly nearer it than to any other.
_MIN_SIMILARITY = 0.6
_MARGIN = 0.05
_LENGTH_RATIO = 0.25


@cache
def _wordings() -> tuple[tuple[str, str], ...]:
    """(label key, wording) of every label, heading and column title of both templates."""
    seen: dict[str, str] = {}
    for tpl in TEMPLATES.values():
        for row in tpl.rows():
            for name in row.names:
                seen.setdefault(label_key(name), name)
            for column in row.columns:
                for part in column.label.split(" / "):
                    seen.setdefault(label_key(part), part)
        for block in tpl.disclosure_blocks:
            seen.setdefault(label_key(block.label), block.label)
    for word in HEADER_WORDS:
        seen.setdefault(label_key(word), word)
    return tuple((key, wording) for key, wording in seen.items() if len(key) >= 2)


def snap(text: str) -> str:
    """The template wording ``text`` is a misreading of, or ``text`` itself."""
    key = label_key(text)
    if len(key) < 2 or key.isdigit():
        return text
    scored: list[tuple[float, str, str]] = []
    for target, wording in _wordings():
        if target == key:
            return text
        if abs(len(target) - len(key)) > _LENGTH_RATIO * max(len(target), len(key)):
            continue
        if target[0] != key[0]:
            continue  # the rest of a label broken over a page is not the label
        scored.append((similarity(key, target), target, wording))
    if not scored:
        return text
    scored.sort(reverse=True)
    best, _, wording = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 0.0
    if best >= _MIN_SIMILARITY and best - runner_up >= _MARGIN:
        return wording
    return text


def is_prefix(text: str) -> bool:
    """True when ``text`` begins some template wording (a label cut off at a page end)."""
    key = label_key(text)
    return len(key) >= 2 and any(target.startswith(key) for target, _ in _wordings())
