"""What every emitter of the page shares: escaping, and what a source pane hands the page."""

from __future__ import annotations

import html
from dataclasses import dataclass


def esc(text: str) -> str:
    """Text for an element's content or a quoted attribute value."""
    return html.escape(text, quote=True)


@dataclass(frozen=True, slots=True)
class Pane:
    """A source pane: its markup, and the style rules that place its outlines.

    Positions are rules of the page's one stylesheet, not ``style`` attributes,
    so that the Content-Security-Policy can allow that stylesheet by its hash.
    """

    markup: str
    css: str = ""
