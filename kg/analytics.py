"""The knowledge graph as a networkx graph, and graph measures.

:func:`graph_to_networkx` reads entities, events and the core relations from an
Oxigraph store (or anything with the same ``query`` method) into a
``networkx.MultiDiGraph``: nodes carry ``label``, ``cls``, ``aliases``, ``wikidata``,
``lat``/``lon`` and (events) ``date``; edges carry ``relation`` (the kebab-case
label), ``articles`` and ``evidence_count``.
"""
from __future__ import annotations

from pathlib import Path

import networkx as nx

from kg.vocab import CORE_RELATIONS, ID_NS, KG_NS

_PREFIX = f"""PREFIX kg: <{KG_NS}>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX geo: <http://www.w3.org/2003/01/geo/wgs84_pos#>
"""

NODES_QUERY = _PREFIX + f"""
SELECT ?n ?label ?cls (GROUP_CONCAT(DISTINCT ?alt; separator="|") AS ?aliases)
       (SAMPLE(?same) AS ?wikidata) (SAMPLE(?lat) AS ?la) (SAMPLE(?lon) AS ?lo) (MIN(STR(?date)) AS ?d)
WHERE {{
  ?n a ?cls ; rdfs:label ?label .
  FILTER(STRSTARTS(STR(?n), "{ID_NS}entity/") || STRSTARTS(STR(?n), "{ID_NS}event/"))
  FILTER(STRSTARTS(STR(?cls), "{KG_NS}"))
  OPTIONAL {{ ?n skos:altLabel ?alt }}
  OPTIONAL {{ ?n owl:sameAs ?same }}
  OPTIONAL {{ ?n geo:lat ?lat ; geo:long ?lon }}
  OPTIONAL {{ ?n kg:occurredOn ?date }}
}} GROUP BY ?n ?label ?cls
"""

EDGES_QUERY = _PREFIX + """
SELECT ?s ?p ?o (COUNT(DISTINCT ?st) AS ?n) (GROUP_CONCAT(DISTINCT ?id; separator="|") AS ?articles)
       (SAMPLE(?ev) AS ?evidence)
WHERE {
  VALUES ?p { %s }
  ?s ?p ?o . FILTER(isIRI(?o))
  OPTIONAL { ?st rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; prov:wasDerivedFrom ?a ; kg:evidence ?ev .
             ?a dcterms:identifier ?id }
} GROUP BY ?s ?p ?o
""" % " ".join(f"kg:{name}" for name in CORE_RELATIONS)


def _value(term) -> str | None:
    return None if term is None else str(term.value)


def graph_to_networkx(store) -> nx.MultiDiGraph:
    """Entities, events and core relations of a store as a ``MultiDiGraph``."""
    g = nx.MultiDiGraph()
    classes: dict[str, list[str]] = {}
    for row in store.query(NODES_QUERY):
        node = _value(row["n"])
        cls = _value(row["cls"]).rsplit("#", 1)[-1]
        classes.setdefault(node, []).append(cls)
        attrs = {"label": _value(row["label"]), "cls": cls, "kind": "event" if "/id/event/" in node else "entity",
                 "aliases": _value(row["aliases"]) or ""}
        if row["wikidata"] is not None:
            attrs["wikidata"] = _value(row["wikidata"])
        if row["la"] is not None:
            attrs["lat"], attrs["lon"] = float(_value(row["la"])), float(_value(row["lo"]))
        if row["d"] is not None and _value(row["d"]):
            attrs["date"] = _value(row["d"])
        g.add_node(node, **attrs)
    for row in store.query(EDGES_QUERY):
        s, o = _value(row["s"]), _value(row["o"])
        if s not in g or o not in g:
            continue
        name = _value(row["p"]).rsplit("#", 1)[-1]
        g.add_edge(s, o, key=name, relation=CORE_RELATIONS[name], predicate=name,
                   evidence_count=int(_value(row["n"])), articles=_value(row["articles"]) or "",
                   evidence=_value(row["evidence"]) or "")
    return g


def write_graphml(g: nx.MultiDiGraph, path: Path) -> None:
    """GraphML for networkx and Gephi (attribute values are strings and numbers)."""
    nx.write_graphml(g, str(path), named_key_ids=True)
