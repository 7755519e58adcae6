"""Is a relation stated as fact, or only claimed, alleged, hedged or denied?

Walking up the dependency tree from the tokens that expressed a relation:

* a hedge adverb ("reportedly", "allegedly") → ``hedged``;
* a hedge verb or noun above it ("accused X of supporting", "is believed to have
  provided", "allegations of") → ``alleged``, claimed by the verb's subject;
* a negation on the verb → ``negated``;
* for contentious relations (supports, carried-out, accused), reported speech ("X
  said that ...") or a quotation → ``reported``/``claimed`` by the speaker, unless the
  speaker is the relation's own subject (an admission is a fact about the speaker);
* a denial in the same sentence ("an allegation New Delhi refutes", "denied by
  Islamabad") names who denies it; a denial verb above the relation ("X accused Y of
  supporting Z, a charge Kabul denies", parsed with "accused" under "denies") is no
  report by its subject; "X denied that ..." makes what follows a denied claim.
"""
from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Token

CONTENTIOUS = {"supports", "carriedOut", "accused"}
# Relations between places and organisations that hold whatever happened around them:
# "bombed a JeM facility inside Pakistan" hedges the bombing, not where the facility is.
# Inside a quotation, only these are the speaker's claims: "condemned the assault by the
# Rwanda-backed M23" attributes the backing to the speaker, not the assault.
QUOTE_SENSITIVE = {"supports", "accused"}
STATIC = {"locatedIn", "partOf", "borders", "memberOf", "leaderOf", "links"}
CLIMB = {"ccomp", "xcomp", "pcomp", "pobj", "prep", "dobj", "nsubj", "nsubjpass", "conj", "acl",
         "appos", "compound", "amod", "npadvmod", "attr", "agent", "oprd", "advcl", "dative"}


@dataclass(frozen=True)
class Modality:
    status: str | None = None  # None: asserted
    claimant: Token | None = None
    denier: Token | None = None


def _subject(verb: Token) -> Token | None:
    for c in verb.children:
        if c.dep_ in ("nsubj",):
            return c
    passive = any(c.dep_ in ("auxpass", "nsubjpass") for c in verb.children) or verb.tag_ == "VBN"
    for c in verb.children:
        if c.dep_ == "agent" and passive:
            for p in c.children:
                if p.dep_ == "pobj":
                    return p
    if verb.dep_ == "acl" and verb.tag_ == "VBG":
        return verb.head  # "officials accusing India of ..."
    if verb.dep_ in ("conj", "advcl", "pcomp", "xcomp") and verb.head.i != verb.i:
        return _subject(verb.head)
    return None


# "the army said militants ambushed a convoy" reports an event; "X claimed/alleged that Y
# attacked" makes it X's claim.
CLAIMING = {"claim", "allege", "insist", "maintain", "assert", "contend", "argue", "accuse", "blame"}


def _claims_responsibility(verb: Token) -> bool:
    """"X claimed responsibility for the bombing at a mosque": the bombing is not X's claim."""
    return any(c.dep_ == "dobj" and c.lemma_.lower() in ("responsibility", "credit") for c in verb.children)


def _quoted(tok: Token) -> bool:
    sent = tok.sent
    inside = False
    for t in sent:
        if t.i >= tok.i:
            return inside
        if t.text in ("“", "”", '"', "``", "''"):
            inside = not inside if t.text == '"' else t.text in ("“", "``")
    return False


def modality_of(tokens: list[Token], predicate: str, words: dict, subject_tok: Token | None = None,
                static: bool = False) -> Modality:
    """The modality of a relation expressed by ``tokens``; ``static`` relations
    (between places and organisations) only look at their own words."""
    hedges, hverbs, hnouns = words["hedges"], words["hedge_verbs"], words["hedge_nouns"]
    reporting, denials = words["reporting_verbs"], words["denial_verbs"]
    status, claimant = None, None
    for tok in tokens:
        node, steps, prev_dep, via_for = tok, 0, tok.dep_, False
        while steps < (1 if static else 8):
            for c in node.children:
                if c.dep_ == "advmod" and c.lower_ in hedges:
                    status = status or "hedged"
                if c.dep_ == "neg" and node.pos_ in ("VERB", "AUX") and node.i >= tok.i - 3 and steps <= 1:
                    status = "negated"
            if node.lower_ in hedges and node.dep_ in ("amod", "advmod"):
                status = status or "hedged"
            if steps > 0:
                lemma = node.lemma_.lower()
                if node.pos_ == "VERB" and lemma in hverbs and predicate not in CONTENTIOUS and (via_for or (
                        lemma in ("accuse", "blame") and tok.pos_ == "NOUN"
                        and any(d.dep_ in ("det", "poss") and d.lower_ in ("the", "this", "that", "its") for d in tok.children))):
                    break  # "blamed X for the attack in Pahalgam", "accused X of carrying out the assassination
                    # of Y in Tehran": the attack, where and whom, are given; only who did it is alleged
                if lemma == "hold" and not any(c.lower_ in ("responsible", "accountable", "liable") or c.dep_ == "ccomp"
                                               for c in node.children):
                    pass  # "demonstrations have been held": no hedge ("held X responsible" is)
                elif node.pos_ == "VERB" and lemma in hverbs and not _claims_responsibility(node) \
                        and not (lemma == "claim" and node.dep_ == "acl" and node.head.lemma_.lower() in words["trigger_noun_openers"]):
                    # ("an attack claimed by X": a claim of responsibility, no hedge)
                    status, claimant = "alleged", _subject(node)
                    break
                if node.pos_ == "NOUN" and node.lower_ in hnouns:
                    status = "alleged"
                    break
                if node.pos_ == "VERB" and lemma in denials and prev_dep in ("ccomp", "xcomp") \
                        and not any(c.dep_ == "dobj" for c in node.children):
                    status = "denied"  # "the group denied that it attacked the convoy"
                    break
                if node.pos_ == "NOUN" and prev_dep in ("acl", "ccomp") and node.dep_ == "dobj" \
                        and node.head.pos_ == "VERB" and node.head.lemma_.lower() in denials:
                    status = "denied"  # "the army rejected reports that its soldiers raided ..."
                    break
                if predicate in CONTENTIOUS and node.pos_ == "VERB" and lemma in reporting and lemma not in denials \
                        and prev_dep in ("ccomp", "xcomp") and (predicate != "carriedOut" or lemma in CLAIMING):
                    speaker = _subject(node)
                    if speaker is None or subject_tok is None or speaker.i != subject_tok.i:
                        status, claimant = status or "reported", speaker
                    break
            if node.dep_ not in CLIMB or node.head.i == node.i:
                break
            if node.dep_ == "advcl" and any(c.dep_ == "mark" and c.lower_ in ("since", "when", "after", "before", "while", "as", "until")
                                            for c in node.children):
                break  # a time clause is the writer's, not part of the claim above it
            prev_dep = node.dep_
            via_for = via_for or (node.dep_ == "prep" and node.lower_ in ("for", "over"))
            node = node.head
            steps += 1
        if status:
            break
    if status is None and predicate in QUOTE_SENSITIVE and any(_quoted(t) for t in tokens):
        sent = tokens[0].sent
        speaker = next((_subject(t) for t in sent if t.pos_ == "VERB" and t.lemma_.lower() in reporting | {"condemn", "call"}), None)
        status, claimant = "claimed", speaker
    denier = None
    if status is not None:
        sent = tokens[0].sent
        for t in sent:
            if t.lemma_.lower() in denials and t.pos_ == "VERB":
                denier = _subject(t)
                break
    return Modality(status, claimant, denier)
