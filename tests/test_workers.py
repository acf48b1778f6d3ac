"""The worker pool: results in order, a hung or crashed task costs only itself.

Tasks queued behind a failing one (each worker is sent two ahead) must be run elsewhere,
not lost and not reported as failed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kpi_extract.workers import Pool


def _work(task: str) -> str:
    if task.startswith("hang"):
        time.sleep(3600)
    if task.startswith("crash"):
        os._exit(3)
    return task.upper()


def _failed(task: str, reason: str) -> str:
    return f"{task}:{reason}"


@pytest.mark.parametrize("depth", [1, 2, 4])
def test_results_in_order_and_only_the_bad_tasks_fail(depth: int) -> None:
    tasks = [f"t{n}" for n in range(12)]
    tasks[1], tasks[4], tasks[9] = "hang1", "crash4", "crash9"
    pool = Pool(2, _work, _failed, timeout=1.5, depth=depth)
    try:
        results = list(pool.map(tasks))
        again = list(pool.map(["a", "b", "c"]))  # the replaced workers serve the next map
    finally:
        pool.close()
    expected = [t.upper() for t in tasks]
    expected[1], expected[4], expected[9] = "hang1:timeout", "crash4:crashed", "crash9:crashed"
    assert results == expected
    assert again == ["A", "B", "C"]


def _pid(task: str) -> int:
    time.sleep(0.2)  # each task is still running when the others are sent
    return os.getpid()


@pytest.mark.parametrize(("jobs", "depth", "tasks"), [(2, 2, 2), (3, 2, 3), (2, 4, 4)])
def test_every_worker_gets_a_task_before_any_gets_a_second(
    jobs: int, depth: int, tasks: int
) -> None:
    # The tasks of a short run, all submitted at once: one per worker, not all of them
    # queued in the first worker's pipe while the others wait.
    pool = Pool(jobs, _pid, _failed, timeout=10.0, depth=depth)
    try:
        pids = list(pool.map([f"t{n}" for n in range(tasks)]))
        workers = {w.process.pid for w in pool.workers}
    finally:
        pool.close()
    assert len(set(pids[:jobs])) == jobs
    assert set(pids) == workers


def test_an_empty_map_returns_nothing() -> None:
    pool = Pool(2, _work, _failed, timeout=1.0)
    try:
        assert list(pool.map([])) == []
    finally:
        pool.close()


def test_results_sent_before_a_crash_are_kept_when_a_send_fails() -> None:
    # The third task is too big for the pipe: the parent is still writing it when the
    # worker, having answered t0, dies in crash1. t0's answer is in the pipe; only crash1
    # failed.
    big = "x" * 8_000_000
    pool = Pool(1, _work, _failed, timeout=30.0, depth=3)
    try:
        results = list(pool.map(["t0", "crash1", big, "t3"]))
    finally:
        pool.close()
    assert results[:2] == ["T0", "crash1:crashed"]
    assert results[2] == big.upper()
    assert results[3] == "T3"


def _work_all(tasks: list[str]) -> list[str]:
    return [_work(task) for task in tasks]


def _failed_all(tasks: list[str], reason: str) -> list[str]:
    return [_failed(task, reason) for task in tasks]


def _one_each(tasks: list[str]) -> list[list[str]]:
    return [[task] for task in tasks]


def test_a_failed_task_is_split_and_its_parts_come_in_its_place() -> None:
    pool = Pool(2, _work_all, _failed_all, timeout=1.5, split=_one_each)
    try:
        for tasks in (["a", "b"], ["c", "crash", "d"], ["e"], ["hang", "f"]):
            pool.submit(tasks)
        taken = [pool.next() for _ in range(7)]
        with pytest.raises(LookupError):
            pool.next()
    finally:
        pool.close()
    assert taken == [
        (["a", "b"], ["A", "B"]),
        (["c"], ["C"]),
        (["crash"], ["crash:crashed"]),
        (["d"], ["D"]),
        (["e"], ["E"]),
        (["hang"], ["hang:timeout"]),
        (["f"], ["F"]),
    ]


def test_tasks_submitted_while_results_are_taken_keep_their_order() -> None:
    # The batch converter submits the next batch before it takes this one's last results.
    pool = Pool(2, _work, _failed, timeout=5.0)
    try:
        for n in range(6):
            pool.submit(f"a{n}")
        first = [pool.next()[1] for _ in range(4)]
        for n in range(6):
            pool.submit(f"b{n}")
        rest = [pool.next()[1] for _ in range(8)]
    finally:
        pool.close()
    assert first + rest == [f"A{n}" for n in range(6)] + [f"B{n}" for n in range(6)]


_STARTED_BY: list[str] = []


def _start() -> None:
    _STARTED_BY.append("initializer")


def _report(task: str) -> str:
    return f"{task}:{','.join(_STARTED_BY)}"


def test_each_worker_runs_the_initializer_first_a_replaced_one_too() -> None:
    pool = Pool(1, _report, _failed, timeout=5.0, initializer=_start)
    try:
        before = list(pool.map(["a"]))
        pool._replace(pool.workers[0])  # as after a crash
        after = list(pool.map(["b"]))
    finally:
        pool.close()
    assert before == ["a:initializer"] and after == ["b:initializer"]
    assert _STARTED_BY == []  # it ran in the workers, not here


_ORPHAN = r"""
import os, sys, time
from kpi_extract.workers import Pool

def pid_or_sleep(seconds: int) -> int:
    time.sleep(seconds)  # the second task: busy, not reading its pipe, when the parent dies
    return os.getpid()

def failed(task: int, reason: str) -> int:
    return -1

pool = Pool(1, pid_or_sleep, failed, 300.0)
pool.submit(0)
pool.submit(120)
print(pool.next()[1], flush=True)
time.sleep(1)  # the worker is in the second task
print("busy", flush=True)
time.sleep(120)  # killed before
"""


def test_a_worker_dies_with_the_process_that_started_it(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", _ORPHAN], stdout=subprocess.PIPE, text=True, cwd=tmp_path
    )
    try:
        assert parent.stdout is not None
        worker = int(parent.stdout.readline())
        assert parent.stdout.readline() == "busy\n"
        assert worker != parent.pid and _alive(worker)
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    survived = _alive(worker)
    if survived:
        os.kill(worker, signal.SIGKILL)  # not left behind by a failing test
    assert not survived


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not reaped, does not count)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
