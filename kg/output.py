"""Streaming the RDF of a build to disk and producing the output files.

:class:`GraphWriter` appends each article's quads to an N-Quads file as soon as the
article is extracted (nothing is held in memory but counters), then bulk-loads the
file into an Oxigraph store to write ``graph.trig`` (one named graph per article plus
the ontology graph) and ``graph.ttl`` (the merged graph), and derives
``graph.graphml`` and ``graph.html`` from the store.
"""
from __future__ import annotations

from collections import Counter
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, URIRef

from kg.model import ArticleFacts
from kg.rdf import ONTOLOGY_GRAPH, PREFIXES, article_quads, nquad, ntriple, ontology_triples, term_nt


@lru_cache(maxsize=1 << 16)
def _iri_nt(iri: URIRef) -> str:
    """:func:`kg.rdf.term_nt` of an IRI, memoised (predicates, classes and the nodes of
    an article repeat in many triples)."""
    return term_nt(iri)


def quad_lines(facts: ArticleFacts) -> tuple[list[str], set[URIRef]]:
    """The N-Quads lines of one resolved article (its named graph) and the classes and
    properties it uses (for the ontology graph). Same text as :func:`kg.rdf.nquad`."""
    lines: list[str] = []
    used: set[URIRef] = set()
    graph = None
    for s, p, o, g in article_quads(facts):
        used.add(o if p == RDF.type else p)
        if graph is None:
            graph = f" {term_nt(g)} .\n"
        # IRIs are memoised: predicates, classes and an article's nodes repeat
        spo = f"{_iri_nt(s) if type(s) is URIRef else term_nt(s)} {_iri_nt(p)} " \
              f"{_iri_nt(o) if type(o) is URIRef else term_nt(o)}"
        lines.append(spo + graph)
    return lines, used


def _triple_line(quad: str) -> str:
    """An N-Quads line without its graph term (the last term; IRIs hold no spaces)."""
    return quad[:quad.rindex(" <")] + " .\n"


class GraphWriter:
    """Collects a build's quads in ``folder`` and writes the output files there."""

    def __init__(self, folder: Path, html_max_nodes: int | None = 3_000):
        self.folder = Path(folder)
        self.html_max_nodes = html_max_nodes
        self.bounded: dict = {}
        self.nq_path = self.folder / ".graph.nq"
        self.nt_path = self.folder / ".graph.nt"
        self._nq = self.nq_path.open("w", encoding="utf-8")
        self._nt = self.nt_path.open("w", encoding="utf-8")
        self.used: set[URIRef] = set()
        self.triples = 0

    def add(self, facts: ArticleFacts) -> None:
        """Append the quads of one (resolved) article."""
        lines, used = quad_lines(facts)
        self.used |= used
        self._nq.writelines(lines)
        self._nt.writelines(_triple_line(line) for line in lines)

    def add_nquads(self, text: str, used: set) -> None:
        """Append N-Quads lines made by :func:`quad_lines` elsewhere (a Dask worker)."""
        self.used |= used
        self._nq.write(text)
        self._nt.writelines(_triple_line(line + "\n") for line in text.split("\n")[:-1])

    def finish(self, html: bool = True) -> ox.Store:
        """Write graph.trig, graph.ttl, graph.graphml and graph.html."""
        for s, p, o in ontology_triples(sorted(self.used)):
            self._nq.write(nquad(s, p, o, ONTOLOGY_GRAPH))
            self._nt.write(ntriple(s, p, o))
        self._nq.close()
        self._nt.close()
        dataset = ox.Store()
        dataset.bulk_load(path=str(self.nq_path), format=ox.RdfFormat.N_QUADS)
        dataset.dump(str(self.folder / "graph.trig"), format=ox.RdfFormat.TRIG, prefixes=PREFIXES)
        merged = ox.Store()
        merged.bulk_load(path=str(self.nt_path), format=ox.RdfFormat.N_TRIPLES)
        merged.dump(str(self.folder / "graph.ttl"), format=ox.RdfFormat.TURTLE,
                    from_graph=ox.DefaultGraph(), prefixes=PREFIXES)
        self.triples = count_triples(merged)
        self.store = merged
        from kg.analytics import graph_to_networkx, write_graphml

        nxg = graph_to_networkx(merged)
        write_graphml(nxg, self.folder / "graph.graphml")
        if html:
            from kg.visualise import write_html

            from kg.view import view_graph

            # with evidence sentences, titles and casualty figures (graph.graphml is written)
            rich_graph = view_graph(merged, base=nxg)
            view = html_view(rich_graph, self.html_max_nodes)
            notes = []
            if view.number_of_nodes() < rich_graph.number_of_nodes():
                view.graph.update(rich_graph.graph)
                note = (f"the view shows the {view.number_of_nodes():,} most connected of "
                        f"{rich_graph.number_of_nodes():,} nodes; graph.graphml, graph.ttl and graph.trig hold the whole graph")
                self.bounded["graph.html"] = {"nodes": view.number_of_nodes(), "of_nodes": rich_graph.number_of_nodes(),
                                              "note": note}
                notes.append(note)
            write_html(view, self.folder / "graph.html", notes=notes,
                       total=(rich_graph.number_of_nodes(), rich_graph.number_of_edges()))
        self.nq_path.unlink(missing_ok=True)
        self.nt_path.unlink(missing_ok=True)
        return dataset

    def entities_by_class(self) -> Counter:
        counts: Counter = Counter()
        q = f"""SELECT ?c (COUNT(DISTINCT ?e) AS ?n) WHERE {{
                  ?e a ?c . ?e <{RDF.type}> ?c .
                  FILTER(STRSTARTS(STR(?e), "https://w3id.org/kg-news/id/entity/"))
                }} GROUP BY ?c"""
        for row in self.store.query(q):
            counts[str(row["c"].value).rsplit("#", 1)[-1]] = int(row["n"].value)
        return counts


