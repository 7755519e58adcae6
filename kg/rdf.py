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
from collections.abc import Iterable, Iterator
from functools import cache
from urllib.parse import quote

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
def article_triples(facts: ArticleFacts) -> Iterator[Triple]:
    """Every triple of one article's named graph."""
    art = facts.article
    a = article_iri(art.id)
    yield a, RDF.type, KG.Article
    yield a, DCTERMS.identifier, Literal(art.id)
    if art.title:
        yield a, DCTERMS.title, Literal(art.title)
    if art.date:
        yield a, DCTERMS.date, Literal(art.date, datatype=XSD.date)
    if art.source:
        yield a, DCTERMS.source, Literal(art.source)
    if art.url:
        yield a, KG.sourceUrl, Literal(art.url, datatype=XSD.anyURI)
    if art.dateline:
        yield a, KG.dateline, Literal(art.dateline)
    if facts.dateline_place:
        yield a, KG.datelinePlace, entity_iri(facts.dateline_place)
    yield a, KG.wordCount, Literal(art.word_count)

    for ent in facts.entities.values():
        e = entity_iri(ent.key)
        yield e, RDF.type, KG[ent.cls]
        yield e, RDFS.label, Literal(ent.label)
        for alias in sorted(ent.aliases):
            if alias != ent.label:
                yield e, SKOS.altLabel, Literal(alias)
        if ent.wikidata:
            yield e, OWL.sameAs, WD[ent.wikidata]
        if ent.lat is not None and ent.lon is not None:
            yield e, GEO.lat, Literal(ent.lat, datatype=XSD.decimal)
            yield e, GEO.long, Literal(ent.lon, datatype=XSD.decimal)
        if ent.generic:
            yield e, KG.generic, Literal(True)
        if ent.mentions:
            yield a, KG.mentions, e

    for ev in facts.events.values():
        e = event_iri(ev.key)
        yield e, RDF.type, KG[ev.cls]
        yield e, RDFS.label, Literal(ev.label)
        yield e, PROV.wasDerivedFrom, a
        for t in ev.triggers:
            yield e, KG.trigger, Literal(t)
        if ev.evidence:
            yield e, KG.evidence, Literal(ev.evidence[0].sentence)

    for rel in facts.relations:
        s = node_iri(rel.subject)
        p = KG[rel.predicate]
        o = Literal(rel.object, datatype=DATATYPES[rel.datatype]) if rel.datatype else node_iri(rel.object)
        yield s, p, o
        st = URIRef(f"{ID_NS}statement/{_hash(art.id, s, p, o, rel.evidence.start, rel.evidence.rule)}")
        yield from _statement(st, s, p, o, a, rel.evidence, RDF.Statement)

    for n, claim in enumerate(facts.claims, 1):
        c = URIRef(f"{ID_NS}claim/{_segment(art.id)}/{n}")
        yield from _statement(c, node_iri(claim.subject), KG[claim.predicate], node_iri(claim.object), a,
                              claim.evidence, KG.Claim)
        yield c, KG.claimStatus, Literal(claim.status)
        if claim.claimant:
            yield c, KG.claimedBy, node_iri(claim.claimant)
        if claim.denied_by:
            yield c, KG.deniedBy, node_iri(claim.denied_by)

    for n, rep in enumerate(facts.reports, 1):
        r = URIRef(f"{ID_NS}report/{_segment(art.id)}/{n}")
        yield r, RDF.type, KG.CasualtyReport
        yield r, RDFS.label, Literal(_report_label(rep))
        yield r, KG.casualtyCount, Literal(rep.count, datatype=XSD.integer)
        yield r, KG.casualtyKind, Literal(rep.kind)
        if rep.victims:
            yield r, KG.victimGroup, Literal(rep.victims)
        if rep.victim_key:
            yield r, KG.victim, entity_iri(rep.victim_key)
        if rep.qualifier:
            yield r, KG.countQualifier, Literal(rep.qualifier)
        if rep.event:
            yield r, KG.reportOf, event_iri(rep.event)
            yield event_iri(rep.event), KG.hasReport, r
        if rep.source:
            yield r, KG.reportedBy, entity_iri(rep.source)
        yield r, PROV.wasDerivedFrom, a
        yield r, KG.evidence, Literal(rep.evidence.sentence)
        yield r, KG.rule, Literal(rep.evidence.rule)
        yield r, KG.charStart, Literal(rep.evidence.start)
        yield r, KG.charEnd, Literal(rep.evidence.end)


def _statement(node, s, p, o, article, evidence, cls) -> Iterator[Triple]:
    yield node, RDF.type, cls
    yield node, RDF.subject, s
    yield node, RDF.predicate, p
    yield node, RDF.object, o
    yield node, PROV.wasDerivedFrom, article
    yield node, KG.evidence, Literal(evidence.sentence)
    yield node, KG.rule, Literal(evidence.rule)
    yield node, KG.charStart, Literal(evidence.start)
    yield node, KG.charEnd, Literal(evidence.end)


def _report_label(rep) -> str:
    parts = [rep.qualifier, str(rep.count), rep.victims, rep.kind]
    return " ".join(p for p in parts if p)


def article_quads(facts: ArticleFacts) -> Iterator[Quad]:
    g = graph_iri(facts.article.id)
    for s, p, o in article_triples(facts):
        yield s, p, o, g


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


def ntriple(s, p, o) -> str:
    return f"{term_nt(s)} {term_nt(p)} {term_nt(o)} .\n"
