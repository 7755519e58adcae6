"""What the network view shows: the graph with its provenance, and the view filters.

:func:`view_graph` reads a store into a ``networkx.MultiDiGraph`` (via
:func:`kg.analytics.graph_to_networkx`) and adds what the view needs on top: every
evidence sentence of an edge with its article, the articles each node comes from,
the casualty reports of each event, and the articles' titles and dates
(``g.graph["articles"]``).

:func:`apply_filters` cuts that graph down to what an analyst asked for (an ego
network around an entity, classes, relations, one article, a date range, a minimum
degree, the N most central nodes) and says in plain words what it did.
"""
from __future__ import annotations

import difflib
import re
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date

import networkx as nx

from kg.vocab import CORE_RELATIONS, EVENT_CLASSES, KG_NS

_PREFIX = f"""PREFIX kg: <{KG_NS}>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""

ARTICLES_QUERY = _PREFIX + """
SELECT DISTINCT ?a ?id ?title ?date WHERE {
  ?a a kg:Article ; dcterms:identifier ?id .
  OPTIONAL { ?a dcterms:title ?title }
  OPTIONAL { ?a dcterms:date ?date }
}"""

EVIDENCE_QUERY = _PREFIX + """
SELECT DISTINCT ?s ?p ?o ?ev ?id WHERE {
  ?st a rdf:Statement ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; kg:evidence ?ev .
  FILTER(isIRI(?o))
  OPTIONAL { ?st prov:wasDerivedFrom ?a . ?a dcterms:identifier ?id }
}"""

SOURCES_QUERY = _PREFIX + """
SELECT DISTINCT ?n ?id WHERE {
  { ?a kg:mentions ?n } UNION { ?n prov:wasDerivedFrom ?a . ?n a ?c . FILTER(STRSTARTS(STR(?c), STR(kg:))) }
  ?a a kg:Article ; dcterms:identifier ?id .
}"""

REPORTS_QUERY = _PREFIX + """
SELECT DISTINCT ?r ?event ?count ?kind ?victims ?qualifier ?source ?sourceLabel ?ev ?id WHERE {
  ?r a kg:CasualtyReport ; kg:reportOf ?event ; kg:casualtyCount ?count ; kg:casualtyKind ?kind .
  OPTIONAL { ?r kg:victimGroup ?victims }
  OPTIONAL { ?r kg:countQualifier ?qualifier }
  OPTIONAL { ?r kg:reportedBy ?source . OPTIONAL { ?source rdfs:label ?sourceLabel } }
  OPTIONAL { ?r kg:evidence ?ev }
  OPTIONAL { ?r prov:wasDerivedFrom ?a . ?a dcterms:identifier ?id }
}"""


class ViewError(ValueError):
    """A view request that cannot be met (one-line message for the CLI)."""


@dataclass(frozen=True)
class Evidence:
    """One sentence supporting an edge, and the article it is from."""

    sentence: str
    article: str | None = None


@dataclass(frozen=True)
class CasualtyFigure:
    """One casualty figure reported about an event (one ``kg:CasualtyReport``)."""

    count: int
    kind: str
    victims: str | None = None
    qualifier: str | None = None
    source: str | None = None
    evidence: str | None = None
    article: str | None = None

    def text(self) -> str:
        """``"at least 108 militants killed (Government of Pakistan)"``.

        Examples
        --------
        >>> CasualtyFigure(108, "killed", "militants", "at least", "Pakistan Army").text()
        'at least 108 militants killed (Pakistan Army)'
        """
        words = " ".join(p for p in (self.qualifier, str(self.count), self.victims, self.kind) if p)
        return f"{words} ({self.source})" if self.source else words


class _Merged:
    """A store seen through its merged graph (see :func:`kg.store.query_options`)."""

    def __init__(self, store):
        from kg.store import query_options

        self.store = store
        self.options = query_options(store)

    def query(self, q: str):
        return self.store.query(q, **self.options)


def _v(term) -> str | None:
    return None if term is None else str(term.value)


def view_graph(store, base: nx.MultiDiGraph | None = None) -> nx.MultiDiGraph:
    """The graph of entities and events in ``store``, with provenance for the view.

    Nodes carry the attributes of :func:`kg.analytics.graph_to_networkx` plus
    ``articles`` (set of article ids) and, for events, ``reports`` (list of
    :class:`CasualtyFigure`); edges carry ``evidence_list`` (list of :class:`Evidence`);
    ``g.graph["articles"]`` maps article ids to ``{"title": ..., "date": ...}``.
    ``base``, the store's :func:`kg.analytics.graph_to_networkx` graph when the caller
    already has it, is extended in place instead of being read again.

    Examples
    --------
    >>> import pyoxigraph as ox
    >>> g = view_graph(ox.Store())
    >>> len(g), g.graph["articles"]
    (0, {})
    """
    from kg.analytics import graph_to_networkx

    source = _Merged(store)
    g = base if base is not None else graph_to_networkx(store)
    articles: dict[str, dict] = {}
    iri_to_id: dict[str, str] = {}
    for row in source.query(ARTICLES_QUERY):
        aid = _v(row["id"])
        iri_to_id[_v(row["a"])] = aid
        articles[aid] = {"title": _v(row["title"]), "date": _v(row["date"])}
    g.graph["articles"] = articles
    for n in g.nodes:
        g.nodes[n]["articles"] = set()
        if g.nodes[n].get("kind") == "event":
            g.nodes[n]["reports"] = []
    for row in source.query(SOURCES_QUERY):
        n = _v(row["n"])
        if n in g:
            g.nodes[n]["articles"].add(_v(row["id"]))
    for _, _, d in g.edges(data=True):
        d["evidence_list"] = []
    for row in source.query(EVIDENCE_QUERY):
        s, o = _v(row["s"]), _v(row["o"])
        key = _v(row["p"]).rsplit("#", 1)[-1]
        if g.has_edge(s, o, key):
            g.edges[s, o, key]["evidence_list"].append(Evidence(_v(row["ev"]), _v(row["id"])))
    for _, _, d in g.edges(data=True):
        d["evidence_list"].sort(key=lambda e: (e.article or "", e.sentence))
    for row in source.query(REPORTS_QUERY):
        event = _v(row["event"])
        if event not in g:
            continue
        g.nodes[event]["reports"].append(CasualtyFigure(
            count=int(_v(row["count"])), kind=_v(row["kind"]), victims=_v(row["victims"]),
            qualifier=_v(row["qualifier"]),
            source=_v(row["sourceLabel"]) or (_v(row["source"]) or "").rsplit("/", 1)[-1] or None,
            evidence=_v(row["ev"]), article=_v(row["id"])))
    for n in g.nodes:
        if "reports" in g.nodes[n]:
            g.nodes[n]["reports"].sort(key=lambda r: (r.kind, -r.count, r.source or ""))
    return g


# ----------------------------------------------------------------------------- filters
@dataclass
class ViewFilter:
    """What to keep in a view; every field left at its default keeps everything."""

    focus: str | None = None
    hops: int = 1
    types: tuple[str, ...] = ()
    relations: tuple[str, ...] = ()
    article: str | None = None
    since: str | None = None
    until: str | None = None
    min_degree: int = 0
    max_nodes: int | None = None
    size_by: str = "degree"


@dataclass
class FilterResult:
    """The filtered graph, the size of the graph before filtering, and notes for the page."""

    graph: nx.MultiDiGraph
    total_nodes: int
    total_edges: int
    notes: list[str] = field(default_factory=list)


SIZE_MEASURES = ("degree", "pagerank", "betweenness")


def centrality(g: nx.MultiDiGraph, measure: str = "degree") -> dict[str, float]:
    """Node importance: ``degree`` (edges in and out), ``pagerank`` (undirected) or
    ``betweenness`` (sampled on large graphs).

    Examples
    --------
    >>> g = nx.MultiDiGraph([("a", "b"), ("a", "c")])
    >>> centrality(g)["a"]
    2.0
    """
    if measure not in SIZE_MEASURES:
        raise ViewError(f"unknown centrality {measure!r} (use {', '.join(SIZE_MEASURES)})")
    if len(g) == 0:
        return {}
    if measure == "degree":
        return {n: float(d) for n, d in g.degree()}
    simple = nx.Graph(g)
    if measure == "pagerank":
        return nx.pagerank(simple)
    k = min(len(simple), 300) if len(simple) > 1000 else None
    return nx.betweenness_centrality(simple, k=k, seed=7)


def find_nodes(g: nx.MultiDiGraph, name: str) -> list[str]:
    """Nodes whose IRI is ``name`` or whose label or an alias equals it (any case).

    Raises :class:`ViewError` naming close matches when there is none.

    Examples
    --------
    >>> g = nx.MultiDiGraph()
    >>> g.add_node("x:bla", label="Baloch Liberation Army", aliases="BLA")
    >>> find_nodes(g, "bla")
    ['x:bla']
    """
    if name in g:
        return [name]
    want = name.strip().casefold()
    found = [n for n, d in g.nodes(data=True) if want in _names(d)]
    if found:
        return sorted(found)
    names: dict[str, str] = {}
    for _, d in g.nodes(data=True):
        for text in [d.get("label") or "", *_aliases(d)]:
            names.setdefault(text.casefold(), text)
    close = difflib.get_close_matches(want, list(names), n=5, cutoff=0.6)
    close += [k for k in names if want and want in k and k not in close][: 5 - len(close)]
    hint = f"; close matches: {', '.join(repr(names[c]) for c in close)}" if close else ""
    raise ViewError(f"no entity or event named {name!r} in the graph{hint}")


def _aliases(d: dict) -> list[str]:
    a = d.get("aliases") or ""
    return [x for x in (a.split("|") if isinstance(a, str) else a) if x]


def _names(d: dict) -> set[str]:
    return {t.casefold() for t in [d.get("label") or "", *_aliases(d)] if t}


def class_closure(names) -> dict[str, set[str]]:
    """Each requested class name with itself and its subclasses in the ontology.

    Examples
    --------
    >>> sorted(class_closure(["Organization"])["Organization"])[:3]
    ['ArmedGroup', 'Company', 'GovernmentBody']
    """
    from rdflib import OWL, RDF, RDFS

    from kg.rdf import ontology_graph

    onto = ontology_graph()
    children: dict[str, set[str]] = {}
    known = {str(c)[len(KG_NS):] for c in onto.subjects(RDF.type, OWL.Class) if str(c).startswith(KG_NS)}
    for s, o in onto.subject_objects(RDFS.subClassOf):
        s, o = str(s), str(o)
        if s.startswith(KG_NS) and o.startswith(KG_NS):
            children.setdefault(o[len(KG_NS):], set()).add(s[len(KG_NS):])
            known.update((s[len(KG_NS):], o[len(KG_NS):]))
    out = {}
    lookup = {k.casefold(): k for k in known | set(EVENT_CLASSES)}
    for name in names:
        cls = lookup.get(name.strip().casefold())
        if cls is None:
            close = difflib.get_close_matches(name, sorted(lookup.values()), n=3, cutoff=0.5)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise ViewError(f"unknown class {name!r}{hint}; known classes: {', '.join(sorted(lookup.values()))}")
        todo, seen = [cls], set()
        while todo:
            c = todo.pop()
            if c not in seen:
                seen.add(c)
                todo.extend(children.get(c, ()))
        out[cls] = seen
    return out


def relation_names(names) -> set[str]:
    """Local names of the core relations given by local name or kebab label.

    Examples
    --------
    >>> sorted(relation_names(["carried-out", "claimed"]))
    ['carriedOut', 'claimed']
    """
    lookup = {k.casefold(): k for k in CORE_RELATIONS} | {v.casefold(): k for k, v in CORE_RELATIONS.items()}
    out = set()
    for name in names:
        key = lookup.get(name.strip().casefold())
        if key is None:
            raise ViewError(f"unknown relation {name!r}; relations: {', '.join(CORE_RELATIONS.values())}")
        out.add(key)
    return out


_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def date_range(text: str) -> tuple[date, date]:
    """The first and last day of an ``xsd:date``, ``gYearMonth`` or ``gYear`` value.

    Examples
    --------
    >>> date_range("2024-02")
    (datetime.date(2024, 2, 1), datetime.date(2024, 2, 29))
    """
    m = _DATE.match(text.strip())
    if not m:
        raise ViewError(f"not a date: {text!r} (use YYYY, YYYY-MM or YYYY-MM-DD)")
    try:
        y = int(m.group(1))
        if m.group(3):
            d = date(y, int(m.group(2)), int(m.group(3)))
            return d, d
        if m.group(2):
            mo = int(m.group(2))
            return date(y, mo, 1), date(y, mo, monthrange(y, mo)[1])
        return date(y, 1, 1), date(y, 12, 31)
    except ValueError:
        raise ViewError(f"not a date: {text!r} (use YYYY, YYYY-MM or YYYY-MM-DD)") from None


def _event_dates(g: nx.MultiDiGraph, n: str) -> tuple[date, date] | None:
    d = g.nodes[n]
    text = d.get("date")
    if not text:  # fall back on the date of the article the event comes from
        dates = [g.graph.get("articles", {}).get(a, {}).get("date") for a in d.get("articles", ())]
        dates = sorted(x for x in dates if x)
        text = dates[0] if dates else None
    if not text:
        return None
    try:
        return date_range(text)
    except ViewError:
        return None


def apply_filters(g: nx.MultiDiGraph, f: ViewFilter) -> FilterResult:
    """The part of ``g`` that ``f`` asks for, with a note for each filter applied.

    Order: focus (ego network, ``hops`` edges in either direction), article, classes,
    relations (nodes left without an edge go), dates (events whose date, or else
    their article's date, overlaps the range, with their neighbours), minimum degree,
    then the ``max_nodes`` most central nodes.

    Examples
    --------
    >>> g = nx.MultiDiGraph()
    >>> g.add_node("a", label="A", cls="City"); g.add_node("b", label="B", cls="Country")
    >>> g.add_edge("a", "b", key="locatedIn", relation="located-in")
    'locatedIn'
    >>> r = apply_filters(g, ViewFilter(types=("Country",)))
    >>> list(r.graph), r.notes
    (['b'], ['classes: Country'])
    """
    result = FilterResult(graph=g, total_nodes=len(g), total_edges=g.number_of_edges())
    h = g
    if f.focus:
        if f.hops < 0:
            raise ViewError("--hops must be 0 or more")
        centres = find_nodes(g, f.focus)
        undirected = nx.Graph(g)
        keep: set[str] = set()
        for c in centres:
            keep |= set(nx.single_source_shortest_path_length(undirected, c, cutoff=f.hops))
        h = h.subgraph(keep)
        labels = sorted({g.nodes[c].get("label") or c for c in centres})
        more = f" ({len(centres)} nodes)" if len(centres) > 1 else ""
        result.notes.append(f"focus: {', '.join(labels)}{more}, {f.hops} hop{'s' if f.hops != 1 else ''}")
    if f.article:
        articles = g.graph.get("articles", {})
        aid = f.article if f.article in articles else next(
            (k for k in articles if k.casefold() == f.article.casefold()), None)
        if aid is None:
            close = difflib.get_close_matches(f.article, list(articles), n=5, cutoff=0.4)
            hint = f"; close matches: {', '.join(close)}" if close else ""
            raise ViewError(f"no article with id {f.article!r} in the graph{hint}")
        nodes = {n for n, d in h.nodes(data=True) if aid in d.get("articles", ())}
        edges = [(s, o, k) for s, o, k, d in h.edges(keys=True, data=True)
                 if s in nodes and o in nodes and _edge_from(d, aid)]
        h = h.edge_subgraph(edges).copy()
        h.add_nodes_from((n, g.nodes[n]) for n in nodes)
        title = articles[aid].get("title")
        result.notes.append(f"article: {aid}" + (f" ({title})" if title else ""))
    if f.types:
        closure = class_closure(f.types)
        allowed = set().union(*closure.values())
        h = h.subgraph([n for n, d in h.nodes(data=True) if d.get("cls") in allowed])
        result.notes.append(f"classes: {', '.join(closure)}")
    if f.relations:
        rels = relation_names(f.relations)
        edges = [(s, o, k) for s, o, k, d in h.edges(keys=True, data=True) if d.get("predicate", k) in rels]
        h = h.edge_subgraph(edges)
        result.notes.append(f"relations: {', '.join(sorted(CORE_RELATIONS[r] for r in rels))}")
    if f.since or f.until:
        lo = date_range(f.since)[0] if f.since else date.min
        hi = date_range(f.until)[1] if f.until else date.max
        if lo > hi:
            raise ViewError(f"--since {f.since} is after --until {f.until}")
        events = set()
        for n, d in h.nodes(data=True):
            if d.get("kind") == "event":
                span = _event_dates(h, n)
                if span and span[0] <= hi and span[1] >= lo:
                    events.add(n)
        keep = set(events)
        for e in events:
            keep.update(h.predecessors(e))
            keep.update(h.successors(e))
        h = h.subgraph(keep)
        result.notes.append("events " + " ".join(x for x in (
            f"from {f.since}" if f.since else "", f"until {f.until}" if f.until else "") if x)
            + " (by event date, else article date)")
    if f.min_degree > 0:
        h = h.subgraph([n for n, d in h.degree() if d >= f.min_degree])
        result.notes.append(f"degree at least {f.min_degree}")
    if f.max_nodes is not None:
        if f.max_nodes < 1:
            raise ViewError("--max-nodes must be at least 1")
        if len(h) > f.max_nodes:
            score = centrality(h, f.size_by)
            ranked = sorted(h.nodes, key=lambda n: (-score[n], h.nodes[n].get("label") or n))
            before = len(h)
            h = h.subgraph(ranked[: f.max_nodes])
            result.notes.append(f"the {f.max_nodes:,} nodes with the highest {f.size_by} "
                                f"of {before:,} (--max-nodes {f.max_nodes})")
    result.graph = nx.MultiDiGraph(h) if h is not g else g
    result.graph.graph.update(g.graph)
    return result


def _edge_from(d: dict, aid: str) -> bool:
    if d.get("evidence_list"):
        return any(e.article == aid for e in d["evidence_list"])
    return aid in (d.get("articles") or "").split("|")
