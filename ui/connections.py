"""The app server's connections send small writes at once (TCP_NODELAY), so no picture waits 40 ms.

Streamlit's server binds its listening socket as `socket.socket(family)`, protocol 0, and asyncio turns
Nagle's algorithm off (TCP_NODELAY) only on sockets whose protocol is `IPPROTO_TCP`. Every connection the
server accepts inherits protocol 0 and keeps Nagle on: on a kept-alive connection a response's body, written
after its headers, waits for the browser's delayed ACK, 40 ms for every picture after a connection's first
(measured 41-43 ms against 1 ms, docs/benchmarks.md), and the page's messages come in 40-ms steps.

`send_at_once()` makes asyncio set TCP_NODELAY on every TCP stream socket it wraps, whatever its protocol
number. app.py calls it first, so every connection accepted after the first run of the app has it.
"""

from __future__ import annotations

import asyncio.base_events
import socket


def _set_nodelay(sock: socket.socket) -> None:
    """asyncio's own `_set_nodelay`, for TCP stream sockets made with protocol 0 as well."""
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def send_at_once() -> None:
    """Turn Nagle's algorithm off on every connection the server accepts from now on (idempotent)."""
    asyncio.base_events._set_nodelay = _set_nodelay
