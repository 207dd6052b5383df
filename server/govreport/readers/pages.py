"""A report sent as its pages: a ZIP archive of page images (第1页.jpg … 第6页.jpg, phone photos).

Members are the pages in the natural order of their names (digit runs
compared as numbers: ``第2页`` before ``第10页``; the clients and the CLI
name them ``0001-…``, ``0002-…`` to keep the order they were given).
Folders, hidden files and the ``__MACOSX/`` copies a Mac adds are passed
over; any other member must be an image (PNG, JPEG, TIFF, BMP, WebP,
judged from its bytes). Each is read by the image reader as the next page
(a multi-page TIFF member as several), so a page set is one document with
one page numbering, checked against the same page and pixel limits.
"""

from __future__ import annotations

import io
import zipfile
import zlib

from govreport.errors import GovreportError, Reason, clip
from govreport.ir import Document, SourceFormat
from govreport.limits import Limits
from govreport.pageset import page_names
from govreport.readers import image
from govreport.readers.detect import is_image

# A member's name is quoted in errors up to this many characters (a name is the sender's text).
_SHOWN = 120


def read(content: bytes, limits: Limits | None = None) -> Document:
    limits = limits or Limits()
    limits.check_zip(content, "the page set")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = page_names(archive.namelist())
            if not names:
                raise GovreportError(Reason.EMPTY_DOCUMENT, "the zip archive holds no page images")
            limits.check_pages(len(names), "the page set")
            document = Document(SourceFormat.PAGE_SET)
            for name in names:
                member = archive.read(name)
                shown = name if len(name) <= _SHOWN else name[: _SHOWN - 1] + "…"
                if not is_image(member):
                    raise GovreportError(
                        Reason.UNSUPPORTED_FORMAT,
                        f"{shown} in the zip archive is not a page image (PNG, JPEG, TIFF, "
                        "BMP or WebP); a page set holds page images only",
                    )
                image.add_pages(document, member, f"{shown} in the zip archive", limits)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,  # a damaged member
        EOFError,
        NotImplementedError,
    ) as exc:
        raise GovreportError(
            Reason.CORRUPT_DOCUMENT,
            f"the zip archive of page images cannot be read ({clip(str(exc))}); it may be truncated",
        ) from exc
    image.require_text(document, "the page images (blank or unreadable scans)")
    return document
