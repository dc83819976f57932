"""Errors meant for the person at the keyboard: each message says what went wrong and what to do next.

The CLI prints them as one line and the app as a message box; anything else is a bug and keeps its traceback.
"""


class UserError(ValueError):
    """Base class for problems caused by input (a name, a file, a number) rather than by a bug.

    A `ValueError`, as Python's convention for bad arguments has it, so callers that catch that still work.
    """


class UnknownModelError(UserError):
    """A model name that is not in the registry."""


class WeightsUnavailableError(UserError, RuntimeError):
    """Pretrained weights are not on this machine and could not be downloaded."""


class CheckpointError(UserError):
    """A checkpoint file that is not a plain tensor state dict for the chosen architecture."""


class UnknownLayerError(UserError):
    """A layer name the model does not have; the message lists the valid ones."""


def first_line(exc: BaseException, limit: int = 160) -> str:
    """The first line of an exception's message (its type's name when empty), cut to `limit` characters."""
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:limit]
