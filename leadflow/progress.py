"""Progress of an upload job on stderr: a rich bar on a terminal, plain lines anywhere else.

A bar redrawn in place is noise in a log file or a CI transcript, so the choice follows rich's own
terminal detection of the stream (a TTY that is not TERM=dumb). Off a terminal a line is written
only when something changed (status, batches, leads), never one per poll.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


def is_terminal(stream: TextIO) -> bool:
    console = Console(file=stream)
    return console.is_terminal and not console.is_dumb_terminal


class JobProgress:
    """Call with each polled job; use as a context manager so the bar is closed on every exit path."""

    def __init__(self, stream: TextIO | None = None, *, force_terminal: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.terminal = is_terminal(self.stream) if force_terminal is None else force_terminal
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._last: tuple[Any, ...] | None = None

    def __enter__(self) -> JobProgress:
        if self.terminal:
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description:<10}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("batches  leads {task.fields[leads]}  rejected {task.fields[rejected]}"),
                TimeElapsedColumn(),
                console=Console(file=self.stream, force_terminal=True),
            )
            self._progress.start()
            self._task = self._progress.add_task("queued", total=None, leads=0, rejected=0)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def __call__(self, job: dict[str, Any]) -> None:
        status = str(job.get("status", "?"))
        total = job.get("batches_total")
        done = int(job.get("batches_done") or 0)
        leads = int(job.get("leads_stored") or 0)
        rejected = int(job.get("rows_rejected") or 0)
        if self._progress is not None and self._task is not None:
            self._progress.update(
                self._task, description=status, total=total, completed=done, leads=leads, rejected=rejected
            )
            return
        now = (status, total, done, leads, rejected)
        if now == self._last:
            return
        self._last = now
        batches = f"{done}/{total} batches" if total is not None else "splitting"
        self.stream.write(
            f"job {job.get('job_id', '?')}: {status}, {batches}, {leads} leads stored, {rejected} rows rejected\n"
        )
        self.stream.flush()
