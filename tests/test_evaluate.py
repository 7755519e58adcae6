"""The evaluator on a small hand-written graph and gold file (no shared data needed)."""
from __future__ import annotations

import json

from kg.evaluate import evaluate_paths

TRIG = """
@prefix kg: <https://w3id.org/kg-news/ontology#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix e: <https://w3id.org/kg-news/id/entity/> .
<https://w3id.org/kg-news/id/graph/a1> {
  <https://w3id.org/kg-news/id/article/a1> a kg:Article ; dcterms:identifier "a1" .
  e:bla a kg:ArmedGroup ; rdfs:label "Baloch Liberation Army" ; skos:altLabel "BLA" .
  e:quetta a kg:City ; rdfs:label "Quetta" .
  e:india a kg:Country ; rdfs:label "India" .
  <https://w3id.org/kg-news/id/event/a1/1> a kg:Attack ; rdfs:label "attack" .
  e:bla kg:claimed <https://w3id.org/kg-news/id/event/a1/1> .
  <https://w3id.org/kg-news/id/event/a1/1> kg:locatedIn e:quetta .
  <https://w3id.org/kg-news/id/event/a1/1> kg:occurredOn "2024-11-09"^^xsd:date .
  e:india kg:supports e:bla .
  <s1> rdf:subject e:bla ; rdf:predicate kg:claimed ; rdf:object <https://w3id.org/kg-news/id/event/a1/1> ;
       prov:wasDerivedFrom <https://w3id.org/kg-news/id/article/a1> ; kg:evidence "The BLA claimed it." .
  <s2> rdf:subject <https://w3id.org/kg-news/id/event/a1/1> ; rdf:predicate kg:occurredOn ;
       rdf:object "2024-11-09"^^xsd:date ; prov:wasDerivedFrom <https://w3id.org/kg-news/id/article/a1> ;
       kg:evidence "On Saturday." .
  <r1> a kg:CasualtyReport ; kg:casualtyCount 26 ; kg:casualtyKind "killed" ; kg:victimGroup "people" ;
       kg:reportedBy e:quetta ; prov:wasDerivedFrom <https://w3id.org/kg-news/id/article/a1> .
}
"""
GOLD = {"id": "a1",
        "entities": [{"name": "Baloch Liberation Army", "aliases": ["BLA"], "type": "ArmedGroup"},
                     {"name": "Quetta", "type": "City"}, {"name": "Mastung", "type": "City"}],
        "facts": [{"s": "BLA", "p": "claimed", "o": "@Attack"},
                  {"s": "@Attack", "p": "located-in", "o": "Quetta"},
                  {"s": "@Attack", "p": "occurred-on", "o": "2024-11"}],
        "casualties": [{"count": 26, "kind": "killed", "victims": ["people"]},
                       {"count": 9, "kind": "killed"}],
        "not_asserted": [{"s": "India", "p": "supports", "o": "Baloch Liberation Army"}]}


def test_measures_on_a_known_graph(tmp_path):
    (tmp_path / "g.trig").write_text(TRIG)
    (tmp_path / "gold.jsonl").write_text(json.dumps(GOLD) + "\n")
    r = evaluate_paths(tmp_path / "g.trig", tmp_path / "gold.jsonl")
    assert r["entity_recall"] == round(2 / 3, 3) and r["entity_typed_recall"] == round(2 / 3, 3)
    # claimed (with provenance) and occurred-on (coarser gold date) found; located-in lacks provenance
    assert r["fact_recall"] == round(2 / 3, 3)
    assert r["facts_missed"] == ["a1: @Attack located-in Quetta"]
    # 4 core triples: claimed, located-in, occurred-on match; supports does not
    assert r["fact_precision"] == 0.75
    assert r["false_assertions"] == ["a1: India supports Baloch Liberation Army"]
    assert r["casualty_recall"] == 0.5 and r["casualty_precision"] == 1.0
    # located-in and supports have no statement: 2 of 4 core triples are evidenced
    assert r["provenance_coverage"] == 0.5
