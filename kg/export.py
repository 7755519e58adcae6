"""Exports of a knowledge graph for other tools.

Network formats, written from the networkx graph of :mod:`kg.analytics` (full graph,
entity projection or bipartite actor–event view):

``graphml``
    GraphML (networkx, Gephi, yEd, Cytoscape), every attribute typed.
``gexf``
    GEXF 1.2 for Gephi: the same attributes plus ``viz:color`` by class (the colours of
    the HTML view) and ``viz:size`` by degree.
``json``
    networkx node-link JSON (``{"nodes": [...], "edges": [...]}``), also read by D3.
``csv``
    a folder with ``nodes.csv`` and ``edges.csv`` (``pandas.read_csv`` ready).

RDF formats, re-serialised by Oxigraph from the graph as it is (named graphs kept):
``trig`` and ``nq`` (datasets), ``ttl`` (all graphs merged into one).
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import networkx as nx
import pyoxigraph as ox

from kg.analytics import edge_records, graph_to_networkx, node_records, open_store, write_graphml

NETWORK_FORMATS = ("graphml", "gexf", "json", "csv")
RDF_FORMATS = ("trig", "ttl", "nq")
FORMATS = NETWORK_FORMATS + RDF_FORMATS
SUFFIXES = {".graphml": "graphml", ".gexf": "gexf", ".json": "json", ".csv": "csv", ".trig": "trig",
            ".ttl": "ttl", ".nq": "nq"}
DEFAULT_COLOUR = "#999999"


class ExportError(ValueError):
    """An export that cannot be done (one-line message)."""


def format_for(path: Path, fmt: str | None = None) -> str:
    """The export format: ``fmt`` when given, else guessed from the suffix of ``path``.

    Raises
    ------
    ExportError
        An unknown format, or no format and an unknown suffix.

    Examples
    --------
    >>> format_for(Path("g.gexf")), format_for(Path("out"), "csv")
    ('gexf', 'csv')
    """
    if fmt is not None:
        fmt = fmt.lower().lstrip(".")
        if fmt not in FORMATS:
            raise ExportError(f"unknown format {fmt!r} (use {', '.join(FORMATS)})")
        return fmt
    guessed = SUFFIXES.get(Path(path).suffix.lower())
    if guessed is None:
        raise ExportError(f"{path}: cannot tell the format from the suffix; give --format ({', '.join(FORMATS)})")
    return guessed


def write_gexf(g: nx.Graph, path: Path) -> None:
    """Write ``g`` as GEXF 1.2 with colours by class and sizes by degree.

    Node attribute ``cls`` picks the colour (see :data:`kg.visualise.CLASS_COLOURS`);
    the graph itself is not modified.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "g.gexf"
    >>> g = nx.DiGraph()
    >>> g.add_node("a", label="BLA", cls="ArmedGroup")
    >>> write_gexf(g, path)
    >>> nx.read_gexf(path).nodes["a"]["viz"]["color"]["r"]
    214
    """
    from kg.visualise import CLASS_COLOURS

    h = g.copy()
    for n, d in h.nodes(data=True):
        r, gr, b = _rgb(CLASS_COLOURS.get(d.get("cls", ""), DEFAULT_COLOUR))
        d["viz"] = {"color": {"r": r, "g": gr, "b": b, "a": 1.0},
                    "size": float(5 + 2 * min(g.degree(n), 25))}
        d.setdefault("label", str(n))
    nx.write_gexf(h, str(path), version="1.2draft")


def _rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def write_node_link(g: nx.Graph, path: Path) -> None:
    """Write ``g`` as networkx node-link JSON (``nx.node_link_graph`` reads it back).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "g.json"
    >>> write_node_link(nx.Graph([("a", "b")]), path)
    >>> sorted(nx.node_link_graph(json.loads(path.read_text()), edges="edges").edges())
    [('a', 'b')]
    """
    data = nx.node_link_data(g, edges="edges")
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def write_csv(g: nx.Graph, folder: Path) -> tuple[Path, Path]:
    """Write ``nodes.csv`` and ``edges.csv`` into ``folder`` (created if needed).

    Columns: ``id`` then every node attribute; ``source``, ``target`` (``key`` for
    multigraphs) then every edge attribute. Missing values are empty cells.

    Returns
    -------
    (Path, Path)
        The two files.

    Examples
    --------
    >>> import tempfile
    >>> nodes, edges = write_csv(nx.Graph([("a", "b", {"weight": 2})]), Path(tempfile.mkdtemp()))
    >>> edges.read_text().splitlines()
    ['source,target,weight', 'a,b,2']
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder}: CSV export writes a folder (nodes.csv, edges.csv), not a file")
    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / "nodes.csv", folder / "edges.csv"
    first = ["id"], ["source", "target", "key"] if g.is_multigraph() else ["source", "target"]
    for path, records, lead in zip(paths, (node_records(g), edge_records(g)), first):
        columns = list(lead)
        for rec in records:
            columns.extend(k for k in rec if k not in columns)
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=columns, restval="")
            writer.writeheader()
            writer.writerows(records)
    return paths


