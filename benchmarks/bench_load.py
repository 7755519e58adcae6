"""Load test of the SPARQL endpoint (``kg serve``): many concurrent clients sending
valid, malformed and slow queries, plus clients that send their request slowly.

Everything stays on the loopback interface, is bounded in clients, requests and time,
and stops by itself. Prints, per kind of client, the requests served, the answers by
HTTP status, connection errors and latency percentiles, and the latency of valid
queries measured alone before the load (the baseline of the same run). Never fails on
time: ``tests/test_load.py`` runs a short version with generous, relative checks.

Run: ``PYTHONPATH=. python benchmarks/bench_load.py [--graph out/graph.trig] [--duration 60]
[--clients 20] [--timeout 2] [--workers 2]`` (without ``--graph``, the bundled sample
articles are built first into a temporary folder).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PREFIX = "PREFIX kg: <https://w3id.org/kg-news/ontology#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
VALID = [
    PREFIX + "SELECT ?e ?l WHERE { ?e a kg:ArmedGroup ; rdfs:label ?l } LIMIT 20",
    PREFIX + "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    PREFIX + "SELECT ?ev ?place WHERE { ?ev kg:locatedIn ?place } LIMIT 50",
    PREFIX + "ASK { ?s a kg:Article }",
    PREFIX + "SELECT ?s ?e WHERE { ?s kg:evidence ?e FILTER(CONTAINS(LCASE(?e), 'attack')) } LIMIT 10",
    PREFIX + "CONSTRUCT { ?e rdfs:label ?l } WHERE { ?e a kg:City ; rdfs:label ?l } LIMIT 20",
]
# (method, query string or None, body or None, headers, accepted answers)
MALFORMED = [
    ("GET", {"query": "SELECT * WHERE { ?s ?p "}, None, {}, {400}),
    ("GET", {"query": "DROP ALL"}, None, {}, {400, 403}),
    ("POST", None, b"INSERT DATA { <urn:a> <urn:b> <urn:c> }", {"Content-Type": "application/sparql-update"}, {403}),
    ("POST", None, b"update=CLEAR+DEFAULT", {"Content-Type": "application/x-www-form-urlencoded"}, {403}),
    ("GET", {"query": 'SELECT * { ?s ?p " } ; DROP ALL ; SELECT * { " }'}, None, {}, {200}),  # a string
    ("GET", {"query": "SELECT * { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"}, None, {}, {403}),
    ("GET", {"query": "SELECT * { ?s ?p ?o } LIMIT 1"}, None, {"Accept": "image/png"}, {406}),
    ("POST", None, b"x" * (2 * 1024 * 1024), {"Content-Type": "application/sparql-query"}, {413}),
    ("GET", {"query": "SELECT * { ?s ?p ?o }" + " " * 50_000}, None, {}, {200, 400, 414}),
    ("POST", None, b"\xff\xfe\x00garbage", {"Content-Type": "application/sparql-query"}, {400}),
    ("GET", {"query": "SELECT * { ?s ?p ?o } LIMIT 1", "default-graph-uri": "not an iri <>"}, None, {}, {200, 400}),
    ("GET", {"query": "\x00\ud800"}, None, {}, {400}),
]
SLOW = [  # a cross product no store answers in seconds: stopped at the timeout
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }",
    "SELECT ?s WHERE { ?s ?p ?o . ?x ?y ?z FILTER(REGEX(STR(?o), '(a|aa)+$')) } ORDER BY ?s",
]


@dataclass
class Tally:
    """What one kind of client saw."""

    statuses: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)  # answers outside the accepted set, with reason

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def p(self, q: float) -> float | None:
        if not self.latencies:
            return None
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(q * len(xs)))]


@dataclass
class LoadReport:
    duration_s: float
    clients: dict[str, int]
    tallies: dict[str, Tally]
    baseline_p95_s: float | None = None
    baseline_p50_s: float | None = None

    def table(self) -> str:
        lines = [f"{'clients':<11}{'n':>3} {'requests':>9} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} "
                 f"{'max ms':>8}  answers / failures"]
        for kind, t in self.tallies.items():
            p50, p95 = t.p(0.5), t.p(0.95)
            mx = max(t.latencies) if t.latencies else None
            answers = ", ".join(f"{k}: {v}" for k, v in sorted(t.statuses.items(), key=str))
            fails = ", ".join(f"{k}: {v}" for k, v in t.failures.most_common(4))
            lines.append(f"{kind:<11}{self.clients.get(kind, 0):>3} {t.requests:>9} "
                         f"{t.requests / self.duration_s:>7.1f} {_ms(p50):>8} {_ms(p95):>8} {_ms(mx):>8}  "
                         f"{answers}" + (f" / {fails}" if fails else ""))
        if self.baseline_p95_s is not None:
            lines.append(f"baseline (valid queries, one at a time, before the load): p50 "
                         f"{_ms(self.baseline_p50_s)} ms, p95 {_ms(self.baseline_p95_s)} ms")
        return "\n".join(lines)


    def summary(self) -> str:
        """Requests served, errors and p95 latency of valid queries, in one line."""
        served = sum(t.requests for k, t in self.tallies.items() if k != "trickle")
        errors = sum(t.statuses["error"] for t in self.tallies.values())
        server_errors = sum(n for t in self.tallies.values() for s, n in t.statuses.items()
                            if isinstance(s, int) and s >= 500 and s != 503)
        busy = sum(t.statuses[503] for t in self.tallies.values())
        valid = self.tallies.get("valid")
        p95 = valid.p(0.95) if valid else None
        ratio = f" ({p95 / self.baseline_p95_s:.1f}x the baseline)" if p95 and self.baseline_p95_s else ""
        return (f"requests served: {served} ({served / self.duration_s:.1f}/s); connection errors: {errors}; "
                f"5xx other than 503: {server_errors}; 503 (timeout or busy): {busy}; "
                f"valid queries p95: {_ms(p95)} ms{ratio}")


def _ms(x: float | None) -> str:
    return "-" if x is None else f"{x * 1000:.0f}"


class Client:
    """HTTP/1.1 requests to one endpoint on a persistent connection (reopened after
    an error)."""

    def __init__(self, url: str, timeout: float = 60.0):
        parts = urllib.parse.urlsplit(url)
        assert parts.hostname in ("127.0.0.1", "localhost", "::1"), "load tests stay on the loopback interface"
        self.host, self.port, self.path, self.timeout = parts.hostname, parts.port, parts.path, timeout
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, params: dict | None, body: bytes | None, headers: dict) -> tuple[int, bytes]:
        target = self.path + ("?" + urllib.parse.urlencode(params, errors="surrogatepass") if params else "")
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, target, body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    self.close()
                return resp.status, data
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()  # the server closed an idle keep-alive connection: retry once
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def valid_ok(status: int, body: bytes, query: str) -> str | None:
    """None when a valid query's answer is right, else the reason."""
    if status != 200:
        return f"HTTP {status}"
    if query.split("{")[0].split()[-1] == "ASK" or " ASK " in query:
        return None if json.loads(body).get("boolean") is not None else "no boolean"
    if "CONSTRUCT" in query:
        return None if body.strip() else "empty graph"
    rows = json.loads(body)["results"]["bindings"]
    return None if isinstance(rows, list) else "no bindings"


