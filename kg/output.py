"""Writing a build's RDF as it is produced, and the output files.

Each resolved article becomes an :class:`ArticleRDF`, made once and kept in the build
cache: its named graph in TriG, its triples about its own nodes (the article, its
events, statements, claims and reports) in Turtle, and the N-Triples lines of its
triples about entities, which other articles may state as well. :class:`GraphWriter`
streams these into the output files, so a build holds no graph in memory but the
distinct entity triples:

* ``graph.trig``: the prefixes, then every article's named graph in input order, then
  the ontology graph (the ontology's description of the terms the data uses);
* ``graph.ttl``, the merged graph: the prefixes, every article's own triples, then the
  distinct entity triples (sorted) and the ontology triples. Every triple appears once.

A re-build copies the text of unchanged articles from the cache instead of producing
it again, and its output is the same, byte for byte, as a build from scratch.
``graph.graphml`` and ``graph.html`` are derived from the whole graph (loaded into an
Oxigraph store); above ``views_max_triples`` they are not written by a build (the
report says how to make them), since they would cost more than the rest of a
re-build together.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, URIRef

from kg.model import ArticleFacts
from kg.rdf import ONTOLOGY_GRAPH, PREFIXES, article_triples, graph_iri, ontology_triples, term_nt
from kg.vocab import ID_NS, KG_NS

ENTITY_NS = ID_NS + "entity/"
# the nodes an article mints for itself: no other article's graph holds them
LOCAL_NS = tuple(ID_NS + k for k in ("article/", "event/", "statement/", "claim/", "report/", "graph/"))
_RDF_TYPE_NT = f"<{RDF.type}>"  # in N-Triples lines
RDF_TYPE = ox.NamedNode(str(RDF.type))
# above this, the views take seconds: worth a process of their own (about 1 s to start)
BACKGROUND_MIN_TRIPLES = 50_000
# a build whose articles reach this many triples (about ten articles) starts that
# process at once, so that it has imported what it needs (networkx, pyvis: about half a
# second; scipy too, half a second more, once the graph passes BACKGROUND_MIN_TRIPLES)
# by the time the graph files are done. Started any later, the build waits
# for those imports at the end: with 100 articles (23,500 triples) the views took 1.9 s
# after the graph files when the process started at 20,000 triples, 0.8 s when started
# this early (the views themselves take 0.7 s in one process, 0.5 s split in two).
PREWARM_TRIPLES = 2_000
LARGE = "large"  # the message that tells that process the graph has grown large


@dataclass(frozen=True)
class ArticleRDF:
    """One article's share of the output files (see the module docstring)."""

    # the text as UTF-8 bytes, as the files take it: kept in the cache, bytes unpickle
    # as one copy where a str is decoded again
    trig: bytes              # its named graph, TriG without prefix lines
    ttl: bytes               # its triples about its own nodes, Turtle without prefix lines
    shared: tuple[str, ...]  # N-Triples lines of its other triples (about entities)
    local: int               # how many triples ``ttl`` holds
    used: frozenset          # the IRIs of the kg classes and properties it uses


def _body(data: bytes) -> bytes:
    """Serialiser output without its ``@prefix`` lines (the files declare them once)."""
    start = 0
    while data.startswith(b"@prefix", start):
        start = data.index(b"\n", start) + 1
    return data[start:]


def _by_subject(terms) -> list:
    # grouped by subject (so the serialiser writes each node once), stable within it
    return sorted(terms, key=lambda t: t.subject.value)


def _turtle_body(triples) -> bytes:
    """``triples`` in Turtle, grouped by subject, without the prefix lines."""
    triples = _by_subject(triples)
    return _body(ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)) if triples else b""


