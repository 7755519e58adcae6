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
