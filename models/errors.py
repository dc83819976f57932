"""Errors meant for the person at the keyboard: each message says what went wrong and what to do next.

The CLI prints them as one line and the app as a message box; anything else is a bug and keeps its traceback.
"""


class UserError(Exception):
    """Base class for problems caused by input (a name, a file, a number) rather than by a bug."""


class UnknownModelError(UserError, ValueError):
    """A model name that is not in the registry."""


class WeightsUnavailableError(UserError, RuntimeError):
    """Pretrained weights are not on this machine and could not be downloaded."""


class CheckpointError(UserError, ValueError):
    """A checkpoint file that is not a plain tensor state dict for the chosen architecture."""


class UnknownLayerError(UserError, ValueError):
    """A layer name the model does not have; the message lists the valid ones."""
