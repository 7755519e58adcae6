"""Benchmark of the network view: HTML generation and drawing in headless Chromium.

Synthetic graphs of the same shape as kg's (events joining an actor, places and a
target; places inside regions inside countries; a few hub entities; evidence
sentences and casualty figures) with 1,000 and 5,000 nodes (4 edges a node), written
with :func:`kg.visualise.write_html`. For each: layout and generation time, page size,
the same graph written by bare pyvis (baseline, no layout, no page chrome) and, when
/usr/bin/chromium and playwright are present, the time until the network is drawn and
whether it is still (no node moves afterwards). Prints figures; never fails on time.

Run: ``PYTHONPATH=. python benchmarks/bench_view.py [--sizes 1000 5000] [--no-browser]``
"""
from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kg.view import CasualtyFigure, Evidence  # noqa: E402
from kg.visualise import layout_positions, write_html  # noqa: E402

ENTITY_CLASSES = ["ArmedGroup", "SecurityForce", "GovernmentBody", "Person", "Group", "MediaOrganization",
                  "Facility", "City", "Region", "Country"]
EVENT_CLASSES = ["Attack", "Attack", "Attack", "Hijacking", "Protest", "SecurityOperation", "Agreement"]
ENTITY_RELATIONS = [("accused", "accused"), ("partnerOf", "partner-of"), ("memberOf", "member-of"),
                    ("condemned", "condemned"), ("supports", "supports")]
SENTENCE = ("Militants of the {a} attacked {b} on Saturday, officials said, in the latest of a series of "
            "coordinated assaults across the province that left dozens dead.")


def synthetic_graph(n_nodes: int, edges_per_node: float = 4.0, seed: int = 1) -> nx.MultiDiGraph:
    """A kg-shaped MultiDiGraph with ``n_nodes`` nodes and about ``edges_per_node`` × as many edges."""
    rng = random.Random(seed)
    g = nx.MultiDiGraph()
    n_events = int(n_nodes * 0.4)
    n_articles = max(1, n_nodes // 20)
    g.graph["articles"] = {f"art{i}": {"title": f"Synthetic article {i}", "date": f"2025-{1 + i % 12:02d}-15"}
                           for i in range(n_articles)}
    entities = []
    for i in range(n_nodes - n_events):
        cls = ENTITY_CLASSES[i % len(ENTITY_CLASSES)]
        node = f"https://w3id.org/kg-news/id/entity/e{i}"
        g.add_node(node, label=f"{cls} {i}", cls=cls, kind="entity", aliases=f"E{i}" if i % 5 == 0 else "",
                   articles={f"art{rng.randrange(n_articles)}"})
        entities.append(node)
    by_class = {c: [e for e in entities if g.nodes[e]["cls"] == c] for c in ENTITY_CLASSES}
    cum_weights = list(itertools.accumulate(1.0 + (30.0 if i < 20 else 0.0) for i in range(len(entities))))
    count = 0  # MultiDiGraph.number_of_edges() walks the graph: keep our own count

    def pick(pool=None):
        if pool is None:
            return rng.choices(entities, cum_weights=cum_weights)[0]
        return rng.choice(pool)

    def link(s, o, key, relation):
        nonlocal count
        count += 1
        art = f"art{rng.randrange(n_articles)}"
        g.add_edge(s, o, key=key, relation=relation, predicate=key,
                   evidence_list=[Evidence(SENTENCE.format(a=g.nodes[s]["label"], b=g.nodes[o]["label"]), art)])

    for c in by_class["City"]:
        link(c, pick(by_class["Region"]), "locatedIn", "located-in")
    for r in by_class["Region"]:
        link(r, pick(by_class["Country"]), "locatedIn", "located-in")
    actors = by_class["ArmedGroup"] + by_class["SecurityForce"] + by_class["GovernmentBody"]
    for i in range(n_events):
        cls = EVENT_CLASSES[i % len(EVENT_CLASSES)]
        node = f"https://w3id.org/kg-news/id/event/art{i % n_articles}/{i}"
        g.add_node(node, label=f"{cls} {i}", cls=cls, kind="event", date=f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}",
                   articles={f"art{i % n_articles}"}, reports=[
                       CasualtyFigure(rng.randrange(1, 60), "killed", "civilians", "at least", "officials", None,
                                      f"art{i % n_articles}")] if i % 3 == 0 else [])
        link(pick(actors), node, "claimed" if i % 2 else "carriedOut", "claimed" if i % 2 else "carried-out")
        link(node, pick(by_class["City"]), "locatedIn", "located-in")
        if i % 2:
            link(node, pick(by_class["Facility"] + by_class["SecurityForce"]), "targeted", "targeted")
    target = int(n_nodes * edges_per_node)
    while count < target:
        key, relation = rng.choice(ENTITY_RELATIONS)
        s, o = pick(), pick()
        if s != o and not g.has_edge(s, o, key):
            link(s, o, key, relation)
    return g


def bare_pyvis(g: nx.MultiDiGraph, path: Path) -> None:
    """The baseline: a plain in_line pyvis page of the same nodes and edges (no layout, physics on)."""
    from pyvis.network import Network

    net = Network(directed=True, cdn_resources="in_line")
    for n, d in g.nodes(data=True):
        net.add_node(n, label=d["label"])
    for s, o, d in g.edges(data=True):
        net.add_edge(s, o, label=d["relation"])
    path.write_text(net.generate_html(), encoding="utf-8")


def browser_time(path: Path, runs: int = 3) -> tuple[float, bool] | None:
    """Median ms from navigation to the first drawing, and whether nodes stay still after it."""
    if not Path("/usr/bin/chromium").exists():
        return None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    times, still = [], True
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for _ in range(runs):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.route("http://**/*", lambda route: route.abort())
            page.route("https://**/*", lambda route: route.abort())
            page.goto(path.resolve().as_uri(), timeout=300_000)
            page.wait_for_function("() => window.kgView && window.kgView.state.drawn", timeout=300_000)
            times.append(page.evaluate("kgView.state.drawnAt"))
            before = page.evaluate("JSON.stringify(kgView.network.getPositions())")
            page.wait_for_timeout(1000)
            still &= before == page.evaluate("JSON.stringify(kgView.network.getPositions())")
            page.close()
        browser.close()
    return statistics.median(times), still


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kg-bench-view-"))
    print(f"{'nodes':>6} {'edges':>6} {'layout s':>9} {'write s':>8} {'MB':>6} {'bare pyvis s':>13} "
          f"{'ratio':>6} {'drawn ms':>9} still")
    for size in args.sizes:
        g = synthetic_graph(size)
        t = time.perf_counter()
        layout_positions(g)
        t_layout = time.perf_counter() - t
        page = tmp / f"view-{size}.html"
        t = time.perf_counter()
        write_html(g, page, title=f"synthetic {size}")
        t_write = time.perf_counter() - t
        base = tmp / f"bare-{size}.html"
        t = time.perf_counter()
        bare_pyvis(g, base)
        t_base = time.perf_counter() - t
        drawn = None if args.no_browser else browser_time(page)
        drawn_text = f"{drawn[0]:9.0f} {'yes' if drawn[1] else 'NO'}" if drawn else f"{'n/a':>9} n/a"
        print(f"{len(g):6d} {g.number_of_edges():6d} {t_layout:9.2f} {t_write:8.2f} "
              f"{page.stat().st_size / 1e6:6.2f} {t_base:13.2f} {t_write / t_base:6.2f} {drawn_text}", flush=True)
    print(f"(write s includes the layout; pages in {tmp})")


if __name__ == "__main__":
    main()