def article_rdf(facts: ArticleFacts, nquads: bool = False) -> tuple[ArticleRDF, str | None]:
    """The :class:`ArticleRDF` of one resolved article, and (``nquads``) its named
    graph as N-Quads text."""
    triples = list(dict.fromkeys(article_triples(facts)))  # each triple once, in order
    local, shared, used = [], [], set()
    for t in triples:
        obj = t.object
        used.add(obj.value if t.predicate == RDF_TYPE else t.predicate.value)
        if t.subject.value.startswith(LOCAL_NS) or (type(obj) is ox.NamedNode and obj.value.startswith(LOCAL_NS)):
            local.append(t)
        else:
            shared.append(f"{t} .\n")
    triples = _by_subject(triples)
    graph = graph_iri(facts.article.id)
    trig = b"<%s> {\n%s}\n" % (str(graph).encode("utf-8"), _turtle_body(triples))
    ttl = _turtle_body(local)
    text = None
    if nquads:
        g = ox.NamedNode(str(graph))
        text = ox.serialize((ox.Quad(t.subject, t.predicate, t.object, g) for t in triples),
                            format=ox.RdfFormat.N_QUADS).decode("utf-8")
    return ArticleRDF(trig, ttl, tuple(shared), len(local), frozenset(used)), text


def prefix_lines() -> str:
    """The ``@prefix`` declarations the output files start with.

    >>> prefix_lines().splitlines()[0]
    '@prefix kg: <https://w3id.org/kg-news/ontology#> .'
    """
    return "".join(f"@prefix {name}: <{iri}> .\n" for name, iri in PREFIXES.items())


def _turtle(lines: Iterable[str], graph: str | None = None) -> bytes:
    """N-Triples ``lines`` as Turtle without prefixes (with ``graph``: as that TriG graph)."""
    data = "".join(lines).encode("utf-8")
    if not data:
        return b""
    body = _turtle_body(ox.parse(data, format=ox.RdfFormat.N_TRIPLES))
    return b"<%s> {\n%s}\n" % (graph.encode("utf-8"), body) if graph else body


