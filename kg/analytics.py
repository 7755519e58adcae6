"""The knowledge graph as networkx graphs, and measures on them.

Conversion
----------
:func:`graph_to_networkx` reads the entities (agents, places, projects), the events and
the core relations of a graph into a ``networkx.MultiDiGraph``. The graph can be a
``pyoxigraph.Store``, a path (an output file such as ``graph.trig`` or an Oxigraph store
folder, opened with :func:`kg.store.load_graph`) or an rdflib ``Graph``/``Dataset``.

Node attributes (absent when unknown):

``label``
    the canonical name (``rdfs:label``)
``cls``
    the most specific kg class (``ArmedGroup``, ``City``, ``Attack`` ...)
``category``
    ``agent``, ``place``, ``project`` or ``event``
``kind``
    ``entity`` or ``event``
``aliases``
    the other surface forms (``skos:altLabel``), ``|``-separated ("" when none)
``wikidata``
    the Wikidata id (``Q123``) from ``owl:sameAs``
``lat``, ``lon``
    WGS84 coordinates
``article_count``
    entities: the number of articles that mention it
``article``, ``evidence``, ``date``, ``dates``
    events: the article it comes from, its sentence, its earliest ``kg:occurredOn`` date
    and all of them (``|``-separated)

Edge attributes: ``relation`` (the kebab-case label, ``carried-out``), ``predicate``
(the local name, also the edge key), ``evidence_count`` (the number of
``rdf:Statement`` nodes backing the triple), ``articles`` (their article ids,
``|``-separated), ``article_count``, ``evidence`` (one evidence sentence) and
``first_date``/``last_date`` (the ``kg:occurredOn`` dates of an event at either end;
for relations between entities, the publication dates of the articles stating it).

Every value is a string, an int or a float, so the graph can be written as GraphML or
GEXF as it is. Two derived views: :func:`entity_projection` (events collapsed into
weighted entity–entity edges) and :func:`actor_event_graph` (bipartite agents–events).

Measures
--------
Plain functions over a networkx graph, named after what they return:
:func:`degrees`, :func:`pagerank_scores`, :func:`betweenness_scores`,
:func:`communities`, :func:`actors_by_events`, :func:`actors_by_casualties` (with
:func:`casualty_reports`), :func:`event_timeline`; :func:`top` turns scores into a
ranked table. :func:`sparql_frame` runs a SPARQL query into a pandas ``DataFrame``.
"""
from __future__ import annotations

import difflib
import itertools
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import networkx as nx
import pyoxigraph as ox

from kg.vocab import CORE_RELATIONS, KG_NS

__all__ = [
    "open_store", "graph_to_networkx", "entity_projection", "actor_event_graph", "write_graphml",
    "class_hierarchy", "category_of", "find_node", "degrees", "pagerank_scores", "betweenness_scores",
    "communities", "community_of", "top", "Ranked", "ActorActivity", "actors_by_events",
    "CasualtyReport", "casualty_reports", "ActorCasualties", "actors_by_casualties",
    "TimelineEvent", "event_timeline", "sparql_rows", "sparql_frame", "node_records", "edge_records",
    "graph_frames", "VIEWS",
]

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
WIKIDATA_NS = "http://www.wikidata.org/entity/"
VIEWS = ("full", "entities", "bipartite")
CATEGORIES = {"Agent": "agent", "Place": "place", "Project": "project", "Event": "event"}
RESPONSIBLE = ("carriedOut", "claimed")

_PREFIX = f"""PREFIX kg: <{KG_NS}>
PREFIX rdf: <{RDF_NS}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX geo: <http://www.w3.org/2003/01/geo/wgs84_pos#>
"""
_CORE_VALUES = " ".join(f"kg:{name}" for name in CORE_RELATIONS)


# ----------------------------------------------------------------------------- opening
def open_store(source, merged: bool = True) -> ox.Store:
    """A queryable ``pyoxigraph.Store`` for ``source``.

    Parameters
    ----------
    source : pyoxigraph.Store, str, os.PathLike, rdflib.Graph or rdflib.Dataset
        A store is returned as it is; a path is opened with
        :func:`kg.store.load_graph` (``.trig``, ``.nq``, ``.ttl``... or an Oxigraph store
        folder); an rdflib graph or dataset is copied into a new in-memory store
        (named graphs stay named).
    merged : bool
        Read a dataset file as its merged graph only (what the graph conversions
        need, in half the memory); else its named graphs too, for ``GRAPH`` patterns
        and dataset exports.

    Returns
    -------
    pyoxigraph.Store

    Raises
    ------
    kg.store.GraphError
        A path that does not exist or cannot be parsed.
    TypeError
        Anything else.

    Examples
    --------
    >>> import rdflib
    >>> g = rdflib.Graph()
    >>> _ = g.add((rdflib.URIRef("http://x/a"), rdflib.RDFS.label, rdflib.Literal("A")))
    >>> len(open_store(g))
    1
    """
    if isinstance(source, ox.Store):
        return source
    if isinstance(source, (str, os.PathLike)):
        from kg.store import load_graph

        return load_graph(Path(source), merged=merged)
    try:
        import rdflib
    except ImportError:  # pragma: no cover - rdflib is a dependency
        rdflib = None
    if rdflib is not None and isinstance(source, rdflib.Graph):
        store = ox.Store()
        if isinstance(source, rdflib.ConjunctiveGraph):  # Dataset too
            data = source.serialize(format="nquads", encoding="utf-8")
            store.load(data, format=ox.RdfFormat.N_QUADS)
        else:
            data = source.serialize(format="nt", encoding="utf-8")
            store.load(data, format=ox.RdfFormat.N_TRIPLES)
        return store
    raise TypeError(f"cannot read a graph from {type(source).__name__}: give a pyoxigraph Store, "
                    f"a path or an rdflib Graph/Dataset")


