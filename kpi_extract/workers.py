"""Worker processes with a time bound per task: a stuck or crashed task never stops a batch.

Each worker runs one task at a time, the next ones queued in its pipe. A task that runs
longer than ``timeout`` seconds gets its worker killed (SIGKILL) and replaced; a worker that
dies (a crash, the kernel's OOM killer) is replaced too. Either way the caller gets
``on_failure(task, reason)`` in that task's place, with ``reason`` ``"timeout"`` or
``"crashed"``; the tasks queued behind it go to another worker. Results come back in task
order. Workers end with the process that started them (Linux ``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
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
    queue: deque[int] = field(default_factory=deque)  # positions of the tasks it was sent
    started: float = 0.0  # when the first task of its queue started, at the latest


class Pool(Generic[T, R]):
    """``jobs`` worker processes applying ``fn`` to tasks, each within ``timeout`` seconds.

    Each worker is sent up to ``depth`` tasks ahead, so that it never waits for the parent
    between two tasks. A task's time starts when the worker is known to have begun it: when
    it was sent to an idle worker, or when the result of the task before it arrived (a
    task is never given less than ``timeout``).
    """

    def __init__(
        self,
        jobs: int,
        fn: Callable[[T], R],
        on_failure: Callable[[T, str], R],
        timeout: float,
        depth: int = 2,
    ) -> None:
        self.fn = fn
        self.on_failure = on_failure
        self.timeout = timeout
        self.depth = max(1, depth)
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
        by_index = dict(enumerate(tasks))
        pending = sorted(by_index, reverse=True)  # a stack: the next task is at the end
        results: dict[int, R] = {}
        next_out = 0
        while pending or any(w.queue for w in self.workers):
            self._send(pending, by_index)
            busy = [w for w in self.workers if w.queue]
            deadline = min(w.started for w in busy) + self.timeout
            ready = wait([w.conn for w in busy], max(0.0, deadline - time.monotonic()))
            for worker in busy:
                if worker.conn in ready:
                    self._receive(worker, results, pending, by_index)
                elif time.monotonic() - worker.started >= self.timeout:
                    self._fail(worker, "timeout", results, pending, by_index)
            while next_out in results:
                yield results.pop(next_out)
                del by_index[next_out]
                next_out += 1

    def _send(self, pending: list[int], by_index: dict[int, T]) -> None:
        for slot in range(len(self.workers)):
            worker = self.workers[slot]
            while pending and len(worker.queue) < self.depth:
                position = pending.pop()
                try:
                    worker.conn.send(by_index[position])
                except OSError:  # it died: in a task of its queue, or idle
                    pending.append(position)
                    if worker.queue:
                        # The results it sent before dying may still be in the pipe:
                        # _receive drains them, then fails the task it died in.
                        break
                    self._replace(worker)
                    worker = self.workers[slot]
                    continue
                if not worker.queue:
                    worker.started = time.monotonic()
                worker.queue.append(position)

    def _receive(
        self, worker: _Worker, results: dict[int, R], pending: list[int], by_index: dict[int, T]
    ) -> None:
        try:
            result = worker.conn.recv()
        except (EOFError, OSError):  # died in the task at the head of its queue
            self._fail(worker, "crashed", results, pending, by_index)
            return
        results[worker.queue.popleft()] = result
        worker.started = time.monotonic()

    def _fail(
        self,
        worker: _Worker,
        reason: str,
        results: dict[int, R],
        pending: list[int],
        by_index: dict[int, T],
    ) -> None:
        """The task at the head of ``worker``'s queue failed: replace the worker.

        The tasks queued behind it go back to the front of ``pending``.
        """
        failed = worker.queue.popleft()
        results[failed] = self.on_failure(by_index[failed], reason)
        pending.extend(reversed(worker.queue))
        self._replace(worker)

    def close(self) -> None:
        """Stop the workers."""
        for worker in self.workers:
            worker.conn.close()
            worker.process.kill()
            worker.process.join()
