"""Where the CPU work runs: a pool of worker processes behind a bounded queue, for the asyncio server.

The gRPC threads never parse or OCR. A request's document goes to a queue;
when more than ``queue_limit`` documents wait, the next one is refused at
once (OVERLOADED, with a retry delay) rather than joining an ever-growing
backlog. Each worker process reads one document at a time; the parent
watches it:

- over ``max_seconds_per_document``, the worker is killed and the request
  fails with TIME_LIMIT;
- when the caller gives up (deadline, cancellation), a queued document is
  dropped and a running one's worker is killed, so no work is done for
  nobody;
- a worker that dies (killed, out of memory) fails its request with
  WORKER_FAILED (UNAVAILABLE: retryable) and a replacement starts at once;
- after ``worker_max_tasks`` documents a worker is replaced, which bounds
  the memory a long-running process can gather.

Workers are started with the ``spawn`` method (a clean interpreter, not a
fork of the threaded gRPC process) and limit themselves at start: address
space (RLIMIT_AS), no core files, umask 077. Each works in its own empty
folder under the pool's (``govreport-pool-PID-*`` in the temp dir), which
it empties after every document, so OCR's intermediate files never outlive
their request; the parent removes a worker's folder when it stops or is
killed, the pool's when it closes, and at start the folders of pools whose
process is gone. Workers get the document's bytes over a pipe and never
open a path or URL a request names.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import multiprocessing
import os
import re
import shutil
import signal
import tempfile
import time
import traceback
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from govreport.convert import ConvertOptions
from govreport.errors import GovreportError, Reason, clip, named, quoted
from govreport.logs import demote_library_warnings
from govreport.ocr import pages
from govreport.ocr.pages import SpareCores
from govreport.v1 import service_pb2

log = logging.getLogger(__name__)

ConvertFn = Callable[[bytes, str, ConvertOptions], service_pb2.Extraction]
_START_SECONDS = 120.0  # a spawned worker's imports, on a machine busy with other work


def shutting_down() -> GovreportError:
    return GovreportError(
        Reason.SHUTTING_DOWN,
        "the server is shutting down and did not finish this call; retry (on another replica)",
    )


class Overloaded(GovreportError):
    """The queue is full: try again after ``retry_after`` seconds."""

    def __init__(self, waiting: int, limit: int, retry_after: float) -> None:
        super().__init__(
            Reason.OVERLOADED,
            f"the server is busy ({waiting} documents waiting, the queue holds {limit}); "
            f"retry in {retry_after:.0f} s or send to another replica",
            retry_after=retry_after,
        )


# ---------------------------------------------------------------- the worker process


@dataclass(frozen=True, slots=True)
class Reply:
    """What a worker sends back over its pipe."""

    kind: str  # "ready" (its imports are done), "ok", "error", or "bug"
    extraction: bytes = b""  # "ok": the serialized Extraction
    reason: str = ""  # "error": the GovreportError's reason and message
    message: str = ""  # "error", "bug": what happened
    trace: str = ""  # "bug": the traceback in the worker


_POOL_PREFIX = "govreport-pool-"
_POOL_FOLDER = re.compile(re.escape(_POOL_PREFIX) + r"(\d+)-")


def _limit_self(memory_bytes: int, home: str) -> None:
    """Takes what the worker does not need: memory beyond its share, core files, a cwd with
    anything in it; ``home`` (empty, the parent's making) becomes its working directory."""
    import resource

    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.umask(0o077)
    os.chdir(home)
    os.environ["TMPDIR"] = home  # Tesseract's and our temporary files stay in it
    tempfile.tempdir = home


def empty_folder(path: str) -> None:
    """Removes what ``path`` holds, keeping the folder."""
    with contextlib.suppress(OSError), os.scandir(path) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def sweep_pool_folders(root: str | None = None) -> list[str]:
    """Removes the folders of pools whose process is gone (a server killed with SIGKILL leaves
    its workers' files behind). Returns what it removed."""
    root = root or tempfile.gettempdir()
    removed = []
    with contextlib.suppress(OSError), os.scandir(root) as entries:
        for entry in entries:
            match = _POOL_FOLDER.match(entry.name)
            if match is None or not entry.is_dir(follow_symlinks=False):
                continue
            if not os.path.exists(f"/proc/{match.group(1)}"):
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(entry.path)
    return removed


def worker_main(
    conn: Connection,
    memory_bytes: int,
    convert_fn: ConvertFn | None,
    spare_cores: SpareCores | None = None,
    home: str | None = None,
) -> None:
    """A worker: documents in, serialized Extractions (or errors) out, until told to stop.
    ``spare_cores`` (shared with the pool) lends a scan's pages the cores no worker uses;
    ``home`` is its own empty folder, emptied again after each document."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    home = home or tempfile.mkdtemp(prefix="govreport-worker-")
    _limit_self(memory_bytes, home)
    demote_library_warnings()  # the worker's stderr is the terminal of `govreport extract`
    pages.share(spare_cores)
    if convert_fn is None:
        from govreport.convert import convert  # the heavy imports, once per worker

        convert_fn = convert
    conn.send(Reply("ready"))  # the imports are done: a document's time limit starts from here
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        content, filename, options = message
        reply: Reply
        try:
            reply = Reply("ok", convert_fn(content, filename, options).SerializeToString())
        except GovreportError as err:
            reply = Reply("error", reason=err.reason, message=err.message)
        except MemoryError:
            reply = Reply(
                "error",
                reason=Reason.TOO_COMPLEX,
                message=f"{named(filename)} needs more memory than a worker may use "
                f"({memory_bytes >> 20} MiB, GOVREPORT_WORKER_MEMORY_BYTES)",
            )
        except Exception as exc:  # a bug: the parent logs it under an incident id
            # Clipped: the exception's text may quote the document.
            reply = Reply("bug", message=quoted(exc), trace=clip(traceback.format_exc(), 4000))
        del content
        empty_folder(home)  # nothing of this document stays behind
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


# ---------------------------------------------------------------- the parent side


@dataclass
class _Job:
    content: bytes
    filename: str
    options: ConvertOptions
    future: asyncio.Future[service_pb2.Extraction]
    queued_at: float = field(default_factory=time.monotonic)


class _Worker:
    """One worker process and the pipe to it."""

    def __init__(self, pool: WorkerPool) -> None:
        self.pipes = pool.pipes
        self.home = tempfile.mkdtemp(prefix="worker-", dir=pool.home)
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process: BaseProcess = ctx.Process(
            target=worker_main,
            args=(child, pool.memory_bytes, pool.convert_fn, pool.spare_cores, self.home),
            name="govreport-worker",
            daemon=True,
        )
        self.process.start()
        child.close()
        self.tasks = 0
        # Wait for the worker's imports (a second or two), so that they never count against a
        # document's time limit.
        try:
            ready = self.conn.poll(_START_SECONDS) and self.conn.recv() == Reply("ready")
        except (EOFError, OSError):
            ready = False
        if not ready:
            self.kill()
            raise GovreportError(Reason.WORKER_FAILED, "a worker process did not start; retry")

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def kill(self) -> None:
        # The pipe is left to the thread waiting on it: the dead end gives it EOFError.
        with contextlib.suppress(OSError):
            self.process.kill()
        self.process.join(5)
        shutil.rmtree(self.home, ignore_errors=True)

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self.process.join(5)
        if self.process.is_alive():
            self.kill()
        self.conn.close()
        shutil.rmtree(self.home, ignore_errors=True)

    async def call(self, job: _Job) -> Reply:
        """Sends the document and waits for the reply, on a thread: a pipe write of a large
        document blocks until the worker reads it, and that must never stall the event loop.
        Killing the worker ends the wait (EOFError)."""
        self.tasks += 1
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pipes, self._roundtrip, job)

    def _roundtrip(self, job: _Job) -> Reply:
        self.conn.send((job.content, job.filename, job.options))
        reply: Reply = self.conn.recv()
        return reply


# A document whose reading killed this many workers is not read again; the last documents that
# killed one are remembered, this many of them.
_FATAL_DEATHS = 2
_FATAL_REMEMBERED = 1024


def _key(content: bytes) -> tuple[int, str]:
    return len(content), hashlib.sha256(content).hexdigest()


def _fatal_document(filename: str) -> GovreportError:
    """INTERNAL, never retried: the document kills the process that reads it (a bug of ours or
    of a library, worth a report), so sending it again would only cost another worker."""
    incident = uuid.uuid4().hex[:12]
    log.error(
        "%s killed %d workers: not read again (incident %s)",
        clip(filename),
        _FATAL_DEATHS,
        incident,
    )
    return GovreportError(
        Reason.INTERNAL,
        f"reading {named(filename)} stopped the worker process {_FATAL_DEATHS} times; it is "
        f"not read again. Please report it with incident {incident}",
        details={"incident": incident},
    )


class WorkerPool:
    """``await pool.extract(content, filename, options)`` on ``size`` worker processes."""

    def __init__(
        self,
        size: int,
        *,
        queue_limit: int,
        time_limit: float,
        max_tasks: int,
        memory_bytes: int,
        convert_fn: ConvertFn | None = None,
        on_queue_change: Callable[[int], None] | None = None,
        on_worker_lost: Callable[[], None] | None = None,
    ) -> None:
        self.size = size
        self.queue_limit = queue_limit
        self.time_limit = time_limit
        self.max_tasks = max_tasks
        self.memory_bytes = memory_bytes
        self.convert_fn = convert_fn  # must be picklable (a module-level function)
        self._on_queue_change = on_queue_change or (lambda _n: None)
        self._on_worker_lost = on_worker_lost or (lambda: None)
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._slots: list[asyncio.Task[None]] = []
        self._workers: list[_Worker | None] = []
        # Replacements being started, by slot: a dead worker's successor starts at once.
        self._starting: dict[int, asyncio.Future[_Worker]] = {}
        self.home = ""  # the pool's folder, made by start()
        self._busy = 0
        # Cores no document is being read on: a worker borrows them for a scan's pages
        # (ocr/pages.py). Shared memory, so every worker sees the same count.
        self.spare_cores: SpareCores = multiprocessing.get_context("spawn").Value("i", size)
        self._seconds = 1.0  # a running mean of a document's time, for the retry delay
        # Documents whose reading killed a worker, and how many times. Every client retries
        # WORKER_FAILED; a document that kills the reader each time would take a worker down
        # with every attempt, so its second death ends the retries (INTERNAL). Keyed by size
        # and SHA-256: a document is hashed (on the event loop) only when one of its size
        # killed a worker, not every document after any death.
        self._fatal: OrderedDict[tuple[int, str], int] = OrderedDict()
        # One thread per worker waits on its pipe (and one spare for a worker being replaced).
        self.pipes = ThreadPoolExecutor(size + 1, thread_name_prefix="govreport-pipe")

    @property
    def waiting(self) -> int:
        return self._queue.qsize()

    def pids(self) -> list[int]:
        return [w.pid for w in self._workers if w is not None and w.pid is not None]

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        for folder in sweep_pool_folders():
            log.info("removed %s, left by a server that is gone", folder)
        self.home = tempfile.mkdtemp(prefix=f"{_POOL_PREFIX}{os.getpid()}-")
        # Starting a spawned interpreter takes a second: all at once, off the event loop.
        workers = await asyncio.gather(
            *(loop.run_in_executor(None, _Worker, self) for _ in range(self.size))
        )
        self._workers = list(workers)
        self._slots = [asyncio.create_task(self._serve(i)) for i in range(self.size)]

    async def close(self) -> None:
        for task in self._slots:
            task.cancel()
        for task in self._slots:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        loop = asyncio.get_running_loop()
        for index, starting in list(self._starting.items()):
            with contextlib.suppress(Exception):
                self._workers[index] = await starting
        self._starting.clear()
        await asyncio.gather(
            *(loop.run_in_executor(None, w.stop) for w in self._workers if w is not None)
        )
        self._workers = []
        if self.home:
            shutil.rmtree(self.home, ignore_errors=True)
        self.pipes.shutdown(wait=False, cancel_futures=True)
        while not self._queue.empty():
            self._settle(self._queue.get_nowait(), error=shutting_down())

    async def extract(
        self, content: bytes, filename: str, options: ConvertOptions
    ) -> service_pb2.Extraction:
        """The document's extraction. Raises Overloaded, GovreportError, or CancelledError."""
        known_size = any(size == len(content) for size, _ in self._fatal)
        if known_size and self._fatal.get(_key(content), 0) >= _FATAL_DEATHS:
            raise _fatal_document(filename)
        if self._queue.qsize() >= self.queue_limit:
            backlog = self._queue.qsize() + self._busy
            retry_after = max(1.0, self._seconds * backlog / max(1, self.size))
            raise Overloaded(self._queue.qsize(), self.queue_limit, retry_after)
        future: asyncio.Future[service_pb2.Extraction] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Job(content, filename, options, future))
        self._on_queue_change(self._queue.qsize())
        # When the caller is cancelled, the future is too: a slot holding it stops its worker.
        try:
            return await future
        finally:
            # A failed future keeps its exception, whose traceback holds this frame, which
            # holds the future and the document: a cycle only the cyclic collector frees, so a
            # server refusing 50 MB uploads kept gigabytes of them. Without the name, no cycle.
            del future

    async def _serve(self, index: int) -> None:
        """One slot: takes jobs one at a time and runs each on its worker process."""
        while True:
            job = await self._queue.get()
            self._on_queue_change(self._queue.qsize())
            if job.future.done():  # the caller gave up while it waited
                continue
            self._busy += 1
            self._lend(-1)
            try:
                await self._run(index, job)
            except asyncio.CancelledError:  # the pool is closing: its caller hears why
                self._settle(job, error=shutting_down())
                raise
            finally:
                self._busy -= 1
                self._lend(+1)

    def _lend(self, change: int) -> None:
        with self.spare_cores.get_lock():
            self.spare_cores.value += change

    def _replace(self, index: int) -> None:
        """Starts slot ``index``'s next worker now, off the event loop, so that the next
        document does not wait for it; the old one (if any) is stopped first."""
        old, self._workers[index] = self._workers[index], None
        loop = asyncio.get_running_loop()

        async def start() -> _Worker:
            if old is not None:
                await loop.run_in_executor(None, old.stop)
            return await loop.run_in_executor(None, _Worker, self)

        self._starting[index] = asyncio.ensure_future(start())

    async def _fresh_worker(self, index: int) -> _Worker:
        starting = self._starting.pop(index, None)
        if starting is not None:
            self._workers[index] = await starting  # raises if it did not start
        worker = self._workers[index]
        if worker is not None and worker.process.is_alive() and worker.tasks < self.max_tasks:
            return worker
        self._replace(index)
        worker = self._workers[index] = await self._starting.pop(index)
        return worker

    async def _run(self, index: int, job: _Job) -> None:
        try:
            worker = await self._fresh_worker(index)
        except GovreportError as err:
            self._workers[index] = None
            self._settle(job, error=err)
            return
        started = time.monotonic()
        call = asyncio.ensure_future(worker.call(job))
        watched: set[asyncio.Future[Any]] = {call, job.future}
        try:
            done, _ = await asyncio.wait(
                watched, timeout=self.time_limit, return_when=asyncio.FIRST_COMPLETED
            )
        except asyncio.CancelledError:  # the pool is closing
            call.cancel()
            worker.kill()
            self._workers[index] = None
            raise
        if call not in done:
            # Over the time limit, or the caller gave up: the worker's work is wasted either way.
            call.cancel()
            worker.kill()
            self._workers[index] = None
            self._replace(index)
            self._on_worker_lost()
            if not job.future.done():
                job.future.set_exception(
                    GovreportError(
                        Reason.TIME_LIMIT,
                        f"{named(job.filename)} took over {self.time_limit:.0f} s "
                        "(GOVREPORT_MAX_SECONDS_PER_DOCUMENT) and was stopped",
                    )
                )
            return
        try:
            reply = call.result()
        except (EOFError, OSError) as exc:
            log.warning("worker %s died while reading %s: %s", worker.pid, clip(job.filename), exc)
            worker.kill()
            self._workers[index] = None
            self._replace(index)
            self._on_worker_lost()
            if self._count_death(job.content) >= _FATAL_DEATHS:
                self._settle(job, error=_fatal_document(job.filename))
                return
            self._settle(
                job,
                error=GovreportError(
                    Reason.WORKER_FAILED,
                    f"the worker reading {named(job.filename)} stopped "
                    "unexpectedly; retry the request",
                ),
            )
            return
        self._seconds = 0.8 * self._seconds + 0.2 * (time.monotonic() - started)
        if worker.tasks >= self.max_tasks:
            self._replace(index)
        if reply.kind == "ok":
            self._settle(job, result=service_pb2.Extraction.FromString(reply.extraction))
        elif reply.kind == "error":
            self._settle(job, error=GovreportError(reply.reason, reply.message))
        else:
            self._settle(job, error=WorkerBug(reply.message, reply.trace))

    def _count_death(self, content: bytes) -> int:
        key = _key(content)
        deaths = self._fatal.pop(key, 0) + 1
        self._fatal[key] = deaths
        while len(self._fatal) > _FATAL_REMEMBERED:
            self._fatal.popitem(last=False)
        return deaths

    @staticmethod
    def _settle(
        job: _Job,
        result: service_pb2.Extraction | None = None,
        error: BaseException | None = None,
    ) -> None:
        if job.future.done():
            return
        if error is not None:
            job.future.set_exception(error)
        else:
            job.future.set_result(result)  # type: ignore[arg-type]


class WorkerBug(Exception):
    """An unexpected exception inside a worker, with its traceback there."""

    def __init__(self, summary: str, trace: str) -> None:
        super().__init__(summary)
        self.trace = trace


class ThreadRunner:
    """The WorkerPool's contract on threads of this process, for tests with a fake convert
    (whose calls they inspect) and for embedding: same queue limit and errors, no processes."""

    def __init__(self, convert_fn: ConvertFn, *, size: int = 2, queue_limit: int = 8) -> None:
        self.convert_fn = convert_fn
        self.size = size
        self.queue_limit = queue_limit
        self._slots: asyncio.Semaphore | None = None
        self._waiting = 0

    @property
    def waiting(self) -> int:
        return self._waiting

    async def start(self) -> None:
        self._slots = asyncio.Semaphore(self.size)

    async def close(self) -> None:
        return None

    async def extract(
        self, content: bytes, filename: str, options: ConvertOptions
    ) -> service_pb2.Extraction:
        if self._slots is None:
            await self.start()
        assert self._slots is not None
        if self._waiting >= self.queue_limit:
            raise Overloaded(self._waiting, self.queue_limit, 1.0)
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        try:
            return await asyncio.to_thread(self.convert_fn, content, filename, options)
        finally:
            self._slots.release()