def _query(store: ox.Store, query: str):
    from kg.store import query_options

    return store.query(_PREFIX + query, **query_options(store))


def _text(term) -> str | None:
    return None if term is None else term.value


# ----------------------------------------------------------------------------- classes
@cache
def class_hierarchy() -> dict[str, tuple[str, ...]]:
    """Every kg class and its kg superclasses, the class itself first.

    Read from the project's ontology (``ontology/kg.ttl``).

    Returns
    -------
    dict of str to tuple of str
        Local class name → the local names of the class and its ancestors, nearest
        first.

    Examples
    --------
    >>> class_hierarchy()["ArmedGroup"]
    ('ArmedGroup', 'Organization', 'Agent')
    """
    from rdflib import OWL, RDF, RDFS, URIRef

    from kg.rdf import ontology_graph

    onto = ontology_graph()
    parents: dict[str, list[str]] = defaultdict(list)
    names: set[str] = set()
    for cls in onto.subjects(RDF.type, OWL.Class):
        if isinstance(cls, URIRef) and str(cls).startswith(KG_NS):
            names.add(str(cls)[len(KG_NS):])
    for name in names:
        for sup in onto.objects(URIRef(KG_NS + name), RDFS.subClassOf):
            if str(sup).startswith(KG_NS):
                parents[name].append(str(sup)[len(KG_NS):])
    result = {}
    for name in sorted(names):
        chain, todo = [], [name]
        while todo:  # breadth-first: nearest ancestors first
            current = todo.pop(0)
            if current not in chain:
                chain.append(current)
                todo.extend(sorted(parents.get(current, ())))
        result[name] = tuple(chain)
    return result


def category_of(cls: str) -> str | None:
    """``agent``, ``place``, ``project``, ``event`` or ``None`` for a kg class name.

    Examples
    --------
    >>> category_of("City"), category_of("Hijacking"), category_of("Article")
    ('place', 'event', None)
    """
    for name in class_hierarchy().get(cls, ()):
        if name in CATEGORIES:
            return CATEGORIES[name]
    return None


def _graph_classes() -> dict[str, str]:
    """Class name → category, for the classes whose instances become nodes."""
    return {cls: cat for cls in class_hierarchy() if (cat := category_of(cls))}


# ----------------------------------------------------------------------------- conversion
def graph_to_networkx(source, view: str = "full") -> nx.Graph:
    """The knowledge graph as a networkx graph (see the module docstring for attributes).

    Parameters
    ----------
    source : pyoxigraph.Store, path, rdflib.Graph or rdflib.Dataset
        See :func:`open_store`. Named graphs are read as their merged graph.
    view : {"full", "entities", "bipartite"}
        ``full``: a ``MultiDiGraph`` of entities, events and every core relation
        between them (one edge per triple, keyed by the predicate's local name);
        ``entities``: :func:`entity_projection` of it; ``bipartite``:
        :func:`actor_event_graph` of it.

    Returns
    -------
    networkx.MultiDiGraph or networkx.Graph

    Examples
    --------
    >>> import pyoxigraph as ox
    >>> ttl = '''
    ... @prefix kg: <https://w3id.org/kg-news/ontology#> .
    ... @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    ... @prefix e: <https://w3id.org/kg-news/id/entity/> .
    ... @prefix ev: <https://w3id.org/kg-news/id/event/a1/> .
    ... e:bla a kg:ArmedGroup ; rdfs:label "Baloch Liberation Army" .
    ... e:quetta a kg:City ; rdfs:label "Quetta" .
    ... ev:1 a kg:Attack ; rdfs:label "attack" ; kg:locatedIn e:quetta ;
    ...     kg:occurredOn "2024-11-09"^^<http://www.w3.org/2001/XMLSchema#date> .
    ... e:bla kg:carriedOut ev:1 .
    ... '''
    >>> store = ox.Store()
    >>> store.load(ttl, format=ox.RdfFormat.TURTLE)
    >>> g = graph_to_networkx(store)
    >>> sorted(d["relation"] for _, _, d in g.edges(data=True))
    ['carried-out', 'located-in']
    >>> g.nodes["https://w3id.org/kg-news/id/entity/bla"]["cls"]
    'ArmedGroup'
    >>> g.nodes["https://w3id.org/kg-news/id/event/a1/1"]["date"]
    '2024-11-09'
    """
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r} (use {', '.join(VIEWS)})")
    store = open_store(source)
    g = _full_graph(store)
    if view == "entities":
        return entity_projection(g)
    if view == "bipartite":
        return actor_event_graph(g)
    return g


