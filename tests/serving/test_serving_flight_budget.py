"""Shared work done once (single flight, in one process and across processes) and the compute budget's queue."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch

from viz.serving import ComputeBudget, in_flight
from viz.serving.cache import DiskCache

ROOT = Path(__file__).resolve().parents[2]


def test_eight_concurrent_callers_compute_once_and_share_the_result(tmp_path):
    cache, calls, start = DiskCache("t", root=tmp_path), [], threading.Barrier(8)

    def compute():
        calls.append(1)
        time.sleep(0.3)  # long enough that every caller arrives while it is in flight
        return {"x": torch.arange(3)}

    def caller(_):
        start.wait()
        return cache.get_or_compute({"unit": 1}, compute)["x"]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(caller, range(8)))
    assert len(calls) == 1
    assert all(torch.equal(r, torch.arange(3)) for r in results)
    assert in_flight() == 0
    cache.get_or_compute({"unit": 2}, compute)  # another key is its own computation
    assert len(calls) == 2


def test_a_failing_leader_fails_its_followers_and_the_next_call_retries(tmp_path):
    cache, start = DiskCache("t", root=tmp_path), threading.Barrier(3)

    def broken():
        time.sleep(0.2)
        raise RuntimeError("boom")

    def caller(_):
        start.wait()
        try:
            cache.get_or_compute({"k": 0}, broken)
        except RuntimeError as exc:
            return str(exc)

    with ThreadPoolExecutor(3) as pool:
        assert list(pool.map(caller, range(3))) == ["boom"] * 3
    assert cache.get_or_compute({"k": 0}, lambda: {"v": 1}) == {"v": 1}


PROCESS = """
import sys, time, torch
from viz.serving.cache import DiskCache
root, log, peers = sys.argv[1], sys.argv[2], int(sys.argv[3])
def write(line):
    with open(log, "a") as f:
        f.write(line + "\\n")
write("ready")
while open(log).read().count("ready") < peers:  # start together: importing torch takes seconds, unevenly
    time.sleep(0.01)
def compute():
    write(f"computing {time.time()}")
    time.sleep(1.5)
    write(f"computed {time.time()}")
    return {"v": torch.tensor([7.0])}
write(f"asked {time.time()}")
print(float(DiskCache("t", root=root).get_or_compute({"shared": True}, compute)["v"]))
"""


@pytest.mark.slow
def test_processes_sharing_the_cache_folder_compute_once(tmp_path):
    """Once, and not because they came one after the other (then the disk entry alone would do it): every
    process asks while the first one is still computing."""
    log = tmp_path / "log.txt"
    procs = [subprocess.Popen([sys.executable, "-c", PROCESS, str(tmp_path / "cache"), str(log), "3"], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0]
    assert outputs == ["7.0"] * 3
    times = {}
    for line in log.read_text().split("\n"):
        word, _, when = line.partition(" ")
        if when:
            times.setdefault(word, []).append(float(when))
    assert len(times["computing"]) == len(times["computed"]) == 1
    assert len(times["asked"]) == 3 and max(times["asked"]) < times["computed"][0]


def _blocking_job(started: threading.Event, release: threading.Event, runs: list):
    def compute(progress):
        runs.append(1)
        started.set()
        progress(1, 4)
        release.wait(10)
        return "slow"
    return compute


def test_the_budget_runs_identical_jobs_once_and_keeps_the_result_for_a_rerun():
    budget, calls = ComputeBudget(workers=2, threads_per_job=torch.get_num_threads()), []

    def compute(progress):
        calls.append(1)
        time.sleep(0.3)
        return 42

    tickets = [budget.submit({"page": "top9", "layer": 3}, compute) for _ in range(8)]
    assert [t.result(10) for t in tickets] == [42] * 8
    assert len(calls) == 1
    assert budget.submit({"page": "top9", "layer": 3}, compute).result(1) == 42  # a rerun: no recompute
    assert len(calls) == 1


def test_a_queued_job_shows_its_place_and_is_dropped_when_its_session_leaves():
    budget = ComputeBudget(workers=1, threads_per_job=torch.get_num_threads())
    started, release, runs, dropped_runs = threading.Event(), threading.Event(), [], []
    running = budget.submit({"job": "render"}, _blocking_job(started, release, runs))
    assert started.wait(5)
    assert running.position() == 0 and running.fraction() == 0.25

    queued = budget.submit({"job": "sweep"}, lambda progress: dropped_runs.append(1))
    shared = budget.submit({"job": "occlusion"}, lambda progress: "kept")
    other_session = budget.submit({"job": "occlusion"}, lambda progress: "kept")
    assert (queued.position(), shared.position()) == (1, 2)
    queued.cancel()  # the session changed its selection: its queued job goes
    shared.cancel()  # one of two sessions left: the job stays for the other
    assert budget.queued() == 1 and other_session.position() == 1

    release.set()
    assert running.result(5) == "slow" and other_session.result(5) == "kept"
    assert runs == [1] and dropped_runs == []
    assert queued.done()  # a dropped ticket answers done (cancelled), never hangs


def test_a_running_job_is_not_interrupted_by_a_cancel():
    budget = ComputeBudget(workers=1, threads_per_job=torch.get_num_threads())
    started, release, runs = threading.Event(), threading.Event(), []
    ticket = budget.submit({"job": "render"}, _blocking_job(started, release, runs))
    assert started.wait(5)
    ticket.cancel()
    release.set()
    again = budget.submit({"job": "render"}, _blocking_job(started, release, runs))
    assert again.result(5) == "slow" and runs == [1]
