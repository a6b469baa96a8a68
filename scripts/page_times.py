#!/usr/bin/env python3
"""Signs a person in through the real sign-in page, then times portal pages, for
scripts/bench_scale.sh (issue 14).

    page_times.py <base URL> <username> <password> <requests per page> <path>...

Each path is fetched the given number of times, one after another on one kept-alive
connection, as that signed-in person (the first fetch of each is a warm-up and not
counted). Every answer must be 200 and must not be the sign-in page. Prints one line
per path: "p50_ms p99_ms path". Standard library only.
"""
import http.client
import statistics
import sys
import time
import urllib.parse

from flow_session import Browser, Forms, fail


def sign_in(base, username, password):
    browser = Browser()
    status, _, body = browser.send(f"{base}/login")
    if status != 200:
        fail(f"/login answered {status}")
    parser = Forms()
    parser.feed(body)
    form = next((f for f in parser.forms if "password" in f["fields"]), None)
    if form is None:
        fail("no sign-in form on /login")
    data = dict(form["fields"], username=username, password=password)
    status, _, body = browser.send(urllib.parse.urljoin(f"{base}/login", form["action"] or "/login"), data)
    if not (300 <= status < 400):
        fail(f"signing in answered {status}: {body[:300]}")
    return browser.cookie_for(f"{base}/")


def main():
    base, username, password, n, *paths = sys.argv[1:]
    n = int(n)
    cookie = sign_in(base, username, password)
    host = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
    for path in paths:
        times = []
        for k in range(n + 1):
            started = time.perf_counter()
            conn.request("GET", path, headers={"Cookie": cookie, "Accept": "text/html"})
            r = conn.getresponse()
            body = r.read()
            elapsed = (time.perf_counter() - started) * 1000
            if r.status != 200 or b'name="password"' in body:
                fail(f"{path} answered {r.status} (or the sign-in page): {body[:300]!r}")
            if k:
                times.append(elapsed)
        times.sort()
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        print(f"{statistics.median(times):.1f} {p99:.1f} {path}")


if __name__ == "__main__":
    main()
