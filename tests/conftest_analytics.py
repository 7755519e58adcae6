"""Fixtures for the analytics and export tests (imported explicitly by those modules).

``TINY_TRIG`` is a hand-written dataset in the shape ``kg build`` produces (named graph
per article, rdf:Statement provenance, casualty reports, an unasserted kg:Claim), small
enough that every expected number below can be checked by reading it.
"""
from __future__ import annotations

import pyoxigraph as ox
import pytest

ID = "https://w3id.org/kg-news/id/"
E = ID + "entity/"
EV = ID + "event/"

TINY_TRIG = """
@prefix kg: <https://w3id.org/kg-news/ontology#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix geo: <http://www.w3.org/2003/01/geo/wgs84_pos#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix e: <https://w3id.org/kg-news/id/entity/> .
@prefix ev: <https://w3id.org/kg-news/id/event/> .
@prefix art: <https://w3id.org/kg-news/id/article/> .
@prefix st: <https://w3id.org/kg-news/id/statement/> .
@prefix rep: <https://w3id.org/kg-news/id/report/> .

<https://w3id.org/kg-news/id/graph/a1> {
  art:a1 a kg:Article ; dcterms:identifier "a1" ; dcterms:date "2024-11-09"^^xsd:date ;
      kg:mentions e:bla, e:police, e:quetta, e:balochistan .
  e:bla a kg:ArmedGroup ; rdfs:label "Baloch Liberation Army" ; skos:altLabel "BLA" ;
      owl:sameAs <http://www.wikidata.org/entity/Q810923> .
  e:police a kg:SecurityForce ; rdfs:label "police" .
  e:officials a kg:GovernmentBody ; rdfs:label "provincial officials" .
  e:quetta a kg:City ; rdfs:label "Quetta" ; geo:lat "30.18"^^xsd:decimal ; geo:long "66.99"^^xsd:decimal ;
      kg:locatedIn e:balochistan .
  e:balochistan a kg:Region ; rdfs:label "Balochistan" ; kg:locatedIn e:pakistan .
  e:pakistan a kg:Country ; rdfs:label "Pakistan" .
  ev:a1\\/1 a kg:Attack ; rdfs:label "bombing" ; prov:wasDerivedFrom art:a1 ; kg:evidence "A bomb exploded." ;
      kg:occurredOn "2024-11-09"^^xsd:date ; kg:locatedIn e:quetta ; kg:targeted e:police .
  e:bla kg:carriedOut ev:a1\\/1 ; kg:claimed ev:a1\\/1 .
  st:1 a rdf:Statement ; rdf:subject e:bla ; rdf:predicate kg:carriedOut ; rdf:object ev:a1\\/1 ;
      prov:wasDerivedFrom art:a1 ; kg:evidence "The BLA carried out the bombing." .
  st:2 a rdf:Statement ; rdf:subject e:bla ; rdf:predicate kg:claimed ; rdf:object ev:a1\\/1 ;
      prov:wasDerivedFrom art:a1 ; kg:evidence "The BLA claimed the bombing." .
  rep:a1\\/1 a kg:CasualtyReport ; kg:reportOf ev:a1\\/1 ; kg:casualtyCount 26 ; kg:casualtyKind "killed" ;
      kg:reportedBy e:police ; prov:wasDerivedFrom art:a1 ; kg:evidence "Police said 26 died." .
  rep:a1\\/2 a kg:CasualtyReport ; kg:reportOf ev:a1\\/1 ; kg:casualtyCount 32 ; kg:casualtyKind "killed" ;
      kg:reportedBy e:officials ; prov:wasDerivedFrom art:a1 ; kg:evidence "Officials said 32 died." .
}

<https://w3id.org/kg-news/id/graph/a2> {
  art:a2 a kg:Article ; dcterms:identifier "a2" ; dcterms:date "2024-11-10"^^xsd:date ;
      kg:mentions e:bla, e:police, e:mastung, e:pakistan, e:india .
  e:bla a kg:ArmedGroup ; rdfs:label "Baloch Liberation Army" ; skos:altLabel "Baloch Liberation Army (BLA)" .
  e:police a kg:SecurityForce ; rdfs:label "police" .
  e:mastung a kg:City ; rdfs:label "Mastung" ; kg:locatedIn e:balochistan .
  e:balochistan a kg:Region ; rdfs:label "Balochistan" .
  e:pakistan a kg:Country ; rdfs:label "Pakistan" ; kg:accused e:india .
  e:india a kg:Country ; rdfs:label "India" .
  e:protesters a kg:Group ; rdfs:label "protesters" .
  ev:a2\\/1 a kg:Attack ; rdfs:label "ambush" ; prov:wasDerivedFrom art:a2 ;
      kg:occurredOn "2024-11"^^xsd:gYearMonth ; kg:locatedIn e:mastung ; kg:targeted e:police .
  ev:a2\\/2 a kg:Protest ; rdfs:label "protest" ; prov:wasDerivedFrom art:a2 ; kg:locatedIn e:quetta ;
      kg:targeted e:pakistan .
  e:pakistan kg:condemned ev:a2\\/1 .
  e:bla kg:carriedOut ev:a1\\/1, ev:a2\\/1 .
  e:protesters kg:participatedIn ev:a2\\/2 .
  st:3 a rdf:Statement ; rdf:subject e:bla ; rdf:predicate kg:carriedOut ; rdf:object ev:a1\\/1 ;
      prov:wasDerivedFrom art:a2 ; kg:evidence "Last week's bombing, carried out by the BLA." .
  st:4 a rdf:Statement ; rdf:subject e:pakistan ; rdf:predicate kg:accused ; rdf:object e:india ;
      prov:wasDerivedFrom art:a2 ; kg:evidence "Pakistan accused India." .
  <https://w3id.org/kg-news/id/claim/a2/1> a kg:Claim ; rdf:subject e:india ; rdf:predicate kg:supports ;
      rdf:object e:bla ; kg:claimedBy e:pakistan ; kg:claimStatus "alleged" ; prov:wasDerivedFrom art:a2 .
  rep:a2\\/1 a kg:CasualtyReport ; kg:reportOf ev:a2\\/1 ; kg:casualtyCount 5 ; kg:casualtyKind "killed" ;
      prov:wasDerivedFrom art:a2 .
  rep:a2\\/2 a kg:CasualtyReport ; kg:reportOf ev:a2\\/1 ; kg:casualtyCount 10 ; kg:casualtyKind "injured" ;
      prov:wasDerivedFrom art:a2 .
}
"""


@pytest.fixture(scope="session")
def tiny_store() -> ox.Store:
    store = ox.Store()
    store.load(TINY_TRIG, format=ox.RdfFormat.TRIG)
    return store


@pytest.fixture(scope="session")
def tiny_trig(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "graph.trig"
    path.write_text(TINY_TRIG, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def sample_trig(sample_build):
    """``graph.trig`` of the bundled sample corpus (built once by ``sample_build``)."""
    out, _ = sample_build
    return out / "graph.trig"
