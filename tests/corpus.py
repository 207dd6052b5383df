"""The real reports of ../shared/corpus/ (as their agencies published them) and their gold.

The corpus is not copied into the project (its README asks so); CI checks it
out at the same relative path. A missing corpus is an error, not a skip: the
real documents are the measure.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
if not (CORPUS / "gold").is_dir():
    raise RuntimeError(
        f"the real-report corpus is not at {CORPUS} (see ../shared/corpus/README.md)"
    )

HONGZE_PDF = CORPUS / "huaian-hongze-2023-district.pdf"
PINGTAN_HTML = CORPUS / "pingtan-2023-county.html"
