"""The same conversion on a Dask cluster (optional extra: ``pip install kpi_extract[dask]``).

Dask workers parse their share of the inputs (:func:`kpi_extract.document.process_chunk`, the very
function the local worker processes run); the results come back to the process that
started the run, which writes the dataset exactly as a local run does: same rows, same
atomic generations, same lock. Only parsing moves; the output folder needs to be on the
driver's disk alone. Inputs must be readable by every worker: at the same path (a shared
filesystem), or by URL from object storage, which each worker reads directly
(:mod:`kpi_extract.remote`).

``address`` is a scheduler (``tcp://10.0.0.5:8786``) or ``local:N`` for a local cluster of
N single-threaded worker processes. Dask does not stop a running task: the per-document
time bound of the local workers does not apply here.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import CancelledError
from typing import Any


class DaskPool:
    """Run tasks on a Dask cluster, results in order (the interface of ``workers.Pool``).

    A task that fails (it killed its worker, whatever retries the scheduler allows:
    ``KilledWorker``; or it raised) is given to ``split``: its parts (several) run in its
    place and their results come in its place; a task that cannot be split has
    ``on_failure(task, "crashed")`` as its result, as with the local workers. A task the
    cluster cancelled (it shut down, or this client lost it) stops the run.
    """

    def __init__(
        self,
        address: str,
        fn: Callable[[Any], Any],
        on_failure: Callable[[Any, str], Any],
        split: Callable[[Any], list[Any]],
    ) -> None:
        try:
            from dask import distributed  # noqa: PLC0415 - an optional extra, imported on use
        except ImportError as exc:  # pragma: no cover - the extra is installed in tests
            raise RuntimeError("Dask is not installed: pip install 'kpi_extract[dask]'") from exc
        dask: Any = distributed  # Dask has no type hints
        self.fn = fn
        self.on_failure = on_failure
        self.split = split
        self.cluster: Any = None
        if address.startswith("local:"):
            workers = int(address.split(":", 1)[1])
            self.cluster = dask.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            self.client: Any = dask.Client(self.cluster)
        else:
            self.client = dask.Client(address)
        self.futures: deque[tuple[Any, Any]] = deque()  # (task, future), in order

    def submit(self, task: Any) -> None:
        """Send ``task`` to the cluster; its result comes from :meth:`next` in order."""
        self.futures.append(self._sent(task))

    def _sent(self, task: Any) -> tuple[Any, Any]:
        return task, self.client.submit(self.fn, task, pure=False)

    def next(self) -> tuple[Any, Any]:
        """The oldest task whose result is not taken yet, and its result (waited for).

        A task that failed and was split comes as its parts, one by one. Raise
        ``LookupError`` when every result was taken.
        """
        while True:
            if not self.futures:
                raise LookupError("no task submitted whose result is still to be taken")
            task, future = self.futures.popleft()
            try:
                return task, future.result()
            except CancelledError:
                raise
            except Exception:  # as a local worker's crash: this task's alone
                parts = self.split(task)
                if len(parts) <= 1:
                    return task, self.on_failure(task, "crashed")
                self.futures.extendleft(reversed([self._sent(part) for part in parts]))

    def close(self) -> None:
        """Disconnect (and stop a local cluster)."""
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
