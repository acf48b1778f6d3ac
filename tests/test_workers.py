"""The worker pool: results in order, a hung or crashed task costs only itself.

Tasks queued behind a failing one (each worker is sent two ahead) must be run elsewhere,
not lost and not reported as failed.
"""

from __future__ import annotations

import os
import time

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
