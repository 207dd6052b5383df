"""Which reports are the same agency's: names as agencies write them, made comparable.

An agency's name varies from one year's report to the next: "洪泽区人民政府"
one year, "淮安市洪泽区人民政府" the next; "XX区政府" for "XX区人民政府". The
key drops the prefixes of the units above it (a province or city before a
county, district or city), and writes 人民政府 as 政府. Where that is not
enough, a map of names (``--agency-map``) says which names are one agency.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from govreport.errors import GovreportError, Reason
from govreport.normalize import label_key

# A unit above the agency's own: a province, autonomous region or city, followed by the name
# of the unit below it (a city, district, county or banner). Dropped, repeatedly.
_UPPER_UNIT = re.compile(
    r"^[\u4e00-\u9fff]{2,7}?(?:省|自治区|市)(?=[\u4e00-\u9fff]{1,7}?(?:市|区|县|旗))"
)
# Spellings of one thing: the first is written as the second.
_SAME = (("人民政府", "政府"),)


def agency_key(name: str, aliases: Mapping[str, str] | None = None) -> str:
    """The key under which one agency's reports of different years meet ("" for no name)."""
    key = label_key(name)
    if aliases:
        key = aliases.get(key, key)
    while (match := _UPPER_UNIT.match(key)) is not None and len(key) > match.end() + 2:
        key = key[match.end() :]
    for written, meant in _SAME:
        key = key.replace(written, meant)
    return key


def read_map(path: str) -> dict[str, str]:
    """An agency map: one line a name, ``NAME<TAB>AGENCY`` or ``NAME = AGENCY`` (``#`` starts a
    comment), both sides compared as keys. Raises GovreportError for a file it cannot use."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise GovreportError(Reason.NOT_FOUND, f"--agency-map {path}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise GovreportError(Reason.UNREADABLE, f"--agency-map {path}: {exc}") from exc
    out: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, agency = line.partition("\t") if "\t" in line else line.partition("=")
        if not sep or not name.strip() or not agency.strip():
            raise GovreportError(
                Reason.INVALID_ARGUMENT,
                f"--agency-map {path}, line {number}: write NAME<TAB>AGENCY or NAME = AGENCY",
            )
        out[label_key(name)] = label_key(agency)
    return out
