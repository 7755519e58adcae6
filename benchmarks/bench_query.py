"""Saved queries on a synthetic 1,000,000-triple graph: rdflib (memory) vs Oxigraph
(memory and on disk). Prints load times and p50/p95 latencies, per query and over the
whole workload; never fails on time.

The graph replicates the shape of the dev-set build (``shared/eval/dev``, or the bundled
sample articles when it is absent): every copy of an article graph gets fresh IRIs for
its article, events, statements, reports and claims, while entity IRIs are shared by
``--entity-pool`` copies (as real entities recur across articles). The ontology graph
is kept once.

Usage::

    python benchmarks/bench_query.py [--triples 1000000] [--repeat 20] [--rdflib-repeat 3]
                                     [--rdflib-timeout 60] [--no-rdflib]
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ID = "https://w3id.org/kg-news/id/"
_IRI = re.compile(r"<https://w3id\.org/kg-news/id/(entity|event|statement|report|claim|article|graph)/([^>]*)>")


def source_quads(workdir: Path, dev: Path) -> list[str]:
    """N-Quads lines of a build of the dev set (or the samples)."""
    import pyoxigraph as ox

    from kg.build import BuildOptions, build

    inputs = [dev] if dev.exists() else []
    out = workdir / "seed"
    t = time.perf_counter()
    build(inputs, out, BuildOptions(html=False, validate=False))
    print(f"seed build: {'dev set' if inputs else 'bundled samples'} in {time.perf_counter() - t:.1f} s")
    data = ox.serialize(ox.parse(path=str(out / "graph.trig"), format=ox.RdfFormat.TRIG),
                        format=ox.RdfFormat.N_QUADS).decode("utf-8")
    return [line for line in data.splitlines() if line.strip()]


def synthesise(lines: list[str], target: int, pool: int, path: Path) -> int:
    """Write about ``target`` quads to ``path``; return the count."""
    onto = [l for l in lines if l.endswith(f"<{ID}graph/ontology> .")]
    body = [l for l in lines if not l.endswith(f"<{ID}graph/ontology> .")]
    copies = max(1, round((target - len(onto)) / len(body)))
    n = 0
    with path.open("w", encoding="utf-8") as f:
        f.writelines(l + "\n" for l in onto)
        n += len(onto)
        for k in range(copies):
            def fresh(m: re.Match, k=k) -> str:
                kind, rest = m.group(1), m.group(2)
                suffix = k % pool if kind == "entity" else k
                if kind in ("event", "report", "claim"):  # <article>/<n>
                    head, _, tail = rest.partition("/")
                    return f"<{ID}{kind}/{head}-c{suffix}/{tail}>"
                return f"<{ID}{kind}/{rest}-c{suffix}>"

            f.writelines(_IRI.sub(fresh, l) + "\n" for l in body)
            n += len(body)
    return n


def workload() -> list[tuple[str, dict]]:
    """(saved query, parameters) pairs, parameters as IRIs so no label look-up is timed.

    Look-ups (a question about an entity, a place, a triple) come first, then listings
    of the whole corpus, which return thousands of rows."""
    bla = f"<{ID}entity/baloch-liberation-army-c0>"
    balochistan = f"<{ID}entity/balochistan-c0>"
    return [
        ("who-claimed", {"actor": bla}),
        ("events", {"place": balochistan, "from": "2000-01-01", "to": "2026-12-31"}),
        ("casualties", {"place": balochistan}),
        ("evidence", {"subject": bla, "predicate": "kg:claimed"}),
        ("neighbours", {"entity": bla}),
        ("entity", {"entity": bla}),
        ("claims", {"about": bla}),
        ("claims", {"status": "denied"}),
        ("who-claimed", {}),
        ("casualties", {"kind": "killed"}),
        ("events", {"from": "2000-01-01", "to": "2026-12-31"}),
    ]


def texts() -> list[tuple[str, str]]:
    from kg.query import get_saved, prepare

    out = []
    for name, params in workload():
        label = name + ("(" + ",".join(params) + ")" if params else "")
        out.append((label, prepare(None, get_saved(name), params).text))
    return out


def load_oxigraph(path: Path, db: Path | None = None):
    """The N-Quads file in Oxigraph as kg opens a dataset: its named graphs, and their
    merged graph in the default graph (see kg.store.load_graph); on disk when ``db``
    is given (re-opened read-only, as kg query/serve open a kg store)."""
    import pyoxigraph as ox

    from kg.store import load_dataset, load_graph

    if db is None:
        return load_graph(path)
    store = ox.Store(str(db))
    load_dataset(store, path, ox.RdfFormat.N_QUADS, on_disk=True)
    store.flush()
    del store
    return ox.Store.read_only(str(db))


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    if len(values) == 1:
        return values[0]
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


# ----------------------------------------------------------------------------- engines
def oxigraph_run(path: Path, on_disk: bool, repeat: int, tmp: Path) -> dict:
    from kg.query import run_query

    t = time.perf_counter()
    store = load_oxigraph(path, tmp / "oxigraph-db" if on_disk else None)
    load = time.perf_counter() - t
    results = {}
    for label, text in texts():
        times, rows = [], 0
        for _ in range(repeat):
            t = time.perf_counter()
            rows = sum(1 for _ in run_query(store, text))
            times.append(time.perf_counter() - t)
        results[label] = (rows, times)
    return {"load": load, "queries": results}


def _rdflib_worker(path: str, conn) -> None:  # pragma: no cover - child process
    from rdflib import Dataset

    t = time.perf_counter()
    ds = Dataset(default_union=True)
    ds.parse(path, format="nquads")
    conn.send(("loaded", time.perf_counter() - t))
    while True:
        text = conn.recv()
        if text is None:
            return
        t = time.perf_counter()
        try:
            rows = sum(1 for _ in ds.query(text))
        except Exception as e:  # noqa: BLE001 - rdflib fails on some valid queries; report it
            conn.send(("error", f"{type(e).__name__}: {e}"))
            continue
        conn.send((rows, time.perf_counter() - t))


def rdflib_run(path: Path, repeat: int, timeout: float, load_timeout: float) -> dict:
    """rdflib in a child process, so that a query past ``timeout`` can be abandoned."""
    ctx = mp.get_context("spawn")

    def start():
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_rdflib_worker, args=(str(path), child), daemon=True)
        proc.start()
        if not parent.poll(load_timeout):
            proc.kill()
            return None, None, None
        return proc, parent, parent.recv()[1]

    proc, conn, load = start()
    if proc is None:
        return {"load": None, "queries": {}}
    results = {}
    for label, text in texts():
        times, rows = [], 0
        for _ in range(repeat):
            conn.send(text)
            if not conn.poll(timeout):
                proc.kill()
                times = None
                proc, conn, _ = start()
                break
            rows, dt = conn.recv()
            if rows == "error":
                times = dt  # the error message
                break
            times.append(dt)
        results[label] = (rows, times)
        if proc is None:
            break
    if proc is not None:
        conn.send(None)
        proc.join(10)
    return {"load": load, "queries": results}


# ----------------------------------------------------------------------------- report
def fmt_ms(times) -> str:
    if times is None:
        return "stopped"
    if isinstance(times, str):
        return "error"
    if not times:
        return "-"
    return f"{percentile(times, .5) * 1000:8.1f} / {percentile(times, .95) * 1000:8.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--triples", type=int, default=1_000_000, help="size of the synthetic graph (quads)")
    ap.add_argument("--entity-pool", type=int, default=50, help="copies sharing one set of entity IRIs")
    ap.add_argument("--repeat", type=int, default=20, help="runs of each query on Oxigraph")
    ap.add_argument("--rdflib-repeat", type=int, default=3, help="runs of each query on rdflib")
    ap.add_argument("--rdflib-timeout", type=float, default=30.0, help="seconds before an rdflib query is abandoned")
    ap.add_argument("--seed", type=Path, default=ROOT.parent / "shared" / "eval" / "dev" / "articles.jsonl",
                    help="articles whose graph is replicated (default: the dev set beside the repository)")
    ap.add_argument("--no-rdflib", action="store_true", help="skip rdflib (its load takes about a minute)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="kg-bench-") as d:
        tmp = Path(d)
        lines = source_quads(tmp, args.seed)
        path = tmp / "synthetic.nq"
        t = time.perf_counter()
        n = synthesise(lines, args.triples, args.entity_pool, path)
        print(f"synthetic graph: {n:,} quads ({path.stat().st_size / 1e6:.0f} MB N-Quads) "
              f"from {len(lines):,} seed quads in {time.perf_counter() - t:.1f} s")

        engines = {}
        engines["oxigraph memory"] = oxigraph_run(path, False, args.repeat, tmp)
        engines["oxigraph disk"] = oxigraph_run(path, True, args.repeat, tmp)
        if not args.no_rdflib:
            engines["rdflib memory"] = rdflib_run(path, args.rdflib_repeat, args.rdflib_timeout, 900)

        print()
        print("load time:")
        for name, res in engines.items():
            load = res["load"]
            print(f"  {name:16s} {'did not finish' if load is None else f'{load:7.1f} s'}")
        print()
        names = list(engines)
        header = f"{'query':48s} {'rows':>7s} " + " ".join(f"{n + ' p50/p95 ms':>24s}" for n in names)
        print(header)
        print("-" * len(header))
        base = engines["oxigraph memory"]["queries"]
        for label, (rows, _) in base.items():
            cells = [fmt_ms(engines[n]["queries"].get(label, (0, []))[1]) for n in names]
            print(f"{label:48s} {rows:7d} " + " ".join(f"{c:>24s}" for c in cells))
        print()
        print("the whole workload (every run of every query, each query run as often), p50 / p95 ms:")
        for name in names:
            pooled = [t for _, times in engines[name]["queries"].values() if isinstance(times, list)
                      for t in times]
            complete = all(isinstance(times, list) and times for _, times in engines[name]["queries"].values())
            print(f"  {name:16s} {fmt_ms(pooled) if pooled else '-':>20s}"
                  + ("" if complete else "  (some queries did not finish: not comparable)"))
        if "rdflib memory" in engines:
            print()
            print("rdflib / oxigraph-memory, p50 (higher = Oxigraph faster):")
            for label, (_, ox_times) in base.items():
                rd = engines["rdflib memory"]["queries"].get(label, (0, []))[1]
                if isinstance(rd, str):
                    print(f"  {label:48s} rdflib error: {rd[:80]}")
                elif rd:
                    ratio = percentile(rd, .5) / max(percentile(ox_times, .5), 1e-6)
                    print(f"  {label:48s} {ratio:8.1f}x")
                else:
                    print(f"  {label:48s} {'> ' + str(args.rdflib_timeout) + ' s on rdflib' if rd is None else 'n/a'}")


if __name__ == "__main__":
    main()
