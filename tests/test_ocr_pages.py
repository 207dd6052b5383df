"""A scan's pages read side by side on cores nobody else uses (govreport/ocr/pages.py)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from fakes import spare_cores_seen

from govreport.convert import ConvertOptions
from govreport.ocr import pages
from govreport.workers import WorkerPool


class Recorder:
    """A page reader that notes the threads it ran on and how many ran at once."""

    def __init__(self, together: int = 1) -> None:
        self.threads: set[str] = set()
        self.running = 0
        self.most = 0
        self.lock = threading.Lock()
        # The first ``together`` pages wait for each other: they can only pass side by side.
        self.barrier = threading.Barrier(together, timeout=30) if together > 1 else None
        self.together = together

    def __call__(self, page: int) -> int:
        with self.lock:
            self.threads.add(threading.current_thread().name)
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            if self.barrier is not None and page < self.together:
                self.barrier.wait()
            return page * 10
        finally:
            with self.lock:
                self.running -= 1


@pytest.fixture(autouse=True)
def no_sharing() -> Iterator[None]:
    """Each test starts with nothing to borrow (an in-process CLI run before may have lent its
    cores) and leaves nothing behind."""
    pages.share(None)
    yield
    pages.share(None)


def test_without_spare_cores_pages_are_read_in_turn_on_the_callers_thread() -> None:
    reader = Recorder()
    assert list(pages.map_pages(reader, range(6))) == [0, 10, 20, 30, 40, 50]
    assert reader.threads == {threading.current_thread().name}


def test_a_spare_core_reads_a_second_page_at_once_and_is_given_back() -> None:
    pages.lend_local(2)
    reader = Recorder(together=2)
    assert list(pages.map_pages(reader, range(6))) == [0, 10, 20, 30, 40, 50]
    assert reader.most == 2 and len(reader.threads) == 2
    assert pages._spare is not None and pages._spare.value == 1


def test_no_spare_core_means_one_page_at_a_time() -> None:
    pages.lend_local(1)
    reader = Recorder()
    assert list(pages.map_pages(reader, range(5))) == [0, 10, 20, 30, 40]
    assert reader.most == 1


def test_a_core_taken_by_another_document_is_not_lent_again() -> None:
    """Page 1 is read on the borrowed core; while it is, another document takes a core. From
    then on no page is lent one: pages 2 to 5 are read one at a time."""
    pages.lend_local(2)
    spare = pages._spare
    assert spare is not None
    later = Recorder()

    def read(page: int) -> int:
        if page == 1:
            with spare.get_lock():
                spare.value -= 1  # another document starts on a worker
            return page * 10
        if page == 0:
            return 0
        return later(page)

    assert list(pages.map_pages(read, range(6))) == [0, 10, 20, 30, 40, 50]
    assert later.most == 1
    assert spare.value == 0  # the core page 1 borrowed is back; the other document's is not


def test_a_failing_page_fails_the_document_and_gives_its_core_back() -> None:
    pages.lend_local(2)

    def read(page: int) -> int:
        if page == 3:
            raise ValueError("page 3 is broken")
        return page

    with pytest.raises(ValueError, match="page 3 is broken"):
        list(pages.map_pages(read, range(6)))
    assert pages._spare is not None and pages._spare.value == 1


def test_the_worker_pool_lends_its_idle_cores_to_the_document_it_reads() -> None:
    async def run() -> tuple[str, int]:
        pool = WorkerPool(
            2,
            queue_limit=4,
            time_limit=60,
            max_tasks=10,
            memory_bytes=2 << 30,
            convert_fn=spare_cores_seen,
        )
        await pool.start()
        try:
            extraction = await pool.extract(b"x", "scan.tif", ConvertOptions())
        finally:
            await pool.close()
        return extraction.document.filename, pool.spare_cores.value

    seen, after = asyncio.run(run())
    assert seen == "spare=1"  # two workers, one document being read
    assert after == 2
