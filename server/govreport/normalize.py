"""Text normalisation shared by every reader, and the keys labels are matched by.

``normalize`` cleans what PDFs and Word files carry (Kangxi radicals and CJK
compatibility ideographs for ordinary characters, full-width digits and
letters, odd spaces, zero-width characters, ligatures) but keeps CJK
punctuation as written, since plain NFKC would also turn （ into (.
``label_key`` is for matching only: it keeps nothing but letters, digits and
ideographs, so "（一）予以公开", "(一) 予以公开" and "（一）予以 公开" agree.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from functools import cache

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2002\u2003\u2009\u3000\u202f\u2007"), " ")
# Radicals Supplement forms NFKC leaves alone but PDF text layers use for common characters.
_RADICAL_SUPPLEMENT = {
    "⺠": "民",
    "⻓": "长",
    "⻔": "门",
    "⻋": "车",
    "⻅": "见",
    "⻛": "风",
    "⻢": "马",
    "⻚": "页",
    "⻜": "飞",
    "⻝": "食",
    "⺁": "厂",
    "⺇": "几",
    "⺈": "刀",
    "⺊": "卜",
    "⺌": "小",
    "⺍": "小",
    "⺮": "竹",
    "⺶": "羊",
    "⺼": "肉",
    "⻆": "角",
    "⻈": "讠",
    "⻉": "贝",
    "⻄": "西",
    "⻘": "青",
    "⻩": "黄",
    "⻬": "齐",
    "⻰": "龙",
    "⻳": "龟",
    "⺩": "王",
    "⺟": "母",
    "⺺": "聿",
    "⻤": "鬼",
    "⻨": "麦",
}


@cache
def _char_map(ch: str) -> str:
    code = ord(ch)
    if 0x2F00 <= code <= 0x2FDF or 0xF900 <= code <= 0xFAFF or 0x2F800 <= code <= 0x2FA1F:
        return unicodedata.normalize("NFKC", ch)  # Kangxi radicals, compatibility ideographs
    if 0xFF10 <= code <= 0xFF19 or 0xFF21 <= code <= 0xFF3A or 0xFF41 <= code <= 0xFF5A:
        return chr(code - 0xFEE0)  # full-width digits and Latin letters
    if ch in "＋－．／％＠":
        return chr(code - 0xFEE0)  # signs, decimal points and @ inside numbers and addresses
    if 0xFB00 <= code <= 0xFB06:
        return unicodedata.normalize("NFKC", ch)  # ligatures
    return _RADICAL_SUPPLEMENT.get(ch, ch)


def normalize(text: str) -> str:
    """Cleans one piece of text without changing what it says."""
    text = text.translate(_ZERO_WIDTH).translate(_SPACES)
    if text.isascii():
        return text
    return "".join(_char_map(ch) if ord(ch) > 0x2000 else ch for ch in text)


_NOT_KEY = re.compile(r"[^0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff]+")


def label_key(text: str) -> str:
    """The matching key of a label: only letters, digits and ideographs, lower-cased."""
    return _NOT_KEY.sub("", normalize(text)).lower()


def squeeze(text: str) -> str:
    """Collapses runs of white space to one space and strips the ends."""
    return " ".join(text.split())


_SPACE_NEAR_CJK = re.compile(
    r"(?<=[\u3400-\u9fff\uff00-\uffef（）《》、，。：；])\s+|\s+(?=[\u3400-\u9fff\uff00-\uffef（）《》、，。：；])"
)


def tighten(text: str) -> str:
    """Drops the spaces that typesetting puts next to Chinese characters ("2023 年" -> "2023年")."""
    return _SPACE_NEAR_CJK.sub("", squeeze(text))


# A line that opens a section or a sub-part: "一、", "（一）", "第一部分", "表二".
HEADING_MARK = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+\s*[、.．]|[（(]\s*[一二三四五六七八九十]+\s*[)）]|第[一二三四五六]部分|表[一二三四五六])"
)


def similarity(a: str, b: str) -> float:
    """How alike two texts are, 0..1 (difflib's ratio, without its junk heuristic)."""
    return SequenceMatcher(None, a, b, autojunk=False).ratio()
