"""SHACL shapes (ontology/shapes.ttl) and kg.validate: a valid graph conforms, and each
way of breaking the contract is reported on the right focus node by the right shape."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF

from kg.validate import ValidationResult, Violation, load_data, validate_file, validate_graph

ROOT = Path(__file__).resolve().parents[1]
SHAPES = ROOT / "ontology" / "shapes.ttl"
KGSH = Namespace("https://w3id.org/kg-news/shapes#")
ID = Namespace("https://w3id.org/kg-news/id/")
SH = Namespace("http://www.w3.org/ns/shacl#")

PREFIXES = """
@prefix kg: <https://w3id.org/kg-news/ontology#> .
@prefix id: <https://w3id.org/kg-news/id/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""

# A small graph that follows the whole contract.
VALID = PREFIXES + """
id:article-1 a kg:Article ;
    dcterms:identifier "article-1" ;
    dcterms:title "Militants attack Mastung" ;
    dcterms:date "2026-01-31"^^xsd:date ;
    kg:sourceUrl "https://example.org/a1"^^xsd:anyURI ;
    kg:wordCount 120 ;
    kg:mentions id:bla, id:mastung .

id:bla a kg:ArmedGroup ; rdfs:label "Baloch Liberation Army" ; skos:altLabel "BLA", "Baluch Liberation Army"@en .
id:mastung a kg:City ; rdfs:label "Mastung" .
id:balochistan a kg:Region ; rdfs:label "Balochistan" .
id:india a kg:Country ; rdfs:label "India" .
id:pakistan-officials a kg:GovernmentBody ; rdfs:label "Pakistani officials" ; kg:generic true .
id:police-stations a kg:Facility ; rdfs:label "police stations" ; kg:generic true .
id:cpec a kg:Project ; rdfs:label "China-Pakistan Economic Corridor" ; skos:altLabel "CPEC" .
id:attack-1 a kg:Attack ; kg:trigger "attack" ; kg:occurredOn "2026-01-31"^^xsd:date .
id:attack-2 a kg:Attack ; kg:occurredOn "2026-01"^^xsd:gYearMonth , "2026"^^xsd:gYear .

id:bla kg:claimed id:attack-1 .
id:attack-1 kg:locatedIn id:mastung ; kg:targeted id:police-stations .
id:mastung kg:locatedIn id:balochistan .
id:cpec kg:links id:balochistan .
id:pakistan-officials kg:accused id:india .

id:st1 a rdf:Statement ; rdf:subject id:bla ; rdf:predicate kg:claimed ; rdf:object id:attack-1 ;
    prov:wasDerivedFrom id:article-1 ; kg:evidence "The BLA claimed responsibility for the attack." ;
    kg:charStart 0 ; kg:charEnd 46 ; kg:rule "claimed.responsibility" .
id:st2 a rdf:Statement ; rdf:subject id:attack-1 ; rdf:predicate kg:locatedIn ; rdf:object id:mastung ;
    prov:wasDerivedFrom id:article-1 ; kg:evidence "Militants attacked police stations in Mastung." .
id:st3 a rdf:Statement ; rdf:subject id:attack-1 ; rdf:predicate kg:targeted ; rdf:object id:police-stations ;
    prov:wasDerivedFrom id:article-1 ; kg:evidence "Militants attacked police stations in Mastung." .
id:st4 a rdf:Statement ; rdf:subject id:mastung ; rdf:predicate kg:locatedIn ; rdf:object id:balochistan ;
    prov:wasDerivedFrom id:article-1 ; kg:evidence "Mastung, in Balochistan." .
id:st5 a rdf:Statement ; rdf:subject id:cpec ; rdf:predicate kg:links ; rdf:object id:balochistan ;
    prov:wasDerivedFrom id:article-1 ; kg:evidence "CPEC runs through Balochistan." .
id:st6 a rdf:Statement ; rdf:subject id:pakistan-officials ; rdf:predicate kg:accused ; rdf:object id:india ;
    prov:wasDerivedFrom id:article-1 ; kg:evidence "Officials accused India of backing the BLA." .
id:st7 a rdf:Statement ; rdf:subject id:attack-1 ; rdf:predicate kg:occurredOn ; rdf:object "2026-01-31"^^xsd:date ;
    prov:wasDerivedFrom id:article-1 ; kg:evidence "On January 31, 2026, militants attacked." .
id:st8 a rdf:Statement ; rdf:subject id:attack-2 ; rdf:predicate kg:occurredOn ; rdf:object "2026-01"^^xsd:gYearMonth ;
    prov:wasDerivedFrom id:article-1 ; kg:evidence "In January 2026." .
id:st9 a rdf:Statement ; rdf:subject id:attack-2 ; rdf:predicate kg:occurredOn ; rdf:object "2026"^^xsd:gYear ;
    prov:wasDerivedFrom id:article-1 ; kg:evidence "In 2026." .

id:claim-1 a kg:Claim ; rdf:subject id:india ; rdf:predicate kg:supports ; rdf:object id:bla ;
    kg:claimedBy id:pakistan-officials ; kg:claimStatus "alleged" ; kg:deniedBy id:india ;
    prov:wasDerivedFrom id:article-1 ; kg:evidence "Officials accused India of backing the BLA, which New Delhi denies." .

id:report-1 a kg:CasualtyReport ; kg:reportOf id:attack-1 ; kg:reportedBy id:pakistan-officials ;
    kg:casualtyCount 31 ; kg:casualtyKind "killed" ; kg:countQualifier "at least" ; kg:victimGroup "civilians" ;
    prov:wasDerivedFrom id:article-1 ; kg:evidence "At least 31 civilians were killed, officials said." .
id:report-2 a kg:CasualtyReport ; kg:reportOf id:attack-1 ; kg:reportedBy id:bla ;
    kg:casualtyCount 0 ; kg:casualtyKind "arrested" ;
    prov:wasDerivedFrom id:article-1 ; kg:evidence "No one was arrested, the BLA said." .
"""


