from __future__ import annotations

from govreport.ir import Document


def read(content: bytes) -> Document:
    raise NotImplementedError