def _full_graph(store: ox.Store) -> nx.MultiDiGraph:
    classes = _graph_classes()
    hierarchy = class_hierarchy()
    values = " ".join(f"kg:{c}" for c in sorted(classes))
    found: dict[str, dict] = {}
    for row in _query(store, f"SELECT ?n ?cls ?label WHERE {{ VALUES ?cls {{ {values} }} "
                             f"?n a ?cls ; rdfs:label ?label . FILTER(isIRI(?n)) }}"):
        node, cls, label = row["n"].value, row["cls"].value[len(KG_NS):], row["label"].value
        info = found.setdefault(node, {"classes": set(), "labels": set()})
        info["classes"].add(cls)
        info["labels"].add(label)

    g = nx.MultiDiGraph(view="full")
    for node in sorted(found):
        info = found[node]
        # the most specific class: the deepest one; ties broken by name
        cls = max(sorted(info["classes"]), key=lambda c: len(hierarchy[c]))
        category = classes[cls]
        g.add_node(node, label=min(info["labels"]), cls=cls, category=category,
                   kind="event" if category == "event" else "entity", aliases="")

    aliases: dict[str, set[str]] = defaultdict(set)
    for row in _query(store, "SELECT ?n ?alt WHERE { ?n skos:altLabel ?alt }"):
        if row["n"].value in g:
            aliases[row["n"].value].add(row["alt"].value)
    for node, names in aliases.items():
        g.nodes[node]["aliases"] = "|".join(sorted(names - {g.nodes[node]["label"]}))
    for row in _query(store, "SELECT ?n ?same WHERE { ?n owl:sameAs ?same . FILTER(isIRI(?same)) }"):
        node, same = row["n"].value, row["same"].value
        if node in g and same.startswith(WIKIDATA_NS):
            g.nodes[node]["wikidata"] = same[len(WIKIDATA_NS):]
    for row in _query(store, "SELECT ?n ?lat ?lon WHERE { ?n geo:lat ?lat ; geo:long ?lon }"):
        node = row["n"].value
        if node in g:
            try:
                g.nodes[node]["lat"], g.nodes[node]["lon"] = float(row["lat"].value), float(row["lon"].value)
            except ValueError:
                continue
    dates: dict[str, set[str]] = defaultdict(set)
    for row in _query(store, "SELECT ?n ?d WHERE { ?n kg:occurredOn ?d . FILTER(isLiteral(?d)) }"):
        if row["n"].value in g:
            dates[row["n"].value].add(row["d"].value)
    for node, ds in dates.items():
        g.nodes[node]["date"] = min(ds)
        g.nodes[node]["dates"] = "|".join(sorted(ds))
    for row in _query(store, "SELECT ?n (COUNT(DISTINCT ?a) AS ?k) WHERE { ?a kg:mentions ?n } GROUP BY ?n"):
        if row["n"].value in g:
            g.nodes[row["n"].value]["article_count"] = int(row["k"].value)
    # (only events use them: asked of the event classes' instances, not of every
    # statement and report, which are most of what is derived from an article)
    event_values = " ".join(f"kg:{c}" for c in sorted(classes) if classes[c] == "event")
    for row in _query(store, f"SELECT ?n (MIN(?id) AS ?art) (MIN(?ev) AS ?text) WHERE {{ "
                             f"VALUES ?cls {{ {event_values} }} ?n a ?cls ; prov:wasDerivedFrom ?a . "
                             f"?a dcterms:identifier ?id . OPTIONAL {{ ?n kg:evidence ?ev }} }} GROUP BY ?n"):
        node = row["n"].value
        if node in g and g.nodes[node]["kind"] == "event":
            g.nodes[node]["article"] = row["art"].value
            if row["text"] is not None:
                g.nodes[node]["evidence"] = row["text"].value

    # --- edges: one per asserted core triple between two nodes
    for row in _query(store, f"SELECT DISTINCT ?s ?p ?o WHERE {{ VALUES ?p {{ {_CORE_VALUES} }} "
                             f"?s ?p ?o . FILTER(isIRI(?s) && isIRI(?o)) }}"):
        s, o, name = row["s"].value, row["o"].value, row["p"].value[len(KG_NS):]
        if s in g and o in g:
            g.add_edge(s, o, key=name, relation=CORE_RELATIONS[name], predicate=name,
                       evidence_count=0, articles="", article_count=0)
    support: dict[tuple[str, str, str], dict] = defaultdict(lambda: {"st": set(), "ids": set(),
                                                                       "dates": set(), "ev": set()})
    for row in _query(store, f"""SELECT ?s ?p ?o ?st ?id ?date ?ev WHERE {{
            VALUES ?p {{ {_CORE_VALUES} }}
            ?st a rdf:Statement ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o .
            OPTIONAL {{ ?st prov:wasDerivedFrom ?a .
                        OPTIONAL {{ ?a dcterms:identifier ?id }} OPTIONAL {{ ?a dcterms:date ?date }} }}
            OPTIONAL {{ ?st kg:evidence ?ev }} }}"""):
        key = (row["s"].value, row["o"].value, row["p"].value[len(KG_NS):])
        info = support[key]
        info["st"].add(row["st"].value)
        for field, var in (("ids", "id"), ("dates", "date"), ("ev", "ev")):
            if row[var] is not None:
                info[field].add(row[var].value)
    for s, o, name, d in g.edges(keys=True, data=True):
        info = support.get((s, o, name))
        if info:
            d["evidence_count"] = len(info["st"])
            d["articles"] = "|".join(sorted(info["ids"]))
            d["article_count"] = len(info["ids"])
            if info["ev"]:
                d["evidence"] = min(info["ev"], key=lambda t: (len(t), t))
        event_dates = [x for n in (s, o) for x in g.nodes[n].get("dates", "").split("|") if x]
        when = event_dates or (sorted(info["dates"]) if info else [])
        if when:
            d["first_date"], d["last_date"] = min(when), max(when)
    return g