class GraphWriter:
    """Streams a build's articles into ``graph.trig`` and ``graph.ttl`` in ``folder``
    (a staging folder) and writes the other outputs at :meth:`finish`."""

    def __init__(self, folder: Path, html_max_nodes: int | None = 3_000,
                 views_max_triples: int | None = 1_000_000, background: bool = False,
                 prewarm: bool = False, fork: bool = False):
        self.folder = Path(folder)
        self.background = background  # views of a large graph in a process of their own
        self.html_max_nodes = html_max_nodes
        self.views_max_triples = views_max_triples
        self.bounded: dict = {}
        # with ``prewarm`` (and ``background``), the views process starts now, forked or
        # spawned (``fork``), whatever the size of the graph: before the files are
        # opened, so that a forked one inherits none of them
        self._job: ViewsJob | None = ViewsJob(fork=fork) if prewarm and background else None
        try:
            self._trig = (self.folder / "graph.trig").open("wb")
            self._ttl = (self.folder / "graph.ttl").open("wb")
        except BaseException:
            self.cancel()
            raise
        self._trig.write(prefix_lines().encode("utf-8"))
        self._ttl.write(prefix_lines().encode("utf-8"))
        self.shared: set[str] = set()
        self.used: set[str] = set()
        self.local = 0
        self.triples = 0
        self.articles = 0
        self._graphml_here = False  # graph.graphml is written by wait(), beside the job

    def add(self, rdf: ArticleRDF) -> None:
        """Append one article."""
        self._trig.write(rdf.trig)
        self._ttl.write(rdf.ttl)
        self.shared.update(rdf.shared)
        self.used |= rdf.used
        self.local += rdf.local
        self.articles += 1
        if self.views_max_triples is not None and self.local > self.views_max_triples:
            self.cancel()  # the views will not be written
        elif self.background and self._job is None and self.local >= PREWARM_TRIPLES:
            self._job = ViewsJob()
        if self._job is not None and self.local >= BACKGROUND_MIN_TRIPLES:
            self._job.expect_large()

    def close_graphs(self) -> None:
        """Finish ``graph.trig`` and ``graph.ttl``: the entity triples, then the ontology."""
        used = sorted(URIRef(u) for u in self.used)
        onto = sorted({f"{term_nt(s)} {term_nt(p)} {term_nt(o)} .\n" for s, p, o in ontology_triples(used)})
        shared = sorted(self.shared)
        self._trig.write(_turtle(onto, str(ONTOLOGY_GRAPH)))
        self._ttl.write(_turtle(shared))
        self._ttl.write(_turtle(sorted(set(onto) - self.shared)))
        self._trig.close()
        self._ttl.close()
        self.triples = self.local + len(self.shared | set(onto))

    def finish(self, html: bool = True) -> None:
        """Close the graph files and write graph.graphml and graph.html (below
        ``views_max_triples``); with ``background``, for a graph of more than
        ``BACKGROUND_MIN_TRIPLES`` triples (or when the process was started early),
        graph.html in another process and graph.graphml in :meth:`wait`, which must
        then be called before using them."""
        self.close_graphs()
        if self.views_max_triples is None or self.triples <= self.views_max_triples:
            if self._job is None and self.background and self.triples > BACKGROUND_MIN_TRIPLES:
                self._job = ViewsJob()
                self._job.expect_large()
            if self._job is not None:
                # the HTML there; graph.graphml here, in wait(), while that runs
                self._graphml_here = html
                self._job.start(self.folder, html, self.html_max_nodes, graphml=not html)
            else:
                self.bounded.update(write_views(self.folder, html, self.html_max_nodes))
        else:
            self.cancel()
            self.bounded["graph.graphml"] = self.bounded["graph.html"] = {
                "written": False, "triples": self.triples, "max_triples": self.views_max_triples,
                "note": f"the graph has {self.triples:,} triples, more than --views-max-triples "
                        f"({self.views_max_triples:,}): graph.graphml and graph.html were not written; "
                        f"make them with `kg export OUT/graph.trig -f graphml` and `kg view OUT/graph.trig`, "
                        f"or raise --views-max-triples"}

    def wait(self) -> None:
        """Write graph.graphml if it is this process's share, and wait for the views
        written in the background (raises what made them fail)."""
        if self._job is not None:
            if self._graphml_here:
                self._graphml_here = False
                write_views(self.folder, html=False)
            job, self._job = self._job, None
            self.bounded.update(job.result())

    def cancel(self) -> None:
        """Stop the views being written in the background, if any."""
        if self._job is not None:
            job, self._job = self._job, None
            job.cancel()

    def entities_by_class(self) -> Counter:
        """Distinct entities of the graph by class (local name)."""
        counts: Counter = Counter()
        prefix = f"<{ENTITY_NS}"
        for line in self.shared:
            if line.startswith(prefix):
                s, p, o = line.split(" ", 2)
                if p == _RDF_TYPE_NT and o.startswith(f"<{KG_NS}"):
                    counts[o[len(KG_NS) + 1:o.index(">")]] += 1
        return counts


def write_views(folder: Path, html: bool = True, html_max_nodes: int | None = 3_000,
                graphml: bool = True) -> dict:
    """Write ``graph.graphml`` (``graphml``) and ``graph.html`` (``html``) in ``folder``
    from its ``graph.ttl``; returns what was bounded (for ``report.json``)."""
    from kg.analytics import graph_to_networkx, write_graphml

    folder = Path(folder)
    # the merged graph: in a union of the article graphs, an entity typed and
    # labelled in k graphs would match a two-triple pattern k * k times
    store = ox.Store()
    store.bulk_load(path=str(folder / "graph.ttl"), format=ox.RdfFormat.TURTLE)
    nxg = graph_to_networkx(store)
    if graphml:
        write_graphml(nxg, folder / "graph.graphml")
    if not html:
        return {}
    from kg.view import view_graph
    from kg.visualise import write_html

    # with evidence sentences, titles and casualty figures (graph.graphml is written)
    rich_graph = view_graph(store, base=nxg)
    view = html_view(rich_graph, html_max_nodes)
    notes, bounded = [], {}
    if view.number_of_nodes() < rich_graph.number_of_nodes():
        view.graph.update(rich_graph.graph)
        note = (f"the view shows the {view.number_of_nodes():,} most connected of "
                f"{rich_graph.number_of_nodes():,} nodes; graph.graphml, graph.ttl and graph.trig hold the whole graph")
        bounded["graph.html"] = {"nodes": view.number_of_nodes(), "of_nodes": rich_graph.number_of_nodes(),
                                 "note": note}
        notes.append(note)
    write_html(view, folder / "graph.html", notes=notes,
               total=(rich_graph.number_of_nodes(), rich_graph.number_of_edges()))
    return bounded


