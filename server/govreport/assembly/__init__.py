"""The assembler: one template-anchored pass from an ir.Document to an AnnualReport."""

from __future__ import annotations

from govreport.assembly.assembler import assemble

__all__ = ["assemble"]
