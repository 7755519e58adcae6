"""Fixtures for the network view tests (imported explicitly by tests/test_view*.py).

``tiny_graph`` is a hand-written graph whose every fact is known, so filters can be
checked exactly; ``sample_build`` and ``xss_build`` run the real ``kg build``.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
XSS_SCRIPT = "<script>window.__xss=1</script>"
XSS_IMG = '<img src=x onerror="window.__xss=2">'

TINY_TTL = """
@prefix kg: <https://w3id.org/kg-news/ontology#> .
@prefix e: <https://w3id.org/kg-news/id/entity/> .
@prefix ev: <https://w3id.org/kg-news/id/event/> .
@prefix a: <https://w3id.org/kg-news/id/article/> .
@prefix st: <https://w3id.org/kg-news/id/statement/> .
@prefix r: <https://w3id.org/kg-news/id/report/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

a:art1 a kg:Article ; dcterms:identifier "art1" ; dcterms:date "2026-02-01"^^xsd:date ;
  dcterms:title "Attacks across Balochistan <script>window.__xss=1</script>" ;
  kg:mentions e:bla, e:quetta, e:balochistan, e:pakistan, e:police .
a:art2 a kg:Article ; dcterms:identifier "art2" ; dcterms:date "2025-03-11"^^xsd:date ;
  dcterms:title "Jaffar Express hijacked" ; kg:mentions e:bla, e:jaffar .
a:art3 a kg:Article ; dcterms:identifier "art3" ; dcterms:date "2024-11-10"^^xsd:date ;
  dcterms:title "Protest in Quetta" ; kg:mentions e:quetta, e:germany .

e:bla a kg:ArmedGroup ; rdfs:label "Baloch Liberation Army" ; skos:altLabel "BLA" ;
  owl:sameAs <http://www.wikidata.org/entity/Q804926> .
e:quetta a kg:City ; rdfs:label "Quetta" .
e:balochistan a kg:Region ; rdfs:label "Balochistan" .
e:pakistan a kg:Country ; rdfs:label "Pakistan" .
e:police a kg:SecurityForce ; rdfs:label "Balochistan police" .
e:jaffar a kg:Facility ; rdfs:label "Jaffar Express" .
e:germany a kg:Country ; rdfs:label "Germany" .

ev:art1\\/1 a kg:Attack ; rdfs:label "Attack in Quetta" ; kg:occurredOn "2026-01-31"^^xsd:date ;
  prov:wasDerivedFrom a:art1 .
ev:art2\\/1 a kg:Hijacking ; rdfs:label "Hijacking of the Jaffar Express" ; prov:wasDerivedFrom a:art2 .
ev:art3\\/1 a kg:Protest ; rdfs:label "Protest in Quetta" ; kg:occurredOn "2024-11"^^xsd:gYearMonth ;
  prov:wasDerivedFrom a:art3 .

e:bla kg:claimed ev:art1\\/1 .
ev:art1\\/1 kg:locatedIn e:quetta ; kg:targeted e:police .
e:quetta kg:locatedIn e:balochistan .
e:balochistan kg:locatedIn e:pakistan .
e:bla kg:carriedOut ev:art2\\/1 .
ev:art2\\/1 kg:targeted e:jaffar .
ev:art3\\/1 kg:locatedIn e:quetta .

st:1 a rdf:Statement ; rdf:subject e:bla ; rdf:predicate kg:claimed ; rdf:object ev:art1\\/1 ;
  prov:wasDerivedFrom a:art1 ;
  kg:evidence "The BLA claimed the attack in Quetta <img src=x onerror=\\"window.__xss=2\\">." .
st:2 a rdf:Statement ; rdf:subject e:bla ; rdf:predicate kg:claimed ; rdf:object ev:art1\\/1 ;
  prov:wasDerivedFrom a:art2 ; kg:evidence "Last year the BLA also claimed the Quetta attack." .
st:3 a rdf:Statement ; rdf:subject ev:art1\\/1 ; rdf:predicate kg:locatedIn ; rdf:object e:quetta ;
  prov:wasDerivedFrom a:art1 ; kg:evidence "Gunmen attacked a checkpoint in Quetta." .
st:4 a rdf:Statement ; rdf:subject ev:art1\\/1 ; rdf:predicate kg:targeted ; rdf:object e:police ;
  prov:wasDerivedFrom a:art1 ; kg:evidence "The attack targeted the Balochistan police." .
st:5 a rdf:Statement ; rdf:subject e:quetta ; rdf:predicate kg:locatedIn ; rdf:object e:balochistan ;
  prov:wasDerivedFrom a:art1 ; kg:evidence "Quetta, the capital of Balochistan." .