def _run_kind(kind: str, url: str, deadline: float, tally: Tally, lock: threading.Lock, seed: int) -> None:
    client = Client(url)
    i = seed
    try:
        while time.monotonic() < deadline:
            i += 1
            t0 = time.perf_counter()
            try:
                if kind == "valid":
                    q = VALID[i % len(VALID)]
                    status, body = client.request("GET", {"query": q}, None, {"Accept": "application/sparql-results+json"
                                                  if "CONSTRUCT" not in q else "text/turtle"})
                    reason = valid_ok(status, body, q)
                elif kind == "malformed":
                    method, params, body_out, headers, accepted = MALFORMED[i % len(MALFORMED)]
                    status, body = client.request(method, params, body_out, dict(headers))
                    reason = None if status in accepted else f"HTTP {status} for malformed #{i % len(MALFORMED)}"
                elif kind == "slow":
                    q = SLOW[i % len(SLOW)]
                    status, body = client.request("POST", None, q.encode(), {"Content-Type": "application/sparql-query"})
                    reason = None if status in (200, 503) else f"HTTP {status}"
                else:  # "trickle": a request sent a byte at a time, then abandoned
                    status, reason = _trickle(url, min(deadline, time.monotonic() + 3.0))
            except (OSError, http.client.HTTPException, ValueError) as e:
                client.close()
                status, reason = "error", type(e).__name__
            dt = time.perf_counter() - t0
            with lock:
                tally.statuses[status] += 1
                if kind != "trickle":
                    tally.latencies.append(dt)
                if reason:
                    tally.failures[reason] += 1
    finally:
        client.close()


