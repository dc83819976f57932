"""Library code changes torch's thread count only for its own work: the count is back afterwards, errors included."""

from __future__ import annotations

import threading

import pytest
import torch

from viz.core.threads import torch_threads
from viz.optim.training import one_thread
from viz.serving.budget import ComputeBudget


@pytest.fixture
def two_threads():
    """Run the test with a known count of 2 (restored after), so that 1 is a change we can see."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield 2
    torch.set_num_threads(before)


def _new_thread_count() -> int:
    """The count a thread that starts now gets (torch's process-wide default)."""
    seen = []
    thread = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
    thread.start()
    thread.join()
    return seen[0]


def test_the_count_is_set_inside_and_restored_after_a_return_and_an_error(two_threads):
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == two_threads == _new_thread_count()
    with pytest.raises(RuntimeError, match="boom"):
        with torch_threads(1):
            raise RuntimeError("boom")
    assert torch.get_num_threads() == two_threads == _new_thread_count()


def test_a_one_thread_function_leaves_the_count_as_it_found_it(two_threads):
    @one_thread()
    def work(fail: bool) -> int:
        if fail:
            raise ValueError("bad settings")
        return torch.get_num_threads()

    assert work(False) == 1 and torch.get_num_threads() == two_threads
    with pytest.raises(ValueError):
        work(True)
    assert torch.get_num_threads() == two_threads == _new_thread_count()


def test_overlapping_scopes_in_two_threads_leave_the_first_count(two_threads):
    inside, leave = threading.Event(), threading.Event()

    def other():
        with torch_threads(1):
            inside.set()
            leave.wait(5)

    thread = threading.Thread(target=other)
    with torch_threads(1):
        thread.start()
        assert inside.wait(5)
    leave.set()  # the other thread leaves last, after this one restored its own count
    thread.join()
    assert torch.get_num_threads() == two_threads == _new_thread_count()


def test_a_budget_runs_its_jobs_on_its_threads_and_changes_nobody_elses(two_threads):
    budget = ComputeBudget(workers=1, threads_per_job=1)
    assert torch.get_num_threads() == two_threads  # creating it changed nothing

    def fails(progress):
        raise RuntimeError("job failed")

    assert budget.submit({"job": "count"}, lambda progress: torch.get_num_threads()).result(5) == 1
    with pytest.raises(RuntimeError, match="job failed"):
        budget.submit({"job": "fails"}, fails).result(5)
    assert torch.get_num_threads() == two_threads == _new_thread_count()


def test_a_count_below_one_is_refused():
    with pytest.raises(ValueError, match="1 or more"):
        with torch_threads(0):
            pass
