"""The validator: the template's consistency (勾稽关系) and compliance rules (registry.py)."""

from __future__ import annotations

from govreport.templates import Template
from govreport.templates.proto import definition as _definition
from govreport.v1 import template_pb2
from govreport.validation.registry import all_rules
from govreport.validation.validator import validate

__all__ = ["definition", "validate"]


def definition(tpl: Template) -> template_pb2.TemplateDefinition:
    """GetTemplate's answer: the template's sections, tables and the rules checked on it."""
    return _definition(tpl, all_rules())
