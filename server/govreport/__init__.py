"""govreport: government information disclosure annual reports as structured, validated data.

    import govreport
    extraction = govreport.extract("report.pdf")            # in this process
    with govreport.Client("localhost:50051") as client:     # on a server
        extraction = client.extract("report.pdf")
        extraction = client.extract(govreport.PageSet.of(["p1.jpg", "p2.jpg"]))  # one report

    frame = govreport.to_dataframe(extractions)              # pandas: govreport[pandas]

Failures are ``govreport.GovreportError`` (a reason, a message, details).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Client", "Credentials", "GovreportError", "PageSet", "extract", "to_dataframe"]

if TYPE_CHECKING:
    from govreport.client import Client, Credentials, extract
    from govreport.dataframe import to_dataframe
    from govreport.errors import GovreportError
    from govreport.pageset import PageSet


def __getattr__(name: str) -> Any:
    # Imported when first asked for: the readers (pdfplumber, OpenCV) are not needed to read
    # __version__, and the server's worker processes import what they need themselves.
    if name in ("Client", "Credentials", "extract"):
        from govreport import client

        return getattr(client, name)
    if name == "PageSet":
        from govreport.pageset import PageSet

        return PageSet
    if name == "to_dataframe":  # pandas itself only when it is called
        from govreport.dataframe import to_dataframe

        return to_dataframe
    if name == "GovreportError":
        from govreport.errors import GovreportError

        return GovreportError
    raise AttributeError(f"module 'govreport' has no attribute {name!r}")
