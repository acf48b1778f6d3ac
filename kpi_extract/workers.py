"""Worker processes with a time bound per task: a stuck or crashed task never stops a batch.

Each worker runs one task at a time. A task that runs longer than ``timeout`` seconds gets
its worker killed (SIGKILL) and replaced; a worker that dies (a crash, the kernel's OOM
killer) is replaced too. Either way the caller gets ``on_failure(task, reason)`` in that
task's place, with ``reason`` ``"timeout"`` or ``"crashed"``. Results come back in task
order. Workers end with the process that started them (Linux ``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Final, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_PR_SET_PDEATHSIG: Final = 1
_CONTEXT: Final = multiprocessing.get_context("fork")


def die_with_parent() -> None:
    """End this process when its parent dies (Linux); elsewhere, do nothing."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: workers end when their pipe closes
        return
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def _serve(conn: Connection, fn: Callable[[Any], Any]) -> None:
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        conn.send(fn(task))


@dataclass
class _Worker:
    process: Any
    conn: Connection
    index: int | None = None  # position of the task it runs
    started: float = 0.0


class Pool(Generic[T, R]):
    """``jobs`` worker processes applying ``fn`` to tasks, each within ``timeout`` seconds."""

    def __init__(
        self,
        jobs: int,
        fn: Callable[[T], R],
        on_failure: Callable[[T, str], R],
        timeout: float,
    ) -> None:
        self.fn = fn
        self.on_failure = on_failure
        self.timeout = timeout
        self.workers = [self._spawn() for _ in range(max(1, jobs))]

    def _spawn(self) -> _Worker:
        parent, child = _CONTEXT.Pipe()
        process = _CONTEXT.Process(target=_serve, args=(child, self.fn), daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent)

    def _replace(self, worker: _Worker) -> None:
        worker.process.kill()
        worker.process.join()
        worker.conn.close()
        self.workers[self.workers.index(worker)] = self._spawn()

    def map(self, tasks: Iterable[T]) -> Iterator[R]:
        """Results of ``tasks``, in order."""
        pending = list(enumerate(tasks))
        pending.reverse()
        results: dict[int, R] = {}
        by_index = dict(pending)
        next_out = 0
        while pending or any(w.index is not None for w in self.workers):
            for worker in self.workers:
                if worker.index is None and pending:
                    position, task = pending.pop()
                    worker.conn.send(task)
                    worker.index, worker.started = position, time.monotonic()
            busy = [w for w in self.workers if w.index is not None]
            deadline = min(w.started for w in busy) + self.timeout
            ready = wait([w.conn for w in busy], max(0.0, deadline - time.monotonic()))
            for worker in busy:
                running = worker.index
                assert running is not None
                index: int = running
                if worker.conn in ready:
                    try:
                        results[index] = worker.conn.recv()
                    except (EOFError, OSError):
                        results[index] = self.on_failure(by_index[index], "crashed")
                        self._replace(worker)
                        continue
                    worker.index = None
                elif time.monotonic() - worker.started >= self.timeout:
                    results[index] = self.on_failure(by_index[index], "timeout")
                    self._replace(worker)
            while next_out in results:
                yield results.pop(next_out)
                del by_index[next_out]
                next_out += 1

    def close(self) -> None:
        """Stop the workers."""
        for worker in self.workers:
            worker.conn.close()
            worker.process.kill()
            worker.process.join()