def _trickle(url: str, until: float) -> tuple[str, str | None]:
    """Open a connection and send a request's headers very slowly, then give up."""
    parts = urllib.parse.urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as s:
        head = f"GET {parts.path}?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n".encode()
        for b in head:
            if time.monotonic() >= until:
                break
            try:
                s.sendall(bytes([b]))
            except OSError:
                return "closed by server", None
            time.sleep(0.1)
    return "abandoned", None


def baseline(url: str, n: int = 30) -> list[float]:
    """Latencies of valid queries sent one at a time, without load."""
    client = Client(url)
    out = []
    try:
        for i in range(n):
            q = VALID[i % len(VALID)]
            t0 = time.perf_counter()
            status, body = client.request("GET", {"query": q}, None, {"Accept": "application/sparql-results+json"
                                          if "CONSTRUCT" not in q else "text/turtle"})
            out.append(time.perf_counter() - t0)
            assert valid_ok(status, body, q) is None, (status, body[:200])
    finally:
        client.close()
    return out


def run_load(url: str, duration: float = 30.0, clients: dict[str, int] | None = None) -> LoadReport:
    """Send the mix of ``clients`` (kind -> number of threads) to ``url`` for
    ``duration`` seconds; every thread stops at the deadline (after its request in
    flight, which the server's timeout bounds)."""
    clients = clients or {"valid": 12, "malformed": 4, "slow": 2, "trickle": 2}
    base = baseline(url)
    tallies = {kind: Tally() for kind in clients}
    lock = threading.Lock()
    deadline = time.monotonic() + duration
    threads = [threading.Thread(target=_run_kind, args=(kind, url, deadline, tallies[kind], lock, 7 * n),
                                daemon=True, name=f"load-{kind}-{n}")
               for kind, count in clients.items() for n in range(count)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()) + 90)
    xs = sorted(base)
    return LoadReport(duration_s=time.monotonic() - t0, clients=dict(clients), tallies=tallies,
                      baseline_p95_s=xs[int(0.95 * (len(xs) - 1))], baseline_p50_s=statistics.median(xs))


class Server:
    """``kg serve`` in a subprocess on a free loopback port; stopped by :meth:`stop`."""

    def __init__(self, graph: Path, *args: str):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        flag = "--store" if Path(graph).is_dir() else "--graph"
        self.proc = subprocess.Popen([sys.executable, "-m", "kg", "serve", flag, str(graph), "--host", "127.0.0.1",
                                      "--port", "0", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True, env=env, cwd=ROOT)
        self.log: list[str] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.log.append(line)
            m = re.search(r"(http://127\.0\.0\.1:\d+/sparql)", line)
            if m:
                self.url = m.group(1)
                threading.Thread(target=self._drain, daemon=True).start()
                return
        self.stop()
        raise RuntimeError("kg serve did not start: " + "".join(self.log))

    def _drain(self) -> None:
        for line in self.proc.stderr:
            self.log.append(line)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--graph", type=Path, help="graph file or kg store to serve (default: build the samples)")
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    ap.add_argument("--clients", type=int, default=20, help="concurrent clients (mixed kinds)")
    ap.add_argument("--timeout", type=float, default=2.0, help="the endpoint's query timeout (s)")
    ap.add_argument("--workers", type=int, default=2, help="the endpoint's query worker processes")
    args = ap.parse_args()
    graph = args.graph
    if graph is None:
        out = Path(tempfile.mkdtemp(prefix="kg-bench-load-")) / "out"
        subprocess.run([sys.executable, "-m", "kg", "build", "-o", str(out), "-q", "--no-validate", "--no-html"],
                       check=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
        graph = out / "graph.trig"
    n = args.clients
    mix = {"valid": max(1, n * 3 // 5), "malformed": max(1, n // 5), "slow": max(1, n // 10)}
    mix["trickle"] = max(0, n - sum(mix.values()))
    server = Server(graph, "--timeout", str(args.timeout), "--workers", str(args.workers))
    try:
        print(f"kg serve {graph} ({args.workers} workers, timeout {args.timeout:g} s) at {server.url}; "
              f"{n} clients for {args.duration:g} s")
        report = run_load(server.url, args.duration, mix)
        print(report.table())
        print(report.summary())
        ok = server.alive() and baseline(server.url, 3)
        print("server alive and answering afterwards:", bool(ok))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
