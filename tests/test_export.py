"""kg.export and the `kg export` / `kg stats` commands: round trips through the files
other tools read, and one-line errors."""
from __future__ import annotations

import json

import networkx as nx
import pandas as pd
import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from conftest_analytics import E, TINY_TRIG, sample_trig, tiny_store, tiny_trig  # noqa: F401 (fixtures)
from kg import analytics as A
from kg.cli import app
from kg.export import ExportError, export, format_for, write_gexf
from kg.store import load_graph
from kg.visualise import CLASS_COLOURS

runner = CliRunner()


def graphs(source):
    full = A.graph_to_networkx(source)
    return {"full": full, "entities": A.entity_projection(full), "bipartite": A.actor_event_graph(full)}


def edge_map(g):
    if g.is_multigraph():
        return {(s, o, k): d for s, o, k, d in g.edges(keys=True, data=True)}
    return {frozenset((s, o)): d for s, o, d in g.edges(data=True)}


@pytest.fixture(scope="module", params=["tiny", "sample"])
def source(request, tiny_trig, sample_trig):
    return tiny_trig if request.param == "tiny" else sample_trig


@pytest.mark.parametrize("view", ["full", "entities", "bipartite"])
def test_graphml_round_trip(source, view, tmp_path):
    g = graphs(source)[view]
    path = tmp_path / "g.graphml"
    assert export(source, path, view=view) == "graphml"
    back = nx.read_graphml(path, force_multigraph=g.is_multigraph())
    assert back.is_directed() == g.is_directed()
    assert dict(back.nodes(data=True)) == dict(g.nodes(data=True))
    assert edge_map(back) == edge_map(g)


@pytest.mark.parametrize("view", ["full", "entities"])
def test_gexf_round_trip_with_colours(source, view, tmp_path):
    g = graphs(source)[view]
    path = tmp_path / "g.gexf"
    export(source, path, "gexf", view=view)
    text = path.read_text(encoding="utf-8")
    assert 'xmlns="http://www.gexf.net/1.2draft"' in text and "<viz:color" in text
    back = nx.read_gexf(path)
    assert set(back.nodes) == set(g.nodes)
    for n, d in g.nodes(data=True):
        got = dict(back.nodes[n])
        viz = got.pop("viz")
        colour = CLASS_COLOURS.get(d["cls"], "#999999").lstrip("#")
        assert (viz["color"]["r"], viz["color"]["g"], viz["color"]["b"]) == tuple(
            int(colour[i:i + 2], 16) for i in (0, 2, 4))
        assert got == d
    got_edges = {}
    if g.is_multigraph():
        for s, o, k, d in back.edges(keys=True, data=True):
            d = {key: v for key, v in d.items() if key != "id"}
            got_edges[(s, o, k)] = d
    else:
        for s, o, d in back.edges(data=True):
            got_edges[frozenset((s, o))] = {key: v for key, v in d.items() if key != "id"}
    assert got_edges == edge_map(g)


def test_gexf_does_not_change_the_graph(tmp_path):
    g = nx.Graph()
    g.add_node("a", label="A", cls="City")
    write_gexf(g, tmp_path / "g.gexf")
    assert "viz" not in g.nodes["a"]


def test_node_link_json_round_trip(source, tmp_path):
    g = graphs(source)["full"]
    path = tmp_path / "g.json"
    export(source, path)
    back = nx.node_link_graph(json.loads(path.read_text(encoding="utf-8")), edges="edges")
    assert dict(back.nodes(data=True)) == dict(g.nodes(data=True))
    assert edge_map(back) == edge_map(g)


def test_csv_for_pandas(source, tmp_path):
    g = graphs(source)["entities"]
    export(source, tmp_path / "csv", "csv", view="entities")
    nodes = pd.read_csv(tmp_path / "csv" / "nodes.csv", keep_default_na=False)
    edges = pd.read_csv(tmp_path / "csv" / "edges.csv", keep_default_na=False)
    assert set(nodes["id"]) == set(g.nodes) and len(nodes) == len(g)
    assert len(edges) == g.number_of_edges()
    labels = dict(zip(nodes["id"], nodes["label"]))
    assert labels == {n: d["label"] for n, d in g.nodes(data=True)}
    weights = {frozenset((s, t)): w for s, t, w in zip(edges["source"], edges["target"], edges["weight"])}
    assert weights == {frozenset((s, o)): d["weight"] for s, o, d in g.edges(data=True)}


def test_csv_refuses_a_file(tmp_path):
    (tmp_path / "x").write_text("")
    with pytest.raises(ExportError, match="folder"):
        export(TINY_TRIG_PATH(tmp_path), tmp_path / "x", "csv")


def TINY_TRIG_PATH(tmp_path):
    path = tmp_path / "tiny.trig"
    path.write_text(TINY_TRIG, encoding="utf-8")
    return path


def count(store: ox.Store, query: str) -> int:
    return int(next(iter(store.query(query, use_default_graph_as_union=True)))["n"].value)


QUADS = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"


@pytest.mark.parametrize("fmt", ["trig", "nq", "ttl"])
def test_rdf_reserialisation(source, fmt, tmp_path):
    original = load_graph(source)
    path = tmp_path / f"g.{fmt}"
    export(source, path, fmt)
    back = load_graph(path)
    assert count(back, TRIPLES) == count(original, TRIPLES) > 0
    if fmt == "ttl":
        assert count(back, QUADS) == 0  # merged into the default graph
    else:
        assert count(back, QUADS) == count(original, QUADS)
        assert set(back.named_graphs()) == set(original.named_graphs())
        # the file holds the dataset as it was: the merged graph kept in the default
        # graph of a loaded dataset is derived, and not written
        written = set(ox.parse(path=str(path), format=ox.RdfFormat.TRIG if fmt == "trig" else ox.RdfFormat.N_QUADS))
        assert written == set(ox.parse(path=str(source), format=ox.RdfFormat.TRIG))