def graph(extra: str = "") -> Graph:
    return Graph().parse(data=VALID + extra, format="turtle")


def violations(result: ValidationResult) -> set[tuple[str, str]]:
    return {(v.focus, v.shape) for v in result.violations if v.severity == "Violation"}


@pytest.fixture(scope="module")
def valid_result() -> ValidationResult:
    return validate_graph(graph())


def test_shapes_parse_and_every_shape_is_named():
    g = Graph().parse(SHAPES, format="turtle")
    shapes = set(g.subjects(RDF.type, SH.NodeShape)) | set(g.subjects(RDF.type, SH.PropertyShape))
    assert len(shapes) >= 30
    assert all(isinstance(s, URIRef) for s in shapes)
    # every named shape has a message or is a node shape whose property shapes do
    for s in g.subjects(RDF.type, SH.PropertyShape):
        assert g.value(s, SH.message) is not None, s


def test_valid_graph_conforms(valid_result: ValidationResult):
    assert valid_result.violations == [], [str(v) for v in valid_result.violations]
    assert valid_result.conforms
    assert valid_result.complete
    assert valid_result.counts_by_severity == {"Violation": 0, "Warning": 0, "Info": 0}


# Each case: Turtle added to the valid graph -> the exact set of (focus, shape) violations.
CASES = {
    "missing label": (
        "id:ttp a kg:ArmedGroup .",
        {(ID.ttp, KGSH.EntityLabelShape)}),
    "two labels": (
        'id:mastung rdfs:label "Mastung town" .',
        {(ID.mastung, KGSH.EntityLabelShape)}),
    "label on project missing": (
        "id:bri a kg:Project .",
        {(ID.bri, KGSH.EntityLabelShape)}),
    "altLabel not a string": (
        "id:bla skos:altLabel 42 .",
        {(ID.bla, KGSH.EntityAltLabelShape)}),
    "untyped subject of a core relation": (
        """id:ghost kg:carriedOut id:attack-1 .
           [] a rdf:Statement ; rdf:subject id:ghost ; rdf:predicate kg:carriedOut ; rdf:object id:attack-1 ;
              prov:wasDerivedFrom id:article-1 ; kg:evidence "Ghosts did it." .""",
        {(ID.ghost, KGSH.RelationSubjectShape)}),
    "subject typed outside the ontology": (
        """id:thing a <http://example.org/Thing> ; kg:locatedIn id:mastung .
           [] a rdf:Statement ; rdf:subject id:thing ; rdf:predicate kg:locatedIn ; rdf:object id:mastung ;
              prov:wasDerivedFrom id:article-1 ; kg:evidence "A thing in Mastung." .""",
        {(ID.thing, KGSH.RelationSubjectShape)}),
    "untyped object of a core relation": (
        """id:attack-1 kg:locatedIn id:nowhere .
           [] a rdf:Statement ; rdf:subject id:attack-1 ; rdf:predicate kg:locatedIn ; rdf:object id:nowhere ;
              prov:wasDerivedFrom id:article-1 ; kg:evidence "Somewhere." .""",
        {(ID.nowhere, KGSH.RelationObjectShape)}),
    "relation without provenance statement": (
        "id:attack-1 kg:locatedIn id:balochistan .",
        {(ID["attack-1"], KGSH.RelationProvenanceShape)}),
    "provenance statement without source article": (
        """id:bla kg:carriedOut id:attack-1 .
           [] a rdf:Statement ; rdf:subject id:bla ; rdf:predicate kg:carriedOut ; rdf:object id:attack-1 ;
              kg:evidence "The BLA stormed the station." .""",
        {(ID.bla, KGSH.RelationProvenanceShape)}),  # plus the statement's own violation, see below
    "date with wrong datatype": (
        """id:attack-1 kg:occurredOn "31 January 2026" .
           [] a rdf:Statement ; rdf:subject id:attack-1 ; rdf:predicate kg:occurredOn ; rdf:object "31 January 2026" ;
              prov:wasDerivedFrom id:article-1 ; kg:evidence "On 31 January 2026." .""",
        {(ID["attack-1"], KGSH.OccurredOnDatatypeShape)}),
    "dateTime is not a date": (
        """id:attack-2 kg:occurredOn "2026-01-31T05:00:00"^^xsd:dateTime .
           [] a rdf:Statement ; rdf:subject id:attack-2 ; rdf:predicate kg:occurredOn ;
              rdf:object "2026-01-31T05:00:00"^^xsd:dateTime ;
              prov:wasDerivedFrom id:article-1 ; kg:evidence "At 5 am." .""",
        {(ID["attack-2"], KGSH.OccurredOnDatatypeShape)}),
    "casualty report without source article": (
        """id:report-3 a kg:CasualtyReport ; kg:reportOf id:attack-1 ; kg:casualtyCount 5 ;
              kg:casualtyKind "injured" ; kg:evidence "Five were injured." .""",
        {(ID["report-3"], KGSH.CasualtySourceShape)}),
    "casualty report derived from a non-article": (
        """id:report-3 a kg:CasualtyReport ; kg:reportOf id:attack-1 ; kg:casualtyCount 5 ;
              kg:casualtyKind "injured" ; kg:evidence "Five were injured." ; prov:wasDerivedFrom id:bla .""",
        {(ID["report-3"], KGSH.CasualtySourceShape)}),
    "casualty report without evidence": (
        """id:report-3 a kg:CasualtyReport ; kg:reportOf id:attack-1 ; kg:casualtyCount 5 ;
              kg:casualtyKind "injured" ; prov:wasDerivedFrom id:article-1 .""",
        {(ID["report-3"], KGSH.CasualtyEvidenceShape)}),
    "casualty report with blank evidence": (
        """id:report-3 a kg:CasualtyReport ; kg:reportOf id:attack-1 ; kg:casualtyCount 5 ;
              kg:casualtyKind "injured" ; prov:wasDerivedFrom id:article-1 ; kg:evidence "   " .""",
        {(ID["report-3"], KGSH.CasualtyEvidenceShape)}),
    "casualty count not an integer": (
        """id:report-3 a kg:CasualtyReport ; kg:reportOf id:attack-1 ; kg:casualtyCount "dozens" ;
              kg:casualtyKind "killed" ; prov:wasDerivedFrom id:article-1 ; kg:evidence "Dozens were killed." .""",
        {(ID["report-3"], KGSH.CasualtyCountShape)}),
    "casualty count negative": (
        """id:report-3 a kg:CasualtyReport ; kg:reportOf id:attack-1 ; kg:casualtyCount -3 ;
              kg:casualtyKind "killed" ; prov:wasDerivedFrom id:article-1 ; kg:evidence "Three." .""",
        {(ID["report-3"], KGSH.CasualtyCountShape)}),
    "two casualty counts": (
        "id:report-1 kg:casualtyCount 40 .",
        {(ID["report-1"], KGSH.CasualtyCountShape)}),
    "casualty kind outside the list": (
        """id:report-3 a kg:CasualtyReport ; kg:reportOf id:attack-1 ; kg:casualtyCount 3 ;
              kg:casualtyKind "martyred" ; prov:wasDerivedFrom id:article-1 ; kg:evidence "Three." .""",
        {(ID["report-3"], KGSH.CasualtyKindShape)}),
    "article without identifier": (
        "id:article-2 a kg:Article ; dcterms:title \"Second\" .",
        {(ID["article-2"], KGSH.ArticleIdentifierShape)}),
    "article with two identifiers": (
        'id:article-1 dcterms:identifier "other-id" .',
        {(ID["article-1"], KGSH.ArticleIdentifierShape)}),
    "statement without evidence": (
        "id:st1b a rdf:Statement ; rdf:subject id:bla ; rdf:predicate kg:claimed ; rdf:object id:attack-1 ; "
        "prov:wasDerivedFrom id:article-1 .",
        {(ID.st1b, KGSH.StatementEvidenceShape)}),
    "statement without object": (
        "id:st1b a rdf:Statement ; rdf:subject id:bla ; rdf:predicate kg:claimed ; "
        "prov:wasDerivedFrom id:article-1 ; kg:evidence \"x\" .",
        {(ID.st1b, KGSH.StatementObjectShape)}),
    "claim with unknown status": (
        'id:claim-1 kg:claimStatus "rumoured" .',
        {(ID["claim-1"], KGSH.ClaimStatusShape)}),
    "claim without evidence": (
        """id:claim-2 a kg:Claim ; rdf:subject id:india ; rdf:predicate kg:supports ; rdf:object id:bla ;
              kg:claimStatus "alleged" ; prov:wasDerivedFrom id:article-1 .""",
        {(ID["claim-2"], KGSH.StatementEvidenceShape)}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_graph_is_reported_precisely(name):
    extra, expected = CASES[name]
    result = validate_graph(graph(extra))
    assert not result.conforms
    found = violations(result)
    expected = {(str(f), str(s)) for f, s in expected}
    assert expected <= found, [str(v) for v in result.violations]
    if name == "provenance statement without source article":
        # the statement itself is also reported (on its blank node)
        extra_found = found - expected
        assert {s for _, s in extra_found} == {str(KGSH.StatementSourceShape)}
    else:
        assert found == expected, [str(v) for v in result.violations]


def test_provenance_violation_names_path_and_value():
    result = validate_graph(graph("id:attack-1 kg:locatedIn id:balochistan ."))
    (v,) = [v for v in result.violations if v.shape == str(KGSH.RelationProvenanceShape)]
    assert v.path == "https://w3id.org/kg-news/ontology#locatedIn"
    assert v.value == str(ID.balochistan)
    assert v.constraint == "SPARQLConstraintComponent"
    assert str(ID.balochistan) in v.message and "no provenance" in v.message


def test_provenance_must_match_the_object():
    """A statement for a different object does not count."""
    extra = """id:attack-1 kg:locatedIn id:balochistan .
               [] a rdf:Statement ; rdf:subject id:attack-1 ; rdf:predicate kg:locatedIn ; rdf:object id:india ;
                  prov:wasDerivedFrom id:article-1 ; kg:evidence "x" ."""
    found = violations(validate_graph(graph(extra)))
    assert (str(ID["attack-1"]), str(KGSH.RelationProvenanceShape)) in found


def test_warning_does_not_break_conformance():
    result = validate_graph(graph("""id:report-3 a kg:CasualtyReport ; kg:casualtyCount 3 ;
        kg:casualtyKind "injured" ; prov:wasDerivedFrom id:article-1 ; kg:evidence "Three injured." ."""))
    assert result.conforms
    assert result.counts_by_severity["Warning"] == 1
    (w,) = result.violations
    assert (w.focus, w.shape, w.severity) == (str(ID["report-3"]), str(KGSH.CasualtyHasEventShape), "Warning")


def test_class_hierarchy_comes_from_the_ontology():
    """Without the ontology a kg:City is not known to be a kg:Place."""
    without = validate_graph(graph(), include_ontology=False)
    assert not without.conforms
    assert (str(ID.bla), str(KGSH.RelationSubjectShape)) in violations(without)
    assert validate_graph(graph()).conforms


def test_input_graph_is_not_modified():
    g = graph("id:ttp a kg:ArmedGroup .")
    before = len(g)
    validate_graph(g)
    assert len(g) == before


def test_dataset_is_validated_as_the_union_of_its_graphs():
    g = graph()
    ds = Dataset()
    art = ds.graph(URIRef("https://w3id.org/kg-news/graph/article-1"))
    ents = ds.graph(URIRef("https://w3id.org/kg-news/graph/entities"))
    for s, p, o in g:
        # labels and types in one graph, the rest in the article graph
        (ents if p in (RDF.type, URIRef("http://www.w3.org/2000/01/rdf-schema#label")) else art).add((s, p, o))
    assert validate_graph(ds).conforms
    art.add((ID["attack-1"], URIRef("https://w3id.org/kg-news/ontology#locatedIn"), ID.balochistan))
    assert (str(ID["attack-1"]), str(KGSH.RelationProvenanceShape)) in violations(validate_graph(ds))


ENTITY_PROPS = {RDF.type, URIRef("http://www.w3.org/2000/01/rdf-schema#label"),
                URIRef("http://www.w3.org/2004/02/skos/core#altLabel"),
                URIRef("https://w3id.org/kg-news/ontology#generic")}
ENTITIES = {ID.bla, ID.mastung, ID.balochistan, ID.india, ID["pakistan-officials"],
            ID["police-stations"], ID.cpec}


def test_per_graph_validation_names_the_graph():
    g = graph()
    ds = Dataset()
    shared = ds.default_graph
    a1 = ds.graph(URIRef("https://w3id.org/kg-news/graph/a1"))
    a2 = ds.graph(URIRef("https://w3id.org/kg-news/graph/a2"))
    for t in g:
        (shared if t[0] in ENTITIES and t[1] in ENTITY_PROPS else a1).add(t)
    ok = validate_graph(ds, per_graph=True)
    assert ok.conforms and ok.graphs_checked == 1, [str(v) for v in ok.violations]
    a2.add((ID.mastung, URIRef("https://w3id.org/kg-news/ontology#borders"), ID.balochistan))
    result = validate_graph(ds, per_graph=True)
    assert result.graphs_checked == 2
    assert not result.conforms
    assert {(v.graph, v.focus, v.shape) for v in result.violations} == {
        ("https://w3id.org/kg-news/graph/a2", str(ID.mastung), str(KGSH.RelationProvenanceShape))}


def test_max_focus_samples_and_says_so():
    g = graph("id:ttp a kg:ArmedGroup .")
    result = validate_graph(g, max_focus=3)
    assert not result.complete
    assert result.focus_nodes_checked == 3
    full = validate_graph(g)
    assert full.complete and full.focus_nodes_checked is None
    assert {(v.focus, v.shape) for v in result.violations} <= {(v.focus, v.shape) for v in full.violations}


def test_to_json_report():
    result = validate_graph(graph("id:ttp a kg:ArmedGroup . id:bri a kg:Project ."))
    data = result.to_json()
    text = json.dumps(data)  # serialisable
    assert json.loads(result.to_json_text()) == json.loads(text)
    assert data["conforms"] is False
    assert data["violation_count"] == 2
    assert data["counts_by_severity"]["Violation"] == 2
    assert data["counts_by_shape"] == {str(KGSH.EntityLabelShape): 2}
    v = data["violations"][0]
    assert set(v) >= {"focus", "path", "message", "severity", "shape", "value", "constraint"}
    assert isinstance(result.violations[0], Violation)
    assert "violation" in result.summary()


@pytest.mark.parametrize("suffix,fmt", [(".ttl", "turtle"), (".nt", "nt"), (".trig", "trig"),
                                        (".nq", "nquads"), (".jsonld", "json-ld")])
def test_validate_file_by_suffix(tmp_path: Path, suffix, fmt):
    g = graph("id:ttp a kg:ArmedGroup .")
    if suffix in (".trig", ".nq"):
        ds = Dataset()
        named = ds.graph(URIRef("https://w3id.org/kg-news/graph/a1"))
        for t in g:
            named.add(t)
        text = ds.serialize(format=fmt)
    else:
        text = g.serialize(format=fmt)
    path = tmp_path / f"graph{suffix}"
    path.write_text(text, encoding="utf-8")
    result = validate_file(path)
    assert violations(result) == {(str(ID.ttp), str(KGSH.EntityLabelShape))}


def test_unknown_suffix_is_an_error(tmp_path: Path):
    path = tmp_path / "graph.csv"
    path.write_text("a,b\n")
    with pytest.raises(ValueError, match="unknown RDF file type"):
        load_data(path)


def test_import_has_no_heavy_side_effects():
    code = ("import sys, kg.validate; "
            "assert 'spacy' not in sys.modules, 'spacy imported'; "
            "assert 'pyshacl' not in sys.modules, 'pyshacl imported at import time'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT,
                   env={"PYTHONPATH": str(ROOT), "PATH": ""})


def test_article_graphs_validated_together_keep_their_own_results():
    from kg.output import prefix_lines
    from kg.validate import validate_article_graphs

    good = ("graph:a { entity:quetta a kg:City ; rdfs:label \"Quetta\" . "
            "article:a a kg:Article ; dcterms:identifier \"a\" ; kg:wordCount 3 . }\n")
    bad = "graph:b { entity:turbat a kg:City ; rdfs:label \"Turbat\", \"Kech\" . }\n"
    found = validate_article_graphs({"a": good, "b": bad}, prefix_lines())
    assert found["a"] == []
    assert [(v.focus, v.graph) for v in found["b"]] == [("https://w3id.org/kg-news/id/entity/turbat", "b")]
    assert found["b"][0].shape.endswith("EntityLabelShape")


def _all_broken() -> Graph:
    """The valid graph with every broken case of CASES added at once."""
    return graph("\n".join(extra for extra, _ in CASES.values()))


@pytest.mark.parametrize("max_focus", [None, 25])
def test_flattened_shapes_report_what_the_shapes_file_reports(max_focus):
    # kg validates with flatten_shapes(shapes.ttl): every result must be the one that
    # the shapes as written give (same focus, path, value, message, shape, constraint)
    from kg.validate import _default_path, _load, _validate_one, sorted_violations

    g = _all_broken()
    as_written, n1 = _validate_one(g, _load(SHAPES), _load(_default_path("kg.ttl")), False, max_focus)
    result = validate_graph(g, max_focus=max_focus)
    assert result.violations == sorted_violations(as_written)
    assert result.focus_nodes_checked == n1
    if max_focus is None:
        assert len(as_written) > len(CASES)  # the cases break many shapes, some twice
        shapes = {v.shape for v in result.violations}
        assert {str(KGSH.StatementEvidenceShape), str(KGSH.CasualtyKindShape), str(KGSH.EntityLabelShape)} <= shapes
    else:
        assert n1 == max_focus and len(as_written) >= 10


def test_flatten_shapes_moves_targets_only_where_it_is_safe():
    from kg.validate import flatten_shapes

    ex = Namespace("https://example.org/")
    shapes = Graph().parse(format="turtle", data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix ex: <https://example.org/> .
        ex:Simple a sh:NodeShape ; sh:targetClass ex:A ; sh:targetSubjectsOf ex:p ; sh:property ex:SimpleP .
        ex:SimpleP sh:path ex:name ; sh:minCount 1 .
        ex:Used a sh:NodeShape ; sh:targetClass ex:B ; sh:property ex:UsedP .
        ex:UsedP sh:path ex:name ; sh:maxCount 1 .
        ex:User a sh:NodeShape ; sh:targetClass ex:C ; sh:node ex:Used .
        ex:Off a sh:NodeShape ; sh:targetClass ex:D ; sh:deactivated true ; sh:property ex:OffP .
        ex:OffP sh:path ex:name ; sh:minCount 1 .
        ex:First a sh:NodeShape ; sh:targetClass ex:E ; sh:property ex:SharedP .
        ex:Second a sh:NodeShape ; sh:targetClass ex:F ; sh:property ex:SharedP .
        ex:SharedP sh:path ex:name ; sh:minCount 1 .
        ex:Own a sh:NodeShape ; sh:targetClass ex:G ; sh:property ex:OwnP .
        ex:OwnP sh:path ex:name ; sh:targetNode ex:x ; sh:minCount 1 .
        ex:NoTarget a sh:NodeShape ; sh:property ex:NoTargetP .
        ex:NoTargetP sh:path ex:name ; sh:minCount 1 .
    """)
    before = set(shapes)
    flat = flatten_shapes(shapes)
    assert set(shapes) == before  # the input is left alone
    moved = set(flat) - set(shapes)
    gone = set(shapes) - set(flat)
    assert moved == {(ex.SimpleP, SH.targetClass, ex.A), (ex.SimpleP, SH.targetSubjectsOf, ex.p)}
    assert gone == {(ex.Simple, SH.property, ex.SimpleP)}


def test_validate_file_parses_like_rdflib(tmp_path: Path):
    # Turtle-family files are parsed with pyoxigraph: the same results as through
    # rdflib's parser, whatever the literals (language tags, datatypes, ill-typed values)
    extra = """
        id:bla skos:altLabel "Balochistan Liberation Army"@en-GB , "BLA"^^xsd:string , 7 .
        id:report-1 kg:wordCount "many"^^xsd:integer .
        id:article-1 kg:wordCount "-4"^^xsd:integer ; kg:sourceUrl "not typed" .
        id:attack-1 kg:occurredOn "2026-13-45"^^xsd:date .
        [] a rdf:Statement ; rdf:subject id:attack-1 ; rdf:predicate kg:occurredOn ;
           rdf:object "2026-13-45"^^xsd:date ; prov:wasDerivedFrom id:article-1 ; kg:evidence "\\u00c9t\\u00e9" .
    """
    g = _all_broken() + graph(extra)
    for suffix, fmt in ((".ttl", "turtle"), (".nt", "nt")):
        path = tmp_path / f"graph{suffix}"
        path.write_text(g.serialize(format=fmt), encoding="utf-8")
        through_rdflib = validate_graph(load_data(path))
        fast = validate_file(path)
        assert _without_bnode_ids(fast.violations) == _without_bnode_ids(through_rdflib.violations)
        assert len(fast.violations) > len(CASES)


def _without_bnode_ids(violations: list[Violation]) -> list[tuple]:
    # blank node ids differ from parse to parse (an IRI always has a colon)
    def node(text):
        return "" if text is None else text if ":" in text else "_:"

    return sorted((v.severity, v.shape, node(v.focus), v.path or "", node(v.value), v.message,
                   v.constraint or "") for v in violations)


def test_bench_validate_compares_with_the_shapes_as_written(tmp_path: Path):
    # benchmarks/bench_validate.py on a graph that breaks every shape: kg's validation
    # and the baseline (rdflib's parser, the shapes as written) report the same results
    path = tmp_path / "broken.ttl"
    path.write_text(_all_broken().serialize(format="turtle"), encoding="utf-8")
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_validate.py"), "--graph", str(path),
                          "--repeat", "1"], capture_output=True, text=True, cwd=ROOT, timeout=300,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert run.returncode == 0, run.stderr
    assert "same as baseline: True" in run.stdout and "RESULTS DIFFER" not in run.stdout
    assert "speed-up" in run.stdout
