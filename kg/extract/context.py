"""Per-document state shared by the rule families: the entity layer.

:class:`DocContext` maps tokens to entities. Entities come from the gazetteer ruler,
from spaCy's named entities (class refined by name keywords and descriptors), from
acronyms defined in the text ("Baloch Liberation Army (BLA)"), from institution
mentions resolved to one canonical body ("Pakistani authorities", "officials" in a
Pakistan story → Government of Pakistan), from role mentions ("the Chief Minister of
Balochistan") and, on demand, from generic noun phrases that a fact needs ("police
stations", "civilians").

Entity keys are canonical across articles: ``g:<gazetteer id>`` for gazetteer
entries and ``n:<folded name>`` otherwise.
"""
from __future__ import annotations

import re
from collections import Counter
from datetime import date

from spacy.tokens import Doc, Span, Token  # noqa: F401

from kg.extract.dates import parse_iso
from kg.extract.rules import Rules
from kg.gazetteer import Entry, Gazetteer, fold
from kg.model import Article, ArticleFacts, Entity, Evidence

SKIP_LABELS = {"DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT",
               "LANGUAGE", "LAW", "WORK_OF_ART", "EVENT"}
PLACE_CLASSES = {"Place", "Country", "Region", "City", "Facility", "Vehicle", "WaterBody"}
ORG_CLASSES = {"Organization", "ArmedGroup", "GovernmentBody", "SecurityForce",
               "MediaOrganization", "InternationalOrganization", "Company"}
AGENT_CLASSES = ORG_CLASSES | {"Person", "Group", "Agent"}
PLACE_RANK = {"Country": 4, "Region": 3, "WaterBody": 3, "Place": 2, "City": 2, "Facility": 1, "Vehicle": 0}
PRONOUNS_GROUP = {"it", "its", "they", "their", "them", "itself", "themselves"}
ADMIN_FIELDS = {"state", "justice", "defense", "defence", "police", "fire", "health", "treasury", "interior",
                "education", "energy", "commerce", "homeland", "labor", "labour", "agriculture", "transportation",
                "foreign", "home", "finance", "information", "war", "security", "public", "immigration"}
ORG_FIELD_WORDS = {"ministry", "office", "police", "army", "council", "committee", "agency", "bureau"}
NAME_CONNECTORS = {"al", "el", "-", "e", "i", "ul", "of", "for", "the", "wal", "and", "de", "la", "du", "des", "bin", "ibn"}
INSTITUTION_WORDS = {"police", "army", "rangers", "levies", "corps", "guard", "guards", "government", "assembly",
                     "council", "ministry", "department", "forces", "constabulary", "frontier", "legislature",
                     "parliament", "senate", "militia", "navy"}
# words that end the name of an organisation ("... Emergency Service", "... Rights Commission")
ORG_HEAD_WORDS = INSTITUTION_WORDS | {"service", "agency", "authority", "committee", "commission", "office", "directorate",
                                     "society", "organization", "organisation", "network", "movement", "front", "party",
                                     "brigade", "battalion", "command", "bureau", "centre", "center", "institute",
                                     "foundation", "union", "federation", "association", "court", "tribunal", "crescent",
                                     "administration", "cabinet", "observatory", "mission"}
QUANTITY_NOUNS = {"dozens", "dozen", "hundreds", "thousands", "scores", "number", "many", "several", "some", "most",
                  "all", "both", "each", "one", "two", "three", "members", "group", "groups"}
HYPHEN_MODIFIED = {"allied", "backed", "based", "linked", "affiliated", "aligned", "sponsored", "funded", "led",
                   "supported", "inspired"}
PRONOUNS_PERSON = {"he", "his", "him", "she", "her", "himself", "herself"}
SUBCLASS = {
    "Person": "Agent", "Organization": "Agent", "Group": "Agent",
    "ArmedGroup": "Organization", "GovernmentBody": "Organization", "SecurityForce": "Organization",
    "MediaOrganization": "Organization", "InternationalOrganization": "Organization",
    "Company": "Organization", "Country": "Place", "Region": "Place", "City": "Place",
    "Facility": "Place", "Vehicle": "Facility", "WaterBody": "Place",
}


def is_a(cls: str, allowed: set[str] | frozenset[str]) -> bool:
    """True when ``cls`` is one of ``allowed`` or a subclass of one."""
    while cls:
        if cls in allowed:
            return True
        cls = SUBCLASS.get(cls, "")
    return False


_BRACKET = re.compile(r"\s*[(\[]")
_SPACES = re.compile(r"\s+")
_THE = re.compile(r"^(?:the|The|THE)\s+")
_POSSESSIVE_END = re.compile(r"(?:'s|’s|'|’)$")


def clean_name(text: str) -> str:
    """A mention's text without a leading article, possessive or stray punctuation."""
    text = _BRACKET.split(text, maxsplit=1)[0] if not text.lstrip().startswith("(") else text
    text = _SPACES.sub(" ", text).strip(" \t\n,;:\"'“”‘’()[]")
    text = _THE.sub("", text)
    text = _POSSESSIVE_END.sub("", text)
    return text.strip(" \t\n,;:\"'“”‘’()[]")


_INSTITUTIONS: dict[int, tuple] = {}


