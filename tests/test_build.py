"""End-to-end build on the bundled sample corpus: outputs, contract, stability,
atomic writes."""
from __future__ import annotations

import json

import pytest
from rdflib import RDF, RDFS, Dataset, Namespace
from rdflib.namespace import DCTERMS, PROV, SKOS

from kg.build import OUTPUT_FILES, BuildError, BuildOptions, build

KG = Namespace("https://w3id.org/kg-news/ontology#")
pytestmark = pytest.mark.e2e


def load(path):
    ds = Dataset(default_union=True)
    ds.parse(path, format="trig")
    return ds


def test_all_outputs_written(sample_build):
    out, result = sample_build
    for name in OUTPUT_FILES:
        assert (out / name).stat().st_size > 0, name
    report = json.loads((out / "report.json").read_text())
    assert report["articles"] == result.articles == 5
    assert report["entities"] == sum(report["entities_by_class"].values()) > 0
    assert set(report["timings_s"]) >= {"ingest", "nlp", "extraction", "rdf", "outputs"}
    assert not list(out.parent.glob(".out.kg-*")), "staging folder left behind"


def test_trig_holds_articles_entities_and_provenance(sample_build):
    out, _ = sample_build
    ds = load(out / "graph.trig")
    articles = set(ds.subjects(RDF.type, KG.Article))
    assert len(articles) == 5
    assert all(ds.value(a, DCTERMS.identifier) for a in articles)
    # one named graph per article, plus the ontology graph
    names = {str(g.identifier) for g in ds.graphs()}
    assert sum("/id/graph/a" in n for n in names) == 5
    assert any(n.endswith("/id/graph/ontology") for n in names)
    # labelled entities: exactly one rdfs:label each
    bla = [s for s in ds.subjects(RDFS.label, None) if str(ds.value(s, RDFS.label)) == "Baloch Liberation Army"]
    assert bla and (bla[0], RDF.type, KG.ArmedGroup) in ds
    assert "BLA" in {str(o) for o in ds.objects(bla[0], SKOS.altLabel)}
    for s in set(ds.subjects(RDF.type, None)):
        if "/id/entity/" in str(s):
            assert len(set(ds.objects(s, RDFS.label))) == 1, s
    # every relation triple has a statement with evidence and source article
    core = {KG[p] for p in ("claimed", "carriedOut", "targeted", "locatedIn", "occurredOn", "partOf",
                           "condemned", "accused", "supports", "leaderOf", "participatedIn", "partnerOf",
                           "links", "borders", "memberOf")}
    triples = [(s, p, o) for s, p, o in ds.triples((None, None, None)) if p in core]
    assert triples
    for s, p, o in triples:
        sts = set(ds.subjects(RDF.subject, s)) & set(ds.subjects(RDF.predicate, p)) & set(ds.subjects(RDF.object, o))
        assert any(ds.value(st, KG.evidence) and ds.value(st, PROV.wasDerivedFrom) in articles for st in sts), (s, p, o)


def test_build_is_stable(tmp_path, sample_build):
    out, _ = sample_build
    build([], tmp_path / "again", BuildOptions(validate=False, html=False))
    a = (out / "graph.trig").read_text()
    b = (tmp_path / "again" / "graph.trig").read_text()
    assert a == b


def test_failed_build_leaves_previous_outputs(tmp_path, monkeypatch):
    out = tmp_path / "out"
    (tmp_path / "a.txt").write_text("Militants attacked a police station in Quetta, officials said.\n")
    build([tmp_path / "a.txt"], out, BuildOptions(validate=False))
    before = {n: (out / n).read_bytes() for n in OUTPUT_FILES}
    # an input with no usable article fails with a clear message
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(BuildError, match="no usable article"):
        build([tmp_path / "empty.txt"], out, BuildOptions(validate=False))
    # a failure while writing outputs (disk full, crash) changes nothing either
    import kg.output

    def boom(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(kg.output.GraphWriter, "finish", boom)
    (tmp_path / "b.txt").write_text("Protesters rallied in Tehran on Monday.\n")
    with pytest.raises(OSError):
        build([tmp_path / "b.txt"], out, BuildOptions(validate=False))
    assert {n: (out / n).read_bytes() for n in OUTPUT_FILES} == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out")) == []


def test_allegation_is_kept_as_a_claim_not_a_fact(sample_build):
    out, _ = sample_build
    ds = load(out / "graph.trig")
    E = Namespace("https://w3id.org/kg-news/id/entity/")
    assert (E["india"], KG.supports, E["baloch-liberation-army"]) not in ds
    claims = [c for c in ds.subjects(RDF.type, KG.Claim)
              if ds.value(c, RDF.subject) == E["india"] and ds.value(c, RDF.object) == E["baloch-liberation-army"]]
    assert len(claims) == 1
    c = claims[0]
    assert ds.value(c, RDF.predicate) == KG.supports
    assert str(ds.value(c, KG.claimStatus)) == "denied"
    assert ds.value(c, KG.claimedBy) == E["government-of-pakistan"]
    assert ds.value(c, KG.deniedBy) == E["india"]
    assert "New Delhi refutes" in str(ds.value(c, KG.evidence))