def html_view(g, max_nodes: int | None):
    """``g`` itself, or (when it has more than ``max_nodes`` nodes) the subgraph of its
    ``max_nodes`` nodes of highest degree (ties broken by node id, so the choice is
    stable). A browser draws a few thousand nodes; the files hold the whole graph.

    >>> import networkx as nx
    >>> g = nx.MultiDiGraph([("hub", str(i)) for i in range(10)])
    >>> sorted(html_view(g, 2).nodes)
    ['0', 'hub']
    >>> html_view(g, None) is g
    True
    """
    if max_nodes is None or g.number_of_nodes() <= max_nodes:
        return g
    keep = sorted(g.nodes, key=lambda n: (-g.degree(n), str(n)))[:max_nodes]
    return g.subgraph(keep).copy()


def sample_article_graphs(dataset: ox.Store, max_triples: int, seed_order: bool = True):
    """An rdflib ``Graph`` of whole article graphs taken evenly across ``dataset`` (a
    build's TriG store) until about ``max_triples`` triples, for a sampled SHACL check.

    Returns ``(graph, article graphs taken, article graphs in all, triples taken)``.
    Each article graph holds its own entities (type, label), events, statements,
    claims and reports, so it can be validated on its own.
    """
    from rdflib import Graph

    names = sorted((g for g in dataset.named_graphs() if not str(g.value).endswith("/graph/ontology")),
                   key=lambda g: g.value)
    total = len(names)
    if not names:
        return Graph(), 0, 0, 0
    sizes: dict[str, int] = {}
    for row in dataset.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"):
        sizes[row["g"].value] = int(row["n"].value)
    mean = max(1, sum(sizes.values()) // total)
    want = max(1, min(total, max_triples // mean))
    step = total / want
    picked = [names[int(i * step)] for i in range(want)]
    data = bytearray()
    taken = 0
    count = 0
    for g in picked:
        if taken and taken + sizes.get(g.value, 0) > max_triples:
            break
        data += dataset.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=g)
        taken += sizes.get(g.value, 0)
        count += 1
    graph = Graph()
    graph.parse(data=bytes(data).decode("utf-8"), format="nt")
    return graph, count, total, taken


def count_triples(store: ox.Store) -> int:
    row = next(iter(store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))
    return int(row["n"].value)


__all__ = ["GraphWriter", "count_triples", "html_view", "sample_article_graphs"]