def _institution_index(lex: dict) -> tuple[dict, dict, frozenset]:
    """The lexicon's regional and national institution entries by head word (regional:
    word -> entries; national: word -> (position, entry)), and the words a token needs
    (as its form or lemma) for any entry to be looked up, built once per lexicon."""
    found = _INSTITUTIONS.get(id(lex))
    if found is None or found[0] is not lex:
        regional: dict[str, list] = {}
        for item in lex.get("regional_institutions", []):
            item = {**item, "_modifiers": set(item["modifiers"])}
            for head in dict.fromkeys(item["heads"]):
                regional.setdefault(head, []).append(item)
        national: dict[str, list] = {}
        for n, item in enumerate(lex.get("institutions", [])):
            for head in dict.fromkeys(item["heads"]):
                national.setdefault(head, []).append((n, item))
        openers = frozenset(regional) | frozenset(national) | {h.split()[-1] for h in national if h.split()}
        found = _INSTITUTIONS[id(lex)] = (lex, regional, national, openers)
    return found[1], found[2], found[3]


class DocContext:
    """The entity layer of one parsed article, and helpers the rules share."""

    def __init__(self, doc: Doc, article: Article, gaz: Gazetteer, rules: Rules):
        self.doc, self.article, self.gaz, self.rules = doc, article, gaz, rules
        self.facts = ArticleFacts(article=article)
        # the doc's tokens, made once: spaCy makes a new Token object at every doc[i]
        # and every iteration, and the rules scan the document a dozen times
        self.tokens = list(doc)
        self.text = doc.text  # (Doc.text joins every token at each access)
        self._evidence: dict[tuple[int, int, str], Evidence] = {}
        self.tok2key: dict[int, str] = {}
        self.alias_map: dict[str, str] = {}  # folded alias -> key, this document only
        self.ref_date: date | None = parse_iso(article.date)
        self.home_country: str | None = None
        self.home_region: str | None = None
        self._generic: dict[int, str | None] = {}
        self.full_dates: list | None = None  # see events._latest_date_before
        self._sents: list[Span] | None = None
        self._sent_index: list[int] = []
        self._build_entities()

    def sent_of(self, i: int) -> Span:
        """The sentence of token ``i``: the same ``Span`` as ``doc[i].sent``, but made once
        per sentence (``Token.sent`` looks for the sentence's bounds at every call)."""
        if self._sents is None:
            self._sents = list(self.doc.sents)
            self._sent_index = [0] * len(self.tokens)
            for k, sent in enumerate(self._sents):
                self._sent_index[sent.start:sent.end] = [k] * (sent.end - sent.start)
        return self._sents[self._sent_index[i]]

    # ----------------------------------------------------------------- evidence
    def evidence(self, sent: Span, rule: str) -> Evidence:
        key = (sent.start, sent.end, rule)
        found = self._evidence.get(key)
        if found is None:
            start, end = sent.start_char, sent.end_char
            # the span's text, sliced from the document's (Span.text joins its tokens)
            found = self._evidence[key] = Evidence(sentence=self.text[start:end].strip(), start=start,
                                                   end=end, rule=rule)
        return found

    def sent_ents(self, sent: Span) -> list[Span]:
        """``sent.ents`` (the entities within the sentence), from :attr:`ents`."""
        out = []
        for ent in self.ents:
            if ent.start >= sent.start:
                if ent.end <= sent.end:
                    out.append(ent)
                else:
                    break
        return out

    # ----------------------------------------------------------------- entities
    def add_entity(self, key: str, label: str, cls: str, surface: str | None = None,
                   span: tuple[int, int] | None = None, entry: Entry | None = None,
                   generic: bool = False) -> Entity:
        ent = self.facts.entities.get(key)
        if ent is None:
            ent = Entity(key=key, label=label, cls=cls, gazetteer_id=entry.id if entry else None,
                         wikidata=entry.wikidata if entry else None, generic=generic,
                         lat=entry.lat if entry else None, lon=entry.lon if entry else None)
            self.facts.entities[key] = ent
        elif not entry and not ent.gazetteer_id and ent.cls != cls and PLACE_RANK.get(cls, -1) > PLACE_RANK.get(ent.cls, 5):
            ent.cls = cls
        elif not entry and not ent.gazetteer_id and ent.cls != cls and span and self._in_title_only(ent) \
                and span[0] > len(self.article.title or ""):
            ent.cls = cls  # headline case misleads the NER: the body's reading wins
        for form in (surface, label):
            if form and form != ent.label:
                ent.aliases.add(form)
        if span and span not in ent.mentions:
            ent.mentions.append(span)
        return ent

    def gaz_entity(self, entry: Entry, surface: str | None = None, span=None) -> Entity:
        return self.add_entity(f"g:{entry.id}", entry.name, entry.cls, surface, span, entry)

    def _mark(self, tokens, key: str) -> None:
        for t in tokens:
            self.tok2key.setdefault(t.i, key)

    def _repair_spans(self) -> None:
        """Names the statistical NER misses but the text marks clearly:
        "Harakat al-Zulfiqar Brigade (HZB)" (a capitalised chunk defining an acronym)
        and "Punjab Police" (a place followed by a capitalised institution word)."""
        from spacy.util import filter_spans

        doc, toks, new = self.doc, self.tokens, []
        for tok in toks[2:-1]:
            if tok.text == "(" or toks[tok.i - 1].text != "(" or toks[tok.i + 1].text != ")":
                continue
            j = tok.i - 2
            while j >= tok.sent.start and (toks[j].text[:1].isupper() or toks[j].lower_ in NAME_CONNECTORS) \
                    and toks[j].lower_ not in ("the", "a", "an"):
                j -= 1
            start, end = j + 1, tok.i - 1
            while start < end and toks[start].lower_ in NAME_CONNECTORS:
                start += 1
            if end - start >= 2 and _acronym_of(tok.text, doc[start:end].text):
                new.append(Span(doc, start, end, label="ORG"))
        for ent in doc.ents:
            if ent.label_ in ("GPE", "NORP") and ent.end < len(doc):
                nxt = doc[ent.end]
                if nxt.text[:1].isupper() and nxt.lower_ in INSTITUTION_WORDS and nxt.ent_type_ in ("", "ORG"):
                    end = ent.end + 1
                    while end < len(doc) and doc[end].text[:1].isupper() and doc[end].lower_ in INSTITUTION_WORDS:
                        end += 1
                    new.append(Span(doc, ent.start, end, label="ORG"))
                    continue
                # "the Gaza Civil Emergency Service": capitalised words up to an organisation word
                end = ent.end
                while end < min(len(doc), ent.end + 5) and doc[end].text[:1].isupper() and doc[end].ent_type_ in ("", "ORG") \
                        and doc[end].pos_ in ("PROPN", "NOUN", "ADJ") and doc[end].is_alpha:
                    end += 1
                last = end - 1
                while last >= ent.end and doc[last].lower_ not in ORG_HEAD_WORDS:
                    last -= 1
                if last >= ent.end + 1:  # at least one word before the head: not "Pakistan Army" alone
                    new.append(Span(doc, ent.start, last + 1, label="ORG"))
        if new:
            doc.ents = filter_spans([*new, *doc.ents])

    def _build_entities(self) -> None:
        doc = self.doc
        self._repair_spans()
        self.ents = doc.ents  # fixed from here on (spaCy builds the spans at every access)
        ents = [e for e in self.ents if e.label_ not in SKIP_LABELS]
        # 1. acronym definitions: "Long Name (ACR)" / "ACR (Long Name)"
        for e in ents:
            nxt = doc[e.end:e.end + 3]
            if len(nxt) == 3 and nxt[0].text == "(" and nxt[2].text == ")" and _acronym_of(nxt[1].text, e.text):
                self.alias_map.setdefault(fold(nxt[1].text), f"@{fold(clean_name(e.text))}")
        # 2. named entities
        for e in ents:
            self._named_entity(e)
        # headline case misleads the NER: a name seen only in the title must be known
        for key in [k for k, v in self.facts.entities.items() if not v.gazetteer_id and self._in_title_only(v)]:
            del self.facts.entities[key]
            for i in [i for i, k in self.tok2key.items() if k == key]:
                del self.tok2key[i]
        # mentions that only qualify another noun ("the Hamas-allied group") are not
        # antecedents for "it" or "the group"
        self.modifier_mentions = {c.idx for t in self.tokens if t.lower_ in HYPHEN_MODIFIED
                                  for c in t.children if c.dep_ in ("npadvmod", "compound", "nmod")}
        # 3. the country and region the story is about
        counts: Counter = Counter()
        region_counts: Counter = Counter()
        for ent in list(self.facts.entities.values()):
            n = max(1, len(ent.mentions))
            if ent.cls == "Country":
                counts[ent.key] += n
            elif ent.gazetteer_id:
                for anc in self.gaz.ancestors(ent.gazetteer_id):
                    a = self.gaz.entries[anc]
                    if a.cls == "Country":
                        counts[f"g:{a.id}"] += n
                        self.gaz_entity(a)  # known, but not a mention
                        break
            if ent.cls == "Region":
                region_counts[ent.key] += n
        if counts:
            self.home_country = max(counts, key=lambda k: (counts[k], -self._first(k)))
        if region_counts:
            self.home_region = max(region_counts, key=lambda k: (region_counts[k], -self._first(k)))
        # drop ancestor countries that were only inferred (no mention) from the entity set
        for key in [k for k, v in self.facts.entities.items() if not v.mentions]:
            if key != self.home_country:
                del self.facts.entities[key]
        # 4. institutions and roles
        for tok in self.tokens:
            if tok.i not in self.tok2key and tok.pos_ in ("NOUN", "PROPN"):
                self.institution(tok)
        # 5. last-name references to people named earlier ("Amini" after "Mahsa Amini")

    def _name_before_comma(self, tok: Token) -> str | None:
        """The non-place entity that ends just before ", a <tok>" (a parenthesised
        acronym after the name is skipped), or None."""
        det = next((c for c in tok.children if c.dep_ == "det" and c.lower_ in ("a", "an") and c.i < tok.i), None)
        if det is None or det.i < 2 or self.doc[det.i - 1].text != ",":
            return None
        j = det.i - 2
        if self.doc[j].text == ")":
            while j > tok.sent.start and self.doc[j].text != "(":
                j -= 1
            j -= 1
        key = self.tok2key.get(j)
        return key if key and self.cls_of(key) not in PLACE_CLASSES else None

    def _in_title_only(self, ent: Entity) -> bool:
        title_end = len(self.article.title) if self.article.title else 0
        return bool(title_end and ent.mentions) and all(s < title_end for s, _ in ent.mentions)

    def _first(self, key: str) -> int:
        ent = self.facts.entities.get(key)
        return min((s for s, _ in ent.mentions), default=10**9) if ent else 10**9

    def _named_entity(self, e: Span) -> None:
        gaz = self.gaz
        text = clean_name(e.text)
        if not text or not any(c.isalpha() for c in text):
            return
        if e.end < len(e.doc) and e.doc[e.end].lower_ in ("language", "languages", "dialect", "script"):
            return  # "the Hausa language"
        if len(e) == 1 and not e.ent_id_ and (e[0].lemma_.lower() in self.rules.noun_trigger
                                               or e[0].lower_ in self.rules.generic_class
                                               or e[0].lower_ in ADMIN_FIELDS):
            return  # "Protests erupted ...", "Secretary of State": a common word, not a name
        words_ = text.split()
        roles = self.rules.words["leader_roles"] | self.rules.words["member_roles"]
        if len(words_) > 2 and words_[-1].lower() in roles and e.label_ == "ORG":
            text = " ".join(words_[:-1])  # "Senate Foreign Relations Committee Chair"
        span = (e.start_char, e.end_char)
        entry = gaz.entries.get(e.ent_id_) if e.ent_id_ else None
        if entry is None:
            alias = self.alias_map.get(fold(text))
            if alias and alias.startswith("@"):  # an acronym of a long name seen in this text
                long_key = self.alias_map.get(alias[1:])
                if long_key:
                    ent = self.facts.entities[long_key]
                    ent.aliases.add(text)
                    ent.mentions.append(span)
                    self._mark(e, long_key)
                    return
            elif alias:
                ent = self.facts.entities[alias]
                cls = ent.cls
                if self._in_title_only(ent) and span[0] > len(self.article.title or ""):
                    cls = self.classify(e, text) or cls  # the headline's case misled the NER
                self.add_entity(alias, ent.label, cls, text, span)
                self._mark(e, alias)
                return
            entry = gaz.lookup(text)
        if entry is None and e.label_ in ("GPE", "NORP", "LOC") and gaz.country_of_demonym(text):
            country = gaz.country_of_demonym(text)
            if e.root.dep_ in ("amod", "compound", "nmod", "poss") and e.root.head.pos_ in ("NOUN", "PROPN"):
                return  # "Ukrainian officials": a modifier, the institution rule reads it
            entry = country if e.label_ != "NORP" else None
        if entry is None and e.label_ == "NORP":
            # a demonym used as an adjective is not an entity of its own
            root = e.root
            if root.dep_ in ("amod", "compound", "nmod", "poss") and root.head.pos_ in ("NOUN", "PROPN"):
                return
        if entry is not None:
            ent = self.gaz_entity(entry, text, span)
        else:
            if e.label_ == "PERSON" and len(e) == 1:
                # a surname of a person named before
                for other in self.facts.entities.values():
                    if other.cls == "Person" and other.label.split()[-1] == text and other.label != text:
                        self.add_entity(other.key, other.label, "Person", text, span)
                        self._mark(e, other.key)
                        return
            cls = self.classify(e, text)
            if cls is None:
                return
            if e.label_ == "PERSON" and cls == "Person" and self._is_role_only(text):
                return
            ent = self.add_entity(f"n:{fold(text)}", text, cls, text, span)
        self._mark(e, ent.key)
        self.alias_map.setdefault(fold(text), ent.key)
        for a in ent.aliases:
            self.alias_map.setdefault(fold(a), ent.key)

    def _is_role_only(self, text: str) -> bool:
        low = text.lower()
        roles = self.rules.words["leader_roles"] | self.rules.words["member_roles"]
        return low in roles

    def classify(self, e: Span, text: str) -> str | None:
        """The ontology class of a named entity the gazetteer does not know."""
        label = e.label_
        low = text.lower()
        words = self.rules.words
        toks = low.split()
        if label in ("ORG", "PERSON", "NORP", "GPE", "LOC", "FAC") and self._followed_by_place(e):
            return "City"  # "Makiivka, Donetsk Oblast"
        if label in ("ORG", "FAC") and len(toks) >= 2 and toks[-1] in words["region_words"] \
                and toks[-2] not in ADMIN_FIELDS and not any(t in ORG_FIELD_WORDS for t in toks[:-1]):
            return "Region"  # "Barsalogho Department", "Kurram District"
        if label in ("ORG", "FAC") and toks and self.rules.generic_class.get(toks[-1]) == "Facility" \
                and toks[-1] not in ("office", "ministry", "parliament", "headquarters", "court", "centre", "center", "network", "line", "link", "links"):
            return "Facility"  # "Professional Technical School", "Khyber Teaching Hospital"
        if label == "PERSON" and not any(t.pos_ == "PROPN" for t in e):
            return None  # "Mobilized men": a capitalised word, not a name
        if label == "PERSON":
            return self._descriptor_class(e) or "Person"
        if label == "NORP":
            return self._descriptor_class(e) or "Group"
        if label in ("GPE", "LOC"):
            last = low.split()[-1]
            if any(w in low.split() for w in words["water_words"]):
                return "WaterBody"
            if last in words["region_words"]:
                return "Region"
            nxt = e.doc[e.end] if e.end < len(e.doc) else None
            if nxt is not None and nxt.lower_ in words["region_words"]:
                return "Region"
            prev = e.doc[e.start - 2:e.start]
            if len(prev) == 2 and prev[1].lower_ == "of" and prev[0].lemma_.lower() in words["city_words"]:
                return "City"
            if len(prev) == 2 and prev[1].lower_ == "of" and prev[0].lemma_.lower() in words["region_words"]:
                return "Region"
            return "Region" if label == "LOC" else "City"
        if label == "FAC":
            return "Facility"
        if label in ("ORG", "PROJECT"):
            cls = self._descriptor_class(e)
            if cls:
                return cls
            padded = f" {low} "
            for item in self.rules.lexicon.get("org_name_keywords", []):
                if any(f" {w} " in padded for w in item["words"]):
                    return item["class"]
            return "Organization"
        return None

    def _followed_by_place(self, e: Span) -> bool:
        doc = e.doc
        if e.end + 1 >= len(doc) or doc[e.end].text != ",":
            return False
        nxt = doc[e.end + 1]
        key = self.tok2key.get(nxt.i)
        if key and self.cls_of(key) in ("Region", "Country"):
            return True
        entry = self.gaz.entries.get(nxt.ent_id_) if nxt.ent_id_ else None
        return bool(entry and entry.cls in ("Region", "Country"))

    def _descriptor_class(self, e: Span) -> str | None:
        """"militant group Boko Haram", "the M23 rebel group", "JeM, a terrorist group"."""
        root = e.root
        cands = [root.head] if root.dep_ in ("compound", "appos", "nmod") else []
        cands += [c for c in root.children if c.dep_ in ("appos", "compound")]
        if root.dep_ == "appos":
            cands.append(root.head)
        for d in cands:
            lemma = d.lemma_.lower()
            mods = {c.lower_ for c in d.children if c.dep_ in ("amod", "compound")}
            for item in self.rules.lexicon.get("descriptor_classes", []):
                heads = set(item.get("heads", []))
                if lemma in heads or d.lower_ in heads:
                    needed = set(item.get("modifiers", []))
                    if not needed or mods & needed:
                        return item["class"]
        return None

    # ----------------------------------------------------------------- institutions
    def _country_modifier(self, tok: Token) -> Entry | None:
        """The country a noun is qualified by: "Pakistani", "Pakistan's", "Pakistan"
        (a modifier, or the word right before it when the parser attached it elsewhere)."""
        cands = [c for c in tok.children]
        if tok.dep_ == "compound":  # "a Nigerian defense ministry spokesman"
            cands += [c for c in tok.head.children if c.i < tok.i and c.dep_ in ("amod", "compound", "poss")]
        if tok.i > 0 and self.doc[tok.i - 1].pos_ in ("ADJ", "PROPN") and self.doc[tok.i - 1].head.i != tok.i:
            cands.append(self.doc[tok.i - 1])
        for c in cands:
            if c.i == tok.i - 1 and c.head.i != tok.i:
                dem = self.gaz.country_of_demonym(c.text)
                if dem:
                    return dem
                continue
            if c.dep_ in ("amod", "compound", "poss", "nmod") and c.i < tok.i:
                key = self.tok2key.get(c.i)
                if key and key.startswith("g:"):
                    entry = self.gaz.entries.get(key[2:])
                    if entry and entry.cls == "Country":
                        return entry
                    if entry and entry.cls == "City":  # "Islamabad's officials"
                        anc = [self.gaz.entries[a] for a in self.gaz.ancestors(entry.id)]
                        return next((a for a in anc if a.cls == "Country"), None)
                dem = self.gaz.country_of_demonym(c.text)
                if dem:
                    return dem
                entry = self.gaz.lookup(c.text, {"Country"})
                if entry:
                    return entry
        return None

    def institution(self, tok: Token) -> str | None:
        """Resolve an institution mention headed by ``tok`` to its canonical entity."""
        if tok.i in self.tok2key:
            return self.tok2key[tok.i]
        lemma, low = tok.lemma_.lower(), tok.lower_
        lex = self.rules.lexicon
        regional, national, openers = _institution_index(lex)
        if low not in openers and lemma not in openers:
            return None  # no entry has this word as its head (or a head's last word)
        compound = " ".join(c.lower_ for c in tok.children if c.dep_ == "compound" and c.i < tok.i)
        phrase = f"{compound} {low}".strip()
        # regional: "provincial officials"
        mods = {c.lower_ for c in tok.children if c.dep_ in ("amod", "compound")}
        if tok.i > 0:
            mods.add(self.doc[tok.i - 1].lower_)  # "the provincial government spokesperson"
        for item in regional.get(low, ()):
            if mods & item["_modifiers"] and self.home_region:
                region = self.facts.entities[self.home_region]
                label = item["template"].format(region=region.label)
                return self._institution_entity(tok, label, item["class"], item["id"])
        # the entries whose heads hold the phrase, the word or (but for "official") its lemma, in order
        found = {n: item for n, item in (*national.get(phrase, ()), *national.get(low, ()),
                                         *(national.get(lemma, ()) if low not in ("official",) else ()))}
        for n in sorted(found):
            item = found[n]
            country = self._country_modifier(tok)
            if country is None and (tok.tag_ == "NNS" and low in ("troops", "soldiers", "forces", "personnel", "officers")):
                return None  # unqualified plural: whose troops is not said
            if country is None:
                if any(c.dep_ in ("poss", "amod", "compound") and c.pos_ in ("PROPN",) for c in tok.children):
                    return None  # qualified by something else ("the Houthi government")
                if self.home_country is None:
                    return None
                if any(c.lower_ in ("foreign", "international", "western", "other") for c in tok.children):
                    return None
                country = self.gaz.entries.get(self.home_country[2:]) if self.home_country.startswith("g:") else None
                if country is None:
                    return None
            demonym = country.demonyms[0] if country.demonyms else country.name
            label = item["template"].format(country=country.name, demonym=demonym)
            return self._institution_entity(tok, label, item["class"], item["id"])
        return None

    def _institution_entity(self, tok: Token, label: str, cls: str, rule: str) -> str:
        entry = self.gaz.lookup(label)
        mods = [c for c in tok.children if c.i < tok.i and c.dep_ in ("amod", "compound", "poss", "nmod")
                and not any(g.dep_ in ("conj", "cc") for g in c.children)]
        start = min([m.left_edge.i if m.dep_ == "poss" else m.i for m in mods], default=tok.i)
        surface = clean_name(self.doc[start:tok.i + 1].text)
        if "," in surface:
            surface = tok.text
        bare = tok.text if tok.text[0].islower() or tok.text.isupper() else tok.text
        key = f"g:{entry.id}" if entry else f"n:{fold(label)}"
        ent = self.gaz_entity(entry, surface, (tok.idx, tok.idx + len(tok))) if entry else \
            self.add_entity(key, label, cls, surface, (tok.idx, tok.idx + len(tok)))
        if bare.lower() != surface.lower():
            ent.aliases.add(bare.lower() if bare[0].isupper() and not bare.isupper() and tok.i > tok.sent.start else bare)
        self.tok2key[tok.i] = key
        return key

    # ----------------------------------------------------------------- generic mentions
    def generic(self, tok: Token) -> str | None:
        """A generic entity for the noun phrase headed by ``tok`` ("police stations"),
        when its head noun is in the lexicon."""
        if tok.i in self._generic:
            return self._generic[tok.i]
        key = None
        if tok.pos_ in ("NOUN", "PROPN") and tok.ent_type_ not in SKIP_LABELS:
            cls = self.rules.generic_class.get(tok.lower_) or self.rules.generic_class.get(tok.lemma_.lower())
            compound = [c for c in tok.children if c.dep_ == "compound" and c.i == tok.i - 1]
            if compound:
                two = f"{compound[0].lower_} {tok.lower_}"
                cls = self.rules.generic_class.get(two, cls)
            if cls:
                label = self.np_label(tok)
                owner = next((c for c in tok.children if c.dep_ == "poss" and c.i in self.tok2key
                              and self.cls_of(self.tok2key[c.i]) in ("City", "Region", "Country")), None)
                if label and owner is not None and cls == "Facility":
                    # "Goma's international airport" names one facility
                    label = f"{self.facts.entities[self.tok2key[owner.i]].label}'s {label}"
                    self.add_entity(f"n:{fold(label)}", label, cls, label, (tok.idx, tok.idx + len(tok)))
                    self.tok2key.setdefault(tok.i, f"n:{fold(label)}")
                    self._generic[tok.i] = f"n:{fold(label)}"
                    return f"n:{fold(label)}"
                if label:
                    key = f"n:{fold(label)}"
                    entry = self.gaz.lookup(label)
                    if entry:
                        key = self.gaz_entity(entry, label, (tok.idx, tok.idx + len(tok))).key
                    else:
                        self.add_entity(key, label, cls, label, (tok.idx, tok.idx + len(tok)), generic=True)
                    self.tok2key.setdefault(tok.i, key)
        self._generic[tok.i] = key
        return key

    def np_label(self, tok: Token, extra_mod: Token | None = None, drop_mod: Token | None = None) -> str | None:
        """The label of a generic noun phrase: classifying modifiers and the head."""
        drop = self.rules.words["generic_drop_modifiers"]
        mods = []
        for c in tok.children:
            if c.i > tok.i or c.dep_ not in ("amod", "compound", "nmod", "npadvmod"):
                continue
            if c.lower_ in drop or c.like_num or c.pos_ in ("NUM", "DET", "PRON"):
                continue
            if c.ent_type_ in ("DATE", "TIME", "CARDINAL", "ORDINAL"):
                continue
            if drop_mod is not None and c.i == drop_mod.i:
                continue
            sub = [t for t in c.subtree if t.dep_ not in ("det", "punct", "cc", "conj", "prep") and t.lower_ not in drop]
            if c.dep_ == "amod" and c.pos_ == "VERB":
                continue  # "targeted civilians", "coordinated attacks": not part of the name
            mods.extend(sub)
        if extra_mod is not None:
            mods = [m for m in mods if m.i != extra_mod.i] + [extra_mod]
        words = [t.text for t in sorted(mods, key=lambda t: t.i)] + [tok.text]
        label = " ".join(words)
        label = re.sub(r"\s+-\s+", "-", label).strip()
        if label and label[0].isupper() and tok.i == tok.sent.start and not tok.ent_type_:
            label = label[0].lower() + label[1:]
        if label.lower() in ("people", "others", "other", "those", "some", "many"):
            return None
        return label or None

    # ----------------------------------------------------------------- token -> entity
    def entity_at(self, tok: Token, allow_generic: bool = True, allow_pronoun: bool = True, depth: int = 0) -> str | None:
        """The entity a token stands for: named, institution, "the city of X",
        relative pronouns, "the group", pronouns, then generic noun phrases."""
        key = self.tok2key.get(tok.i)
        if key:
            return key
        low, lemma = tok.lower_, tok.lemma_.lower()
        words = self.rules.words
        # "the city of Maiduguri", "the province of Balochistan", "Xinjiang province"
        if lemma in words["city_words"] | words["region_words"]:
            for c in tok.children:
                if c.dep_ in ("compound", "nmod") and c.i in self.tok2key and self.cls_of(self.tok2key[c.i]) in PLACE_CLASSES:
                    return self.tok2key[c.i]
            for c in tok.children:
                if c.dep_ == "prep" and c.lower_ == "of":
                    for p in c.children:
                        if p.dep_ == "pobj" and p.i in self.tok2key:
                            return self.tok2key[p.i]
        # "the building of Professional Technical School No. 19": the named place
        if lemma in ("building", "premises", "compound", "grounds", "site", "headquarters", "offices"):
            for c in tok.children:
                if c.dep_ == "prep" and c.lower_ == "of":
                    for p in c.children:
                        if p.dep_ == "pobj" and p.i in self.tok2key and self.cls_of(self.tok2key[p.i]) in ("Facility", "Organization", "GovernmentBody", "SecurityForce"):
                            return self.tok2key[p.i]
        # "An insurgent group, the Baloch Liberation Army, took ...": the name in apposition
        if tok.pos_ == "NOUN":
            for c in tok.children:
                if c.dep_ == "appos" and c.i in self.tok2key and self.cls_of(self.tok2key[c.i]) not in PLACE_CLASSES:
                    return self.tok2key[c.i]
        # "CPEC is a project designed to ...": the predicate noun stands for the subject
        if tok.dep_ == "attr" and tok.pos_ == "NOUN" and tok.head.lemma_ == "be":
            for c in tok.head.children:
                if c.dep_ == "nsubj" and c.i in self.tok2key:
                    return self.tok2key[c.i]
        # "JeM, a Pakistan-based terrorist group": the descriptor stands for the name
        if tok.dep_ == "appos" and tok.pos_ == "NOUN" and tok.head.i in self.tok2key:
            return self.tok2key[tok.head.i]
        # the same, misparsed: "a member of Jaish-e-Mohammad (JeM), a terrorist group that
        # ..." with "group" in apposition to "member", or with the name as its modifier.
        # The descriptor follows ", a": the name is the one just before the comma.
        if tok.pos_ == "NOUN" and (tok.dep_ == "appos" or any(c.dep_ in ("nmod", "compound") and c.i in self.tok2key
                                                               for c in tok.children)):
            key = self._name_before_comma(tok)
            if key:
                return key
        # relative pronoun: "a group that claimed ..."
        if low in ("that", "which", "who", "whom") and tok.head.dep_ == "relcl":
            return self.entity_at(tok.head.head, allow_generic, allow_pronoun=False)
        inst = self.institution(tok)
        if inst:
            return inst
        if allow_pronoun or tok.pos_ != "PRON":
            anaphor = self.anaphor(tok, depth)
            if anaphor:
                return anaphor
        if allow_generic:
            return self.generic(tok)
        return None

    def entities_at(self, tok: Token) -> list[str]:
        """Like :meth:`entity_at`, but "dozens of X" is X and "merchant and naval
        vessels" is two generic entities."""
        if tok.lemma_.lower() in QUANTITY_NOUNS:
            for c in tok.children:
                if c.dep_ == "prep" and c.lower_ == "of":
                    for p in c.children:
                        if p.dep_ == "pobj":
                            return self.entities_at(p)
        key = self.entity_at(tok)
        if key is None or not self.facts.entities[key].generic:
            return [key] if key else []
        out = [key]
        for c in tok.children:
            if c.dep_ == "amod" and c.i < tok.i:
                for other in c.conjuncts:
                    label = self.np_label(tok, extra_mod=other, drop_mod=c)
                    if label:
                        k2 = f"n:{fold(label)}"
                        self.add_entity(k2, label, self.facts.entities[key].cls, label, (tok.idx, tok.idx + len(tok)),
                                        generic=True)
                        out.append(k2)
        if len(out) > 1:  # "merchant and naval vessels": not "merchant vessels" alone
            ent = self.facts.entities[key]
            ent.label = self.np_label(tok) or ent.label
        return out

    def _previous_subject(self, tok: Token) -> Token | None:
        """The subject of the clause before: earlier in the sentence, or the main
        subject of the sentence before (the preferred antecedent of "it"/"they")."""
        sent = tok.sent
        earlier = [t for t in sent if t.i < tok.i and t.dep_ in ("nsubj", "nsubjpass") and t.pos_ != "PRON"]
        if earlier:
            return earlier[-1]
        if sent.start == 0:
            return None
        prev = self.doc[sent.start - 1].sent
        for t in prev:
            if t.dep_ in ("nsubj", "nsubjpass") and t.head.dep_ == "ROOT" and t.pos_ != "PRON":
                return t
        return None

    def agent_at(self, tok: Token, allow_generic: bool = True) -> str | None:
        """An entity in an agent position; a capital city that speaks or acts stands
        for its country ("Washington condemned", "New Delhi refutes")."""
        key = self.entity_at(tok, allow_generic=allow_generic)
        ent = self.facts.entities.get(key) if key else None
        if ent is not None and ent.cls == "City" and ent.gazetteer_id:
            for country in self.gaz.entries.values():
                if country.cls == "Country" and country.capital == ent.gazetteer_id:
                    return self.gaz_entity(country).key
        return key

    def anaphor(self, tok: Token, depth: int = 0) -> str | None:
        """"the group", "the militant group", "it"/"its"/"they", "the province",
        "the country": the most recent entity of the matching class."""
        low, lemma = tok.lower_, tok.lemma_.lower()
        dets = {c.lower_ for c in tok.children if c.dep_ in ("det", "poss")}
        if tok.pos_ == "PRON" and low in PRONOUNS_GROUP and tok.dep_ in ("nsubj", "nsubjpass") and depth < 2:
            prev = self._previous_subject(tok)
            if prev is not None:
                key = self.entity_at(prev, allow_generic=False, depth=depth + 1)
                if key and is_a(self.cls_of(key) or "", {"Organization", "Country", "Group"}):
                    return key
        if tok.pos_ == "PRON" and low in ("its", "their") and depth < 2:
            # "it began its uprising": the possessive is the clause's subject
            verb = tok.head.head if tok.head.dep_ in ("dobj", "nsubj", "pobj", "attr") else None
            subj = next((c for c in verb.children if c.dep_ == "nsubj" and c.pos_ == "PRON"), None) if verb is not None else None
            if subj is not None and subj.i != tok.i:
                key = self.anaphor(subj, depth + 1)
                if key:
                    return key
        if tok.pos_ == "PRON" and low in PRONOUNS_GROUP:
            recent = max(0, tok.sent.start_char - 600)
            org = self.salient({"ArmedGroup", "Organization", "GovernmentBody", "SecurityForce"}, tok.idx, since=recent)
            return org or self.salient({"ArmedGroup", "Organization", "GovernmentBody", "SecurityForce", "Country"}, tok.idx)
        if tok.pos_ == "PRON" and low in PRONOUNS_PERSON:
            return self.salient({"Person"}, tok.idx)
        if tok.pos_ == "NOUN" and lemma == "province" and dets & {"a", "the", "this", "that"}:
            return self.salient({"Region"}, tok.idx) or self.home_region
        if tok.pos_ != "NOUN" or not (dets & {"the", "this", "that", "these", "those", "his", "its", "their"}):
            return None
        if lemma in ("group", "organization", "organisation", "outfit", "militant", "insurgent"):
            return self.salient({"ArmedGroup"}, tok.idx)
        if lemma in ("province", "region", "state"):
            return self.salient({"Region"}, tok.idx) or self.home_region
        if lemma in ("country", "nation"):
            return self.salient({"Country"}, tok.idx)
        if lemma in ("city", "town", "village"):
            return self.salient({"City"}, tok.idx)
        return None

    def salient(self, classes: set[str], before: int, since: int = 0) -> str | None:
        """The entity of one of ``classes`` mentioned last before char ``before``
        (and after char ``since``)."""
        best, best_pos = None, since - 1
        for ent in self.facts.entities.values():
            if not is_a(ent.cls, classes) or ent.generic:
                continue
            for s, _ in ent.mentions:
                if best_pos < s < before and s not in self.modifier_mentions:
                    best, best_pos = ent.key, s
        return best

    def cls_of(self, key: str | None) -> str | None:
        ent = self.facts.entities.get(key) if key else None
        return ent.cls if ent else None


