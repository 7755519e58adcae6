"""Property-based tests (hypothesis): random text never crashes ingest or extraction,
every output of random input is valid RDF that passes SHACL, every IRI is valid, and
literals survive the N-Quads round trip."""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from rdflib import Literal

from kg.ingest import (SPLIT_MODES, InputProblem, clean_text, decode, parse_text_article, read_articles,
                       split_articles)
from kg.rdf import article_iri, entity_iri, event_iri, graph_iri, term_nt
from kg.vocab import ID_NS

# every code point, lone surrogates and unassigned ones included
ANY_CHAR = st.characters(codec=None, exclude_categories=())
ANY_TEXT = st.text(ANY_CHAR, max_size=300)

# news-like text: words the rules react to, mixed with noise, punctuation and line breaks
NEWS_WORDS = [
    "The", "Baloch", "Liberation", "Army", "BLA", "claimed", "responsibility", "for", "the", "attack", "in",
    "Quetta", "Gwadar", "Pakistan", "Iran", "Tehran", "police", "station", "killed", "injured", "at", "least",
    "12", "three", "dozens", "soldiers", "civilians", "said", "officials", "according", "to", "denied",
    "accused", "of", "on", "Saturday", "January", "31", "2026", "militants", "stormed", "a", "checkpoint",
    "Reuters", "reported", "alleged", "–", "—", ",", ".", "\"", "'s", "(", ")", "\n", "\n\n", "QUETTA", "-",
    "<script>", "}", "{", "DROP", "ALL", ";", "@", "#", "%", "🧨", "\u202e", "\u200b", "Mr.", "Dr", "U.S.",
]
TEMPLATES = [
    "{a} claimed responsibility for the attack in {p} on {d}, officials said.",
    "Militants from the {a} stormed a police station in {p} and killed {n} soldiers, the army said.",
    "{a} accused {b} of carrying out the bombing in {p}.",
    "{b} denied that it had attacked {p}, according to {a}.",
    "At least {n} civilians were injured in {p} on {d}, {a} reported.",
    "{P} – {a} and {b} signed an agreement in {p} on {d}.",
]
ACTORS = ["the Baloch Liberation Army", "BLA", "Iran", "the Pakistani army", "Reuters", "police", "Jaish al-Adl"]
PLACES = ["Quetta", "Gwadar", "Tehran", "Kabul", "the border", "Balochistan"]
FILL = st.text(ANY_CHAR, min_size=1, max_size=15)
SENTENCE = st.builds(
    lambda t, a, b, p, n, d: t.format(a=a, b=b, p=p, P=p.upper(), n=n, d=d),
    st.sampled_from(TEMPLATES), st.one_of(st.sampled_from(ACTORS), FILL), st.one_of(st.sampled_from(ACTORS), FILL),
    st.one_of(st.sampled_from(PLACES), FILL), st.one_of(st.integers(0, 10**7).map(str), st.sampled_from(
        ["three", "dozens of", "1,200", "12-15", "-4"])), st.sampled_from(
        ["Saturday", "January 31, 2026", "2024-02-30", "31/31/2031", "last week", "the 99th"]))
WORD_SOUP = st.lists(st.one_of(st.sampled_from(NEWS_WORDS), FILL), min_size=1, max_size=20).map(" ".join)
NEWS_TEXT = st.lists(st.one_of(SENTENCE, SENTENCE, WORD_SOUP), min_size=0, max_size=6).map(
    lambda parts: "\n".join(parts))

_IRI = re.compile(r"[a-z][a-z0-9+.-]*:(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#\[\]]|%[0-9A-F]{2})+")
_BAD_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def assert_valid_minted_iri(iri: str) -> None:
    assert ox.NamedNode(iri).value == iri
    assert _IRI.fullmatch(iri), iri
    assert iri.startswith(ID_NS)
    assert all(seg not in ("", ".", "..") for seg in iri[len(ID_NS):].split("/")), iri


# ----------------------------------------------------------------------------- IRIs and literals
@settings(max_examples=300, deadline=None)
@given(a=ANY_TEXT, b=ANY_TEXT)
def test_minted_iris_are_always_valid(a, b):
    for iri in (entity_iri(f"n:{a}"), entity_iri(f"g:{b}"), event_iri(f"e:{a}:{b}"), event_iri(f"e:{a}:3"),
                article_iri(a), graph_iri(b)):
        assert_valid_minted_iri(str(iri))


