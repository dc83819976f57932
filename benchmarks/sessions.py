"""A classroom at once: N real headless-Chromium sessions against one app server, time to the first picture.

    python benchmarks/sessions.py [--sessions 8] [--page deconv] [--timeout 600]

In one run, each on a freshly started server (the model already loaded by one untimed visit, the disk cache
warmed by an untimed visit of every view, so the figures count serving, not first-time sweeps):

- solo: one session alone on each of the N views (the Top-9 page on N different layers, by URL);
- (a) same view: N sessions open the default view at the same moment, then N new browsers again on the same
  server with the result ready (nothing left to compute: the browsers' own cost of this very page);
- (b) different views: N sessions open the N views at the same moment;
- browser only: 1 tab, then N tabs at once, of a trivial one-picture Streamlit page. On this machine the N
  browsers share the server's cores, where students' browsers run on their own laptops, so this cost is
  measured here and reported apart.

Every session is a new Chromium (empty caches: a student's first visit). The browsers run at nice 19 unless
`--browser-nice 0`: on this machine they share the server's cores, and a browser that starves the server is
not what a classroom sees. A session's time runs from `driver.get(url)` to the first picture in the page's main
area; a session that shows an exception counts as failed. Targets (issue 9): (a) each within 2x the solo time
of its view; (b) all done within 1.3x the sum of the solo times. The load is printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.headless import TRIVIAL_PAGE, AppServer, chromium, lower_priority, time_to_picture  # noqa: E402


def at_once(drivers, urls: list[str], timeout: float) -> list[tuple[float, str]]:
    """Open every url in its own browser at the same moment; each session's (seconds, outcome)."""
    results: list = [None] * len(urls)
    start = threading.Barrier(len(urls))

    def session(i: int) -> None:
        start.wait()
        results[i] = time_to_picture(drivers[i], urls[i], timeout)

    threads = [threading.Thread(target=session, args=(i,)) for i in range(len(urls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def views(page: str, count: int) -> list[str]:
    """The page's default view, then the page on other layers (bound to the URL as ?deconv_layer=...)."""
    import models

    model = models.load("efficientnet_lite0", device="cpu")
    labels = [f"{layer.name} ({layer.tier}, {layer.channels} units)" for layer in model.layers]
    default = min(3, len(labels) - 1)
    others = [label for i, label in enumerate(labels) if i != default][: count - 1]
    return [page] + [f"{page}?deconv_layer={urllib.parse.quote(label)}" for label in others]


def fmt(results: list[tuple[float, str]]) -> str:
    return " ".join(f"{t:.1f}" + ("" if outcome == "ok" else f"({outcome})") for t, outcome in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--page", default="deconv", help="url path of the page (its layer is bound to the URL)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds a session may wait for its picture")
    parser.add_argument("--phases", default="a,b", help="a (same view), b (different views) or a,b")
    parser.add_argument("--browser-nice", type=int, default=19,
                        help="niceness of the browsers (19: they get the CPU the server leaves, as on students' own "
                        "laptops; 0: they compete with the server as equals)")
    args = parser.parse_args()
    phases = set(args.phases.split(","))
    n, work = args.sessions, Path(tempfile.mkdtemp(prefix="sessions-"))
    paths = views(args.page, n)
    print(f"{n} sessions, page {args.page}, browsers at nice {args.browser_nice}; load before: {os.getloadavg()}", flush=True)
    def browsers(k: int) -> list:
        """k new Chromiums (empty caches: each session is a student's first visit), reniced."""
        made = [chromium() for _ in range(k)]
        for driver in made if args.browser_nice else []:
            lower_priority(driver, args.browser_nice)
        return made

    def at_once_cold(urls: list[str]) -> list[tuple[float, str]]:
        drivers = browsers(len(urls))
        try:
            return at_once(drivers, urls, args.timeout)
        finally:
            for driver in drivers:
                driver.quit()

    def fresh() -> AppServer:
        server = AppServer("app.py", work / "app.log")
        at_once_cold([f"{server.url}/filters"])  # loads the model, untimed
        return server

    server = fresh()  # untimed: every view once, so the disk cache holds their gallery sweeps
    at_once_cold([f"{server.url}/{path}" for path in (paths if "b" in phases else paths[:1])])
    server.close()

    server = fresh()
    solo = [at_once_cold([f"{server.url}/{path}"])[0] for path in (paths if "b" in phases else paths[:1])]
    server.close()
    print(f"solo, one view after another (s): {fmt(solo)}", flush=True)

    same = different = ready = []
    if "a" in phases:
        server = fresh()
        same = at_once_cold([f"{server.url}/{paths[0]}"] * n)
        ready = at_once_cold([f"{server.url}/{paths[0]}"] * n)  # new browsers, nothing left to compute
        server.close()
        print(f"(a) {n} sessions on the same view (s): {fmt(same)}", flush=True)
        print(f"(a) again, {n} new browsers, the result ready (s): {fmt(ready)}", flush=True)
    if "b" in phases:
        server = fresh()
        different = at_once_cold([f"{server.url}/{path}" for path in paths])
        server.close()
        print(f"(b) {n} sessions on {n} different views (s): {fmt(different)}", flush=True)

    trivial_script = work / "trivial.py"
    trivial_script.write_text(TRIVIAL_PAGE)
    with AppServer(trivial_script, work / "trivial.log") as trivial:
        one_tab = at_once_cold([trivial.url])[0]
        tabs = at_once_cold([trivial.url] * n)
    print(f"browser only, trivial page: 1 tab {one_tab[0]:.1f} s; {n} tabs at once: {fmt(tabs)}", flush=True)

    browser_cost = max(t for t, _ in tabs) - one_tab[0]
    if same:
        solo_a, worst_a, page_cost = solo[0][0], max(t for t, _ in same), max(t for t, _ in ready)
        print(f"(a) slowest {worst_a:.1f} s = {worst_a / solo_a:.2f}x solo {solo_a:.1f} s (target <= 2x); the same "
              f"browsers with the result ready took {page_cost:.1f} s, so the server added {worst_a - page_cost:.1f} s: "
              f"a student on their own laptop would wait about {(solo_a + worst_a - page_cost) / solo_a:.2f}x solo")
    if different:
        worst_b, solo_sum = max(t for t, _ in different), sum(t for t, _ in solo)
        print(f"(b) all done in {worst_b:.1f} s = {worst_b / solo_sum:.2f}x the solo times added up "
              f"({solo_sum:.1f} s, target <= 1.3x); less the browsers' cost ({browser_cost:.1f} s): "
              f"{(worst_b - browser_cost) / solo_sum:.2f}x")
    print(f"sessions with an exception or timeout: {sum(outcome != 'ok' for _, outcome in same + ready + different)}")
    print(f"load after: {os.getloadavg()}; logs in {work}")


if __name__ == "__main__":
    main()
