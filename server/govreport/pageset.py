"""A report that comes as its pages: which files make one, their order, and the zip carrying them.

A scanned report often reaches a reviewer as one image per page
(``第1页.jpg`` … ``第6页.jpg``, or a phone's photos of the printed pages).
On the wire such a report is one document, a ZIP archive of the page
images (DOCUMENT_FORMAT_PAGE_SET; readers/pages.py reads it): pages in the
natural order of the member names, digit runs compared as numbers. The
CLI and the clients name members ``0001-…``, ``0002-…`` so that the order
the pages were given in is the order read.

A folder is taken for one report's pages when it holds nothing but images
numbered as pages: each name has a number, and the numbers are 1…N (or
0…N-1) once each. Images with other names (``hongze-2023.jpg``,
``pingtan-2023.png``) are separate documents.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from govreport.errors import GovreportError, Reason

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")
_DIGITS = re.compile(r"(\d+)")
_NO_PAGES = {"thumbs.db", "desktop.ini"}


def is_passed_over(name: str) -> bool:
    """A name that is no page: a folder, a hidden file, a Mac's resource copy, a thumbnail
    cache."""
    path = PurePosixPath(name)
    return (
        name.endswith("/")
        or path.parts[:1] == ("__MACOSX",)
        or path.name.startswith(".")
        or path.name.lower() in _NO_PAGES
    )


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """``第10页.jpg`` after ``第2页.jpg``: digit runs compare as numbers."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.lower())
        for part in _DIGITS.split(name)
        if part
    )


def page_names(names: Iterable[str]) -> list[str]:
    """The page members among ``names``, in page order."""
    return sorted((n for n in names if not is_passed_over(n)), key=natural_key)


def is_page_image(name: str) -> bool:
    return name.lower().endswith(IMAGE_SUFFIXES)


@dataclass(frozen=True, slots=True)
class PageSet:
    """Page images that are one report, in order, and the file name the report goes by."""

    pages: tuple[Path, ...]
    name: str = "pages.zip"

    @classmethod
    def of(cls, paths: Sequence[str | Path], name: str = "pages.zip") -> PageSet:
        """The pages in the order given. Raises INVALID_ARGUMENT for none, or for a file that
        is not a page image by its name."""
        if not paths:
            raise GovreportError(Reason.INVALID_ARGUMENT, "a page set needs at least one page")
        for path in paths:
            if not is_page_image(str(path)):
                raise GovreportError(
                    Reason.INVALID_ARGUMENT,
                    f"{path} is not a page image ({', '.join(IMAGE_SUFFIXES)}); "
                    "a page set holds page images only",
                )
        return cls(tuple(Path(p) for p in paths), name)

    def to_zip(self) -> bytes:
        """The archive sent as the document: members ``0001-<name>``, … in order, stored
        (page images are compressed already)."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            for index, path in enumerate(self.pages, start=1):
                try:
                    content = path.read_bytes()
                except FileNotFoundError as exc:
                    raise GovreportError(Reason.NOT_FOUND, f"{path}: no such file") from exc
                except OSError as exc:
                    raise GovreportError(
                        Reason.UNREADABLE, f"{path}: {exc.strerror or exc}"
                    ) from exc
                archive.writestr(f"{index:04d}-{path.name}", content)
        return buffer.getvalue()


def page_number(name: str) -> int | None:
    """The page a file's name numbers (the last number in its stem), if it has one."""
    found = _DIGITS.findall(PurePosixPath(name).stem)
    return int(found[-1]) if found else None


def page_folder(folder: Path) -> PageSet | None:
    """The folder's images as one report's pages, when they are numbered as pages (see the
    module's description); None otherwise."""
    try:
        entries = [p for p in folder.iterdir() if not is_passed_over(p.name)]
    except OSError:
        return None
    if len(entries) < 2 or not all(p.is_file() and is_page_image(p.name) for p in entries):
        return None
    numbers = sorted(n for p in entries if (n := page_number(p.name)) is not None)
    first = numbers[0] if numbers else -1
    if len(numbers) != len(entries) or first not in (0, 1):
        return None
    if numbers != list(range(first, first + len(numbers))):
        return None
    ordered = sorted(entries, key=lambda p: page_number(p.name) or 0)
    return PageSet(tuple(ordered), f"{folder.name or 'pages'}.zip")
