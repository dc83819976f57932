"""Where the app listens: `make run` and a plain `streamlit run` serve on loopback only; the network is opt-in."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest
from support.headless import free_port

ROOT = Path(__file__).resolve().parents[2]


def _command(target: str = "run", *assignments: str, env: dict | None = None) -> list[str]:
    """The streamlit command line `make TARGET` would run (`make -n` prints it without running anything)."""
    printed = subprocess.run(["make", "-n", "--no-print-directory", target, *assignments], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True).stdout
    line = next(line for line in printed.replace("\\\n", " ").splitlines() if "streamlit run app.py" in line)
    return shlex.split(line)


def _address(command: list[str]) -> str:
    return command[command.index("--server.address") + 1]


def test_make_run_listens_on_loopback_unless_host_says_otherwise():
    env = {k: v for k, v in os.environ.items() if k != "HOST"}
    assert _address(_command(env=env)) == "127.0.0.1"
    assert _address(_command("run", "HOST=0.0.0.0", env=env)) == "0.0.0.0"
    assert _address(_command(env={**env, "HOST": "0.0.0.0"})) == "0.0.0.0"  # `HOST=0.0.0.0 make run`
    assert _address(_command("serve-class", env=env)) == "0.0.0.0"


def test_the_config_listens_on_loopback_and_keeps_error_details_out_of_the_page():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"  # a plain `streamlit run app.py` too
    assert config["client"]["showErrorDetails"] == "none"
    assert config["server"]["maxUploadSize"] <= 25


def _listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as the kernel writes them) of the sockets listening on `port`, IPv4 and IPv6."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's socket table")
def test_the_served_app_listens_on_loopback_only(tmp_path):
    port = free_port()
    command = _command("run", f"PORT={port}")
    command[0] = sys.executable  # the same interpreter, whatever make calls it
    with open(tmp_path / "streamlit.log", "w") as log:
        server = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 120
            while True:
                try:
                    if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                        break
                except OSError:
                    assert time.time() < deadline and server.poll() is None, (tmp_path / "streamlit.log").read_text()
                    time.sleep(0.3)
            assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1 and nothing else
        finally:
            server.terminate()
            server.wait(timeout=30)
