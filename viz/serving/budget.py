"""One compute budget per process: heavy jobs queue for a few workers so that sessions never thrash the CPU.

A job is keyed like the disk cache; submitting a key that is already queued or running joins that job
instead of starting another, and a finished job's result is kept (a small in-memory LRU) so that a page's
rerun gets it at once. Each caller holds a `Ticket`: its place in the queue, the job's progress, the result,
and `cancel()`, which drops a job that has not started once no ticket waits for it any more (a session
that changed its selection or left). Cheap work (one classification) simply does not go through here.

Threads: `workers` jobs run at once, each on `threads_per_job` of torch's intra-op threads (set for the
job's run only, `viz.core.threads`), so workers x threads never exceeds the cores. `process_budget()` sizes this from the machine (or
$VIZ_WORKERS / $VIZ_THREADS_PER_JOB) when first used, not at import, and never raises torch's thread count.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import CancelledError, Future
from dataclasses import dataclass, field
from typing import Any

import torch

from ..core.progress import Progress
from ..core.threads import torch_threads
from . import cache

MAX_THREADS_PER_JOB = 4  # beyond this a render gains little from more intra-op threads; more workers instead


@dataclass
class _Job:
    key: str
    compute: Callable[[Progress], Any]
    future: Future = field(default_factory=Future)
    waiters: int = 1  # tickets that still want the result
    started: bool = False
    done_steps: int = 0
    total_steps: int = 0


class Ticket:
    """A caller's handle on a job: where it stands, its result, and a way to say it is no longer wanted."""

    def __init__(self, budget: ComputeBudget, job: _Job):
        self._budget, self._job, self._cancelled = budget, job, False

    def position(self) -> int:
        """0 once the job runs (or is done); k > 0: k-th in the queue."""
        return self._budget._position(self._job)

    def fraction(self) -> float:
        """The job's progress in [0, 1] as its computation reports it (0 before the first report)."""
        job = self._job
        return min(1.0, job.done_steps / job.total_steps) if job.total_steps else 0.0

    def done(self) -> bool:
        return self._job.future.done()

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds; True when the result is ready."""
        try:
            self._job.future.exception(timeout)
        except TimeoutError:
            return False
        except CancelledError:
            pass
        return True

    def result(self, timeout: float | None = None):
        return self._job.future.result(timeout)

    def cancel(self) -> None:
        """No longer wanted by this caller; the job is dropped if it has not started and nobody else waits."""
        if not self._cancelled:
            self._cancelled = True
            self._budget._release(self._job)


class ComputeBudget:
    """A FIFO of heavy jobs served by `workers` threads; see the module docstring."""

    def __init__(self, workers: int, threads_per_job: int, keep: int = 64):
        if workers < 1 or threads_per_job < 1:
            raise ValueError(f"workers and threads per job must be at least 1, not {workers} and {threads_per_job}")
        self.workers, self.threads_per_job, self.keep = workers, threads_per_job, keep
        self._lock = threading.Condition()
        self._queue: deque[_Job] = deque()
        self._jobs: dict[str, _Job] = {}  # queued or running
        self._results: OrderedDict[str, _Job] = OrderedDict()  # finished, most recent last
        self._threads = [threading.Thread(target=self._work, name=f"viz-worker-{i}", daemon=True)
                         for i in range(workers)]
        for thread in self._threads:
            thread.start()

    def submit(self, parts: dict, compute: Callable[[Progress], Any]) -> Ticket:
        """Queue `compute(progress)` under the key of `parts`, or join the same work queued, running or done."""
        key = cache.cache_key(parts)
        with self._lock:
            job = self._results.get(key) or self._jobs.get(key)
            if job is not None:
                if key in self._results:
                    self._results.move_to_end(key)
                job.waiters += 1
                return Ticket(self, job)
            job = self._jobs[key] = _Job(key, compute)
            self._queue.append(job)
            self._lock.notify()
            return Ticket(self, job)

    def queued(self) -> int:
        """Jobs waiting for a worker."""
        with self._lock:
            return len(self._queue)

    def _position(self, job: _Job) -> int:
        with self._lock:
            return 0 if job.started or job.future.done() else self._queue.index(job) + 1

    def _release(self, job: _Job) -> None:
        with self._lock:
            job.waiters -= 1
            if job.waiters <= 0 and not job.started and not job.future.done():
                self._queue.remove(job)
                del self._jobs[job.key]
                job.future.cancel()

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._queue:
                    self._lock.wait()
                job = self._queue.popleft()
                job.started = True

            def progress(done: int, total: int, job=job) -> None:
                job.done_steps, job.total_steps = done, total

            try:
                with torch_threads(self.threads_per_job):
                    value = job.compute(progress)
            except BaseException as exc:  # reaches every waiting caller; the worker lives on
                with self._lock:
                    del self._jobs[job.key]
                job.future.set_exception(exc)
                continue
            with self._lock:
                del self._jobs[job.key]
                self._results[job.key] = job
                while len(self._results) > self.keep:
                    self._results.popitem(last=False)
            job.future.set_result(value)


_budget: ComputeBudget | None = None
_budget_guard = threading.Lock()


def process_budget() -> ComputeBudget:
    """This process's budget, created on first use and sized to the cores (see the module docstring)."""
    global _budget
    with _budget_guard:
        if _budget is None:
            cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
            # never more than torch already uses: an OMP_NUM_THREADS the user set stays a ceiling
            threads = int(os.environ.get("VIZ_THREADS_PER_JOB") or min(cores, MAX_THREADS_PER_JOB,
                                                                         torch.get_num_threads()))
            workers = int(os.environ.get("VIZ_WORKERS") or max(1, cores // threads))
            _budget = ComputeBudget(workers, threads)
        return _budget
