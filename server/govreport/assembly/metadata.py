"""The report's metadata: title, agency, year, publication date, statistics period, contact details."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from govreport.ir import Block, Location, Paragraph, Table
from govreport.normalize import tighten

_TITLE_MARK = re.compile(r"(?:政府信息公开|政务公开)(?:工作)?年度?报告")
_YEAR = re.compile(r"((?:19|20)\d{2})年度?")
_DATE = re.compile(r"^[（(]?((?:19|20)\d{2})年(\d{1,2})月(\d{1,2})日[)）]?$")
# "发布时间：2024-01-17", "发布日期：2024年1月17日", "来源：…办公室 时间：2024-03-08 15:34" in a
# web page's chrome.
_PUBLISHED = re.compile(
    r"(?:(?:发布|成文|印发)(?:时间|日期)|来源[：:][^：:]{1,40}?(?:时间|日期))[：:]\s*"
    r"((?:19|20)\d{2})[-年/.](\d{1,2})[-月/.](\d{1,2})"
)
_PERIOD = re.compile(
    r"统计期限?(?:为|是|[：:])?((?:自)?(?:19|20)\d{2}年\d{1,2}月\d{1,2}日(?:起)?(?:至|到|—|-|－)(?:(?:19|20)\d{2}年)?\d{1,2}月\d{1,2}日(?:止)?)"
)
_PHONE = re.compile(r"(?:联系电话|咨询电话|电话|Tel)[：:]?\s*((?:\d[\d\-－— ()（）]{5,}\d))")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_WEBSITE = re.compile(r"https?://[A-Za-z0-9.\-_~:/?#\[\]@!$&'*+,;=%]+")
_POSTCODE = re.compile(r"邮(?:政)?编(?:码)?[：:]?\s*(\d{6})")
_ADDRESS = re.compile(r"(?:联系|通讯|办公)?地址[：:]\s*([^；;，,。）)\n]+)")


@dataclass(slots=True)
class Found:
    value: str
    location: Location


@dataclass(slots=True)
class Metadata:
    title: Found | None = None
    agency: Found | None = None
    year: Found | None = None
    publication_date: Found | None = None
    statistics_period: Found | None = None
    contact: dict[str, Found] = field(default_factory=dict)


def _paragraphs(blocks: list[Block]) -> list[Paragraph]:
    out: list[Paragraph] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            out.append(block)
        elif isinstance(block, Table):
            for r in range(len(block.rows)):
                out.extend(
                    Paragraph(c.text, c.location) for c in block.own_cells(r) if c.text.strip()
                )
    return out


def _title(preamble: list[Paragraph]) -> tuple[Found, Found | None] | None:
    """The title, possibly over two lines (agency, then "2023年…年度报告"), and the agency."""
    for i, para in enumerate(preamble):
        text = tighten(para.text)
        mark = _TITLE_MARK.search(text)
        if mark is None or len(text) > 60:
            continue
        title, location = text, para.location
        before = text[: mark.start()]
        year = _YEAR.search(before)
        head = before[: year.start()] if year else before
        if not head and i > 0:
            prev = tighten(preamble[i - 1].text)
            if 2 <= len(prev) <= 30 and not _DATE.match(prev):
                title, location, head = prev + text, preamble[i - 1].location, prev
        agency = Found(head, location) if head else None
        return Found(title, location), agency
    return None


def read_metadata(preamble: list[Block], body: list[Block], trailing: list[Block]) -> Metadata:
    meta = Metadata()
    front = _paragraphs(preamble)
    everything = front + _paragraphs(body) + _paragraphs(trailing)
    titled = _title(front) or _title(everything[:15])
    if titled:
        meta.title, meta.agency = titled
        year = _YEAR.search(meta.title.value)
        if year:
            meta.year = Found(year.group(1), meta.title.location)
    meta.publication_date = _publication_date(front, _paragraphs(trailing), everything)
    searches: dict[str, Callable[[str], str | None]] = {
        "statistics_period": _group(_PERIOD),
        "address": _group(_ADDRESS),
        "postcode": _group(_POSTCODE),
        "phone": _group(_PHONE),
        "email": _whole(_EMAIL),
        "website": _whole(_WEBSITE),
    }
    for para in everything:
        text = tighten(para.text)
        for name, search in searches.items():
            if name in meta.contact:
                continue
            value = search(text)
            if value:
                meta.contact[name] = Found(value, para.location)
    period = meta.contact.pop("statistics_period", None)
    meta.statistics_period = period
    if meta.year is None and period is not None:
        year = _YEAR.search(period.value)
        if year:
            meta.year = Found(year.group(1), period.location)
    return meta


def _publication_date(
    front: list[Paragraph], trailing: list[Paragraph], everything: list[Paragraph]
) -> Found | None:
    """The date the report gives itself: under the title, in the signature, or as a page's 发布时间."""
    for para in front + trailing + everything[-12:]:
        date = _DATE.match(tighten(para.text))
        if date:
            return _iso(date.groups(), para.location)
    for para in front + everything:
        published = _PUBLISHED.search(tighten(para.text))
        if published:
            return _iso(published.groups(), para.location)
    return None


def _iso(parts: Sequence[str], location: Location) -> Found | None:
    try:
        return Found(date(*(int(p) for p in parts)).isoformat(), location)
    except ValueError:
        return None  # "2024年2月30日" is a typo, not a date


def _group(pattern: re.Pattern[str]) -> Callable[[str], str | None]:
    def search(text: str) -> str | None:
        match = pattern.search(text)
        return match.group(1).strip() if match else None

    return search


def _whole(pattern: re.Pattern[str]) -> Callable[[str], str | None]:
    def search(text: str) -> str | None:
        match = pattern.search(text)
        return match.group(0).rstrip(".,;") if match else None

    return search
