"""Serving many sessions: shared work done once (`flight`), one compute budget per process (`budget`, `process_budget()`), and the
folders a browser may make the server read (`roots`)."""

from .budget import ComputeBudget, Ticket, process_budget
from .flight import in_flight, once
from .roots import FolderRefused, allowed_roots, inside_roots, resolve_inside_roots

__all__ = ["ComputeBudget", "FolderRefused", "Ticket", "allowed_roots", "in_flight", "inside_roots", "once",
           "process_budget", "resolve_inside_roots"]
