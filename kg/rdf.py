"""Facts to RDF: the only module that mints IRIs.

Each article becomes a named graph holding its ``kg:Article`` node, the entities it
mentions (type, label, altLabels, ``owl:sameAs``), its events, casualty reports,
claims, the relation triples and one ``rdf:Statement`` per relation triple with the
evidence sentence, the article, character offsets and the id of the rule that fired.

Triples are produced as rdflib terms and written as N-Quads lines by
:func:`nquad`, so a build can stream them to disk or into a store.
"""
from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache
from urllib.parse import quote

import pyoxigraph as ox
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, SKOS

from kg.model import ArticleFacts
from kg.paths import ontology_dir
from kg.vocab import GEO, ID_NS, KG, KG_NS, WD

Triple = tuple[URIRef, URIRef, URIRef | Literal]
Quad = tuple[URIRef, URIRef, URIRef | Literal, URIRef]

PREFIXES = {
    "kg": KG_NS, "kgid": ID_NS, "entity": ID_NS + "entity/", "event": ID_NS + "event/",
    "article": ID_NS + "article/", "statement": ID_NS + "statement/", "report": ID_NS + "report/",
    "claim": ID_NS + "claim/", "graph": ID_NS + "graph/", "rdf": str(RDF), "rdfs": str(RDFS), "owl": str(OWL),
    "xsd": str(XSD), "skos": str(SKOS), "prov": str(PROV), "dcterms": str(DCTERMS),
    "geo": str(GEO), "wd": str(WD),
}
ONTOLOGY_GRAPH = URIRef(ID_NS + "graph/ontology")
DATATYPES = {"date": XSD.date, "gYearMonth": XSD.gYearMonth, "gYear": XSD.gYear}


# ----------------------------------------------------------------------------- IRIs
def _segment(text: str) -> str:
    """An IRI path segment: lower-case, spaces to hyphens, the rest percent-encoded
    (ASCII only; an unencodable lone surrogate becomes ``%3F``); never empty, never a
    dot segment (``.`` and ``..`` would be removed by IRI normalisation).

    >>> _segment("Al-Qaeda in the Arabian Peninsula"), _segment("Café <b>"), _segment("..")
    ('al-qaeda-in-the-arabian-peninsula', 'caf%C3%A9-%3Cb%3E', '%2E%2E')
    """
    text = re.sub(r"\s+", "-", text.strip().lower())
    seg = quote(text, safe="-._~", errors="replace") or "_"
    return seg.replace(".", "%2E") if seg.strip(".") == "" else seg


def article_iri(article_id: str) -> URIRef:
    return URIRef(f"{ID_NS}article/{_segment(article_id)}")


def graph_iri(article_id: str) -> URIRef:
    return URIRef(f"{ID_NS}graph/{_segment(article_id)}")


def entity_iri(key: str) -> URIRef:
    """``g:pakistan`` → ``.../id/entity/pakistan``; ``n:police stations`` →
    ``.../id/entity/police-stations``."""
    return URIRef(f"{ID_NS}entity/{_segment(key.split(':', 1)[1])}")


def event_iri(key: str) -> URIRef:
    _, article, n = key.split(":", 2)
    return URIRef(f"{ID_NS}event/{_segment(article)}/{_segment(n)}")


def node_iri(key: str) -> URIRef:
    return event_iri(key) if key.startswith("e:") else entity_iri(key)


