"""The naive baseline the PDF benchmark compares with: pdfplumber's own ``extract_tables()``.

Each extracted table row is named by its last cell whose normalised text is
a template row label, and the cells after it are the row's values, in order;
the 15 figures of 四 are the first all-numeric row of at least 15 cells.
This is what a general-purpose table extractor plus a label lookup gives,
without govreport's template-anchored reading (no merged-cell geometry, no
labels broken across lines or pages, no shifted cells, no borderless tables).
"""

from __future__ import annotations

import io

import pdfplumber

from govreport.assembly.values import parse_value
from govreport.normalize import label_key
from govreport.templates import Column, Kind, Row, Template


def extract(content: bytes, tpl: Template) -> dict[str, str]:
    """Cell path -> gold notation ("12", "blank", …) of the cells the baseline finds."""
    rows_by_key: dict[str, Row] = {}
    for row in (*tpl.disclosure_rows, *tpl.application_rows):
        for name in row.names:
            rows_by_key.setdefault(label_key(name), row)
    review = [(row.cell_path(c), c) for row in tpl.review_rows for c in row.columns]
    out: dict[str, str] = {}
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        for page in pdf.pages:
            for table in page.extract_tables():
                for raw in table:
                    cells = [(c or "").replace("\n", "") for c in raw]
                    labelled = [i for i, c in enumerate(cells) if label_key(c) in rows_by_key]
                    if labelled:
                        row = rows_by_key[label_key(cells[labelled[-1]])]
                        values = cells[labelled[-1] + 1 :]
                        for column, text in zip(row.columns, values, strict=False):
                            out.setdefault(row.cell_path(column), notation(text, column))
                        continue
                    figures = [c for c in cells if c.strip()]
                    if len(figures) >= len(review) and all(
                        parse_value(c, review[0][1]).state == "number" for c in figures
                    ):
                        for (path, column), text in zip(review, figures, strict=False):
                            out.setdefault(path, notation(text, column))
    return out


def notation(text: str, column: Column) -> str:
    """The gold file's notation of a cell text read as the column's kind."""
    value = parse_value(text, column)
    if value.state == "number":
        if column.kind is Kind.CHANGE and isinstance(value.value, int) and value.value > 0:
            return f"+{value.value}"
        return str(value.value)
    if value.state == "text":
        return "text" if value.value is None else f"text={value.value}"
    return value.state
