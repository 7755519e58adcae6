"""Entity resolution across articles."""
from __future__ import annotations

from kg.model import Article, ArticleFacts, Entity, Evidence, Relation
from kg.resolve import Resolver

EV = Evidence("s", 0, 1, "r")


def facts(aid, *ents, rels=()):
    f = ArticleFacts(article=Article(id=aid, text="x"))
    for e in ents:
        f.entities[e.key] = e
    f.relations = list(rels)
    return f


def test_acronym_defined_in_one_article_resolves_in_the_next():
    r = Resolver()
    a = r.resolve(facts("a", Entity("n:tehreek-e-foo", "Tehreek-e-Foo", "ArmedGroup", aliases={"TEF"})))
    b = r.resolve(facts("b", Entity("n:tef", "TEF", "ArmedGroup"), Entity("g:quetta", "Quetta", "City"),
                        rels=[Relation("n:tef", "locatedIn", "g:quetta", EV)]))
    assert set(a.entities) == {"n:tehreek-e-foo"}
    assert "n:tehreek-e-foo" in b.entities and "n:tef" not in b.entities
    assert b.relations[0].subject == "n:tehreek-e-foo"
    assert b.entities["n:tehreek-e-foo"].label == "Tehreek-e-Foo"


def test_label_and_class_fixed_by_first_article():
    r = Resolver()
    r.resolve(facts("a", Entity("n:sagaing", "Sagaing", "Region")))
    b = r.resolve(facts("b", Entity("n:sagaing", "SAGAING", "City")))
    ent = b.entities["n:sagaing"]
    assert (ent.label, ent.cls) == ("Sagaing", "Region") and "SAGAING" in ent.aliases


def test_different_roots_are_not_merged():
    r = Resolver()
    r.resolve(facts("a", Entity("n:georgia", "Georgia", "Country", aliases={"Sakartvelo"})))
    b = r.resolve(facts("b", Entity("n:sakartvelo-fc", "Sakartvelo", "Company")))
    assert "n:sakartvelo-fc" in b.entities


def test_generic_and_named_stay_apart():
    r = Resolver()
    r.resolve(facts("a", Entity("n:police", "police", "SecurityForce", generic=True)))
    b = r.resolve(facts("b", Entity("n:police-force", "Police", "SecurityForce", aliases={"police"})))
    assert "n:police-force" in b.entities


def test_seed_from_a_store():
    r = Resolver()
    r.seed("g:x", "X Army", "SecurityForce", aliases=("XA",))
    b = r.resolve(facts("b", Entity("n:xa", "XA", "SecurityForce")))
    assert "g:x" in b.entities