def entity_projection(g: nx.MultiDiGraph, direct: bool = True) -> nx.Graph:
    """Entities only: events collapsed into weighted entity–entity edges.

    Two entities are linked when they take part in the same event (any core relation
    between the entity and the event, in either direction: carried it out, claimed it,
    were targeted, the place it happened...), unless both are only places of it: a
    place (Country, City...) that is the object of the event's relation (located-in,
    targeted) does not get linked to the other places of the event, but a country that
    acts (the subject of carried-out, condemned...) counts as an actor. With ``direct``,
    the core relations between two entities (``memberOf``, ``accused``, ``partOf``...)
    are kept too.

    Parameters
    ----------
    g : networkx.MultiDiGraph
        A full graph from :func:`graph_to_networkx`.
    direct : bool
        Keep the relations between entities.

    Returns
    -------
    networkx.Graph
        Undirected; every entity node of ``g`` with its attributes plus ``event_count``
        (events it takes part in). Edge attributes: ``events`` (shared events),
        ``event_ids`` (``|``-separated), ``direct`` (relation triples between the two,
        either direction), ``relations`` (their labels, ``|``-separated) and
        ``weight`` = ``events`` + ``direct``.

    Examples
    --------
    >>> g = nx.MultiDiGraph()
    >>> g.add_node("bla", kind="entity", category="agent", label="BLA")
    >>> g.add_node("police", kind="entity", category="agent", label="police")
    >>> g.add_node("quetta", kind="entity", category="place", label="Quetta")
    >>> for n in ("e1", "e2"):
    ...     g.add_node(n, kind="event", category="event", label="attack")
    ...     _ = g.add_edge("bla", n, key="carriedOut", relation="carried-out")
    ...     _ = g.add_edge(n, "police", key="targeted", relation="targeted")
    >>> _ = g.add_edge("e1", "quetta", key="locatedIn", relation="located-in")
    >>> p = entity_projection(g)
    >>> p["bla"]["police"]["weight"], p["bla"]["quetta"]["weight"]
    (2, 1)
    """
    p = nx.Graph(view="entities")
    for n, d in g.nodes(data=True):
        if d.get("kind") != "event":
            p.add_node(n, **d, event_count=0)
    for e, d in g.nodes(data=True):
        if d.get("kind") != "event":
            continue
        acting = {m for m in g.predecessors(e) if m in p}  # subjects of entity → event relations
        members = sorted(acting | {m for m in g.successors(e) if m in p})
        placed = {m for m in members if m not in acting and p.nodes[m].get("category") == "place"}
        for m in members:
            p.nodes[m]["event_count"] += 1
        for a, b in itertools.combinations(members, 2):
            if a in placed and b in placed:
                continue
            _projection_edge(p, a, b)["event_set"].add(e)
    if direct:
        for s, o, d in g.edges(data=True):
            if s in p and o in p and s != o:
                edge = _projection_edge(p, s, o)
                edge["direct"] += 1
                edge["relation_set"].add(d.get("relation", ""))
    for _, _, d in p.edges(data=True):
        events, relations = d.pop("event_set"), d.pop("relation_set")
        d["events"] = len(events)
        d["event_ids"] = "|".join(sorted(events))
        d["relations"] = "|".join(sorted(relations))
        d["weight"] = d["events"] + d["direct"]
    return p


def _projection_edge(p: nx.Graph, a: str, b: str) -> dict:
    if not p.has_edge(a, b):
        p.add_edge(a, b, event_set=set(), relation_set=set(), direct=0)
    return p[a][b]


def actor_event_graph(g: nx.MultiDiGraph) -> nx.Graph:
    """The bipartite view: agents on one side, events on the other.

    Parameters
    ----------
    g : networkx.MultiDiGraph
        A full graph from :func:`graph_to_networkx`.

    Returns
    -------
    networkx.Graph
        Actors (``bipartite=0``) and events (``bipartite=1``) that have at least one
        relation with the other side, with their attributes. Actors are agents, and
        any entity that is the subject of a relation to an event (a country that
        carried out an attack or took part in an agreement). An edge per agent–event
        pair: ``relations`` (labels, ``|``-separated: an agent may both carry out and
        claim an attack) and ``weight`` (how many).

    Examples
    --------
    >>> g = nx.MultiDiGraph()
    >>> g.add_node("bla", kind="entity", category="agent")
    >>> g.add_node("e1", kind="event", category="event")
    >>> g.add_edge("bla", "e1", key="carriedOut", relation="carried-out")
    'carriedOut'
    >>> g.add_edge("bla", "e1", key="claimed", relation="claimed")
    'claimed'
    >>> b = actor_event_graph(g)
    >>> b["bla"]["e1"]["relations"], b.nodes["e1"]["bipartite"]
    ('carried-out|claimed', 1)
    """
    b = nx.Graph(view="bipartite")
    rels: dict[tuple[str, str], set[str]] = defaultdict(set)
    for s, o, d in g.edges(data=True):
        ds, do = g.nodes[s], g.nodes[o]
        if ds.get("kind") == "entity" and do.get("kind") == "event":  # the subject acts (any class)
            rels[(s, o)].add(d.get("relation", ""))
        elif ds.get("kind") == "event" and do.get("category") == "agent":
            rels[(o, s)].add(d.get("relation", ""))
    for (agent, event), names in sorted(rels.items()):
        for n, side in ((agent, 0), (event, 1)):
            if n not in b:
                b.add_node(n, **g.nodes[n], bipartite=side)
        b.add_edge(agent, event, relations="|".join(sorted(names)), weight=len(names))
    return b


def write_graphml(g: nx.Graph, path: Path) -> None:
    """Write ``g`` as GraphML (networkx, Gephi, yEd, Cytoscape).

    Parameters
    ----------
    g : networkx graph
        Attribute values must be str, int, float or bool (as produced here).
    path : path
        The file to write.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "g.graphml"
    >>> write_graphml(nx.Graph([("a", "b")]), path)
    >>> sorted(nx.read_graphml(path).edges())
    [('a', 'b')]
    """
    nx.write_graphml(g, str(path), named_key_ids=True)


