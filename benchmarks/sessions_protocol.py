"""A class at once, without browsers: N sessions speaking Streamlit's own protocol to one app server.

    python benchmarks/sessions_protocol.py [--sessions 1,8,30] [--pages landing,unit] [--landing-renders]

Each session does what a browser's Streamlit client does after the page's HTML and scripts are loaded (those
are static files a browser keeps in its cache, left out here): it opens the websocket `/_stcore/stream` with
the subprotocol header the frontend sends, sends one `BackMsg` `rerun_script` with the page's name and query
string, reads `ForwardMsg`s until the run's `script_finished`, and fetches every picture the deltas name
(`/media/...`) over HTTP as it arrives, six at a time on six kept-alive connections (a browser's per host). So the N clients cost
the server's cores almost nothing, where N Chromiums cost more than the server (`benchmarks/sessions.py`, the
real-browser check, measures that).

Per session: time to the first picture fetched, time to done (the run finished and every picture fetched),
bytes received (websocket frames as sent on the wire, compressed or not, plus the pictures' bodies), pictures,
exceptions shown. Per phase: the server process's CPU seconds (Linux /proc) and this client's own.

For each N, on each page, a new server on a copy of one prepared disk cache (empty, or holding the landing
renders), the model loaded by an untimed visit of a light page, then an untimed visit of another view (the
work all the page's views share, such as the gallery's sweep, is then done, as on a server that has shown the
page before). Then N sessions open the measured view, all at once (cold: nobody opened it yet on this server),
and N new sessions open it again (warm: the result is ready, what is left is serving it). Every N measures the
same view from the same start, so the ratios against N=1 compare like with like. The targets: 30 sessions on a
cold landing each within 1.5x solo, <= 500 KB a session; server CPU <= 0.3 s a session warm.
With --landing-renders every unit of the landing's layers is rendered first, as `python -m viz precompute`
does before a class (minutes, untimed): a cold view then costs what depends on its photo.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.sessions import cpu_seconds  # noqa: E402
from tests.support.headless import AppServer  # noqa: E402

BROWSER_CONNECTIONS = 6  # parallel fetches a browser makes to one host
LIGHT_PAGE = "filters"  # the app's lightest page: the untimed visit that loads the model
LANDING_RENDERS = ("import models; from viz.jobs.precompute import landing_renders; "
                   "print(len(landing_renders(models.load('efficientnet_lite0', device='cpu'))), 'landing renders')")


@dataclass
class Session:
    """What one session saw, in seconds from its start and bytes received."""

    first_picture: float | None = None
    done: float | None = None
    websocket_bytes: int = 0
    media_bytes: int = 0
    pictures: int = 0
    exceptions: list[str] = field(default_factory=list)
    failure: str = ""

    @property
    def ok(self) -> bool:
        return not self.failure and not self.exceptions


class CountingSocket(socket.socket):
    """A TCP socket that counts the bytes it receives: the websocket's wire size, after compression."""

    received = 0

    def recv(self, size: int, *args) -> bytes:
        data = super().recv(size, *args)
        self.received += len(data)
        return data


