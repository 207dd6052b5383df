"""The CLI's progress bar over many documents: done/total, failures, rate and time left (rich)."""

from __future__ import annotations

import sys
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class _Rate(ProgressColumn):
    """Documents per second (rich's own speed column counts bytes)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("– docs/s" if speed is None else f"{speed:.1f} docs/s", style="cyan")


class Bar:
    """``with Bar(total) as bar: bar.advance(ok=...)``; draws nothing when not enabled.

    Enabled by default only when stderr is a terminal, so logs and pipes get
    the one summary line the CLI prints at the end instead of redraws.
    """

    def __init__(self, total: int, enabled: bool | None = None) -> None:
        console = Console(stderr=True)
        self.enabled = console.is_terminal if enabled is None else enabled
        self.failed = 0
        self._progress = Progress(
            TextColumn("extracting"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            _Rate(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console
            if console.is_terminal
            else Console(file=sys.stderr, force_terminal=False),
            disable=not self.enabled,
            transient=False,
        )
        self._task = self._progress.add_task("extract", total=total, failed=0)

    def __enter__(self) -> Bar:
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def advance(self, ok: bool = True) -> None:
        if not ok:
            self.failed += 1
        self._progress.update(self._task, advance=1, failed=self.failed)
