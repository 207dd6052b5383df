"""The validator: the template's consistency (勾稽关系) and compliance rules."""

from __future__ import annotations

from govreport.validation.validator import validate

__all__ = ["validate"]
