"""IRI minting and N-Quads serialisation."""
from __future__ import annotations

from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import XSD

from kg.rdf import entity_iri, event_iri, nquad, term_nt


def test_entity_iris_are_valid_and_percent_encoded():
    iri = entity_iri("n:people's defense force <x> \"q\" {y}")
    text = str(iri)
    assert " " not in text and "<" not in text[1:] and '"' not in text and "{" not in text
    assert text.startswith("https://w3id.org/kg-news/id/entity/")
    assert entity_iri("g:pakistan") == URIRef("https://w3id.org/kg-news/id/entity/pakistan")
    assert str(event_iri("e:a1:3")).endswith("/event/a1/3")


def test_hostile_literals_round_trip_through_nquads():
    nasty = 'He said "hi"\\ then\nnew line\t<script>alert(1)</script> \u2028 é'
    s, p, g = URIRef("http://e.org/s"), URIRef("http://e.org/p"), URIRef("http://e.org/g")
    line = nquad(s, p, Literal(nasty), g) + nquad(s, p, Literal("2026-01-31", datatype=XSD.date), g)
    ds = Dataset()
    ds.parse(data=line, format="nquads")
    values = {str(o) for _, _, o, _ in ds.quads((None, None, None, None))}
    assert nasty in values and "2026-01-31" in values


def test_term_nt_rejects_non_terms():
    import pytest

    with pytest.raises(TypeError):
        term_nt(42)


def test_merged_turtle_is_the_union_of_the_article_graphs_each_triple_once(sample_build):
    import pyoxigraph as ox

    out, result = sample_build
    quads = list(ox.parse(path=str(out / "graph.trig"), format=ox.RdfFormat.TRIG))
    triples = list(ox.parse(path=str(out / "graph.ttl"), format=ox.RdfFormat.TURTLE))
    assert {str(q.triple) for q in quads} == {str(t) for t in triples}
    assert len(triples) == len(set(triples)) == result.triples  # written once, counted right
    graphs = {q.graph_name.value for q in quads}
    assert len(graphs) == result.articles + 1  # one per article and the ontology graph


def test_article_rdf_splits_own_and_entity_triples(nlp, gaz, rules):
    import pyoxigraph as ox

    from kg.extract import extract_facts
    from kg.ingest import parse_text_article
    from kg.output import article_rdf, prefix_lines
    from kg.resolve import Resolver

    art = parse_text_article("The BLA claimed an attack on a checkpoint in Quetta on Monday.", "t#1")
    facts = Resolver().resolve(extract_facts(nlp(art.document), art, gaz, rules))
    rdf, nquads = article_rdf(facts, nquads=True)
    whole = {str(q.triple) for q in ox.parse(nquads.encode(), format=ox.RdfFormat.N_QUADS)}
    own = {str(t) for t in ox.parse(prefix_lines().encode() + rdf.ttl, format=ox.RdfFormat.TURTLE)}
    shared = {line[:-3] for line in rdf.shared}  # N-Triples lines without " .\n"
    assert own | shared == whole and not own & shared and rdf.local == len(own)
    assert all(line.startswith("<https://w3id.org/kg-news/id/entity/") for line in rdf.shared)
    assert any("/id/article/" in t.split(" ")[0] for t in own)
    assert "https://w3id.org/kg-news/ontology#Attack" in rdf.used
