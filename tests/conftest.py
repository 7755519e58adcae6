"""Shared fixtures: the real pipeline (session-scoped), the gazetteer, hand-built Docs,
and a built sample graph."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DEV = SHARED / "eval" / "dev"


@pytest.fixture(scope="session")
def gaz():
    from kg.gazetteer import load_gazetteer

    return load_gazetteer()


@pytest.fixture(scope="session")
def rules():
    from kg.extract.rules import load_rules

    return load_rules()


@pytest.fixture(scope="session")
def nlp(gaz):
    """The real spaCy pipeline with the gazetteer ruler."""
    from kg.nlp import build_pipeline

    return build_pipeline(gaz)


@pytest.fixture(scope="session")
def extract(nlp, gaz, rules):
    """Run the real pipeline and the rules on a text: ``extract(text, date=None, title=None)``."""
    from kg.extract import extract_facts
    from kg.model import Article

    def run(text: str, date: str | None = None, title: str | None = None):
        art = Article(id="t", text=text, date=date, title=title)
        return extract_facts(nlp(art.document), art, gaz, rules)

    return run


@pytest.fixture(scope="session")
def make_doc():
    """Build a Doc by hand (words, heads, deps, POS, lemmas, entities), no model needed.

    ``heads`` are absolute token indices; ``ents`` are (start, end, label) token spans.
    """
    import spacy
    from spacy.tokens import Doc, Span

    vocab = spacy.blank("en").vocab

    def make(words, heads, deps, pos=None, lemmas=None, ents=(), tags=None):
        doc = Doc(vocab, words=words, heads=heads, deps=deps, pos=pos or ["X"] * len(words),
                  lemmas=lemmas or [w.lower() for w in words], tags=tags)
        doc.ents = [Span(doc, s, e, label=lab) for s, e, lab in ents]
        return doc

    return make


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory):
    """The bundled sample corpus built once for the whole session."""
    from kg.build import BuildOptions, build

    out = tmp_path_factory.mktemp("sample") / "out"
    result = build([], out, BuildOptions())
    return out, result


def fact_pairs(facts):
    """(subject label, predicate, object label) for every asserted relation."""
    def name(key):
        if key in facts.entities:
            return facts.entities[key].label
        if key in facts.events:
            return facts.events[key].cls
        return key

    return {(name(r.subject), r.predicate, name(r.object)) for r in facts.relations}
