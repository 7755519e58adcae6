"""The kg store: build --store, incremental add, replacement, atomicity, locking."""
from __future__ import annotations

import json
import shutil

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from conftest_sparql import (BLA, ID_NS, assert_merged, halves, named_quads, quads, sample_articles,  # noqa: F401
                             sample_graph, sample_store, write_jsonl)

from kg.build import BuildError, BuildOptions, build
from kg.store import (POINTER, GraphError, add_articles, current_version, is_store, load_graph, open_store,
                      read_state)


def test_build_store_holds_exactly_the_build_dataset(sample_graph):
    out, store_dir = sample_graph
    assert is_store(store_dir)
    assert quads(load_graph(store_dir)) == quads(load_graph(out / "graph.trig"))
    # the default graph is the merged graph: what graph.ttl holds
    default = ox.Store()
    default.bulk_load(path=str(out / "graph.ttl"), format=ox.RdfFormat.TURTLE)
    assert {str(q) for q in load_graph(store_dir).quads_for_pattern(None, None, None, ox.DefaultGraph())} == quads(default)
    assert_merged(load_graph(store_dir))
    state = read_state(store_dir)
    assert len(state.articles) == 5
    n = next(iter(load_graph(store_dir).query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")))["n"]
    assert state.quads == int(n.value)
    # bookkeeping stays out of the RDF: only article graphs and the ontology graph
    graphs = {g.value for g in load_graph(store_dir).named_graphs()}
    assert graphs == {ID_NS + "graph/ontology"} | {v["graph"] for v in state.articles.values()}


def test_incremental_add_equals_a_fresh_build(halves, sample_graph, tmp_path):
    from rdflib import Dataset, Graph
    from rdflib.compare import isomorphic

    a, b, _ = halves
    store = tmp_path / "store"
    build([a], tmp_path / "out-a", BuildOptions(store_dir=store, html=False, validate=False))
    result = add_articles(store, [b])
    assert len(result.added) == 2 and not result.replaced and not result.unchanged
    fresh = quads(load_graph(sample_graph[1]))
    grown = quads(load_graph(store))
    assert grown == fresh
    assert_merged(load_graph(store))

    def merged(store_dir) -> Graph:
        ds = Dataset()
        ds.parse(data=load_graph(store_dir).dump(format=ox.RdfFormat.N_QUADS).decode("utf-8"), format="nquads")
        g = Graph()
        for s, p, o, _ in ds.quads((None, None, None, None)):
            g.add((s, p, o))
        return g

    g1, g2 = merged(store), merged(sample_graph[1])
    assert len(g1) > 500 and isomorphic(g1, g2)

    # re-adding B changes nothing: same quads, same version, nothing extracted
    version = current_version(store)
    again = add_articles(store, [b])
    assert again.unchanged == result.added and not again.changed
    assert current_version(store) == version
    assert quads(load_graph(store)) == fresh


def test_changed_article_replaces_its_graph_and_orphans(halves, sample_articles, tmp_path):
    store = tmp_path / "store"
    add_articles(store, [halves[2]])
    target = sample_articles[3]  # the EU-Vietnam partnership article
    graph = ID_NS + "graph/" + target.id
    before = open_store(store)
    only_here = {r["e"].value for r in before.query(f"""
        SELECT DISTINCT ?e WHERE {{ GRAPH <{graph}> {{ ?e <http://www.w3.org/2000/01/rdf-schema#label> ?l }}
          FILTER(STRSTARTS(STR(?e), "{ID_NS}entity/"))
          FILTER NOT EXISTS {{ GRAPH ?h {{ ?e <http://www.w3.org/2000/01/rdf-schema#label> ?x }} FILTER(?h != <{graph}>) }} }}""")}
    assert only_here, "the test needs an entity that only this article mentions"
    others_before = {q for q in named_quads(before) if not q.endswith(f"<{graph}>") and "graph/ontology" not in q}
    del before

    new_text = "Protesters gathered in Quetta on Monday, police said. The protest in Quetta was peaceful."
    changed = type(target)(id=target.id, text=new_text)
    result = add_articles(store, [write_jsonl(tmp_path / "changed.jsonl", [changed])])
    assert result.replaced == [target.id] and not result.added

    after = open_store(store)
    in_graph = [q for q in quads(after) if q.endswith(f"<{graph}>")]
    assert in_graph and all("Vietnam" not in q for q in in_graph)
    assert any("Quetta" in q for q in in_graph)
    # the other articles' graphs are untouched
    assert {q for q in named_quads(after) if not q.endswith(f"<{graph}>") and "graph/ontology" not in q} == others_before
    # the merged graph lost what only the old version stated, and has the new version
    assert_merged(after)
    # entities only the old version supported are gone from the whole store
    new_entities = {r["e"].value for r in after.query(
        f"SELECT DISTINCT ?e WHERE {{ GRAPH <{graph}> {{ ?e <http://www.w3.org/2000/01/rdf-schema#label> ?l }} }}")}
    gone = only_here - new_entities
    assert gone
    for e in gone:
        assert not bool(after.query(f"ASK {{ GRAPH ?g {{ <{e}> ?p ?o }} }}")), e
    # ... and the resolver state forgets them, so a later article introduces them afresh
    from kg.rdf import entity_iri

    state = read_state(store)
    assert not {str(entity_iri(k)) for k in state.resolver["known"]} & gone


def test_interrupted_add_leaves_the_store_as_it_was(halves, tmp_path, monkeypatch):
    import kg.store

    a, b, _ = halves
    store = tmp_path / "store"
    add_articles(store, [a])
    pointer = (store / POINTER).read_text()
    before = quads(load_graph(store))

    def boom(_store):
        raise KeyboardInterrupt  # as if the user pressed Ctrl-C while the new version is written

    monkeypatch.setattr(kg.store, "_refresh_ontology", boom)
    with pytest.raises(KeyboardInterrupt):
        add_articles(store, [b])
    assert (store / POINTER).read_text() == pointer
    assert quads(load_graph(store)) == before
    assert not list(store.glob(".tmp-*"))
    monkeypatch.undo()
    assert len(add_articles(store, [b]).added) == 2


def test_one_writer_at_a_time(halves, tmp_path):
    from kg.store import _write_lock

    store = tmp_path / "store"
    with _write_lock(store):
        with pytest.raises(BuildError, match="another kg process"):
            add_articles(store, [halves[0]])


def test_refuses_a_folder_that_is_not_a_store(halves, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(BuildError, match="not a kg store"):
        add_articles(folder, [halves[0]])
    assert (folder / "notes.txt").read_text() == "mine"
    (tmp_path / "empty").mkdir()
    with pytest.raises(GraphError, match="empty folder"):
        load_graph(tmp_path / "empty")


def test_readers_keep_their_version_while_a_writer_adds(halves, tmp_path):
    a, b, _ = halves
    store = tmp_path / "store"
    add_articles(store, [a])
    reader = open_store(store)
    n_before = len(quads(reader))
    add_articles(store, [b])
    assert len(quads(reader)) == n_before  # the old version stays readable
    assert len(quads(open_store(store))) > n_before
    assert len([p for p in store.iterdir() if p.name.startswith("v")]) <= 2  # older versions are pruned


def test_cli_add_and_build_store(halves, tmp_path):
    from kg.cli import app

    runner = CliRunner()
    store = tmp_path / "store"
    res = runner.invoke(app, ["build", str(halves[0]), "-o", str(tmp_path / "out"), "--store", str(store),
                              "-q", "--no-html", "--no-validate"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["add", str(halves[1]), "--store", str(store)])
    assert res.exit_code == 0, res.output
    assert "articles added" in res.output and "2" in res.output
    res = runner.invoke(app, ["add", str(halves[1]), "--store", str(store)])
    assert res.exit_code == 0
    assert "articles unchanged" in res.output
    res = runner.invoke(app, ["add", str(tmp_path / "missing.jsonl"), "--store", str(store)])
    assert res.exit_code != 0
    assert "kg: error:" in res.output
    meta = json.loads((current_version(store) / "meta.json").read_text())
    assert len(meta["articles"]) == 5
    shutil.rmtree(store)


def test_merged_graph_helpers_on_a_hand_built_dataset():
    from kg.store import add_merged_graph, dataset_quads, drop_graphs, query_options

    ex = "http://example.org/"
    a, b, shared, own = (ox.NamedNode(ex + n) for n in ("g/a", "g/b", "shared", "own"))
    p, other = ox.NamedNode(ex + "p"), ox.NamedNode(ex + "other")
    store = ox.Store()
    store.extend([ox.Quad(shared, p, ox.Literal("both"), a), ox.Quad(shared, p, ox.Literal("both"), b),
                  ox.Quad(own, p, ox.Literal("a only"), a)])
    assert query_options(store) == {"use_default_graph_as_union": True}  # no merged graph yet: the union
    rows = lambda: sorted(r["o"].value for r in store.query("SELECT ?o WHERE { ?s ?p ?o }", **query_options(store)))  # noqa: E731
    assert rows() == ["a only", "both", "both"]  # the union repeats a triple per graph
    add_merged_graph(store)
    assert query_options(store) == {}
    assert rows() == ["a only", "both"]  # the merged graph holds it once
    # a triple of the default graph that no named graph states is kept by exports
    store.add(ox.Quad(other, p, ox.Literal("default only")))
    assert set(dataset_quads(store)) == {q for q in store if not isinstance(q.graph_name, ox.DefaultGraph)} | {
        ox.Quad(other, p, ox.Literal("default only"))}
    # dropping graph a removes what only a stated from the merged graph, not what b states too
    drop_graphs(store, [a])
    assert not store.contains_named_graph(a)
    assert rows() == ["both", "default only"]
    drop_graphs(store, [b, ox.NamedNode(ex + "g/missing")])
    assert rows() == ["default only"]
