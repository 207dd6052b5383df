"""The pages of one scanned document read side by side on cores nobody else is using.

Reading a page is OpenCV and Tesseract, which both let go of Python's lock,
so the pages of one document can be read on threads of one process. The
cores for them are borrowed from a count of *spare cores* that the worker
pool keeps in shared memory (workers.py): the number of cores minus the
documents being read minus the pages already borrowed for. A page is read
on a helper thread only after a core is borrowed for it, and the core goes
back when the page is done; when other documents arrive, the count falls
and no new page is lent, so a big scan never holds up other requests for
longer than a page. Without a count (tests, a library call) the pages are
read one after another; the CLI reading one file lends itself its idle
cores (``lend_local``).

A file's pages are decoded (or rendered) on the calling thread, in order,
because neither PIL's frame iterator nor pdfium may be used from two
threads; the next page is decoded only when a core is free to read it, so
no more page images are held than are being read.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

_In = TypeVar("_In")
_Out = TypeVar("_Out")


class SpareCores(Protocol):
    """A multiprocessing.Value("i") and its lock (what workers.py shares), or the like."""

    value: int

    def get_lock(self) -> Any: ...


class _LocalCores:
    """A count for this process alone."""

    def __init__(self, cores: int) -> None:
        self.value = cores
        self._lock = threading.Lock()

    def get_lock(self) -> threading.Lock:
        return self._lock


_spare: SpareCores | None = None


def share(spare: SpareCores | None) -> None:
    """Uses ``spare`` (shared with the worker pool) to borrow cores from; None: no borrowing."""
    global _spare
    _spare = spare


def lend_local(cores: int | None = None) -> None:
    """This process alone: ``cores`` (default all) less the one it reads on may be borrowed."""
    share(_LocalCores(max(0, (cores or os.cpu_count() or 1) - 1)))


def _borrow() -> bool:
    spare = _spare
    if spare is None:
        return False
    with spare.get_lock():
        if spare.value <= 0:
            return False
        spare.value -= 1
        return True


def _give_back() -> None:
    spare = _spare
    if spare is not None:
        with spare.get_lock():
            spare.value += 1


# Threads that read pages, kept for the process's life: each keeps its Tesseract engines
# loaded (ocr.engine), which a thread started per document would load again.
_readers: ThreadPoolExecutor | None = None
_readers_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _readers
    with _readers_lock:
        if _readers is None:
            _readers = ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="govreport-page")
        return _readers


@dataclass(slots=True)
class _InFlight:
    future: Future[Any]
    borrowed: bool  # read on a borrowed core (given back when done), not the caller's own


def map_pages(read: Callable[[_In], _Out], pages: Iterable[_In]) -> Iterator[_Out]:
    """``read`` of every page, in order: one page at a time on the caller's core, and more at
    once on every core that can be borrowed when a page is due.

    ``pages`` is consumed on the calling thread, a page when a core is
    free for it, so a lazy iterable of decoded pages holds no more pages in
    memory than are being read.
    """
    if _spare is None:  # nothing to borrow from: no threads either
        yield from map(read, pages)
        return

    def on_borrowed(item: _In) -> _Out:
        try:
            return read(item)
        finally:
            _give_back()

    pending: deque[_InFlight] = deque()
    try:
        for item in pages:
            while True:
                own_free = all(p.borrowed or p.future.done() for p in pending)
                if own_free or _borrow():
                    break
                wait([p.future for p in pending], return_when=FIRST_COMPLETED)
                while pending and pending[0].future.done():
                    yield pending.popleft().future.result()
            borrowed = not own_free
            task = on_borrowed if borrowed else read
            pending.append(_InFlight(_pool().submit(task, item), borrowed))
            while pending and pending[0].future.done():
                yield pending.popleft().future.result()
        while pending:
            yield pending.popleft().future.result()
    finally:
        for p in pending:  # a page failed, or the caller stopped: the rest are not wanted
            p.future.cancel()