def write_rdf(store: ox.Store, path: Path, fmt: str) -> None:
    """Re-serialise a store: ``trig``/``nq`` keep named graphs, ``ttl`` merges them.

    Examples
    --------
    >>> import tempfile
    >>> s = ox.Store()
    >>> s.add(ox.Quad(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/p"), ox.Literal("v"),
    ...               ox.NamedNode("http://x/g")))
    >>> path = Path(tempfile.mkdtemp()) / "g.ttl"
    >>> write_rdf(s, path, "ttl")
    >>> "<http://x/a> <http://x/p> \\"v\\"" in path.read_text()
    True
    """
    from kg.rdf import PREFIXES
    from kg.store import dataset_quads

    if fmt == "trig":
        ox.serialize(dataset_quads(store), str(path), format=ox.RdfFormat.TRIG, prefixes=PREFIXES)
    elif fmt == "nq":
        ox.serialize(dataset_quads(store), str(path), format=ox.RdfFormat.N_QUADS)
    elif fmt == "ttl":
        merged = ox.Store()
        merged.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in store)
        merged.dump(str(path), format=ox.RdfFormat.TURTLE, from_graph=ox.DefaultGraph(), prefixes=PREFIXES)
    else:
        raise ExportError(f"{fmt!r} is not an RDF format (use {', '.join(RDF_FORMATS)})")


def write_network(g: nx.Graph, path: Path, fmt: str) -> None:
    """Write a networkx graph in one of :data:`NETWORK_FORMATS`."""
    if fmt == "graphml":
        write_graphml(g, path)
    elif fmt == "gexf":
        write_gexf(g, path)
    elif fmt == "json":
        write_node_link(g, path)
    elif fmt == "csv":
        write_csv(g, path)
    else:
        raise ExportError(f"{fmt!r} is not a network format (use {', '.join(NETWORK_FORMATS)})")


def export(source, path: Path, fmt: str | None = None, view: str = "full") -> str:
    """Export the graph ``source`` to ``path``; returns the format used.

    Parameters
    ----------
    source : pyoxigraph.Store, path, rdflib.Graph or rdflib.Dataset
        See :func:`kg.analytics.open_store`.
    path : Path
        The file to write (a folder for ``csv``). Its parent folder is created.
    fmt : str, optional
        One of :data:`FORMATS`; guessed from the suffix of ``path`` when omitted.
    view : {"full", "entities", "bipartite"}
        For network formats, which graph (see :func:`kg.analytics.graph_to_networkx`).

    Raises
    ------
    ExportError, kg.store.GraphError
        One-line messages for the command line.
    """
    from kg.analytics import VIEWS

    fmt = format_for(Path(path), fmt)
    if view not in VIEWS:
        raise ExportError(f"unknown view {view!r} (use {', '.join(VIEWS)})")
    if fmt in RDF_FORMATS and view != "full":
        raise ExportError(f"--view {view} applies to network formats ({', '.join(NETWORK_FORMATS)}), not {fmt}")
    store = open_store(source, merged=fmt not in RDF_FORMATS)  # named graphs kept for trig and nq
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt in RDF_FORMATS:
        write_rdf(store, path, fmt)
    else:
        write_network(graph_to_networkx(store, view=view), path, fmt)
    return fmt
