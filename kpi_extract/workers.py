"""Worker processes with a time bound per task: a stuck or crashed task never stops a batch.

Each worker runs one task at a time, the next ones queued in its pipe. A task that runs
longer than ``timeout`` seconds gets its worker killed (SIGKILL) and replaced; a worker that
dies (a crash, the kernel's OOM killer) is replaced too. Either way the caller gets
``on_failure(task, reason)`` in that task's place, with ``reason`` ``"timeout"`` or
``"crashed"`` (or the results of its parts, when the pool splits failed tasks); the tasks
queued behind it go to another worker. Results come back in the order the tasks were
submitted. Workers end with the process that started them (Linux ``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import ctypes
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
    """End this process when its parent dies (Linux); elsewhere, do nothing.

    ``prctl`` is looked up among the symbols the process has loaded (``CDLL(None)``: the C
    library is one of them), not through ``ctypes.util.find_library``, which runs
    ``/sbin/ldconfig -p`` in a child process: each worker forked, ran and read it before
    its first task, 2.6-3.5 ms in a worker of a converter (0.25 ms now).
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError, TypeError):  # not Linux: they end when their pipe closes
        return
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def _serve(
    conn: Connection,
    fn: Callable[[Any], Any],
    initializer: Callable[[], object] | None,
    ahead: Callable[[Any], object] | None,
) -> None:
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    if initializer is not None:
        initializer()
    queued: deque[Any] = deque()
    closed = False
    while queued or not closed:
        if not queued:
            try:
                queued.append(conn.recv())
            except EOFError:
                return
        task = queued.popleft()
        if ahead is not None and not closed and conn.poll():
            try:  # the next task is already in the pipe: ``ahead`` prepares it meanwhile
                queued.append(conn.recv())
                ahead(queued[-1])
            except EOFError:  # the parent is done: finish the task in hand
                closed = True
        conn.send(fn(task))


@dataclass
class _Worker:
    process: Any
    conn: Connection
    queue: deque[int] = field(default_factory=deque)  # positions of the tasks it was sent
    started: float = 0.0  # when the first task of its queue started, at the latest


@dataclass(frozen=True, slots=True)
class _Split:
    """A failed task run again as these parts: their results come in its place."""

    ids: list[int]