def open_session(base: str, page: str, query: str, timeout: float) -> Session:
    """One browser-like visit of `base/page?query`: websocket, rerun, ForwardMsgs, every picture fetched."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    seen, start = Session(), time.perf_counter()
    host, port = urllib.parse.urlsplit(base).hostname, urllib.parse.urlsplit(base).port
    lock = threading.Lock()

    connections, opened = threading.local(), []  # one kept-alive connection per fetching thread, as a browser's six

    def fetch(url: str) -> None:
        for attempt in (1, 2):  # a kept-alive connection the server closed meanwhile: once more on a new one
            if getattr(connections, "http", None) is None:
                connections.http = http.client.HTTPConnection(host, port, timeout=timeout)
                opened.append(connections.http)
            try:
                connections.http.request("GET", url, headers={"Accept-Encoding": "gzip, deflate"})
                response = connections.http.getresponse()
                size = len(response.read())  # the body as sent (http.client does not decode it)
                break
            except (http.client.HTTPException, ConnectionError):
                connections.http.close()
                connections.http = None
                if attempt == 2:
                    raise
        if response.status != 200:
            raise OSError(f"{url}: HTTP {response.status}")
        with lock:
            seen.media_bytes += size
            if seen.first_picture is None:
                seen.first_picture = time.perf_counter() - start

    sock = CountingSocket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.connect((host, port))
    back = BackMsg()
    back.rerun_script.query_string = query
    back.rerun_script.page_name = page
    fetches = []
    with ThreadPoolExecutor(BROWSER_CONNECTIONS) as pool, \
            connect(f"ws://{host}:{port}/_stcore/stream", sock=sock, origin=base, max_size=None,
                    subprotocols=["streamlit", "PLACEHOLDER_AUTH_TOKEN"], open_timeout=timeout) as ws:
        ws.send(back.SerializeToString())
        deadline = start + timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                seen.failure = "timeout"
                break
            try:
                msg = ForwardMsg.FromString(ws.recv(timeout=left))
            except TimeoutError:
                seen.failure = "timeout"
                break
            kind = msg.WhichOneof("type")
            if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                if element.WhichOneof("type") == "imgs":
                    for img in element.imgs.imgs:
                        if img.url.startswith("/media/"):
                            seen.pictures += 1
                            fetches.append(pool.submit(fetch, img.url))
                elif element.WhichOneof("type") == "exception":
                    seen.exceptions.append(f"{element.exception.type}: {element.exception.message}"[:200])
            elif kind == "page_not_found":
                seen.failure = "page not found"
                break
            elif kind == "script_finished" and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                break
        seen.websocket_bytes = sock.received
    for job in fetches:
        try:
            job.result()
        except OSError as exc:
            seen.failure = seen.failure or f"picture: {exc}"
    seen.done = time.perf_counter() - start
    for connection in opened:
        connection.close()
    return seen


def at_once(base: str, page: str, query: str, n: int, timeout: float) -> list[Session]:
    """n sessions on one view, started at the same moment."""
    barrier = threading.Barrier(n)

    def run(_) -> Session:
        barrier.wait()
        try:
            return open_session(base, page, query, timeout)
        except Exception as exc:  # a refused connection, a closed socket: this session failed, the others go on
            return Session(failure=f"{type(exc).__name__}: {exc}")

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def cold_views(page: str, count: int) -> list[str]:
    """Query strings of `count` views of `page` that share no result: the landing on other gallery photos, the
    Unit page on other units of its default layer; any other page, its one view."""
    if page == "landing":
        from viz.core.images import gallery_dir, image_files

        return [f"image={urllib.parse.quote(p.name)}" for p in image_files(gallery_dir())][:count]
    if page == "unit":
        import models
        from viz.probing.tiers import default_layer

        layer = default_layer(models.load("efficientnet_lite0", device="cpu"))
        return [f"layer={layer}&unit={unit}" for unit in range(count)]
    return [""] * count


def client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def summary(sessions: list[Session]) -> dict:
    done = [s.done for s in sessions if s.done is not None]
    firsts = [s.first_picture for s in sessions if s.first_picture is not None]
    kb = [(s.websocket_bytes + s.media_bytes) / 1000 for s in sessions]
    return {"first": statistics.median(firsts) if firsts else float("nan"), "done_median": statistics.median(done),
            "done_max": max(done), "kb": statistics.median(kb),
            "media_kb": statistics.median(s.media_bytes / 1000 for s in sessions),
            "pictures": statistics.median(s.pictures for s in sessions),
            "failed": sum(not s.ok for s in sessions)}


def phase(server: AppServer, page: str, query: str, n: int, timeout: float, label: str) -> dict:
    server_before, client_before, start = cpu_seconds(server.process.pid), client_cpu(), time.perf_counter()
    sessions = at_once(server.url, page, query, n, timeout)
    wall = time.perf_counter() - start
    server_cpu, own_cpu = cpu_seconds(server.process.pid) - server_before, client_cpu() - client_before
    row = summary(sessions) | {"server_cpu": server_cpu, "client_cpu": own_cpu, "wall": wall}
    print(f"  {label:>5} N={n:<3} first picture {row['first']:5.1f} s · done median {row['done_median']:5.1f} s, "
          f"slowest {row['done_max']:5.1f} s · {row['kb']:7.0f} KB a session ({row['media_kb']:.0f} KB in "
          f"{row['pictures']:.0f} pictures) · server CPU {server_cpu:5.1f} s ({server_cpu / n:.2f} s a session) · "
          f"client CPU {own_cpu:4.1f} s · failed {row['failed']}", flush=True)
    for s in sessions:
        if not s.ok:
            print(f"        failed: {s.failure or s.exceptions[0]}", flush=True)
    return row


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return f"{platform.node()}: {os.cpu_count()} cores ({model}), Python {platform.python_version()}"


def served(args, cache: Path, log: Path):
    """A new app server on `cache`, the model loaded by an untimed visit of a light page."""
    server = AppServer(args.script, log, port=args.port, env={**os.environ, "VIZ_CACHE_DIR": str(cache)})
    loaded = time.perf_counter()
    warmup = at_once(server.url, LIGHT_PAGE if args.script == "app.py" else "", "", 1, args.timeout)[0]
    print(f"    untimed visit (loads the model): {time.perf_counter() - loaded:.1f} s, "
          f"{'ok' if warmup.ok else warmup.failure or warmup.exceptions[0]}", flush=True)
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", default="1,8,30", help="comma-separated N; 1 first gives the solo reference")
    parser.add_argument("--pages", default="landing,unit",
                        help="comma-separated pages: landing (the root, /), or a page's URL path (unit, atlas, ...)")
    parser.add_argument("--script", default="app.py", help="the Streamlit script to serve")
    parser.add_argument("--timeout", type=float, default=600, help="seconds a session may take")
    parser.add_argument("--port", type=int, help="the server's port (default: a free one)")
    parser.add_argument("--no-warm", action="store_true", help="only the cold phases")
    parser.add_argument("--landing-renders", action="store_true",
                        help="first (untimed) render every unit of the landing's three layers, as `python -m viz "
                             "precompute` does: a new photo then costs only what depends on the photo")
    parser.add_argument("--cache", type=Path,
                        help="a disk cache to start from, copied for each N (only --landing-renders adds to it), "
                             "e.g. one that `VIZ_CACHE_DIR=DIR python -m viz precompute` filled; default: an empty one")
    args = parser.parse_args()
    counts = [int(n) for n in args.sessions.split(",")]
    pages = args.pages.split(",")
    work = Path(tempfile.mkdtemp(prefix="sessions-protocol-"))
    prepared = args.cache or work / "prepared-cache"
    prepared.mkdir(exist_ok=True)
    if args.landing_renders:
        started = time.perf_counter()
        env = {**os.environ, "VIZ_CACHE_DIR": str(prepared)}
        done = subprocess.run([sys.executable, "-c", LANDING_RENDERS], env=env, cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout.strip()
        print(f"untimed: {done} in {time.perf_counter() - started:.0f} s", flush=True)
    print(f"{machine()}; load before {os.getloadavg()}", flush=True)
    print(f"settings: script {args.script}, pages {pages}, N {counts}, for each N a new server on a copy of the disk "
          f"cache {prepared}{' holding the landing renders' if args.landing_renders else ''}, "
          f"{BROWSER_CONNECTIONS} picture fetches at once a session, the app's default sidebar (quality fast)",
          flush=True)
    for page in pages:
        shared_view, view = cold_views(page, 2)
        path = "" if page == "landing" else page  # the landing is the app's default page, at the root
        print(f"page {page or '/'}: view ?{view}", flush=True)
        rows = {}
        for n in counts:
            cache = work / f"{page or 'root'}-{n}"
            shutil.copytree(prepared, cache)
            print(f"  N={n}: a new server", flush=True)
            with served(args, cache, work / f"{page or 'root'}-{n}.log") as server:
                started = time.perf_counter()
                shared = at_once(server.url, path, shared_view, 1, args.timeout)[0]
                print(f"    untimed visit of another view ?{shared_view} (the work all views share, e.g. gallery "
                      f"sweeps): {time.perf_counter() - started:.1f} s, {'ok' if shared.ok else 'failed'}", flush=True)
                rows[n, "cold"] = phase(server, path, view, n, args.timeout, "cold")
                if not args.no_warm:
                    rows[n, "warm"] = phase(server, path, view, n, args.timeout, "warm")
        solo = counts[0]
        for n in counts[1:]:
            for state in ("cold", "warm") if not args.no_warm else ("cold",):
                ratio = rows[n, state]["done_max"] / rows[solo, state]["done_max"]
                print(f"  {page or '/'} {state}: N={n} slowest {rows[n, state]['done_max']:.1f} s = {ratio:.2f}x "
                      f"N={solo} ({rows[solo, state]['done_max']:.1f} s)", flush=True)
    print(f"load after {os.getloadavg()}; server logs in {work}")


if __name__ == "__main__":
    main()