# ----------------------------------------------------------------------------- lookup
def find_node(g: nx.Graph, name: str) -> str:
    """The node of ``g`` called ``name``: its IRI, its label or one of its aliases.

    Matching is case-insensitive; an exact label wins over an alias.

    Raises
    ------
    KeyError
        No such node (the message suggests close labels).

    Examples
    --------
    >>> g = nx.Graph()
    >>> g.add_node("x/bla", label="Baloch Liberation Army", aliases="BLA")
    >>> find_node(g, "bla"), find_node(g, "baloch liberation army")
    ('x/bla', 'x/bla')
    """
    if name in g:
        return name
    key = name.casefold().strip()
    for field in ("label", "aliases"):
        for n, d in sorted(g.nodes(data=True), key=lambda nd: (nd[1].get("kind") != "entity", nd[0])):
            values = [d.get(field, "")] if field == "label" else d.get(field, "").split("|")
            if any(v.casefold() == key for v in values if v):
                return n
    labels = sorted({d.get("label", "") for _, d in g.nodes(data=True)} - {""})
    close = difflib.get_close_matches(name, labels, n=3)
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    raise KeyError(f"no node labelled {name!r}{hint}")


# ----------------------------------------------------------------------------- measures
def degrees(g: nx.Graph, weight: str | None = None) -> dict[str, float]:
    """The degree of every node (in + out for directed graphs).

    Parameters
    ----------
    g : networkx graph
    weight : str, optional
        Edge attribute to sum instead of counting edges (``"weight"`` in the entity
        projection sums the shared events).

    Returns
    -------
    dict
        Node → degree.

    Examples
    --------
    >>> degrees(nx.Graph([("a", "b"), ("b", "c")]))
    {'a': 1, 'b': 2, 'c': 1}
    """
    return dict(g.degree(weight=weight))


def pagerank_scores(g: nx.Graph, weight: str | None = "weight", alpha: float = 0.85) -> dict[str, float]:
    """PageRank of every node (networkx's scipy implementation).

    Parameters
    ----------
    g : networkx graph
        Parallel edges of a multigraph add up.
    weight : str, optional
        Edge attribute used as weight (missing values count 1); ``None`` for none.
    alpha : float
        Damping factor.

    Returns
    -------
    dict
        Node → score; the scores sum to 1.

    Examples
    --------
    >>> r = pagerank_scores(nx.DiGraph([("a", "c"), ("b", "c")]))
    >>> max(r, key=r.get), round(sum(r.values()), 6)
    ('c', 1.0)
    """
    if len(g) == 0:
        return {}
    return nx.pagerank(g, alpha=alpha, weight=weight)


def betweenness_scores(g: nx.Graph, normalized: bool = True, weight: str | None = None) -> dict[str, float]:
    """Betweenness centrality of every node: how often it lies on shortest paths.

    Parameters
    ----------
    g : networkx graph
    normalized : bool
        Divide by the number of node pairs.
    weight : str, optional
        Edge attribute used as a *distance*. Unweighted by default: the projection's
        ``weight`` measures closeness, not distance.

    Returns
    -------
    dict
        Node → score.

    Examples
    --------
    >>> betweenness_scores(nx.path_graph(3))
    {0: 0.0, 1: 1.0, 2: 0.0}
    """
    return nx.betweenness_centrality(g, normalized=normalized, weight=weight)


def communities(g: nx.Graph, seed: int = 42, weight: str | None = "weight",
                resolution: float = 1.0) -> list[set[str]]:
    """Louvain communities (seeded, so the same graph gives the same partition).

    Directed graphs and multigraphs are first folded into an undirected simple graph
    whose edge weights sum those of the parallel edges (1 each when missing).

    Parameters
    ----------
    g : networkx graph
    seed : int
        Random seed of the Louvain method.
    weight : str, optional
        Edge attribute used as weight.
    resolution : float
        Above 1 favours smaller communities.

    Returns
    -------
    list of set
        The communities, largest first (ties: by smallest member).

    Examples
    --------
    >>> g = nx.Graph([(1, 2), (2, 3), (1, 3), (4, 5), (5, 6), (4, 6), (3, 4)])
    >>> communities(g)
    [{1, 2, 3}, {4, 5, 6}]
    """
    if g.is_directed() or g.is_multigraph():
        g = _undirected(g, weight)
        weight = "weight" if weight else None
    found = nx.community.louvain_communities(g, weight=weight, resolution=resolution, seed=seed)
    return sorted((set(c) for c in found), key=lambda c: (-len(c), min(map(str, c))))


def _undirected(g: nx.Graph, weight: str | None) -> nx.Graph:
    u = nx.Graph()
    u.add_nodes_from(g.nodes(data=True))
    for a, b, d in g.edges(data=True):
        w = d.get(weight, 1) if weight else 1
        if u.has_edge(a, b):
            u[a][b]["weight"] += w
        else:
            u.add_edge(a, b, weight=w)
    return u


def community_of(parts: Iterable[set]) -> dict:
    """Node → index of its community in ``parts`` (as returned by :func:`communities`).

    Examples
    --------
    >>> community_of([{"a", "b"}, {"c"}]) == {"a": 0, "b": 0, "c": 1}
    True
    """
    return {n: i for i, part in enumerate(parts) for n in part}


@dataclass(frozen=True)
class Ranked:
    """One row of a ranking: the node, its label and class, and its value."""

    rank: int
    node: str
    label: str
    cls: str
    value: float


