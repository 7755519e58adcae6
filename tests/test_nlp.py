"""The pipeline's own pieces: the attribute ruler's faster matching gives spaCy's matches, and
the gazetteer's phrase matching gives the entities spaCy's entity ruler gives."""
from __future__ import annotations

import json

import pytest
import spacy
from spacy.tokens import Doc

from conftest import DEV
from kg.nlp import MODEL, AttributeMatches, GazetteerMatches, pattern_tokens, ruler_patterns


@pytest.fixture(scope="module")
def stock():
    """The model as shipped (its attribute ruler still matches through spaCy's Matcher)."""
    return spacy.load(MODEL)


def _texts() -> list[str]:
    from kg.ingest import read_articles, sample_corpus

    texts = [a.document for a in read_articles([sample_corpus()])]
    if (DEV / "articles.jsonl").exists():
        with (DEV / "articles.jsonl").open(encoding="utf-8") as f:
            texts += [json.loads(line)["text"] for line in f if line.strip()]
    return texts


def test_same_matches_as_the_matcher_on_hand_built_docs(stock):
    """Two-token patterns, IN, NOT_IN, REGEX, IS_SPACE and negative indices, on Docs
    whose tags and dependencies are given by hand."""
    ruler = stock.get_pipe("attribute_ruler")
    fast = AttributeMatches(ruler)
    assert fast.supported
    cases = [
        (["Y'", "all", "gon", "na", "go", "."], ["NNP", "DT", "VBG", "TO", "VB", "."],
         ["nsubj", "det", "ROOT", "aux", "xcomp", "punct"], [2, 0, 2, 4, 2, 2]),
        (["He", "ai", "n't", "nothin'", "but", "there", "is", "\n", "it"],
         ["PRP", "VBZ", "RB", "NN", "CC", "EX", "VBZ", "_SP", "PRP"],
         ["nsubj", "ROOT", "neg", "dobj", "cc", "expl", "conj", "dep", "dobj"], [1, 1, 1, 1, 1, 6, 1, 6, 6]),
        (["Let", "'s", "see", "what", "they", "did", "to", "it", "  "],
         ["VB", "PRP", "VB", "WP", "PRP", "VBD", "IN", "PRP", "_SP"],
         ["ROOT", "nsubj", "ccomp", "dobj", "nsubj", "ccomp", "prep", "pobj", ""], [0, 2, 0, 5, 5, 2, 5, 6, 7]),
    ]
    for words, tags, deps, heads in cases:
        doc = Doc(stock.vocab, words=words, tags=tags, deps=deps, heads=heads)
        expected = ruler.matcher(doc, allow_missing=True, as_spans=False)
        got = fast(doc)
        assert {(m, s, e) for _, m, s, e in got} == set(expected), words
        assert got == sorted(got)
        assert got, words


def test_same_annotations_as_the_stock_attribute_ruler_on_real_text(stock):
    """Every sample article (and the dev set when it is beside the repository): the
    faster matching leaves the same tags, parts of speech, morphology and lemmas."""
    ruler = stock.get_pipe("attribute_ruler")
    fast = AttributeMatches(ruler)
    texts = _texts()
    assert len(texts) >= 5
    before = [n for n in stock.pipe_names if n not in ("attribute_ruler", "lemmatizer", "ner")]
    with stock.select_pipes(enable=before):
        docs = list(stock.pipe(texts))
    lemmatizer = stock.get_pipe("lemmatizer")
    tokens = 0
    for doc in docs:
        expected = ruler.match(doc)
        assert fast(doc) == expected
        a, b = Doc.from_docs([doc]), Doc.from_docs([doc])
        ruler.set_annotations(a, expected)
        ruler.set_annotations(b, fast(b))
        a, b = lemmatizer(a), lemmatizer(b)
        assert [(t.tag_, t.pos_, str(t.morph), t.lemma_) for t in a] == [(t.tag_, t.pos_, str(t.morph), t.lemma_)
                                                                        for t in b]
        tokens += len(doc)
    assert tokens > 1000


def test_the_pipeline_uses_it(nlp):
    assert isinstance(nlp.get_pipe("attribute_ruler").match, AttributeMatches)
    doc = nlp("The militants didn't claim the attacks on Gwadar.")
    assert [t.lemma_ for t in doc][:4] == ["the", "militant", "do", "not"]
    assert doc[2].pos_ == "AUX"


def test_patterns_it_does_not_know_fall_back_to_the_matcher():
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.add([[{"LOWER": "big", "OP": "+"}, {"LOWER": "deal"}]], {"LEMMA": "matter"}, index=-1)
    ruler.add([[{"LENGTH": 3}]], {"LEMMA": "three"})
    fast = AttributeMatches(ruler)
    assert not fast.supported  # an operator and an attribute it does not evaluate
    ruler.match = fast
    doc = ruler(nlp.make_doc("a big big deal for you"))
    assert [t.lemma_ for t in doc] == ["", "three", "three", "matter", "three", "three"]


# ----------------------------------------------------------------------------- gazetteer ruler
AMBIGUOUS = ["Tripoli", "TRIPOLI", "Djibouti", "DJIBOUTI", "Monaco", "MONACO", "San Marino", "Luxembourg"]


