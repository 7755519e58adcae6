"""The network view without a browser: provenance, filters, page content, escaping, CLI."""
from __future__ import annotations

import base64
import html
import hashlib
import json
import re

import networkx as nx
import numpy as np
import pytest

from conftest_view import (BLA, EV1, EV2, EV3, XSS_IMG, XSS_SCRIPT, node_count, run_kg,  # noqa: F401
                           sample_build, tiny_graph, tiny_ttl)
from kg.view import ViewError, ViewFilter, apply_filters, class_closure, date_range, find_nodes
from kg.visualise import force_layout, layout_positions, write_html


def labels(g) -> set[str]:
    return {d["label"] for _, d in g.nodes(data=True)}


def page_data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="kg-data">(.*?)</script>', html, re.S)
    assert m, "the page has no data block"
    return json.loads(m.group(1))


# ----------------------------------------------------------------------------- provenance
def test_view_graph_has_every_node_and_its_provenance(tiny_graph, tiny_ttl):
    assert len(tiny_graph) == node_count(tiny_ttl) == 10
    bla = tiny_graph.nodes[BLA]
    assert bla["label"] == "Baloch Liberation Army" and bla["cls"] == "ArmedGroup"
    assert bla["aliases"] == "BLA" and bla["wikidata"].endswith("Q804926")
    assert bla["articles"] == {"art1", "art2"}
    claimed = tiny_graph.edges[BLA, EV1, "claimed"]
    assert [(e.article, e.sentence.split()[0]) for e in claimed["evidence_list"]] == [("art1", "The"), ("art2", "Last")]
    assert tiny_graph.graph["articles"]["art2"] == {"title": "Jaffar Express hijacked", "date": "2025-03-11"}


def test_casualty_figures_are_kept_per_source(tiny_graph):
    reports = tiny_graph.nodes[EV1]["reports"]
    assert sorted(r.text() for r in reports) == [
        "10 security personnel killed (Balochistan police)",
        "at least 12 security personnel killed (Baloch Liberation Army)"]
    assert {r.article for r in reports} == {"art1", "art2"}
    assert tiny_graph.nodes[EV2]["reports"] == []


# ----------------------------------------------------------------------------- filters
@pytest.mark.parametrize("hops, expected", [
    (0, {"Baloch Liberation Army"}),
    (1, {"Baloch Liberation Army", "Attack in Quetta", "Hijacking of the Jaffar Express"}),
    (2, {"Baloch Liberation Army", "Attack in Quetta", "Hijacking of the Jaffar Express", "Quetta",
         "Balochistan police", "Jaffar Express"}),
])
def test_focus_is_an_ego_network_in_both_directions(tiny_graph, hops, expected):
    r = apply_filters(tiny_graph, ViewFilter(focus="bla", hops=hops))
    assert labels(r.graph) == expected
    assert r.total_nodes == 10
    assert r.notes[0].startswith("focus: Baloch Liberation Army")


def test_focus_by_label_alias_or_iri_matches_the_same_node(tiny_graph):
    assert find_nodes(tiny_graph, "BALOCH LIBERATION ARMY") == find_nodes(tiny_graph, "bla") == find_nodes(tiny_graph, BLA) == [BLA]


def test_focus_not_found_lists_close_matches(tiny_graph):
    with pytest.raises(ViewError, match=r"no entity or event named 'Baloch Liberation'.*'Baloch Liberation Army'"):
        apply_filters(tiny_graph, ViewFilter(focus="Baloch Liberation"))
    with pytest.raises(ViewError, match="Quetta"):
        find_nodes(tiny_graph, "Quetaa")


def test_types_include_subclasses(tiny_graph):
    assert labels(apply_filters(tiny_graph, ViewFilter(types=("Organization",))).graph) == {
        "Baloch Liberation Army", "Balochistan police"}
    assert labels(apply_filters(tiny_graph, ViewFilter(types=("attack", "Country"))).graph) == {
        "Attack in Quetta", "Hijacking of the Jaffar Express", "Pakistan", "Germany"}
    assert "Hijacking" in class_closure(["Event"])["Event"]
    with pytest.raises(ViewError, match="unknown class 'Armed'"):
        apply_filters(tiny_graph, ViewFilter(types=("Armed",)))


def test_relations_keep_only_those_edges_and_their_nodes(tiny_graph):
    r = apply_filters(tiny_graph, ViewFilter(relations=("claimed", "carriedOut")))
    assert {d["relation"] for *_, d in r.graph.edges(data=True)} == {"claimed", "carried-out"}
    assert labels(r.graph) == {"Baloch Liberation Army", "Attack in Quetta", "Hijacking of the Jaffar Express"}
    with pytest.raises(ViewError, match="unknown relation 'supported'"):
        apply_filters(tiny_graph, ViewFilter(relations=("supported",)))


