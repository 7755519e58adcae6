"""The ontology (ontology/kg.ttl): parses, defines the contract's terms, agrees with
kg.vocab, round-trips through RDF/XML."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

from kg.vocab import CORE_RELATIONS, EVENT_CLASSES, KG, KG_NS

ROOT = Path(__file__).resolve().parents[1]
KG_TTL = ROOT / "ontology" / "kg.ttl"
NS = Namespace(KG_NS)
ONTOLOGY_IRI = URIRef("https://w3id.org/kg-news/ontology")


def shared_dir() -> Path | None:
    """``<repo>/../shared`` (the main checkout) or, from a worktree in
    ``<root>/wt/<name>``, ``<root>/shared``."""
    here = Path(__file__).resolve()
    for candidate in (here.parents[1].parent / "shared", here.parents[2].parent / "shared"):
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture(scope="module")
def g() -> Graph:
    return Graph().parse(KG_TTL, format="turtle")


def kg_terms(g: Graph) -> set[str]:
    return {str(s)[len(KG_NS):] for s in g.subjects(RDF.type, None)
            if isinstance(s, URIRef) and str(s).startswith(KG_NS)}


def members(g: Graph, node) -> set:
    """The classes/datatypes named by ``node``: itself, or the members of its owl:unionOf."""
    if isinstance(node, BNode):
        lst = g.value(node, OWL.unionOf)
        assert lst is not None, "anonymous class without owl:unionOf"
        return set(Collection(g, lst))
    return {node}


def english(g: Graph, s, p) -> list[Literal]:
    return [o for o in g.objects(s, p) if isinstance(o, Literal) and o.language in (None, "en")]


# ---------------------------------------------------------------------------------------
# Parsing and syntax
# ---------------------------------------------------------------------------------------

def test_parses_and_has_ontology_header(g: Graph):
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in g
    assert str(g.value(ONTOLOGY_IRI, OWL.versionInfo)) == "0.1.0"
    assert g.value(ONTOLOGY_IRI, DCTERMS.license) == URIRef("https://spdx.org/licenses/MIT")
    for p in (DCTERMS.title, DCTERMS.description, DCTERMS.creator):
        assert g.value(ONTOLOGY_IRI, p) is not None, p


def test_every_prefix_used_is_declared():
    text = KG_TTL.read_text(encoding="utf-8")
    declared = set(re.findall(r"@prefix\s+([A-Za-z][\w-]*)?:", text))
    body = re.sub(r'"""[\s\S]*?"""', '""', text)       # long strings
    body = re.sub(r'"(?:[^"\\\n]|\\.)*"', '""', body)    # short strings
    body = re.sub(r"<[^>\s]*>", "<>", body)              # IRIs
    body = re.sub(r"#[^\n]*", "", body)                  # comments
    used = set(re.findall(r"(?<![\w:])([A-Za-z][\w-]*):(?=[A-Za-z_]|\s)", body))
    assert used, "no prefixed names found: the scan is broken"
    assert used <= declared, f"undeclared prefixes: {used - declared}"


def test_undeclared_prefix_is_a_parse_error():
    """The parser is strict about prefixes, so parsing kg.ttl proves they are declared."""
    with pytest.raises(Exception):
        Graph().parse(data="@prefix a: <http://a/> . a:x b:y a:z .", format="turtle")


def test_round_trips_through_rdf_xml(g: Graph):
    xml = g.serialize(format="xml")
    back = Graph().parse(data=xml, format="xml")
    assert len(back) == len(g)
    assert isomorphic(g, back)


# ---------------------------------------------------------------------------------------
# Agreement with kg.vocab and the contract
# ---------------------------------------------------------------------------------------

def test_vocab_and_ontology_agree_both_ways(g: Graph):
    in_vocab = set(KG.__annotations__)
    in_ttl = kg_terms(g)
    assert in_vocab - in_ttl == set(), "used by the code but not defined in kg.ttl"
    assert in_ttl - in_vocab == set(), "defined in kg.ttl but missing from kg.vocab.KG"


def test_every_term_has_english_label_and_comment(g: Graph):
    for name in kg_terms(g):
        s = NS[name]
        assert len(english(g, s, RDFS.label)) == 1, f"{name}: needs exactly one English label"
        assert english(g, s, RDFS.comment), f"{name}: needs an English comment"


def test_core_relation_labels_are_the_kebab_case_labels(g: Graph):
    for name, label in CORE_RELATIONS.items():
        labels = [str(lab).lower() for lab in g.objects(NS[name], RDFS.label)]
        assert labels == [label], (name, labels)


def test_event_classes_of_the_code_are_events(g: Graph):
    for name in EVENT_CLASSES:
        supers = set(g.transitive_objects(NS[name], RDFS.subClassOf))
        assert KG.Event in supers, name


def _parse_tables(text: str) -> dict[str, list[list[str]]]:
    tables: dict[str, list[list[str]]] = {}
    section = None
    for line in text.splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        elif line.startswith("|") and section:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if set("".join(cells)) <= set("- :"):
                continue
            tables.setdefault(section, []).append(cells)
    return {k: rows[1:] for k, rows in tables.items()}  # drop header rows


@pytest.fixture(scope="module")
def contract() -> dict[str, list[list[str]]]:
    shared = shared_dir()
    if shared is None or not (shared / "spec" / "vocabulary.md").exists():
        pytest.skip("shared/spec/vocabulary.md is not available next to this checkout")
    tables = _parse_tables((shared / "spec" / "vocabulary.md").read_text(encoding="utf-8"))
    assert "Classes" in tables and "Properties" in tables, "vocabulary.md tables not found"
    return tables


def _name(cell: str) -> str:
    return cell.strip().strip("`")


def test_contract_classes_and_hierarchy(g: Graph, contract):
    rows = contract["Classes"]
    assert len(rows) >= 20
    for local, parent, *_ in rows:
        cls = NS[_name(local)]
        assert (cls, RDF.type, OWL.Class) in g, local
        assert english(g, cls, RDFS.label) and english(g, cls, RDFS.comment), local
        kg_parents = {o for o in g.objects(cls, RDFS.subClassOf) if str(o).startswith(KG_NS)}
        if _name(parent):
            assert kg_parents == {NS[_name(parent)]}, (local, kg_parents)
        else:
            assert kg_parents == set(), (local, kg_parents)


def _spec_classes(cell: str, domain: set | None = None) -> set | None:
    """Turn a domain/range cell ("Event, Place, Organization, Project", "xsd:integer",
    "string", "same", "date literal") into the expected set of classes/datatypes."""
    cell = cell.strip()
    if cell == "same":
        return domain
    if cell == "date literal":
        return {XSD.date, XSD.gYearMonth, XSD.gYear}
    out = set()
    for part in (p.strip() for p in cell.split(",")):
        if part == "string":
            out.add(XSD.string)
        elif part.startswith("xsd:"):
            out.add(XSD[part[4:]])
        elif part == "rdf:Statement":
            out.add(RDF.Statement)
        else:
            out.add(NS[part])
    return out


def test_contract_properties(g: Graph, contract):
    rows = contract["Properties"]
    assert len(rows) >= 20
    for local, label, domain_range, *_ in rows:
        prop = NS[_name(local)]
        assert str(g.value(prop, RDFS.label)).lower() == label.strip().lower(), local
        assert english(g, prop, RDFS.comment), local
        dom_cell, rng_cell = (c.strip() for c in domain_range.split("→"))
        want_dom = _spec_classes(dom_cell)
        want_rng = _spec_classes(rng_cell, want_dom)
        have_dom = members(g, g.value(prop, RDFS.domain))
        rng_node = g.value(prop, RDFS.range)
        have_rng = members(g, rng_node)
        # the ontology may be more general than the table, never narrower
        assert want_dom <= have_dom, (local, want_dom, have_dom)
        assert want_rng <= have_rng, (local, want_rng, have_rng)


def test_core_relations_cover_the_contract(contract):
    names = {_name(r[0]) for r in contract["Properties"]}
    assert set(CORE_RELATIONS) <= names


# ---------------------------------------------------------------------------------------
# Shape of the ontology itself
# ---------------------------------------------------------------------------------------

HIERARCHY = {
    "Person": "Agent", "Organization": "Agent", "Group": "Agent",
    "ArmedGroup": "Organization", "GovernmentBody": "Organization",
    "SecurityForce": "Organization", "MediaOrganization": "Organization",
    "InternationalOrganization": "Organization", "Company": "Organization",
    "Country": "Place", "Region": "Place", "City": "Place", "Facility": "Place",
    "WaterBody": "Place", "Vehicle": "Facility",
    "Attack": "Event", "Protest": "Event", "SecurityOperation": "Event",
    "Agreement": "Event", "ArmedConflict": "Event", "Coup": "Event", "Death": "Event",
    "Hijacking": "Attack", "Invasion": "SecurityOperation",
}
ROOTS = ("Agent", "Place", "Event", "Project", "CasualtyReport", "Article", "Claim")


@pytest.mark.parametrize("child,parent", sorted(HIERARCHY.items()))
def test_class_hierarchy(g: Graph, child, parent):
    kg_parents = {o for o in g.objects(NS[child], RDFS.subClassOf) if str(o).startswith(KG_NS)}
    assert kg_parents == {NS[parent]}


@pytest.mark.parametrize("root", ROOTS)
def test_roots_have_no_kg_parent(g: Graph, root):
    assert not [o for o in g.objects(NS[root], RDFS.subClassOf) if str(o).startswith(KG_NS)]


def test_claim_is_an_rdf_statement(g: Graph):
    assert (KG.Claim, RDFS.subClassOf, RDF.Statement) in g
    for p in (KG.claimedBy, KG.claimStatus, KG.deniedBy):
        assert g.value(p, RDFS.domain) == KG.Claim


def test_every_property_is_typed_with_domain_and_range(g: Graph):
    props = [NS[n] for n in kg_terms(g) if n[0].islower()]
    assert len(props) == len([n for n in KG.__annotations__ if n[0].islower()])
    for p in props:
        types = set(g.objects(p, RDF.type))
        kinds = types & {OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty}
        assert len(kinds) == 1, (p, types)
        assert g.value(p, RDFS.domain) is not None, p
        rng = g.value(p, RDFS.range)
        assert rng is not None, p
        ranges = members(g, rng) if not (rng, RDF.type, RDFS.Datatype) in g else set(
            Collection(g, g.value(rng, OWL.unionOf)))
        is_datatype = all(str(r).startswith(str(XSD)) for r in ranges)
        assert is_datatype == (OWL.DatatypeProperty in kinds), (p, ranges)


def test_occurred_on_range_is_a_union_of_date_datatypes(g: Graph):
    rng = g.value(KG.occurredOn, RDFS.range)
    assert (rng, RDF.type, RDFS.Datatype) in g
    assert set(Collection(g, g.value(rng, OWL.unionOf))) == {XSD.date, XSD.gYearMonth, XSD.gYear}


def test_located_in_domain_is_a_union(g: Graph):
    dom = members(g, g.value(KG.locatedIn, RDFS.domain))
    assert dom == {KG.Event, KG.Place, KG.Organization, KG.Project}


def test_inverse_and_characteristics(g: Graph):
    assert (KG.hasReport, OWL.inverseOf, KG.reportOf) in g
    assert (KG.borders, RDF.type, OWL.SymmetricProperty) in g
    assert (KG.partnerOf, RDF.type, OWL.SymmetricProperty) in g
    assert (KG.casualtyCount, RDF.type, OWL.FunctionalProperty) in g
    assert g.value(KG.casualtyCount, RDFS.range) == XSD.integer
    assert g.value(KG.sourceUrl, RDFS.range) == XSD.anyURI
    assert g.value(KG.generic, RDFS.range) == XSD.boolean
    assert members(g, g.value(KG.evidence, RDFS.domain)) >= {RDF.Statement, KG.CasualtyReport, KG.Claim}


def test_casualty_kinds_are_documented(g: Graph):
    from kg.model import CASUALTY_KINDS, CLAIM_STATUSES

    comment = str(g.value(KG.casualtyKind, RDFS.comment))
    for kind in CASUALTY_KINDS:
        assert f'"{kind}"' in comment, kind
    status = str(g.value(KG.claimStatus, RDFS.comment))
    for s in CLAIM_STATUSES:
        assert f'"{s}"' in status, s


SCHEMA = Namespace("https://schema.org/")
SEM = Namespace("http://semanticweb.cs.vu.nl/2009/11/sem/")
PROV = Namespace("http://www.w3.org/ns/prov#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")


@pytest.mark.parametrize("cls,target", [
    (KG.Person, SCHEMA.Person), (KG.Person, FOAF.Person), (KG.Organization, SCHEMA.Organization),
    (KG.Organization, FOAF.Organization), (KG.Place, SCHEMA.Place), (KG.Place, SEM.Place),
    (KG.Event, SCHEMA.Event), (KG.Event, SEM.Event), (KG.Agent, SEM.Actor), (KG.Agent, PROV.Agent),
    (KG.Country, SCHEMA.Country), (KG.City, SCHEMA.City), (KG.Article, SCHEMA.NewsArticle),
    (KG.Article, PROV.Entity),
])
def test_alignments(g: Graph, cls, target):
    assert (cls, RDFS.subClassOf, target) in g or (cls, SKOS.closeMatch, target) in g


def test_property_alignments_to_sem(g: Graph):
    assert (KG.locatedIn, SKOS.closeMatch, SEM.hasPlace) in g
    assert (KG.occurredOn, SKOS.closeMatch, SEM.hasTimeStamp) in g
    assert (KG.carriedOut, SKOS.closeMatch, SEM.hasActor) in g


@pytest.mark.parametrize("cls,code", [
    (KG.Attack, "18"), (KG.Attack, "19"), (KG.Protest, "14"), (KG.Agreement, "057"),
    (KG.SecurityOperation, "17"), (KG.Hijacking, "181"),
])
def test_cameo_notations(g: Graph, cls, code):
    assert Literal(code) in set(g.objects(cls, SKOS.notation))


def test_event_types_document_acled(g: Graph):
    for cls in (KG.Attack, KG.Protest, KG.SecurityOperation, KG.Agreement, KG.Hijacking):
        notes = " ".join(str(n) for n in g.objects(cls, SKOS.note))
        assert "ACLED" in notes and "CAMEO" in notes, cls