def _stock_ruler_pipeline(gaz):
    """kg's pipeline with spaCy's entity ruler matching the patterns itself."""
    nlp = spacy.load(MODEL)
    ruler = nlp.get_pipe("attribute_ruler")
    ruler.match = AttributeMatches(ruler)
    nlp.add_pipe("kg_newline_sentences", before="parser")
    ruler = nlp.add_pipe("entity_ruler", before="ner", config={"phrase_matcher_attr": "ORTH", "validate": False})
    with nlp.select_pipes(enable=[]):
        ruler.add_patterns(ruler_patterns(gaz))
    return nlp


def test_gazetteer_matches_give_the_entities_of_spacys_ruler(nlp, gaz):
    """Every sample (and dev-set) article, and names that several gazetteer entries
    share at sixty positions in a sentence: the same entities, labels and ids as
    spaCy's entity ruler, whose choice between two entries of one name depends on
    where the name is (both are met below)."""
    import random

    assert isinstance(nlp.get_pipe("entity_ruler").match, GazetteerMatches)
    stock = _stock_ruler_pipeline(gaz)
    rng = random.Random(5)
    names = list(AMBIGUOUS)
    texts = _texts()
    for k in range(60):
        rng.shuffle(names)
        texts.append(" ".join(["Officials said"] + ["that"] * k + [
            f"{names[0]} and {names[1]} met {names[2]}, with Quetta and {names[3]} in {names[4]}."]))
    ents = 0
    ids: dict[str, set] = {}
    for a, b in zip(stock.pipe(texts), nlp.pipe(texts)):
        assert [(e.start, e.end, e.label_, e.ent_id_) for e in b.ents] == \
            [(e.start, e.end, e.label_, e.ent_id_) for e in a.ents]
        ents += len(a.ents)
        for e in a.ents:
            ids.setdefault(e.text.lower(), set()).add(e.ent_id_)
    assert ents > 300
    assert ids["tripoli"] == {"tripoli", "tripoli-lebanon"}  # spaCy's ruler picks either


def test_the_token_table_is_current(gaz):
    """The shipped table holds every pattern of the gazetteer as the tokenizer splits it
    (after editing the gazetteer, run `python -m kg.nlp`)."""
    from kg.nlp import TOKENS_FILE, _tokenizer_id

    nlp = spacy.load(MODEL)
    data = json.loads(TOKENS_FILE.read_text(encoding="utf-8"))
    assert data["tokenizer"] == _tokenizer_id(nlp), "run `python -m kg.nlp` to refresh kg/data/gazetteer-tokens.json"
    texts = sorted({p["pattern"] for p in ruler_patterns(gaz)})
    missing = [t for t in texts if t not in data["tokens"]]
    assert not missing, f"{len(missing)} patterns missing (e.g. {missing[:3]}): run `python -m kg.nlp`"
    assert [data["tokens"][t] for t in texts] == [[w.text for w in doc] for doc in nlp.tokenizer.pipe(texts)]


def test_pattern_tokens_fall_back_to_the_tokenizer(tmp_path):
    """A table written by another tokenizer is ignored; texts the table lacks are
    tokenized; the matches then work for them (a gazetteer extended by the user)."""
    nlp = spacy.blank("en")
    table = tmp_path / "tokens.json"
    table.write_text(json.dumps({"tokenizer": "another spaCy", "tokens": {"Jaish al-Adl": ["Jaish al-Adl"]}}))
    assert pattern_tokens(nlp, ["Jaish al-Adl", "U.S. Army"], table) == {
        "Jaish al-Adl": ["Jaish", "al", "-", "Adl"], "U.S. Army": ["U.S.", "Army"]}
    assert pattern_tokens(nlp, ["Jaish al-Adl"], tmp_path / "none.json") == {"Jaish al-Adl": ["Jaish", "al", "-", "Adl"]}
    (tmp_path / "damaged.json").write_text('{"tokenizer": ')
    assert pattern_tokens(nlp, ["Jaish al-Adl"], tmp_path / "damaged.json") == {"Jaish al-Adl": ["Jaish", "al", "-", "Adl"]}
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "ORTH"})
    ruler.match = GazetteerMatches(ruler, [{"label": "ORG", "pattern": "Jaish al-Adl", "id": "jaish-al-adl"},
                                           {"label": "ORG", "pattern": "Jaish", "id": "jaish"},
                                           {"label": "GPE", "pattern": "Quetta", "id": "quetta"}], table)
    doc = nlp("Jaish al-Adl struck Quetta; Jaish fighters fled.")
    assert [(e.text, e.label_, e.ent_id_) for e in doc.ents] == [
        ("Jaish al-Adl", "ORG", "jaish-al-adl"), ("Quetta", "GPE", "quetta"), ("Jaish", "ORG", "jaish")]


@pytest.mark.e2e
def test_a_dateline_is_no_part_of_the_first_sentence(nlp):
    doc = nlp("Raids kill 30 militants\nPESHAWAR, Pakistan, Sept 14 (Reuters) - Pakistani security forces killed "
              "30 militants in raids, the military said.")
    sents = [s.text.strip() for s in doc.sents]
    assert "PESHAWAR, Pakistan, Sept 14 (Reuters) -" in sents
    assert any(s.startswith("Pakistani security forces killed") for s in sents)