def test_article_keeps_what_that_article_says(tiny_graph):
    r = apply_filters(tiny_graph, ViewFilter(article="art2"))
    assert labels(r.graph) == {"Baloch Liberation Army", "Hijacking of the Jaffar Express", "Jaffar Express"}
    assert sorted(k for *_, k in r.graph.edges(keys=True)) == ["carriedOut", "targeted"]
    assert r.notes == ["article: art2 (Jaffar Express hijacked)"]
    with pytest.raises(ViewError, match="no article with id 'art9'.*art"):
        apply_filters(tiny_graph, ViewFilter(article="art9"))


def test_dates_select_events_by_their_date_or_their_article_date(tiny_graph):
    since = apply_filters(tiny_graph, ViewFilter(since="2025"))
    # the hijacking has no date of its own: its article's (2025-03-11) counts
    assert labels(since.graph) == {"Attack in Quetta", "Hijacking of the Jaffar Express", "Baloch Liberation Army",
                                   "Quetta", "Balochistan police", "Jaffar Express"}
    until = apply_filters(tiny_graph, ViewFilter(until="2024-11-05"))  # the protest is dated 2024-11 (a month)
    assert labels(until.graph) == {"Protest in Quetta", "Quetta"}
    window = apply_filters(tiny_graph, ViewFilter(since="2025-04", until="2025-12"))
    assert len(window.graph) == 0
    with pytest.raises(ViewError, match="after"):
        apply_filters(tiny_graph, ViewFilter(since="2026", until="2025"))
    with pytest.raises(ViewError, match="not a date"):
        apply_filters(tiny_graph, ViewFilter(since="last week"))
    assert date_range("2024")[1].isoformat() == "2024-12-31"


def test_min_degree(tiny_graph):
    r = apply_filters(tiny_graph, ViewFilter(min_degree=3))
    expected = {d["label"] for n, d in tiny_graph.nodes(data=True) if tiny_graph.degree(n) >= 3}
    assert labels(r.graph) == expected == {"Attack in Quetta", "Quetta"}


def test_max_nodes_keeps_the_most_central_and_says_so(tiny_graph, tmp_path):
    r = apply_filters(tiny_graph, ViewFilter(max_nodes=2))
    assert labels(r.graph) == {"Attack in Quetta", "Quetta"}  # degree 4 and 4
    assert "--max-nodes 2" in r.notes[-1]
    page = tmp_path / "v.html"
    write_html(r.graph, page, notes=r.notes, total=(r.total_nodes, r.total_edges))
    text = re.sub(r"\s+", " ", page.read_text())
    assert "Showing <strong id=\"kg-shown-nodes\">2</strong> of 10 nodes" in text
    assert "the 2 nodes with the highest degree of 10 (--max-nodes 2)" in text


def test_filters_combine_in_order(tiny_graph):
    r = apply_filters(tiny_graph, ViewFilter(focus="Quetta", hops=1, types=("Event",)))
    assert labels(r.graph) == {"Attack in Quetta", "Protest in Quetta"}
    assert len(r.notes) == 2