def _acronym_of(short: str, long: str) -> bool:
    """Whether ``short`` is a plausible acronym of ``long`` ("JeM" / "Jaish-e-Mohammad",
    "VDP" / "Volunteers for the Defense of the Homeland")."""
    letters = [c for c in short if c.isalpha()]
    if not (2 <= len(letters) <= 8) or sum(c.isupper() for c in letters) < 2 or " " in short:
        return False
    words = [w for w in re.split(r"[\s\-]+", long) if w]
    if len(words) < 2:
        return False
    initials = "".join(w[0] for w in words).lower()
    if letters[0].lower() != initials[0]:
        return False
    hits = sum(1 for c in letters if c.lower() in initials)
    return hits >= max(2, len(letters) - 1)


# ----------------------------------------------------------------------- emitting facts
def emit(self: DocContext, subject: str, predicate: str, obj: str, sent: Span, rule: str,
          tokens: list[Token] | None = None, subject_tok: Token | None = None) -> None:
    """Record ``subject predicate obj`` as a fact, or as a claim when its modality
    says the article does not assert it."""
    from kg.extract.modality import modality_of
    from kg.model import Claim, Relation

    if subject == obj or not subject or not obj:
        return
    ev = self.evidence(sent, rule)
    from kg.extract.modality import STATIC

    static = predicate in STATIC and not subject.startswith("e:")
    mod = modality_of(tokens or [], predicate, self.rules.words, subject_tok, static) if tokens else None
    if mod is None or mod.status is None:
        self.facts.add_relation(Relation(subject, predicate, obj, ev))
        if predicate == "carriedOut" and tokens and _speaker_is(self, tokens[0], subject):
            # "the group said it carried out the attack": an admission is also a claim
            self.facts.add_relation(Relation(subject, "claimed", obj, Evidence(ev.sentence, ev.start, ev.end,
                                                                            ev.rule + ".self-report")))
        return
    claimant = self.agent_at(mod.claimant) if mod.claimant is not None else None
    denier = self.agent_at(mod.denier) if mod.denier is not None else None
    if mod.status in ("reported", "claimed") and claimant == subject:
        self.facts.add_relation(Relation(subject, predicate, obj, ev))  # an admission
        if predicate == "carriedOut":  # "the group said it carried out the attack"
            self.facts.add_relation(Relation(subject, "claimed", obj, Evidence(ev.sentence, ev.start, ev.end,
                                                                            ev.rule + ".self-report")))
        return
    status = "denied" if denier and mod.status in ("alleged", "reported", "claimed") else mod.status
    claim = Claim(subject, predicate, obj, status, ev, claimant=claimant, denied_by=denier)
    if claim not in self.facts.claims:
        self.facts.claims.append(claim)


def _speaker_is(ctx: DocContext, tok: Token, key: str) -> bool:
    """Whether ``tok`` sits in what a reporting verb's subject says, and that subject
    is the entity ``key``."""
    node = tok
    for _ in range(6):
        if node.head.i == node.i:
            return False
        prev, node = node, node.head
        if node.pos_ == "VERB" and node.lemma_.lower() in ctx.rules.words["reporting_verbs"] and prev.dep_ in ("ccomp", "xcomp"):
            subj = next((c for c in node.children if c.dep_ == "nsubj"), None)
            return subj is not None and ctx.agent_at(subj) == key
    return False


def emit_literal(self: DocContext, subject: str, predicate: str, value: str, datatype: str,
                  sent: Span, rule: str) -> None:
    from kg.model import Relation

    self.facts.add_relation(Relation(subject, predicate, value, self.evidence(sent, rule), datatype=datatype))