def _hash(*parts: object) -> str:
    return hashlib.sha1("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()[:20]


# ----------------------------------------------------------------------------- triples
# The triples of an article are pyoxigraph terms (native, ~10x cheaper to make than
# rdflib's), written by pyoxigraph's serialisers; IRIs are minted above as rdflib
# URIRefs and turned into nodes once each (memoised).

@lru_cache(maxsize=1 << 16)
def _node(iri: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(iri)
    except ValueError:  # an IRI from user data (an extra gazetteer's Wikidata id...): encode it
        return ox.NamedNode(_IRI_BAD.sub(lambda m: quote(m.group(0)), iri))


@lru_cache(maxsize=1 << 16)
def _entity(key: str) -> ox.NamedNode:
    return _node(str(entity_iri(key)))


@lru_cache(maxsize=1 << 16)
def _any(key: str) -> ox.NamedNode:
    return _node(str(node_iri(key)))


def _text(value: str) -> ox.Literal:
    try:
        return ox.Literal(value)
    except (UnicodeEncodeError, ValueError):  # a lone surrogate is no character
        return ox.Literal(value.encode("utf-8", "replace").decode("utf-8"))


def _typed(value, datatype: ox.NamedNode) -> ox.Literal:
    return ox.Literal(str(value), datatype=datatype)


def _decimal(value: float) -> str:
    """``xsd:decimal`` lexical form of a float (never exponent notation).

    >>> _decimal(33.72148), _decimal(1e-05), _decimal(-2.0)
    ('33.72148', '0.00001', '-2.0')
    """
    text = repr(float(value))
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text


_T = {name: _node(str(term)) for name, term in {
    "type": RDF.type, "label": RDFS.label, "alt": SKOS.altLabel, "same": OWL.sameAs, "lat": GEO.lat,
    "long": GEO.long, "identifier": DCTERMS.identifier, "title": DCTERMS.title, "date": DCTERMS.date,
    "source": DCTERMS.source, "derived": PROV.wasDerivedFrom, "subject": RDF.subject,
    "predicate": RDF.predicate, "object": RDF.object, "Statement": RDF.Statement,
    "integer": XSD.integer, "decimal": XSD.decimal, "boolean": XSD.boolean, "xdate": XSD.date,
    "anyURI": XSD.anyURI}.items()}
_DATATYPES = {k: _node(str(v)) for k, v in DATATYPES.items()}
_TRUE = ox.Literal("true", datatype=_T["boolean"])


@lru_cache(maxsize=512)
def _kg(name: str) -> ox.NamedNode:
    return _node(str(KG[name]))


def article_triples(facts: ArticleFacts) -> Iterator[ox.Triple]:
    """Every triple of one article's named graph (pyoxigraph terms)."""
    art = facts.article
    a = _node(str(article_iri(art.id)))
    T, Triple, integer = _T, ox.Triple, _T["integer"]
    yield Triple(a, T["type"], _kg("Article"))
    yield Triple(a, T["identifier"], _text(art.id))
    if art.title:
        yield Triple(a, T["title"], _text(art.title))
    if art.date:
        yield Triple(a, T["date"], _typed(art.date, T["xdate"]))
    if art.source:
        yield Triple(a, T["source"], _text(art.source))
    if art.url:
        yield Triple(a, _kg("sourceUrl"), _typed(art.url, T["anyURI"]))
    if art.dateline:
        yield Triple(a, _kg("dateline"), _text(art.dateline))
    if facts.dateline_place:
        yield Triple(a, _kg("datelinePlace"), _entity(facts.dateline_place))
    yield Triple(a, _kg("wordCount"), _typed(art.word_count, integer))

    mentions = _kg("mentions")
    for ent in facts.entities.values():
        e = _entity(ent.key)
        yield Triple(e, T["type"], _kg(ent.cls))
        yield Triple(e, T["label"], _text(ent.label))
        for alias in sorted(ent.aliases):
            if alias != ent.label:
                yield Triple(e, T["alt"], _text(alias))
        if ent.wikidata:
            yield Triple(e, T["same"], _node(str(WD[ent.wikidata])))
        if ent.lat is not None and ent.lon is not None:
            yield Triple(e, T["lat"], _typed(_decimal(ent.lat), T["decimal"]))
            yield Triple(e, T["long"], _typed(_decimal(ent.lon), T["decimal"]))
        if ent.generic:
            yield Triple(e, _kg("generic"), _TRUE)
        if ent.mentions:
            yield Triple(a, mentions, e)

    evidence, trigger = _kg("evidence"), _kg("trigger")
    for ev in facts.events.values():
        e = _any(ev.key)
        yield Triple(e, T["type"], _kg(ev.cls))
        yield Triple(e, T["label"], _text(ev.label))
        yield Triple(e, T["derived"], a)
        for t in ev.triggers:
            yield Triple(e, trigger, _text(t))
        if ev.evidence:
            yield Triple(e, evidence, _text(ev.evidence[0].sentence))

    for rel in facts.relations:
        s = _any(rel.subject)
        p = _kg(rel.predicate)
        o = _typed(rel.object, _DATATYPES[rel.datatype]) if rel.datatype else _any(rel.object)
        yield Triple(s, p, o)
        st = _node(f"{ID_NS}statement/{_hash(art.id, s.value, p.value, o.value, rel.evidence.start, rel.evidence.rule)}")
        yield from _statement(st, s, p, o, a, rel.evidence, T["Statement"])

    for n, claim in enumerate(facts.claims, 1):
        c = _node(f"{ID_NS}claim/{_segment(art.id)}/{n}")
        yield from _statement(c, _any(claim.subject), _kg(claim.predicate),
                              _any(claim.object), a, claim.evidence, _kg("Claim"))
        yield Triple(c, _kg("claimStatus"), _text(claim.status))
        if claim.claimant:
            yield Triple(c, _kg("claimedBy"), _any(claim.claimant))
        if claim.denied_by:
            yield Triple(c, _kg("deniedBy"), _any(claim.denied_by))

    for n, rep in enumerate(facts.reports, 1):
        r = _node(f"{ID_NS}report/{_segment(art.id)}/{n}")
        yield Triple(r, T["type"], _kg("CasualtyReport"))
        yield Triple(r, T["label"], _text(_report_label(rep)))
        yield Triple(r, _kg("casualtyCount"), _typed(rep.count, integer))
        yield Triple(r, _kg("casualtyKind"), _text(rep.kind))
        if rep.victims:
            yield Triple(r, _kg("victimGroup"), _text(rep.victims))
        if rep.victim_key:
            yield Triple(r, _kg("victim"), _entity(rep.victim_key))
        if rep.qualifier:
            yield Triple(r, _kg("countQualifier"), _text(rep.qualifier))
        if rep.event:
            ev = _any(rep.event)
            yield Triple(r, _kg("reportOf"), ev)
            yield Triple(ev, _kg("hasReport"), r)
        if rep.source:
            yield Triple(r, _kg("reportedBy"), _entity(rep.source))
        yield Triple(r, T["derived"], a)
        yield Triple(r, evidence, _text(rep.evidence.sentence))
        yield Triple(r, _kg("rule"), _text(rep.evidence.rule))
        yield Triple(r, _kg("charStart"), _typed(rep.evidence.start, integer))
        yield Triple(r, _kg("charEnd"), _typed(rep.evidence.end, integer))


def _statement(node, s, p, o, article, evidence, cls) -> Iterator[ox.Triple]:
    T, Triple = _T, ox.Triple
    yield Triple(node, T["type"], cls)
    yield Triple(node, T["subject"], s)
    yield Triple(node, T["predicate"], p)
    yield Triple(node, T["object"], o)
    yield Triple(node, T["derived"], article)
    yield Triple(node, _kg("evidence"), _text(evidence.sentence))
    yield Triple(node, _kg("rule"), _text(evidence.rule))
    yield Triple(node, _kg("charStart"), _typed(evidence.start, _T["integer"]))
    yield Triple(node, _kg("charEnd"), _typed(evidence.end, _T["integer"]))


def _report_label(rep) -> str:
    parts = [rep.qualifier, str(rep.count), rep.victims, rep.kind]
    return " ".join(p for p in parts if p)


def article_quads(facts: ArticleFacts) -> Iterator[ox.Quad]:
    """:func:`article_triples` in the article's named graph."""
    g = _node(str(graph_iri(facts.article.id)))
    for t in article_triples(facts):
        yield ox.Quad(t.subject, t.predicate, t.object, g)


def article_nquads(facts: ArticleFacts) -> str:
    """The article's named graph as N-Quads text."""
    return ox.serialize(article_quads(facts), format=ox.RdfFormat.N_QUADS).decode("utf-8")


# ----------------------------------------------------------------------------- ontology
@cache
def ontology_graph() -> Graph:
    """``ontology/kg.ttl`` parsed (once)."""
    g = Graph()
    g.parse(ontology_dir() / "kg.ttl", format="turtle")
    return g


def ontology_triples(used: Iterable[URIRef]) -> Iterator[Triple]:
    """The ontology's description of the terms a graph uses, with their superclasses
    and superproperties, and the ontology header."""
    onto = ontology_graph()
    todo = [u for u in used if str(u).startswith(KG_NS)]
    seen: set[URIRef] = set()
    while todo:
        term = todo.pop()
        if term in seen:
            continue
        seen.add(term)
        for s, p, o in onto.triples((term, None, None)):
            if isinstance(o, BNode):
                continue
            yield s, p, o
            if p in (RDFS.subClassOf, RDFS.subPropertyOf, OWL.inverseOf) and str(o).startswith(KG_NS):
                todo.append(o)
    for s in onto.subjects(RDF.type, OWL.Ontology):
        for t in onto.triples((s, None, None)):
            if not isinstance(t[2], BNode):
                yield t


# ----------------------------------------------------------------------------- N-Quads
_ESC = {ord("\\"): "\\\\", ord('"'): '\\"', ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"}
_IRI_BAD = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def term_nt(term) -> str:
    """A term in N-Triples syntax (IRIs checked, literals escaped)."""
    if isinstance(term, URIRef):
        text = str(term)
        if _IRI_BAD.search(text):
            text = _IRI_BAD.sub(lambda m: quote(m.group(0)), text)
        return f"<{text}>"
    if isinstance(term, Literal):
        value = str(term).translate(_ESC)
        if not value.isprintable():  # (fast path: most literals need no \u escapes)
            value = "".join(c if c.isprintable() or c in "\\" else
                            "\\uFFFD" if "\ud800" <= c <= "\udfff" else  # a lone surrogate is no character
                            f"\\u{ord(c):04X}" if ord(c) < 0x10000 else f"\\U{ord(c):08X}" for c in value)
        if term.language:
            return f'"{value}"@{term.language}'
        if term.datatype and term.datatype != XSD.string:
            return f'"{value}"^^<{term.datatype}>'
        return f'"{value}"'
    if isinstance(term, BNode):
        return f"_:{term}"
    raise TypeError(f"not an RDF term: {term!r}")


def nquad(s, p, o, g) -> str:
    return f"{term_nt(s)} {term_nt(p)} {term_nt(o)} {term_nt(g)} .\n"

