"""Serving many sessions: shared work done once (`flight`) and one compute budget per process (`budget`)."""

from .budget import ComputeBudget, Ticket, budget
from .flight import in_flight, once

__all__ = ["ComputeBudget", "Ticket", "budget", "in_flight", "once"]
