"""kg.analytics: RDF → networkx conversion, projections and measures.

Two graphs: the hand-written ``TINY_TRIG`` (exact expected values) and the bundled
sample corpus built by the real pipeline (checked against independent SPARQL counts,
never against numbers copied from today's output).
"""
from __future__ import annotations

import doctest
import itertools
from collections import Counter, defaultdict

import networkx as nx
import pyoxigraph as ox
import pytest
import rdflib

from conftest_analytics import E, EV, TINY_TRIG, sample_trig, tiny_store, tiny_trig  # noqa: F401 (fixtures)
from kg import analytics as A
from kg.store import GraphError, load_graph
from kg.vocab import CORE_RELATIONS, KG_NS

PREFIX = f"""PREFIX kg: <{KG_NS}>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""
CORE = " ".join(f"kg:{p}" for p in CORE_RELATIONS)


def select(store, query):
    return list(store.query(PREFIX + query, use_default_graph_as_union=True))


def typed_under(store, top: str) -> set[str]:
    """Nodes typed with a class under kg:<top> (via the ontology graph) that have a label."""
    rows = select(store, f"SELECT DISTINCT ?n WHERE {{ ?n a ?c ; rdfs:label ?l . "
                         f"?c rdfs:subClassOf* kg:{top} . FILTER(isIRI(?n)) }}")
    return {r["n"].value for r in rows}


@pytest.fixture(scope="module")
def sample_store(sample_trig):
    return load_graph(sample_trig)


@pytest.fixture(scope="module")
def sample_graph(sample_store):
    return A.graph_to_networkx(sample_store)


# ----------------------------------------------------------------------------- conversion
def test_sample_graph_keeps_every_entity_event_and_relation(sample_store, sample_graph):
    g = sample_graph
    entities = typed_under(sample_store, "Agent") | typed_under(sample_store, "Place") | \
        typed_under(sample_store, "Project")
    events = typed_under(sample_store, "Event")
    assert entities, "the sample build has no entities"
    assert {n for n, d in g.nodes(data=True) if d["kind"] == "entity"} == entities
    assert {n for n, d in g.nodes(data=True) if d["kind"] == "event"} == events
    [row] = select(sample_store, f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{ "
                                 f"VALUES ?p {{ {CORE} }} ?s ?p ?o . FILTER(isIRI(?s) && isIRI(?o)) }} }}")
    assert g.number_of_edges() == int(row["n"].value) > 0
    triples = {(r["s"].value, r["p"].value[len(KG_NS):], r["o"].value) for r in select(
        sample_store, f"SELECT DISTINCT ?s ?p ?o WHERE {{ VALUES ?p {{ {CORE} }} ?s ?p ?o . FILTER(isIRI(?o)) }}")}
    assert set(g.edges(keys=True)) == {(s, o, p) for s, p, o in triples}


def test_known_fact_bla_is_an_armed_group_node(sample_graph):
    node = A.find_node(sample_graph, "Baloch Liberation Army")
    d = sample_graph.nodes[node]
    assert d["label"] == "Baloch Liberation Army" and d["cls"] == "ArmedGroup" and d["category"] == "agent"
    assert A.find_node(sample_graph, "BLA") == node
    assert "BLA" in d["aliases"].split("|")


def test_node_attributes_match_sparql(sample_store, sample_graph):
    labels = {r["n"].value: r["l"].value for r in select(sample_store, "SELECT ?n ?l WHERE { ?n rdfs:label ?l }")}
    alts = defaultdict(set)
    for r in select(sample_store, "SELECT ?n ?a WHERE { ?n skos:altLabel ?a }"):
        alts[r["n"].value].add(r["a"].value)
    for n, d in sample_graph.nodes(data=True):
        assert d["label"] == labels[n]
        assert set(filter(None, d["aliases"].split("|"))) == alts.get(n, set()) - {d["label"]}
        assert A.category_of(d["cls"]) == d["category"]
        for value in d.values():
            assert isinstance(value, (str, int, float)), (n, d)


def test_edge_provenance_counts_match_sparql(sample_store, sample_graph):
    rows = select(sample_store, f"""SELECT ?s ?p ?o (COUNT(DISTINCT ?st) AS ?n) WHERE {{
        VALUES ?p {{ {CORE} }} ?s ?p ?o . FILTER(isIRI(?o))
        ?st a rdf:Statement ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o }} GROUP BY ?s ?p ?o""")
    expected = {(r["s"].value, r["o"].value, r["p"].value[len(KG_NS):]): int(r["n"].value) for r in rows}
    assert expected
    got = {(s, o, k): d["evidence_count"] for s, o, k, d in sample_graph.edges(keys=True, data=True)}
    assert got == {key: expected.get(key, 0) for key in got}


def test_tiny_graph_attributes(tiny_store):
    g = A.graph_to_networkx(tiny_store)
    bla = g.nodes[E + "bla"]
    assert bla["wikidata"] == "Q810923" and bla["article_count"] == 2
    assert bla["aliases"] == "BLA|Baloch Liberation Army (BLA)"
    assert (g.nodes[E + "quetta"]["lat"], g.nodes[E + "quetta"]["lon"]) == (30.18, 66.99)
    assert g.nodes[EV + "a2/1"]["date"] == "2024-11" and g.nodes[EV + "a1/1"]["article"] == "a1"
    carried = g.edges[E + "bla", EV + "a1/1", "carriedOut"]
    assert carried["relation"] == "carried-out"
    assert (carried["evidence_count"], carried["articles"], carried["article_count"]) == (2, "a1|a2", 2)
    assert (carried["first_date"], carried["last_date"]) == ("2024-11-09", "2024-11-09")
    accused = g.edges[E + "pakistan", E + "india", "accused"]
    assert accused["first_date"] == "2024-11-10"  # no event: the article's date
    # the kg:Claim "India supports BLA" is not asserted, so it is no edge
    assert not g.has_edge(E + "india", E + "bla")
    assert E + "officials" in g and g.degree(E + "officials") == 0


@pytest.mark.parametrize("kind", ["store", "path", "folder", "rdflib-dataset", "rdflib-graph"])
def test_every_input_kind_gives_the_same_graph(kind, tiny_store, tiny_trig, tmp_path):
    if kind == "store":
        source = tiny_store
    elif kind == "path":
        source = tiny_trig
    elif kind == "folder":
        disk = ox.Store(str(tmp_path / "store"))
        disk.bulk_load(TINY_TRIG.encode(), format=ox.RdfFormat.TRIG)
        disk.flush()
        del disk
        source = tmp_path / "store"
    elif kind == "rdflib-dataset":
        source = rdflib.Dataset()
        source.parse(data=TINY_TRIG, format="trig")
    else:
        ds = rdflib.Dataset()
        ds.parse(data=TINY_TRIG, format="trig")
        source = rdflib.Graph()
        for s, p, o, _ in ds.quads():
            source.add((s, p, o))
    reference = A.graph_to_networkx(tiny_store)
    g = A.graph_to_networkx(source)
    assert dict(g.nodes(data=True)) == dict(reference.nodes(data=True))
    assert sorted(g.edges(keys=True, data=True)) == sorted(reference.edges(keys=True, data=True))


def test_bad_inputs(tmp_path):
    with pytest.raises(TypeError):
        A.open_store(42)
    with pytest.raises(GraphError):
        A.graph_to_networkx(tmp_path / "missing.trig")
    with pytest.raises(ValueError, match="view"):
        A.graph_to_networkx(ox.Store(), view="sideways")
    assert A.graph_to_networkx(ox.Store()).number_of_nodes() == 0


# ----------------------------------------------------------------------------- projections
def test_tiny_entity_projection():
    g = A.graph_to_networkx(_tiny())
    p = A.entity_projection(g)
    assert set(p.nodes) == {n for n, d in g.nodes(data=True) if d["kind"] == "entity"}
    assert p[E + "bla"][E + "police"]["events"] == 2 and p[E + "bla"][E + "police"]["weight"] == 2
    assert p[E + "pakistan"][E + "india"]["relations"] == "accused"
    assert p[E + "pakistan"][E + "india"]["events"] == 0
    assert p[E + "quetta"][E + "balochistan"]["direct"] == 1
    # two places of one event are not linked through it, but a country that acts is
    assert not p.has_edge(E + "quetta", E + "pakistan")
    assert p[E + "protesters"][E + "pakistan"]["events"] == 1
    assert p[E + "pakistan"][E + "mastung"]["events"] == 1
    assert p.nodes[E + "bla"]["event_count"] == 2
    q = A.entity_projection(g, direct=False)
    assert not q.has_edge(E + "pakistan", E + "india")


def test_entity_projection_weights_equal_an_independent_count(sample_store, sample_graph):
    # who is linked to which event, straight from SPARQL
    entity_classes = " ".join(f"kg:{c}" for c, cat in A._graph_classes().items() if cat != "event")
    event_classes = " ".join(f"kg:{c}" for c, cat in A._graph_classes().items() if cat == "event")
    rows = select(sample_store, f"""SELECT DISTINCT ?x ?e ?acts WHERE {{
        VALUES ?p {{ {CORE} }} VALUES ?ec {{ {event_classes} }} VALUES ?xc {{ {entity_classes} }}
        ?e a ?ec ; rdfs:label ?el . ?x a ?xc ; rdfs:label ?xl .
        {{ ?x ?p ?e BIND(true AS ?acts) }} UNION {{ ?e ?p ?x BIND(false AS ?acts) }} }}""")
    places = {r["n"].value for r in select(sample_store, "SELECT ?n WHERE { ?n a ?c . ?c rdfs:subClassOf* kg:Place }")}
    members: dict[str, dict[str, bool]] = defaultdict(dict)
    for r in rows:
        x, e, acts = r["x"].value, r["e"].value, r["acts"].value == "true"
        members[e][x] = members[e].get(x, False) or acts
    shared: Counter = Counter()
    for e, xs in members.items():
        for a, b in itertools.combinations(sorted(xs), 2):
            if not (a in places and not xs[a] and b in places and not xs[b]):
                shared[(a, b)] += 1
    direct: Counter = Counter()
    for r in select(sample_store, f"""SELECT DISTINCT ?s ?p ?o WHERE {{ VALUES ?p {{ {CORE} }}
            VALUES ?sc {{ {entity_classes} }} VALUES ?oc {{ {entity_classes} }}
            ?s ?p ?o ; a ?sc ; rdfs:label ?sl . ?o a ?oc ; rdfs:label ?ol . FILTER(?s != ?o) }}"""):
        direct[tuple(sorted((r["s"].value, r["o"].value)))] += 1
    p = A.entity_projection(sample_graph)
    got_events = {tuple(sorted((a, b))): d["events"] for a, b, d in p.edges(data=True) if d["events"]}
    got_direct = {tuple(sorted((a, b))): d["direct"] for a, b, d in p.edges(data=True) if d["direct"]}
    assert got_events == dict(shared)
    assert got_direct == dict(direct)
    for _, _, d in p.edges(data=True):
        assert d["weight"] == d["events"] + d["direct"] > 0


def test_bipartite_view(sample_graph):
    b = A.actor_event_graph(sample_graph)
    assert nx.is_bipartite(b)
    actors = {n for n, d in b.nodes(data=True) if d["bipartite"] == 0}
    events = {n for n, d in b.nodes(data=True) if d["bipartite"] == 1}
    assert events and actors
    assert all(sample_graph.nodes[n]["kind"] == "event" for n in events)
    assert all(sample_graph.nodes[n]["kind"] == "entity" for n in actors)
    for a, e, d in b.edges(data=True):
        a, e = (a, e) if a in actors else (e, a)
        relations = {sample_graph.edges[u, v, k]["relation"] for u, v, k in
                     list(sample_graph.edges(a, keys=True)) + list(sample_graph.in_edges(a, keys=True))
                     if {u, v} == {a, e}}
        assert d["relations"].split("|") == sorted(relations) and d["weight"] == len(relations)
    via_view = A.graph_to_networkx(_tiny(), view="bipartite")
    assert via_view.nodes[E + "bla"]["bipartite"] == 0
    assert via_view[E + "bla"][EV + "a1/1"]["relations"] == "carried-out|claimed"


# ----------------------------------------------------------------------------- measures
def test_measures_match_networkx(sample_graph):
    p = A.entity_projection(sample_graph)
    assert A.degrees(p) == dict(p.degree())
    assert A.degrees(p, weight="weight") == dict(p.degree(weight="weight"))
    assert A.pagerank_scores(p) == pytest.approx(nx.pagerank(p, weight="weight"))
    assert A.pagerank_scores(sample_graph, weight=None) == pytest.approx(nx.pagerank(sample_graph, weight=None))
    assert A.betweenness_scores(p) == pytest.approx(nx.betweenness_centrality(p))
    parts = A.communities(p, seed=3)
    direct = nx.community.louvain_communities(p, weight="weight", seed=3)
    assert sorted(map(sorted, parts)) == sorted(map(sorted, direct))
    assert A.communities(p, seed=3) == parts  # deterministic
    assert set().union(*parts) == set(p) and sum(map(len, parts)) == len(p)
    assert [len(c) for c in parts] == sorted((len(c) for c in parts), reverse=True)
    membership = A.community_of(parts)
    assert all(n in parts[membership[n]] for n in p)


def test_communities_of_a_multidigraph_fold_parallel_edges():
    g = nx.MultiDiGraph()
    g.add_edges_from([("a", "b"), ("b", "a"), ("a", "b"), ("b", "c"), ("c", "d"), ("d", "e"), ("e", "d")])
    folded = nx.Graph()
    folded.add_weighted_edges_from([("a", "b", 3), ("b", "c", 1), ("c", "d", 1), ("d", "e", 2)])
    assert A.communities(g, seed=1) == A.communities(folded, seed=1)


def test_top_ranks_with_labels_and_ties():
    g = nx.Graph()
    g.add_node("x", label="Zeta", cls="City", kind="entity")
    g.add_node("y", label="Alpha", cls="City", kind="entity")
    g.add_node("z", label="Mid", cls="Attack", kind="event")
    rows = A.top(g, {"x": 1.0, "y": 1.0, "z": 2.0}, n=None)
    assert [(r.rank, r.label) for r in rows] == [(1, "Mid"), (2, "Alpha"), (3, "Zeta")]
    assert [r.node for r in A.top(g, {"x": 1.0, "y": 1.0, "z": 2.0}, n=1, kind="entity")] == ["y"]


def test_actors_by_events_equals_sparql(sample_store, sample_graph):
    event_classes = " ".join(f"kg:{c}" for c, cat in A._graph_classes().items() if cat == "event")
    rows = select(sample_store, f"""SELECT ?x (COUNT(DISTINCT ?e) AS ?n) WHERE {{
        VALUES ?p {{ {CORE} }} VALUES ?ec {{ {event_classes} }}
        ?e a ?ec ; rdfs:label ?el . ?x rdfs:label ?xl .
        {{ ?x ?p ?e }} UNION {{ ?e ?p ?x . ?x a ?c . ?c rdfs:subClassOf* kg:Agent }} }} GROUP BY ?x""")
    expected = {r["x"].value: int(r["n"].value) for r in rows}
    got = {r.node: r.events for r in A.actors_by_events(sample_graph)}
    assert got == expected and got
    bla = A.find_node(sample_graph, "Baloch Liberation Army")
    assert bla in got


def test_casualties_tiny():
    store = _tiny()
    reports = A.casualty_reports(store)
    assert len(reports) == 4
    by_id = {r.report.rsplit("/", 2)[-2] + "/" + r.report.rsplit("/", 1)[-1]: r for r in reports}
    r = by_id["a1/2"]
    assert (r.count, r.kind, r.source_label, r.article, r.event_label, r.evidence) == (
        32, "killed", "provincial officials", "a1", "bombing", "Officials said 32 died.")
    [row] = A.actors_by_casualties(A.graph_to_networkx(store), reports)
    assert (row.label, row.events, row.reports, row.low, row.high) == ("Baloch Liberation Army", 2, 3, 31, 37)
    [inj] = A.actors_by_casualties(A.graph_to_networkx(store), reports, kind="injured")
    assert (inj.low, inj.high) == (10, 10)


def test_casualty_reports_match_sparql(sample_store):
    rows = select(sample_store, "SELECT DISTINCT ?r ?c ?k WHERE { ?r a kg:CasualtyReport ; kg:casualtyCount ?c ; "
                                "kg:casualtyKind ?k }")
    reports = A.casualty_reports(sample_store)
    assert sorted((r.report, r.count, r.kind) for r in reports) == sorted(
        (r["r"].value, int(r["c"].value), r["k"].value) for r in rows)
    assert all(r.article and r.evidence for r in reports)


def test_timeline_tiny():
    g = A.graph_to_networkx(_tiny())
    everything = A.event_timeline(g)
    assert [t.date for t in everything] == ["2024-11", "2024-11-09"]  # undated protest left out
    inside = A.event_timeline(g, "Balochistan")
    assert [(t.label, t.places) for t in inside] == [("ambush", "Mastung"), ("bombing", "Quetta")]
    assert A.event_timeline(g, "Balochistan", within=False) == []
    [bombing] = A.event_timeline(g, "Quetta")
    assert (bombing.actors, bombing.targets) == ("Baloch Liberation Army", "police")
    assert len(A.event_timeline(g, "BLA")) == 2
    with pytest.raises(KeyError, match="Quetta"):
        A.find_node(g, "Queta")


def test_timeline_of_sample_is_sorted(sample_graph):
    rows = A.event_timeline(sample_graph)
    dated = {n for n, d in sample_graph.nodes(data=True) if d.get("dates")}
    assert {t.event for t in rows} == dated
    assert [t.date for t in rows] == sorted(t.date for t in rows)


def test_sparql_frame_types(tiny_store):
    df = A.sparql_frame(tiny_store, "SELECT ?r ?n ?k WHERE { ?r kg:casualtyCount ?n ; kg:casualtyKind ?k } ORDER BY ?n")
    assert list(df.columns) == ["r", "n", "k"]
    assert df["n"].tolist() == [5, 10, 26, 32]
    assert df["n"].dtype.kind == "i"
    cols, rows = A.sparql_rows(tiny_store, "SELECT ?n ?lat WHERE { ?n geo:lat ?lat OPTIONAL { ?n kg:nothing ?x } }")
    assert rows == [(E + "quetta", 30.18)]
    with pytest.raises(ValueError):
        A.sparql_rows(tiny_store, "ASK { ?s ?p ?o }")


def test_graph_frames(tiny_store):
    g = A.graph_to_networkx(tiny_store)
    nodes, edges = A.graph_frames(g)
    assert len(nodes) == g.number_of_nodes() and len(edges) == g.number_of_edges()
    assert {"id", "label", "cls"} <= set(nodes.columns) and {"source", "target", "key", "relation"} <= set(edges.columns)


def test_class_hierarchy_and_categories():
    h = A.class_hierarchy()
    assert h["Hijacking"][:3] == ("Hijacking", "Attack", "Event")
    assert A.category_of("Vehicle") == "place" and A.category_of("Project") == "project"
    assert A.category_of("CasualtyReport") is None


def test_docstring_examples_run():
    import kg.export

    for module in (A, kg.export):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def _tiny() -> ox.Store:
    store = ox.Store()
    store.load(TINY_TRIG, format=ox.RdfFormat.TRIG)
    return store