class Pool(Generic[T, R]):
    """``jobs`` worker processes applying ``fn`` to tasks, each within ``timeout`` seconds.

    Tasks are :meth:`submit` ted and their results taken with :meth:`next`, in the order of
    submission, so that the caller can submit the next batch's tasks before it has taken
    the results of this one: the workers never wait for it at a batch boundary. Each worker
    is sent up to ``depth`` tasks ahead, so that it never waits for the parent between two
    tasks. A task's time starts when the worker is known to have begun it: when it was sent
    to an idle worker, or when the result of the task before it arrived (a task is never
    given less than ``timeout``). A task that fails is given to ``split``, if any: the
    parts it returns (several) run in its place and their results come in its place;
    otherwise its result is ``on_failure(task, reason)``. Each worker calls
    ``initializer`` first, if given, and ``ahead(task)`` on the task queued behind the
    one it starts, if that one is in its pipe already (a chunk's objects in storage are
    read meanwhile): a task's time still starts when the task before it ends.
    """

    def __init__(
        self,
        jobs: int,
        fn: Callable[[T], R],
        on_failure: Callable[[T, str], R],
        timeout: float,
        *,
        depth: int = 2,
        split: Callable[[T], list[T]] | None = None,
        initializer: Callable[[], object] | None = None,
        ahead: Callable[[T], object] | None = None,
    ) -> None:
        self.fn = fn
        self.initializer = initializer
        self.ahead = ahead
        self.on_failure = on_failure
        self.timeout = timeout
        self.depth = max(1, depth)
        self.split = split
        self.workers = [self._spawn() for _ in range(max(1, jobs))]
        self.tasks: dict[int, T] = {}  # submitted, result not taken yet
        self.results: dict[int, R | _Split] = {}
        self.order: deque[int] = deque()  # ids whose results are still to be taken, in order
        self.pending: deque[int] = deque()  # ids to send, the next first
        self.last_id = 0

    def _spawn(self) -> _Worker:
        parent, child = _CONTEXT.Pipe()
        args = (child, self.fn, self.initializer, self.ahead)
        process = _CONTEXT.Process(target=_serve, args=args, daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent)

    def _replace(self, worker: _Worker) -> None:
        worker.process.kill()
        worker.process.join()
        worker.conn.close()
        self.workers[self.workers.index(worker)] = self._spawn()

    def submit(self, task: T) -> None:
        """Queue ``task``; its result comes from :meth:`next` after those submitted before."""
        task_id = self._register(task)
        self.order.append(task_id)
        self.pending.append(task_id)

    def _register(self, task: T) -> int:
        self.last_id += 1
        self.tasks[self.last_id] = task
        return self.last_id

    def next(self) -> tuple[T, R]:
        """The oldest task whose result is not taken yet, and its result.

        A task that failed and was split comes as its parts, one by one. Raise
        ``LookupError`` when every result was taken.
        """
        while True:
            if not self.order:
                raise LookupError("no task submitted whose result is still to be taken")
            head = self.order[0]
            if head not in self.results:
                self._step()
                continue
            self.order.popleft()
            task, result = self.tasks.pop(head), self.results.pop(head)
            if isinstance(result, _Split):
                self.order.extendleft(reversed(result.ids))
                continue
            return task, result

    def map(self, tasks: Iterable[T]) -> Iterator[R]:
        """Results of ``tasks``, in order (nothing else may be submitted meanwhile)."""
        count = 0
        for task in tasks:
            self.submit(task)
            count += 1
        for _ in range(count):
            yield self.next()[1]

    def _step(self) -> None:
        """Send what the workers can take, then wait for one answer or a time-out."""
        self._send()
        busy = [w for w in self.workers if w.queue]
        deadline = min(w.started for w in busy) + self.timeout
        ready = wait([w.conn for w in busy], max(0.0, deadline - time.monotonic()))
        for worker in busy:
            if worker.conn in ready:
                self._receive(worker)
            elif time.monotonic() - worker.started >= self.timeout:
                self._fail(worker, "timeout")

    def _send(self) -> None:
        """Send the pending tasks the workers' queues have room for, a level at a time.

        Every worker is given a task before any is given a second: filled worker by
        worker, the first took both chunks of a 100-document run (``depth`` 2) while the
        other had none, and parsed them one after the other (0.17 s instead of 0.09).
        """
        for level in range(1, self.depth + 1):
            for slot in range(len(self.workers)):
                self._fill(slot, level)

    def _fill(self, slot: int, level: int) -> None:
        """Send pending tasks to the worker in ``slot`` until its queue holds ``level``."""
        pending = self.pending
        worker = self.workers[slot]
        while pending and len(worker.queue) < level:
            position = pending.popleft()
            try:
                worker.conn.send(self.tasks[position])
            except OSError:  # it died: in a task of its queue, or idle
                pending.appendleft(position)
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

    def _receive(self, worker: _Worker) -> None:
        try:
            result = worker.conn.recv()
        except (EOFError, OSError):  # died in the task at the head of its queue
            self._fail(worker, "crashed")
            return
        self.results[worker.queue.popleft()] = result
        worker.started = time.monotonic()

    def _fail(self, worker: _Worker, reason: str) -> None:
        """The task at the head of ``worker``'s queue failed: replace the worker.

        The tasks queued behind it go back to the front of ``pending``, after the parts of
        the failed task if it is split.
        """
        failed = worker.queue.popleft()
        self.pending.extendleft(reversed(worker.queue))
        task = self.tasks[failed]
        parts = self.split(task) if self.split is not None else []
        if len(parts) > 1:
            ids = [self._register(part) for part in parts]
            self.pending.extendleft(reversed(ids))
            self.results[failed] = _Split(ids)
        else:
            self.results[failed] = self.on_failure(task, reason)
        self._replace(worker)

    def close(self) -> None:
        """Stop the workers."""
        for worker in self.workers:
            worker.conn.close()
            worker.process.kill()
            worker.process.join()
