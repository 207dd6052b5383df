"""Finding the template's row labels in cell text, tolerant of how real reports write them."""

from __future__ import annotations

import re
from collections.abc import Iterable

from govreport.normalize import label_key, similarity
from govreport.templates import HEADER_WORDS, DisclosureBlock, Row

_NUMBERED = re.compile(r"^(\d+)(\D.*)$")
# A numbered item's words must be at least this similar to its label's; the number and the
# group it stands in then add their bonus, and the total must reach _ITEM_MATCH.
_ITEM_WORDS = 0.45
_NUMBER_BONUS = 0.25
_GROUP_BONUS = 0.2
_ITEM_MATCH = 0.9
_GROUP_MARKER = re.compile(r"^\s*[（(]\s*[一二三四五六七八九十]")
_HEADER_KEYS = tuple(label_key(w) for w in HEADER_WORDS)
_HEADER_KEY_SET = frozenset(_HEADER_KEYS)


def is_header(text: str) -> bool:
    """True for a column or group heading (not a row label, not a value)."""
    key = label_key(text)
    if not key or key.isdigit():
        return False
    return any(
        h == key or (len(h) >= 4 and h in key and len(key) <= len(h) + 12) for h in _HEADER_KEYS
    )


class RowMatcher:
    """Matches cell text to the rows of one table of the template."""

    def __init__(self, rows: Iterable[Row]) -> None:
        self.rows = tuple(rows)
        self._exact: dict[str, Row] = {}
        self._entries: list[tuple[str, Row]] = []
        for row in self.rows:
            for name in row.names:
                key = label_key(name)
                self._exact.setdefault(key, row)
                self._entries.append((key, row))

    def match(self, text: str, group: str = "") -> Row | None:
        key = label_key(text)
        if not key or key.isdigit() or (len(key) < 2 and not _GROUP_MARKER.match(text)):
            return None
        exact = self._exact.get(key)
        if exact is not None:
            return exact
        if key in _HEADER_KEY_SET:
            return None  # a column heading ("总计"), not a row label cut short
        marker = _GROUP_MARKER.match(text)
        if marker and len(key) <= 3:
            return self._match_marker(key)
        numbered = _NUMBERED.match(key)
        if numbered:
            return self._match_item(numbered.group(1), numbered.group(2), group)
        return self._match_fuzzy(key)

    def _match_marker(self, key: str) -> Row | None:
        """A bracketed group marker cut off at a line or page end ("（四" of "（四）无法提供")."""
        found = {
            row.field: row
            for k, row in self._entries
            if row.names[0].startswith("（") and k.startswith(key)
        }
        return next(iter(found.values())) if len(found) == 1 else None

    def _match_item(self, number: str, rest: str, group: str) -> Row | None:
        """A numbered item ("2.其他法律法规"): its words, its number and the current group decide.

        The words outweigh the number: OCR and text layers misread a digit
        ("5属于四类过程性信息" is item 6) more easily than a whole label.
        """
        best: tuple[float, Row] | None = None
        for key, row in self._entries:
            if not row.number:
                continue
            target = key[len(row.number) :]
            score = similarity(rest, target)
            in_group = bool(group) and row.parent == group
            same_number = row.number == number
            if same_number and target.startswith(rest) and len(rest) >= (1 if in_group else 3):
                score = max(score, 0.9)  # a label broken at a line or page end
            if score < _ITEM_WORDS:
                continue
            score += (_NUMBER_BONUS if same_number else 0.0) + (_GROUP_BONUS if in_group else 0.0)
            if best is None or score > best[0]:
                best = (score, row)
        if best is not None and best[0] >= _ITEM_MATCH:
            return best[1]
        return None

    def _match_fuzzy(self, key: str) -> Row | None:
        best: tuple[float, Row] | None = None
        for target, row in self._entries:
            score = similarity(key, target)
            if target.startswith(key) and len(key) >= max(4, int(0.6 * len(target))):
                score = max(score, 0.9)
            if best is None or score > best[0]:
                best = (score, row)
        if best is not None and best[0] >= 0.8:
            return best[1]
        return None


def continues_label(text: str, row: Row, label_text: str) -> bool:
    """True for the rest of a row label broken across lines or pages ("…已获取信" / "息")."""
    key = label_key(text)
    if not key or any(ch.isdigit() for ch in key):
        return False
    written = label_key(label_text)
    for name in row.names:
        full = label_key(name)
        if key in full and key not in written and len(written) < len(full):
            return True
    return False


class BlockMatcher:
    """Matches the 二 block headings ("第二十条第（一）项")."""

    def __init__(self, blocks: Iterable[DisclosureBlock]) -> None:
        self._keys = [(label_key(b.label), b) for b in blocks]

    def match(self, text: str) -> DisclosureBlock | None:
        key = label_key(text)
        if "第二十条" not in key:
            return None
        for target, block in self._keys:
            if key == target or similarity(key, target) >= 0.9:
                return block
        return None