@settings(max_examples=300, deadline=None)
@given(text=ANY_TEXT)
def test_literals_survive_the_n_triples_round_trip(text):
    line = f"<{ID_NS}s> <{ID_NS}p> {term_nt(Literal(text))} .\n"
    (quad,) = ox.parse(line.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    assert quad.object.value == re.sub(r"[\ud800-\udfff]", "\ufffd", text)


# ----------------------------------------------------------------------------- ingest
@settings(max_examples=300, deadline=None)
@given(data=st.one_of(st.binary(max_size=400), ANY_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")),
                      ANY_TEXT.map(lambda t: t.encode("utf-16", "surrogatepass"))))
def test_decode_returns_text_or_raises_input_problem(data):
    try:
        text = decode(data, "f.txt")
    except InputProblem as p:
        assert p.path == "f.txt" and p.reason
        return
    assert isinstance(text, str)


@settings(max_examples=300, deadline=None)
@given(text=ANY_TEXT, mode=st.sampled_from(SPLIT_MODES))
def test_split_and_parse_never_crash_and_clean_the_text(text, mode):
    for block in split_articles(text, mode):
        assert block and block == block.strip()
        art = parse_text_article(block, "f.txt")
        for value in (art.text, art.title, art.source, art.dateline, art.id):
            if value is not None:
                assert not _BAD_CHARS.search(value), repr(value)
                value.encode("utf-8")
        assert art.document.endswith(art.text)


@settings(max_examples=100, deadline=None)
@given(text=ANY_TEXT)
def test_clean_text_is_idempotent_and_keeps_length(text):
    once = clean_text(text)
    assert clean_text(once) == once and len(once) == len(text)


_FILES = tempfile.mkdtemp(prefix="kg-fuzz-")  # hypothesis reruns examples: no function-scoped tmp_path


@settings(max_examples=80, deadline=None)
@given(data=st.one_of(st.binary(max_size=600),
                      st.lists(st.one_of(ANY_TEXT, st.builds(lambda t: '{"text": %s}' % t, ANY_TEXT),
                                         st.just('{"text": "Gunmen attacked Quetta.", "id": "\\ud800"}')),
                               max_size=6).map(lambda ls: "\n".join(ls).encode("utf-8", "surrogatepass"))),
       suffix=st.sampled_from([".txt", ".jsonl", ".html"]))
def test_read_articles_reports_problems_and_never_raises_anything_else(data, suffix):
    path = Path(_FILES) / f"input{suffix}"
    path.write_bytes(data)
    problems: list[InputProblem] = []
    arts = list(read_articles([path], report=problems.append))
    for art in arts:
        assert art.text.strip() and not _BAD_CHARS.search(art.document)
        assert_valid_minted_iri(str(article_iri(art.id)))
    assert all(isinstance(p, InputProblem) and p.reason for p in problems)


# ----------------------------------------------------------------------------- extraction and RDF
def facts_of(text: str, nlp, gaz, rules, n: int = 0):
    from kg.extract import extract_facts

    art = parse_text_article(text, f"fuzz#{n}")
    return extract_facts(nlp(art.document), art, gaz, rules)


def quads_of(facts_list) -> list[ox.Quad]:
    from kg.output import article_rdf, prefix_lines
    from kg.resolve import Resolver

    resolver = Resolver()
    nquads, trig = [], [prefix_lines().encode("utf-8")]
    for facts in facts_list:
        rdf, text = article_rdf(resolver.resolve(facts), nquads=True)
        nquads.append(text)
        trig.append(rdf.trig)
    quads = list(ox.parse("".join(nquads).encode("utf-8"), format=ox.RdfFormat.N_QUADS))
    # the TriG blocks of the output files hold the same quads
    assert set(ox.parse(b"".join(trig), format=ox.RdfFormat.TRIG)) == set(quads)
    return quads


@pytest.mark.e2e
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=NEWS_TEXT)
@example(text="8\u00aaP\u00b0 G\x90\U000e6110 12 r\x9d\U0002d552\x96 DROP\nofficials police")  # a numeric root: hung
def test_extraction_never_crashes_and_its_rdf_parses(text, nlp, gaz, rules):
    assume(text.strip())
    facts = facts_of(text, nlp, gaz, rules)
    quads = quads_of([facts])
    for q in quads:
        for term in (q.subject, q.predicate, q.object, q.graph_name):
            if isinstance(term, ox.NamedNode) and term.value.startswith(ID_NS):
                assert_valid_minted_iri(term.value)
    doc = facts.article.document
    for rel in facts.relations:  # provenance offsets point into the document
        ev = rel.evidence
        assert 0 <= ev.start <= ev.end <= len(doc) and doc[ev.start:ev.end].strip() == ev.sentence.strip()


@pytest.mark.e2e
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(NEWS_TEXT, min_size=4, max_size=4))
def test_random_articles_give_rdf_that_conforms_to_the_shapes(texts, nlp, gaz, rules):
    from rdflib import Dataset

    from kg.validate import validate_graph

    texts = [t for t in texts if t.strip()]
    assume(texts)
    quads = quads_of([facts_of(t, nlp, gaz, rules, i) for i, t in enumerate(texts)])
    ds = Dataset()
    ds.parse(data=ox.serialize(quads, format=ox.RdfFormat.N_QUADS), format="nquads")  # rdflib reads it too
    result = validate_graph(ds)
    assert result.conforms, result.summary()