# ----------------------------------------------------------------------------- page
@pytest.fixture(scope="module")
def tiny_page(tiny_graph, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("page") / "view.html"
    write_html(tiny_graph, path, title="Tiny <b>graph</b> & co")
    return path.read_text(encoding="utf-8")


def test_legend_lists_the_classes_and_relations_shown(tiny_page, tiny_graph):
    classes = re.findall(r'class="kg-class-toggle" data-class="(\w+)"', tiny_page)
    assert sorted(classes) == sorted({d["cls"] for _, d in tiny_graph.nodes(data=True)})
    m = re.search(r'data-class="Country".*?<span class="count">(\d+)</span>', tiny_page, re.S)
    assert m and m.group(1) == "2"
    relations = re.findall(r'data-relation="([\w-]+)"', tiny_page)
    assert sorted(relations) == ["carried-out", "claimed", "located-in", "targeted"]


def test_page_data_matches_the_graph(tiny_page, tiny_graph):
    data = page_data(tiny_page)
    assert {n["id"] for n in data["nodes"]} == set(tiny_graph.nodes)
    assert len(data["edges"]) == tiny_graph.number_of_edges()
    bla = next(n for n in data["nodes"] if n["id"] == BLA)
    assert bla["aliases"] == ["BLA"] and bla["wikidata"] == "Q804926" and bla["shape"] == "dot"
    assert "Wikidata: Q804926" in bla["title"] and "also: BLA" in bla["title"]
    ev1 = next(n for n in data["nodes"] if n["id"] == EV1)
    assert ev1["shape"] == "diamond" and "2026-01-31" in ev1["label"]
    assert "at least 12 security personnel killed (Baloch Liberation Army)" in ev1["title"]
    claimed = next(e for e in data["edges"] if e["from"] == BLA and e["to"] == EV1)
    assert claimed["label"] == "claimed"
    assert "Last year the BLA also claimed the Quetta attack." in claimed["title"]
    assert "Jaffar Express hijacked (2025-03-11)" in claimed["title"]
    assert all(isinstance(n["x"], float) and isinstance(n["y"], float) for n in data["nodes"])
    assert data["options"]["physics"]["enabled"] is False


def test_article_text_is_escaped(tiny_page):
    assert XSS_SCRIPT not in tiny_page and "<img" not in tiny_page and "window.__xss" in tiny_page
    assert "Tiny &lt;b&gt;graph&lt;/b&gt; &amp; co" in tiny_page and "<b>graph" not in tiny_page
    blocks = re.findall(r"<script([^>]*)>(.*?)</script>", tiny_page, re.S)
    assert [attrs for attrs, _ in blocks] == [' type="application/json" id="kg-data"', "", ""]  # data, vis, page
    assert "<script" not in re.sub(r"<script[^>]*>.*?</script>", "", tiny_page, flags=re.S)
    data = page_data(tiny_page)  # ...and the text survives the round trip intact
    assert data["articles"]["art1"]["title"] == "Attacks across Balochistan " + XSS_SCRIPT


REMOTE_ATTR = re.compile(r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


def no_remote_resources(html: str) -> None:
    """No src/href to the network in the markup; the scripts load nothing either: the
    one absolute URL in the page's own script is the Wikidata link of the details
    panel (opened in a new tab only when clicked)."""
    markup = re.sub(r"<script[^>]*>.*?</script>", "", html, flags=re.S)
    assert not REMOTE_ATTR.search(markup)
    assert re.search(r"https?://", markup) is None
    *_, page_js = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert re.findall(r"https?://[^\"']*", page_js) == ["https://www.wikidata.org/wiki/"]
    assert not re.search(r"fetch\(|XMLHttpRequest|\.src\s*=|import\(", page_js)


def test_nothing_is_loaded_from_the_network(tiny_page):
    no_remote_resources(tiny_page)
    assert not re.search(r"<link\b", tiny_page, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?(?:https?:)?//", tiny_page, re.I)
    csp = html.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', tiny_page).group(1))
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp and "unsafe-inline" not in csp.split(";")[1]
    # the policy lets exactly the page's own scripts run
    scripts = re.findall(r"<script>(.*?)</script>", tiny_page, re.S)
    hashes = {"'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'" for s in scripts}
    assert len(scripts) == 2 and hashes == set(csp.split(";")[1].split()[1:])


def test_large_graph_view_hides_edge_labels_and_keeps_positions(tmp_path):
    g = nx.gnm_random_graph(1600, 3000, seed=3, directed=True)
    mg = nx.MultiDiGraph()
    for n in g:
        mg.add_node(f"n{n}", label=f"node {n}", cls="City" if n % 2 else "Attack",
                    kind="entity" if n % 2 else "event")
    for s, o in g.edges():
        mg.add_edge(f"n{s}", f"n{o}", key="locatedIn", relation="located-in")
    stats = write_html(mg, tmp_path / "big.html")
    data = page_data((tmp_path / "big.html").read_text())
    assert stats.nodes == len(data["nodes"]) == 1600
    assert all("label" not in e or e["label"] is None for e in data["edges"])
    assert len({(n["x"], n["y"]) for n in data["nodes"]}) == 1600


# ----------------------------------------------------------------------------- layout
def test_force_layout_keeps_linked_nodes_together():
    # two triangles joined by nothing: nodes of one triangle are nearer each other
    edges = np.array([[0, 1], [1, 2], [2, 0], [3, 4], [4, 5], [5, 3]])
    for exact_max in (1000, 0):  # exact and approximate repulsion
        pos = force_layout(6, edges, exact_max=exact_max)
        d = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
        assert d[0, 1] < d[0, 4] and d[3, 5] < d[2, 5]
        assert np.isfinite(pos).all()


def test_layout_positions_are_distinct_and_finite(tiny_graph):
    pos = layout_positions(tiny_graph)
    assert set(pos) == set(tiny_graph.nodes)
    assert len(set(pos.values())) == len(pos)
    assert all(np.isfinite(v).all() for v in pos.values())


def test_layout_does_not_depend_on_the_order_edges_come_in():
    # the order of a graph's edges follows the store's, which can differ between processes
    import random

    rng = random.Random(3)
    nodes = [f"n{i}" for i in range(40)]
    edges = [(rng.choice(nodes), rng.choice(nodes)) for _ in range(70)]
    positions = []
    for order in (edges, edges[::-1], rng.sample(edges, len(edges))):
        g = nx.MultiDiGraph()
        g.add_nodes_from((n, {"label": n, "cls": "City"}) for n in nodes)
        g.add_edges_from((b, a) if k % 2 else (a, b) for k, (a, b) in enumerate(order))
        positions.append(layout_positions(g))
    assert positions[0] == positions[1] == positions[2]


# ----------------------------------------------------------------------------- build and CLI
def test_build_writes_a_view_with_provenance(sample_build):
    page_html = (sample_build / "graph.html").read_text(encoding="utf-8")
    data = page_data(page_html)
    assert len(data["nodes"]) == node_count(sample_build / "graph.ttl")
    assert any(n["name"] == "Baloch Liberation Army" for n in data["nodes"])
    with_evidence = [e for e in data["edges"] if e["evidence"]]
    assert with_evidence and all(e["evidence"][0][0] in e["title"] for e in with_evidence)
    no_remote_resources(page_html)


def test_cli_view_with_filters(sample_build, tmp_path):
    out = tmp_path / "v.html"
    proc = run_kg("view", str(sample_build), "-o", str(out), "--focus", "Baloch Liberation Army", "--hops", "1")
    assert "focus: Baloch Liberation Army, 1 hop" in proc.stdout
    data = page_data(out.read_text())
    bla = [n for n in data["nodes"] if n["name"] == "Baloch Liberation Army"]
    assert len(bla) == 1
    neighbours = {e["to"] for e in data["edges"] if e["from"] == bla[0]["id"]} | {
        e["from"] for e in data["edges"] if e["to"] == bla[0]["id"]}
    assert {n["id"] for n in data["nodes"]} == neighbours | {bla[0]["id"]}


def test_cli_help_lists_every_filter():
    text = run_kg("view", "--help").stdout
    for option in ("--focus", "--hops", "--types", "--relations", "--article", "--since", "--until",
                   "--min-degree", "--max-nodes", "--size-by", "--png", "-o, --output"):
        assert option in text, option


@pytest.mark.parametrize("args, message", [
    (["/nonexistent/graph.ttl"], "no such file"),
    (["{ttl}", "--focus", "Baloch Liberation"], "close matches: 'Baloch Liberation Army'"),
    (["{ttl}", "--types", "Armed"], "unknown class 'Armed'"),
    (["{ttl}", "--relations", "likes"], "unknown relation 'likes'"),
    (["{ttl}", "--article", "nope"], "no article with id 'nope'"),
    (["{ttl}", "--since", "yesterday"], "not a date"),
    (["{ttl}", "--size-by", "fame"], "--size-by must be one of"),
    (["{ttl}", "--since", "2030"], "no node is left after filtering"),
])
def test_cli_errors_are_one_line(tiny_ttl, tmp_path, args, message):
    args = [a.replace("{ttl}", str(tiny_ttl)) for a in args]
    proc = run_kg("view", *args, "-o", str(tmp_path / "v.html"), check=False)
    assert proc.returncode != 0
    assert proc.stderr.startswith("kg: error: ") and message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not (tmp_path / "v.html").exists()


def test_cli_png_without_chromium_is_a_clear_error(tiny_ttl, tmp_path):
    proc = run_kg("view", str(tiny_ttl), "-o", str(tmp_path / "v.html"), "--png", str(tmp_path / "v.png"),
                  env={"KG_CHROMIUM": str(tmp_path / "no-such-chromium")}, check=False)
    assert proc.returncode == 1
    assert "--png needs Chromium" in proc.stderr


def test_cli_reads_an_oxigraph_store_and_refuses_other_folders(tiny_ttl, tmp_path):
    import pyoxigraph as ox

    store = ox.Store(str(tmp_path / "store"))
    store.bulk_load(path=str(tiny_ttl), format=ox.RdfFormat.TURTLE)
    store.flush()
    del store
    out = tmp_path / "v.html"
    run_kg("view", str(tmp_path / "store"), "-o", str(out), "--types", "ArmedGroup", "-q")
    assert [n["name"] for n in page_data(out.read_text())["nodes"]] == ["Baloch Liberation Army"]
    (tmp_path / "empty").mkdir()
    proc = run_kg("view", str(tmp_path / "empty"), "-o", str(tmp_path / "w.html"), check=False)
    assert proc.returncode == 1 and "neither a kg build output" in proc.stderr
    assert list((tmp_path / "empty").iterdir()) == []
