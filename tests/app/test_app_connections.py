"""ui.connections: the app server's connections send small writes at once (TCP_NODELAY), Nagle's algorithm off."""

from __future__ import annotations

import asyncio
import asyncio.base_events
import socket
from pathlib import Path

from streamlit.testing.v1 import AppTest
from streamlit.web.server.starlette.starlette_server import _bind_socket

from ui import connections

APP = str(Path(__file__).resolve().parents[2] / "app.py")
ASYNCIOS_OWN = asyncio.base_events._set_nodelay  # read when tests are collected, before any test runs the app


def _nodelay_of_accepted() -> int:
    """TCP_NODELAY of a connection accepted by asyncio on a listening socket bound as Streamlit binds it."""
    async def serve() -> int:
        accepted = asyncio.get_running_loop().create_future()

        def on_connection(reader, writer):
            accepted.set_result(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        listening = _bind_socket("127.0.0.1", 0, 8)  # protocol 0, as Streamlit's server makes it
        server = await asyncio.start_server(on_connection, sock=listening)
        _, writer = await asyncio.open_connection(*listening.getsockname())
        try:
            return await asyncio.wait_for(accepted, 10)
        finally:
            writer.close()
            server.close()
            await server.wait_closed()

    return asyncio.run(serve())


def test_connections_accepted_on_streamlits_socket_keep_nagle_on_until_send_at_once(monkeypatch):
    monkeypatch.setattr(asyncio.base_events, "_set_nodelay", ASYNCIOS_OWN)  # undone after
    assert _nodelay_of_accepted() == 0  # why the module exists: every picture would wait for a delayed ACK
    connections.send_at_once()
    assert _nodelay_of_accepted() != 0


def test_the_app_turns_nagle_off_when_it_runs(monkeypatch):
    monkeypatch.setattr(asyncio.base_events, "_set_nodelay", lambda sock: None)  # undone after
    at = AppTest.from_file(APP, default_timeout=240)
    at.switch_page("ui/pages/filters.py").run()  # the lightest page, through app.py
    assert not at.exception
    assert asyncio.base_events._set_nodelay is connections._set_nodelay