def top(g: nx.Graph, scores: Mapping, n: int | None = 10, kind: str | None = None) -> list[Ranked]:
    """The ``n`` best nodes by ``scores``, highest first (ties by label).

    Parameters
    ----------
    g : networkx graph
        Supplies labels and classes.
    scores : mapping
        Node → value, e.g. from :func:`pagerank_scores`.
    n : int, optional
        How many rows (``None``: all).
    kind : {"entity", "event"}, optional
        Keep only nodes of this kind.

    Examples
    --------
    >>> g = nx.Graph([("a", "b"), ("b", "c")])
    >>> [(r.rank, r.node, r.value) for r in top(g, degrees(g), n=2)]
    [(1, 'b', 2), (2, 'a', 1)]
    """
    items = [(node, value) for node, value in scores.items()
             if node in g and (kind is None or g.nodes[node].get("kind") == kind)]
    items.sort(key=lambda nv: (-nv[1], str(g.nodes[nv[0]].get("label", nv[0])), str(nv[0])))
    rows = []
    for i, (node, value) in enumerate(items[:n] if n is not None else items, 1):
        d = g.nodes[node]
        rows.append(Ranked(i, node, str(d.get("label", node)), str(d.get("cls", "")), value))
    return rows


@dataclass(frozen=True)
class ActorActivity:
    """An agent's part in the events: how many, and in which roles."""

    node: str
    label: str
    cls: str
    events: int
    carried_out: int
    claimed: int
    targeted: int
    other: int


def actors_by_events(g: nx.MultiDiGraph) -> list[ActorActivity]:
    """Actors ranked by the number of distinct events they take part in.

    Parameters
    ----------
    g : networkx.MultiDiGraph
        A full graph from :func:`graph_to_networkx`.

    Returns
    -------
    list of ActorActivity
        Actors with at least one event, most events first (ties by label): agents, and
        entities of other classes that are the subject of a relation to an event (a
        country that carried out a strike). The role columns count events per role
        (``other``: condemned, participated-in...).

    Examples
    --------
    >>> g = nx.MultiDiGraph()
    >>> g.add_node("bla", kind="entity", category="agent", label="BLA", cls="ArmedGroup")
    >>> g.add_node("e1", kind="event", category="event")
    >>> g.add_edge("bla", "e1", key="claimed", predicate="claimed")
    'claimed'
    >>> actors_by_events(g)[0].claimed
    1
    """
    roles: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for s, o, d in g.edges(data=True):
        role = d.get("predicate", "")
        role = role if role in ("carriedOut", "claimed", "targeted") else "other"
        if g.nodes[s].get("kind") == "entity" and g.nodes[o].get("kind") == "event":
            roles[s][role].add(o)  # the subject acts, whatever its class
        elif g.nodes[s].get("kind") == "event" and g.nodes[o].get("category") == "agent":
            roles[o][role].add(s)
    rows = []
    for agent, by_role in roles.items():
        d = g.nodes[agent]
        everything = set().union(*by_role.values())
        rows.append(ActorActivity(agent, d.get("label", agent), d.get("cls", ""), len(everything),
                                  len(by_role["carriedOut"]), len(by_role["claimed"]),
                                  len(by_role["targeted"]), len(by_role["other"])))
    rows.sort(key=lambda r: (-r.events, r.label, r.node))
    return rows


@dataclass(frozen=True)
class CasualtyReport:
    """One reported casualty figure (``kg:CasualtyReport``), flattened for tables."""

    report: str
    event: str | None
    event_label: str | None
    count: int
    kind: str
    victims: str | None
    qualifier: str | None
    source: str | None
    source_label: str | None
    article: str | None
    article_title: str | None
    evidence: str | None


def casualty_reports(source) -> list[CasualtyReport]:
    """Every casualty report of a graph, one row per figure and source.

    Competing figures stay separate rows; nothing is summed or averaged here.

    Parameters
    ----------
    source : pyoxigraph.Store, path, rdflib.Graph or rdflib.Dataset
        See :func:`open_store`.

    Returns
    -------
    list of CasualtyReport
        Sorted by article, then report IRI. ``pandas.DataFrame(rows)`` makes a table.

    Examples
    --------
    >>> import pyoxigraph as ox
    >>> store = ox.Store()
    >>> store.load('''@prefix kg: <https://w3id.org/kg-news/ontology#> .
    ... <http://x/r1> a kg:CasualtyReport ; kg:casualtyCount 31 ; kg:casualtyKind "killed" .
    ... ''', format=ox.RdfFormat.TURTLE)
    >>> [(r.count, r.kind, r.source) for r in casualty_reports(store)]
    [(31, 'killed', None)]
    """
    store = open_store(source)
    rows = []
    for row in _query(store, """
            SELECT ?r (MIN(?c) AS ?count) (MIN(?k) AS ?kind) (SAMPLE(?e) AS ?event) (MIN(?el) AS ?elabel)
                   (MIN(?v) AS ?victims) (MIN(?q) AS ?qual) (SAMPLE(?src) AS ?source) (MIN(?sl) AS ?slabel)
                   (MIN(?id) AS ?article) (MIN(?t) AS ?title) (MIN(?ev) AS ?evidence)
            WHERE {
              ?r a kg:CasualtyReport ; kg:casualtyCount ?c ; kg:casualtyKind ?k .
              OPTIONAL { ?r kg:reportOf ?e . OPTIONAL { ?e rdfs:label ?el } }
              OPTIONAL { ?r kg:victimGroup ?v }
              OPTIONAL { ?r kg:countQualifier ?q }
              OPTIONAL { ?r kg:reportedBy ?src . OPTIONAL { ?src rdfs:label ?sl } }
              OPTIONAL { ?r prov:wasDerivedFrom ?a . ?a dcterms:identifier ?id . OPTIONAL { ?a dcterms:title ?t } }
              OPTIONAL { ?r kg:evidence ?ev }
            } GROUP BY ?r"""):
        try:
            count = int(row["count"].value)
        except ValueError:
            continue
        rows.append(CasualtyReport(row["r"].value, _text(row["event"]), _text(row["elabel"]), count,
                                   row["kind"].value, _text(row["victims"]), _text(row["qual"]),
                                   _text(row["source"]), _text(row["slabel"]), _text(row["article"]),
                                   _text(row["title"]), _text(row["evidence"])))
    rows.sort(key=lambda r: (r.article or "", r.report))
    return rows


