"""The SPARQL endpoint under load: 20 concurrent loopback clients (valid, malformed and
slow queries, requests trickled a byte at a time) for about 30 seconds. Valid queries
keep succeeding, malformed ones get 4xx, slow ones are stopped at the timeout, latency
stays within a generous multiple of the baseline measured in the same run, and the
server is alive and answering afterwards. Figures are printed (see also
``benchmarks/bench_load.py``)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("kg.serve", reason="kg serve is not in this tree yet")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_load import MALFORMED, Server, baseline, run_load  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

DURATION = 30.0
TIMEOUT = 2.0  # the endpoint's query timeout: slow queries are stopped after it
WORKERS = 3  # more worker processes than slow clients (see docs/limits.md)
MIX = {"valid": 12, "malformed": 4, "slow": 2, "trickle": 2}


@pytest.fixture(scope="module")
def graph_file(request, tmp_path_factory) -> Path:
    """The bundled samples' graph (the session's sample build when there is one)."""
    try:
        return request.getfixturevalue("sample_build")[0] / "graph.trig"
    except pytest.FixtureLookupError:
        from kg.build import BuildOptions, build

        out = tmp_path_factory.mktemp("load") / "out"
        build([], out, BuildOptions(validate=False, html=False))
        return out / "graph.trig"


@pytest.fixture(scope="module")
def server(graph_file):
    srv = Server(graph_file, "--timeout", str(TIMEOUT), "--workers", str(WORKERS))
    yield srv
    srv.stop()


def test_endpoint_keeps_answering_under_concurrent_load(server, capsys):
    report = run_load(server.url, DURATION, MIX)
    with capsys.disabled():
        print(f"\nload test: {sum(MIX.values())} clients for {report.duration_s:.0f} s on {server.url}\n"
              + report.table() + "\n" + report.summary())
    valid, malformed, slow = (report.tallies[k] for k in ("valid", "malformed", "slow"))

    # no 5xx other than 503 (timeout, busy); connection errors at most a trace (a loaded CI
    # machine can starve a socket once in thousands of requests; the server must not fail)
    assert "5xx other than 503: 0;" in report.summary(), report.table()
    served = sum(t.requests for k, t in report.tallies.items() if k != "trickle")
    errors = sum(t.statuses["error"] for t in report.tallies.values())
    assert errors <= max(1, served // 500), report.table()

    # valid queries keep succeeding: nearly all
    ok = valid.statuses[200] - sum(n for reason, n in valid.failures.items() if not reason.startswith("HTTP"))
    assert valid.requests >= 100, report.table()
    assert valid.statuses["error"] <= max(1, valid.requests // 500), report.table()
    assert ok / valid.requests >= 0.9, report.table()

    # malformed requests get the 4xx they deserve (or 503 when every worker is busy), never a crash
    assert malformed.statuses["error"] <= max(1, malformed.requests // 500), report.table()
    assert all(s == 503 or 400 <= s < 500 or s == 200 for s in malformed.statuses), report.table()
    expected = {s for *_, accepted in MALFORMED for s in accepted} | {503}
    assert set(malformed.statuses) <= expected, report.table()
    assert not [r for r in malformed.failures if "503" not in r], report.table()

    # slow queries are stopped at the timeout (503), never left hanging
    assert slow.requests >= 2 and set(slow.statuses) <= {200, 503}, report.table()
    assert max(slow.latencies) < TIMEOUT * 10, report.table()

    # latency of valid queries under load: bounded relative to the baseline of this run
    # (a valid query may wait for a worker up to the timeout)
    assert valid.p(0.95) <= max(40 * report.baseline_p95_s, 2 * TIMEOUT), report.table()

    # the server is alive and answers normally afterwards
    assert server.alive(), "".join(server.log[-20:])
    after = baseline(server.url, 6)
    assert sorted(after)[len(after) // 2] <= 20 * report.baseline_p95_s
