"""Headless Chromium as the tests run it (the review page's browser tests, printing a web page).

The flags keep it off the network this machine does not have: without the
background-networking ones it retries refused connections at every start.
"""

from __future__ import annotations

FLAGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