def _views_main(conn) -> None:
    """Entry point of the :class:`ViewsJob` process: import what the views need, then
    wait for the folder to write them in."""
    import json
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides
    import importlib

    # imported while the build goes on (pyvis, which kg.visualise imports when it
    # writes, takes 0.15 s: it imports IPython)
    for module in ("kg.analytics", "kg.view", "kg.visualise", "pyvis.network"):
        importlib.import_module(module)

    try:
        while True:
            message = conn.recv()
            if message == LARGE:
                # scipy's k-d tree lays out components of more than a thousand nodes,
                # which only a large graph has (half a second to import)
                importlib.import_module("scipy.spatial")
                continue
            folder, html, html_max_nodes, graphml = message
            break
    except (EOFError, OSError):  # the build did not need the views
        return
    finally:
        conn.close()
    out = Path(folder)
    try:
        bounded = write_views(out, html, html_max_nodes, graphml)
    except BaseException as e:  # noqa: BLE001 - reported to the parent
        (out / ".views.error").write_text(f"{type(e).__name__}: {e}", encoding="utf-8")
        raise SystemExit(1) from None
    (out / ".views.json").write_text(json.dumps(bounded), encoding="utf-8")


class ViewsJob:
    """:func:`write_views` in a process of its own, so that a build writes the views
    while it validates. The process starts at once (spawned, or forked with ``fork``:
    see :func:`kg.engine.start_helper`) and imports what the views need; :meth:`start`
    gives it the folder."""

    def __init__(self, fork: bool = False):
        import multiprocessing

        from kg.engine import start_helper

        self.folder: Path | None = None
        child, self._conn = multiprocessing.Pipe(duplex=False)  # (receiving end, sending end)
        self._large = False
        self.proc = start_helper(_views_main, (child,), "kg-views", fork=fork, own_end=self._conn)
        child.close()

    def expect_large(self) -> None:
        """Tell the process the graph is large (it then imports scipy, for the layout)."""
        if not self._large:
            self._large = True
            try:
                self._conn.send(LARGE)
            except OSError:  # the process has ended: result() says why
                pass

    def start(self, folder: Path, html: bool, html_max_nodes: int | None, graphml: bool = True) -> None:
        """Write the views of ``folder`` (its graph.ttl)."""
        self.folder = Path(folder)
        self._conn.send((str(self.folder), html, html_max_nodes, graphml))
        self._conn.close()

    def result(self) -> dict:
        import json

        self.proc.join()
        error = self.folder / ".views.error"
        done = self.folder / ".views.json"
        try:
            if self.proc.exitcode != 0 or not done.exists():
                why = error.read_text(encoding="utf-8") if error.exists() else f"exit code {self.proc.exitcode}"
                raise RuntimeError(f"writing graph.graphml / graph.html failed: {why}")
            return json.loads(done.read_text(encoding="utf-8"))
        finally:
            error.unlink(missing_ok=True)
            done.unlink(missing_ok=True)

    def cancel(self) -> None:
        if self.proc.is_alive():
            self.proc.terminate()
        self.proc.join()
        self._conn.close()


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


__all__ = ["ArticleRDF", "GraphWriter", "article_rdf", "html_view", "prefix_lines"]