st:6 a rdf:Statement ; rdf:subject e:balochistan ; rdf:predicate kg:locatedIn ; rdf:object e:pakistan ;
  prov:wasDerivedFrom a:art1 ; kg:evidence "Balochistan, Pakistan's largest province." .
st:7 a rdf:Statement ; rdf:subject e:bla ; rdf:predicate kg:carriedOut ; rdf:object ev:art2\\/1 ;
  prov:wasDerivedFrom a:art2 ; kg:evidence "BLA militants hijacked the Jaffar Express." .
st:8 a rdf:Statement ; rdf:subject ev:art2\\/1 ; rdf:predicate kg:targeted ; rdf:object e:jaffar ;
  prov:wasDerivedFrom a:art2 ; kg:evidence "The hijacking targeted the Jaffar Express." .
st:9 a rdf:Statement ; rdf:subject ev:art3\\/1 ; rdf:predicate kg:locatedIn ; rdf:object e:quetta ;
  prov:wasDerivedFrom a:art3 ; kg:evidence "Thousands protested in Quetta." .

r:1 a kg:CasualtyReport ; kg:reportOf ev:art1\\/1 ; kg:casualtyCount 10 ; kg:casualtyKind "killed" ;
  kg:victimGroup "security personnel" ; kg:reportedBy e:police ; prov:wasDerivedFrom a:art1 ;
  kg:evidence "Police said 10 security personnel were killed." .
r:2 a kg:CasualtyReport ; kg:reportOf ev:art1\\/1 ; kg:casualtyCount 12 ; kg:casualtyKind "killed" ;
  kg:victimGroup "security personnel" ; kg:countQualifier "at least" ; kg:reportedBy e:bla ;
  prov:wasDerivedFrom a:art2 ; kg:evidence "The BLA said at least 12 security personnel were killed." .
"""

BLA = "https://w3id.org/kg-news/id/entity/bla"
EV1 = "https://w3id.org/kg-news/id/event/art1/1"
EV2 = "https://w3id.org/kg-news/id/event/art2/1"
EV3 = "https://w3id.org/kg-news/id/event/art3/1"

NODE_COUNT_QUERY = """
SELECT (COUNT(DISTINCT ?n) AS ?count) WHERE {
  ?n a ?c ; <http://www.w3.org/2000/01/rdf-schema#label> ?l .
  FILTER(STRSTARTS(STR(?c), "https://w3id.org/kg-news/ontology#"))
  FILTER(STRSTARTS(STR(?n), "https://w3id.org/kg-news/id/entity/") || STRSTARTS(STR(?n), "https://w3id.org/kg-news/id/event/"))
}"""


def node_count(graph_file: Path) -> int:
    """Entities + events of a graph file, counted by SPARQL (independently of kg.view)."""
    import pyoxigraph as ox

    store = ox.Store()
    fmt = ox.RdfFormat.TRIG if graph_file.suffix == ".trig" else ox.RdfFormat.TURTLE
    store.bulk_load(path=str(graph_file), format=fmt)
    row = next(iter(store.query(NODE_COUNT_QUERY, use_default_graph_as_union=True)))
    return int(row["count"].value)


def run_kg(*args: str, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    environ = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
    proc = subprocess.run([sys.executable, "-m", "kg", *args], capture_output=True, text=True, env=environ,
                          cwd=str(ROOT))
    if check and proc.returncode != 0:
        raise AssertionError(f"kg {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def tiny_ttl(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tiny") / "tiny.ttl"
    path.write_text(TINY_TTL, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tiny_graph(tiny_ttl):
    from kg.store import load_graph
    from kg.view import view_graph

    return view_graph(load_graph(tiny_ttl))


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory) -> Path:
    """``kg build`` of the bundled sample articles (real spaCy pipeline)."""
    out = tmp_path_factory.mktemp("sample") / "out"
    run_kg("build", "-o", str(out), "-q", "--no-validate")
    return out


@pytest.fixture(scope="session")
def xss_build(tmp_path_factory) -> Path:
    """``kg build`` of a .txt article whose title and sentences carry script payloads."""
    folder = tmp_path_factory.mktemp("xss")
    article = folder / "xss.txt"
    article.write_text(
        f"BLA claims Quetta attack {XSS_SCRIPT} and {XSS_IMG}\n"
        f"The Baloch Liberation Army claimed responsibility for the attack in Quetta on January 31, 2026, "
        f"{XSS_SCRIPT} officials said.\n"
        f"Militants from the Baloch Liberation Army stormed a police station in Gwadar {XSS_IMG} "
        f"and killed 10 soldiers, the army said.\n", encoding="utf-8")
    out = folder / "out"
    run_kg("build", str(article), "-o", str(out), "-q", "--no-validate")
    return out