def test_export_from_a_store_folder(tmp_path):
    disk = ox.Store(str(tmp_path / "store"))
    disk.bulk_load(TINY_TRIG.encode(), format=ox.RdfFormat.TRIG)
    disk.flush()
    del disk
    export(tmp_path / "store", tmp_path / "g.graphml")
    assert E + "bla" in nx.read_graphml(tmp_path / "g.graphml")


def test_format_rules():
    assert format_for("x.GEXF") == "gexf"
    with pytest.raises(ExportError, match="unknown format"):
        format_for("x.gexf", "pdf")
    with pytest.raises(ExportError, match="suffix"):
        format_for("x.bin")


# ----------------------------------------------------------------------------- CLI
@pytest.mark.parametrize("command, words", [
    ("stats", ["--top", "--out", "--view", "--kind", "--seed", "--timeline"]),
    ("export", ["--format", "--output", "--view", "graphml", "gexf", "trig"]),
])
def test_cli_help(command, words):
    res = runner.invoke(app, [command, "--help"])
    assert res.exit_code == 0
    for word in words:
        assert word in res.output, (command, word)


def one_line_error(res) -> str:
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1, res.output
    assert lines[0].startswith("kg: error:")
    return lines[0]


@pytest.mark.parametrize("command", [["stats"], ["export", "-o", "out.graphml"]])
def test_cli_missing_graph(command, tmp_path):
    args = [command[0], str(tmp_path / "missing.trig"), *command[1:]]
    res = runner.invoke(app, args)
    assert res.exit_code == 1
    assert "missing.trig" in one_line_error(res)


def test_cli_unknown_format(tiny_trig, tmp_path):
    res = runner.invoke(app, ["export", str(tiny_trig), "-o", str(tmp_path / "g.out"), "--format", "pdf"])
    assert res.exit_code == 2 and "pdf" in one_line_error(res)
    res = runner.invoke(app, ["export", str(tiny_trig), "-o", str(tmp_path / "g.pdf")])
    assert res.exit_code == 2 and "suffix" in one_line_error(res)
    assert not (tmp_path / "g.pdf").exists()


def test_cli_unparsable_graph(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("this is not turtle")
    res = runner.invoke(app, ["stats", str(bad)])
    assert res.exit_code == 1 and "bad.ttl" in one_line_error(res)


def test_cli_export_writes(tiny_trig, tmp_path):
    res = runner.invoke(app, ["export", str(tiny_trig), "-o", str(tmp_path / "g.gexf"), "--view", "entities"])
    assert res.exit_code == 0, res.output
    g = nx.read_gexf(tmp_path / "g.gexf")
    assert not g.is_multigraph() and E + "bla" in g


def test_cli_stats_tables_and_files(tiny_trig, tmp_path):
    res = runner.invoke(app, ["stats", str(tiny_trig), "--top", "3", "--out", str(tmp_path / "s")])
    assert res.exit_code == 0, res.output
    for title in ("degree", "PageRank", "betweenness", "communities", "actors by events", "actors by casualties"):
        assert title in res.output
    assert "Baloch Liberation Army" in res.output
    data = json.loads((tmp_path / "s" / "stats.json").read_text())
    full = A.graph_to_networkx(tiny_trig)
    p = A.entity_projection(full)
    expected = A.pagerank_scores(p)
    assert {r["node"]: r["value"] for r in data["pagerank"]} == pytest.approx(expected)
    assert [r["node"] for r in data["actors_by_events"]] == [r.node for r in A.actors_by_events(full)]
    [bla] = data["actors_by_casualties"]
    assert (bla["low"], bla["high"]) == (31, 37)
    table = pd.read_csv(tmp_path / "s" / "degree.csv")
    assert dict(zip(table["node"], table["value"])) == A.degrees(p, weight="weight")
    for name in ("pagerank", "betweenness", "communities", "actors_by_events", "actors_by_casualties"):
        assert (tmp_path / "s" / f"{name}.csv").exists()


def test_cli_stats_timeline(tiny_trig, tmp_path):
    res = runner.invoke(app, ["stats", str(tiny_trig), "--timeline", "Balochistan", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "timeline: Balochistan" in res.output and "Mastung" in res.output
    rows = pd.read_csv(tmp_path / "timeline.csv")
    assert list(rows["date"]) == ["2024-11", "2024-11-09"]
    res = runner.invoke(app, ["stats", str(tiny_trig), "--timeline", "Quetaa"])
    assert res.exit_code == 2 and "Quetta" in one_line_error(res)


def test_cli_stats_on_sample(sample_trig):
    res = runner.invoke(app, ["stats", str(sample_trig), "--view", "full", "--top", "2"])
    assert res.exit_code == 0, res.output
    assert "PageRank" in res.output


def test_dataset_files_are_read_merged_for_analytics_but_exported_with_their_graphs(sample_build, tmp_path):
    import pyoxigraph as ox

    from kg.analytics import open_store
    from kg.export import export
    from kg.store import load_graph

    out, result = sample_build
    merged = open_store(out / "graph.trig")
    assert not list(merged.named_graphs()) and len(merged) == result.triples
    assert len(load_graph(out / "graph.trig")) > result.triples  # a dataset: entities in several graphs
    export(out / "graph.trig", tmp_path / "copy.trig")
    names = {q.graph_name for q in ox.parse(path=str(tmp_path / "copy.trig"), format=ox.RdfFormat.TRIG)}
    assert len(names) == result.articles + 1