@dataclass(frozen=True)
class ActorCasualties:
    """Casualties of the events an agent is responsible for, as a range over sources."""

    node: str
    label: str
    cls: str
    events: int
    reports: int
    low: int
    high: int


def actors_by_casualties(g: nx.MultiDiGraph, reports: Iterable[CasualtyReport], kind: str = "killed",
                         roles: Iterable[str] = RESPONSIBLE) -> list[ActorCasualties]:
    """Actors ranked by the casualties of the events they carried out or claimed.

    Sources often disagree, so each event contributes a range: its lowest and its
    highest reported figure of ``kind``. An agent's ``low`` and ``high`` are the sums
    of those over its events (an event with one report adds the same to both).

    Parameters
    ----------
    g : networkx.MultiDiGraph
        A full graph from :func:`graph_to_networkx`.
    reports : iterable of CasualtyReport
        From :func:`casualty_reports` on the same graph.
    kind : str
        ``killed``, ``injured``, ``abducted``...
    roles : iterable of str
        The predicates (local names) that make an agent responsible for an event.

    Returns
    -------
    list of ActorCasualties
        Actors (subjects of ``roles``) with at least one reported event, highest
        ``high`` first.

    Examples
    --------
    >>> g = nx.MultiDiGraph()
    >>> g.add_node("bla", kind="entity", category="agent", label="BLA", cls="ArmedGroup")
    >>> g.add_node("e1", kind="event", category="event")
    >>> g.add_edge("bla", "e1", key="carriedOut", predicate="carriedOut")
    'carriedOut'
    >>> reps = [CasualtyReport(report=f"r{i}", event="e1", event_label=None, count=n, kind="killed",
    ...                        victims=None, qualifier=None, source=None, source_label=None,
    ...                        article=None, article_title=None, evidence=None)
    ...         for i, n in enumerate((26, 32))]
    >>> r = actors_by_casualties(g, reps)[0]
    >>> (r.label, r.events, r.reports, r.low, r.high)
    ('BLA', 1, 2, 26, 32)
    """
    roles = set(roles)
    by_event: dict[str, list[int]] = defaultdict(list)
    for rep in reports:
        if rep.kind == kind and rep.event is not None:
            by_event[rep.event].append(rep.count)
    responsible: dict[str, set[str]] = defaultdict(set)
    for s, o, d in g.edges(data=True):
        if d.get("predicate") in roles and o in by_event and g.nodes[s].get("kind") == "entity":
            responsible[s].add(o)
    rows = []
    for agent, events in responsible.items():
        d = g.nodes[agent]
        rows.append(ActorCasualties(agent, d.get("label", agent), d.get("cls", ""), len(events),
                                    sum(len(by_event[e]) for e in events),
                                    sum(min(by_event[e]) for e in events), sum(max(by_event[e]) for e in events)))
    rows.sort(key=lambda r: (-r.high, -r.low, r.label, r.node))
    return rows


@dataclass(frozen=True)
class TimelineEvent:
    """One dated event with the entities around it."""

    date: str
    event: str
    label: str
    cls: str
    actors: str
    targets: str
    places: str
    article: str


def event_timeline(g: nx.MultiDiGraph, node: str | None = None, within: bool = True) -> list[TimelineEvent]:
    """Dated events in date order, optionally only those of one actor or place.

    Dates are ``xsd:date``, ``xsd:gYearMonth`` or ``xsd:gYear`` strings, so they sort
    as text (``2024`` < ``2024-11`` < ``2024-11-09``). An event with several dates
    appears once per date.

    Parameters
    ----------
    g : networkx.MultiDiGraph
        A full graph from :func:`graph_to_networkx`.
    node : str, optional
        An IRI, label or alias (see :func:`find_node`): keep the events related to
        it in any way (carried out, claimed, targeted, located in...).
    within : bool
        For a place: also the events located in places inside it (``located-in`` or
        ``part-of`` chains, e.g. Mastung in Balochistan).

    Returns
    -------
    list of TimelineEvent
        ``actors`` (agents that carried out, claimed or took part), ``targets`` and
        ``places`` are labels, ``; ``-separated.

    Examples
    --------
    >>> g = nx.MultiDiGraph()
    >>> g.add_node("bla", kind="entity", category="agent", label="BLA")
    >>> g.add_node("quetta", kind="entity", category="place", label="Quetta")
    >>> g.add_node("e1", kind="event", category="event", label="attack", cls="Attack", dates="2024-11-09")
    >>> g.add_edge("bla", "e1", key="carriedOut", predicate="carriedOut")
    'carriedOut'
    >>> g.add_edge("e1", "quetta", key="locatedIn", predicate="locatedIn")
    'locatedIn'
    >>> [(t.date, t.actors, t.places) for t in event_timeline(g, "Quetta")]
    [('2024-11-09', 'BLA', 'Quetta')]
    """
    keep: set[str] | None = None
    if node is not None:
        target = find_node(g, node)
        scope = {target}
        if within and g.nodes[target].get("category") == "place":
            scope |= _places_within(g, target)
        keep = {m for s in scope for m in itertools.chain(g.predecessors(s), g.successors(s))
                if g.nodes[m].get("kind") == "event"}
        if g.nodes[target].get("kind") == "event":
            keep.add(target)
    rows = []
    for e, d in g.nodes(data=True):
        if d.get("kind") != "event" or not d.get("dates") or (keep is not None and e not in keep):
            continue
        actors, targets, places = set(), set(), set()
        for s, _, ed in g.in_edges(e, data=True):
            if g.nodes[s].get("kind") == "entity":
                actors.add(g.nodes[s].get("label", s))
        for _, o, ed in g.out_edges(e, data=True):
            if g.nodes[o].get("kind") != "entity":
                continue
            if ed.get("predicate") == "locatedIn":
                places.add(g.nodes[o].get("label", o))
            else:
                targets.add(g.nodes[o].get("label", o))
        for date in d["dates"].split("|"):
            rows.append(TimelineEvent(date, e, d.get("label", ""), d.get("cls", ""), "; ".join(sorted(actors)),
                                      "; ".join(sorted(targets)), "; ".join(sorted(places)), d.get("article", "")))
    rows.sort(key=lambda t: (t.date, t.event))
    return rows


