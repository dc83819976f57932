"""The progress callback every long computation accepts: the app's progress bar, the CLI's tqdm, a job's log."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int], None]  # called with (steps done, steps in all)