def _places_within(g: nx.MultiDiGraph, place: str) -> set[str]:
    inside, todo = set(), [place]
    while todo:
        current = todo.pop()
        for s, _, d in g.in_edges(current, data=True):
            if (d.get("predicate") in ("locatedIn", "partOf") and g.nodes[s].get("category") == "place"
                    and s not in inside and s != place):
                inside.add(s)
                todo.append(s)
    return inside


# ----------------------------------------------------------------------------- tables
def _python(term):
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        dt = term.datatype.value if term.datatype is not None else ""
        local = dt.rsplit("#", 1)[-1] if dt.startswith("http://www.w3.org/2001/XMLSchema#") else ""
        try:
            if local in ("integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger",
                         "negativeInteger", "nonPositiveInteger", "unsignedInt", "unsignedLong"):
                return int(term.value)
            if local in ("decimal", "double", "float"):
                return float(term.value)
            if local == "boolean":
                return term.value in ("true", "1")
        except ValueError:
            return term.value
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value


def sparql_rows(source, query: str) -> tuple[list[str], list[tuple]]:
    """Run a SPARQL SELECT query; column names and rows of Python values.

    IRIs become strings, numeric and boolean literals numbers and booleans, other
    literals (dates included) their lexical form, unbound variables ``None``. Patterns
    outside ``GRAPH`` match the merged graph, where a triple that several articles
    state is found once; ``GRAPH ?g { ... }`` matches the article graphs (a dataset
    file given by path is loaded with both, see :func:`kg.store.load_graph`).

    Parameters
    ----------
    source : pyoxigraph.Store, path, rdflib.Graph or rdflib.Dataset
    query : str
        A SELECT query; the usual prefixes (kg, rdf, rdfs, skos, owl, prov, dcterms,
        geo) are predeclared.

    Examples
    --------
    >>> import pyoxigraph as ox
    >>> store = ox.Store()
    >>> store.load('<http://x/a> <http://x/n> 3 .', format=ox.RdfFormat.TURTLE)
    >>> sparql_rows(store, "SELECT ?s ?n WHERE { ?s ?p ?n }")
    (['s', 'n'], [('http://x/a', 3)])
    """
    result = _query(open_store(source, merged=False), query)  # named graphs kept for GRAPH patterns
    if not isinstance(result, ox.QuerySolutions):
        raise ValueError("sparql_rows needs a SELECT query")
    columns = [v.value for v in result.variables]
    rows = [tuple(_python(sol[c]) for c in columns) for sol in result]
    return columns, rows


def sparql_frame(source, query: str):
    """A SPARQL SELECT query's results as a pandas ``DataFrame`` (see :func:`sparql_rows`).

    Examples
    --------
    >>> import pyoxigraph as ox
    >>> store = ox.Store()
    >>> store.load('<http://x/a> <http://x/n> 3 .', format=ox.RdfFormat.TURTLE)
    >>> sparql_frame(store, "SELECT ?s ?n WHERE { ?s ?p ?n }").to_dict("records")
    [{'s': 'http://x/a', 'n': 3}]
    """
    pd = _pandas()
    columns, rows = sparql_rows(source, query)
    return pd.DataFrame.from_records(rows, columns=columns)


def node_records(g: nx.Graph) -> list[dict]:
    """One dict per node: ``id`` and its attributes (missing ones left out).

    Examples
    --------
    >>> node_records(nx.Graph([("a", "b")]))
    [{'id': 'a'}, {'id': 'b'}]
    """
    return [{"id": n, **d} for n, d in g.nodes(data=True)]


def edge_records(g: nx.Graph) -> list[dict]:
    """One dict per edge: ``source``, ``target`` (and ``key`` in multigraphs) and attributes.

    Examples
    --------
    >>> edge_records(nx.Graph([("a", "b", {"weight": 2})]))
    [{'source': 'a', 'target': 'b', 'weight': 2}]
    """
    if g.is_multigraph():
        return [{"source": s, "target": o, "key": k, **d} for s, o, k, d in g.edges(keys=True, data=True)]
    return [{"source": s, "target": o, **d} for s, o, d in g.edges(data=True)]


def graph_frames(g: nx.Graph):
    """``(nodes, edges)`` pandas DataFrames of a graph (see :func:`node_records`).

    Examples
    --------
    >>> nodes, edges = graph_frames(nx.Graph([("a", "b")]))
    >>> list(nodes["id"]), len(edges)
    (['a', 'b'], 1)
    """
    pd = _pandas()
    nodes = pd.DataFrame.from_records(node_records(g))
    if nodes.empty:
        nodes = pd.DataFrame(columns=["id"])
    edges = pd.DataFrame.from_records(edge_records(g))
    if edges.empty:
        edges = pd.DataFrame(columns=["source", "target"])
    return nodes, edges


def _pandas():
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("this needs pandas: pip install 'kg-news[notebooks]'") from None
    return pd
