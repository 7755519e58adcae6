"""Casualty figures: one :class:`~kg.model.CasualtyReport` per figure and source.

A number becomes a figure when the parse links it to a kind word from
``rules/casualties.yaml``: the verb it is the subject or object of ("31 civilians were
killed", "freed more than 30 inmates", "killing at least 26"), a participle on its
noun ("108 militants killed"), or a kind noun it counts ("300 injuries", "the death
toll to 89", "the murder of over 100 people"). The victim group is the counted noun.
The source is the speaker of the reporting verb above the figure ("Pakistani
authorities said ...", "reported by the Ukrainian army", "sources told Reuters"), or
"according to X"; figures nobody is said to report have no source. Competing figures
stay side by side.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from spacy.tokens import Token

from kg.extract.context import DocContext, emit
from kg.extract.events import Frame
from kg.model import CasualtyReport

WORD_NUMBERS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}
WORD_NUMBERS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
                     "ninety": 90, "hundred": 100, "a dozen": 12, "dozen": 12})
MULTIPLIERS = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "hundred": 100}
COUNT_NOUNS = {"minimum", "total", "number", "toll", "tally", "figure", "estimate", "maximum", "count"}
NON_FIGURE_ENTS = {"DATE", "TIME", "MONEY", "PERCENT", "ORDINAL", "QUANTITY"}


def number_value(tok: Token) -> int | None:
    """The integer a number token (with a following "million") stands for."""
    text = tok.lower_.replace(",", "")
    if re.fullmatch(r"\d+", text):
        value = int(text)
    elif re.fullmatch(r"\d+\.\d+", text):
        value = float(text)
    elif text in WORD_NUMBERS:
        value = WORD_NUMBERS[text]
    else:
        return None
    head = tok.head
    if head.lower_ in MULTIPLIERS and head.i == tok.i + 1:
        value *= MULTIPLIERS[head.lower_]
    nxt = tok.doc[tok.i + 1] if tok.i + 1 < len(tok.doc) else None
    if nxt is not None and nxt.lower_ in MULTIPLIERS and nxt.head.i != tok.i and head.i != nxt.i:
        value *= MULTIPLIERS[nxt.lower_]
    return int(value)


def _unit(tok: Token) -> Token:
    """The token standing for the whole number ("2 million" → million)."""
    if tok.head.lower_ in MULTIPLIERS and tok.head.i == tok.i + 1:
        return tok.head
    return tok


def _top_number(tok: Token) -> Token:
    """"400 or 500 people", "between 400 and 500 deaths": the number that carries
    the shared noun."""
    node = tok
    for _ in range(3):
        if node.dep_ in ("conj", "quantmod", "compound") and (node.head.like_num or node.head.lower_ in MULTIPLIERS):
            node = node.head
        else:
            break
    return _unit(node)


def qualifier(tok: Token, ctx: DocContext) -> str | None:
    quals = ctx.rules.casualties.get("qualifiers", {})
    left = " ".join(t.lower_ for t in tok.doc[max(tok.sent.start, tok.i - 3):tok.i])
    for phrase in sorted(quals, key=len, reverse=True):
        if left.endswith(phrase):
            return quals[phrase]
    return None


def _counts_people(tok: Token, r) -> bool:
    """A number the NER took for a date ("Between 400 and 500 deaths") still counts
    people when it is not a year and counts a noun that is not a unit of time."""
    if re.fullmatch(r"1[89]\d\d|20\d\d", tok.text):
        return False
    head = tok.head
    while head.like_num and head.head.i != head.i:  # (Token objects are not always identical)
        head = head.head
    return head.pos_ == "NOUN" and head.lemma_.lower() not in r.words["not_victims"] | {"day", "year", "month", "week"}


def _toll_value(tok: Token) -> bool:
    """"the death toll rose to 54", "put the toll at 70": a number the NER took for a
    date that is the value a toll is brought to (never a year)."""
    if re.fullmatch(r"1[89]\d\d|20\d\d", tok.text) or tok.dep_ != "pobj" or tok.head.lower_ not in ("to", "at"):
        return False
    verb = tok.head.head
    return verb.pos_ == "VERB" and any(c.dep_ in ("dobj", "nsubj", "nsubjpass") and c.lemma_.lower() in ("toll", "tally")
                                       for c in verb.children)


def _kind_by_position(ctx: DocContext, tok: Token) -> tuple[str, str, Token] | None:
    """When the parse is broken, the words before the number: "killed at least nine
    people", "raised the death toll to 89"."""
    r = ctx.rules
    quals = set(" ".join(ctx.rules.casualties.get("qualifiers", {})).split())
    i = tok.i - 1
    while i >= tok.sent.start and (ctx.doc[i].lower_ in quals or ctx.doc[i].lower_ in ("a", "the")):
        i -= 1
    if i < tok.sent.start:
        return None
    prev = ctx.doc[i]
    lemma = prev.lemma_.lower()
    if prev.pos_ == "VERB" and lemma in r.kind_of_verb:
        k, rid = r.kind_of_verb[lemma]
        return k, rid, prev
    if prev.lower_ == "to" and prev.head.pos_ == "VERB":
        for c in prev.head.children:
            if c.dep_ == "dobj":
                for w in [c, *c.children]:
                    if w.lower_ in r.kind_of_noun:
                        k, rid = r.kind_of_noun[w.lower_]
                        return k, rid, c
    return None


def _kind(ctx: DocContext, attach: Token, victim: Token | None) -> tuple[str, str, Token] | None:
    """(kind, rule id, kind token) for a figure attached at ``attach``."""
    r = ctx.rules
    node = attach
    while node.dep_ == "conj" and node.head.pos_ in ("NOUN", "PROPN", "NUM", "PRON"):
        node = node.head
    head = node.head
    hl = head.lemma_.lower()
    if node.dep_ in ("nsubjpass", "nsubj", "dobj") and head.pos_ == "VERB" and hl in r.kind_of_verb:
        if node.dep_ == "nsubj" and hl not in ("die", "perish"):
            return None
        k, rid = r.kind_of_verb[hl]
        return k, rid, head
    if node.dep_ == "dobj" and head.pos_ == "VERB" and hl == "leave":  # "left 12 dead"
        for c in head.children:
            if c.dep_ in ("oprd", "acomp", "amod") and c.lower_ in r.kind_of_adj:
                k, rid = r.kind_of_adj[c.lower_]
                return k, rid, c
    for tok in (attach, victim) if victim is not None else (attach,):
        for c in tok.children:
            if c.dep_ in ("acl", "amod", "relcl") and c.i > tok.i:
                cl = c.lemma_.lower()
                if c.lower_ in r.kind_of_adj:
                    k, rid = r.kind_of_adj[c.lower_]
                    return k, rid, c
                if c.pos_ == "VERB" and cl in r.kind_of_verb and c.dep_ == "acl":
                    k, rid = r.kind_of_verb[cl]
                    return k, rid, c
    # "the murder of over 100 people"
    if node.dep_ == "pobj" and head.lower_ == "of" and head.head.lower_ in r.kind_of_noun:
        k, rid = r.kind_of_noun[head.head.lower_]
        return k, rid, head.head
    # "raised the death toll to 89", "the death toll rose to 54", "put the toll at 70"
    if node.dep_ == "pobj" and head.lower_ in ("to", "at") and head.head.pos_ == "VERB":
        for c in head.head.children:
            if c.dep_ in ("dobj", "nsubj", "nsubjpass") and (c.lower_ in r.kind_of_noun or c.lemma_.lower() in ("figure", "toll", "tally", "count")):
                noun = c.lower_ if c.lower_ in r.kind_of_noun else None
                if noun is None:
                    for cc in c.children:
                        if cc.lower_ in r.kind_of_noun:
                            noun = cc.lower_
                if noun is None and c.lemma_.lower() == "figure":
                    # "updating the figure to 89 dead"
                    if victim is not None and victim.lower_ in r.kind_of_noun:
                        noun = victim.lower_
                if noun:
                    k, rid = r.kind_of_noun[noun]
                    return k, rid, c
    return None


def _source_token(ctx: DocContext, start: Token) -> Token | None:
    """The speaker of the reporting verb above ``start``, or "according to X"."""
    words = ctx.rules.words
    node, steps = start, 0
    while steps < 8:
        if steps > 0 or node.pos_ == "VERB":
            lemma = node.lemma_.lower()
            if node.pos_ == "VERB" and lemma in words["reporting_verbs"] and not (steps == 0 and lemma in ("claim",)):
                src = None
                for c in node.children:
                    if c.dep_ == "nsubj":
                        src = c
                    elif c.dep_ == "agent":
                        src = next((p for p in c.children if p.dep_ == "pobj"), src)
                if src is None and node.dep_ in ("conj", "advcl", "pcomp", "xcomp"):
                    src = next((c for c in node.head.children if c.dep_ == "nsubj"), None)
                if src is None and node.dep_ == "acl" and node.head.dep_ == "dobj":
                    # "X issued a statement saying ..."
                    src = next((c for c in node.head.head.children if c.dep_ == "nsubj"), None)
                if src is not None:
                    return _specific_source(ctx, src, node)
        if node.head.i == node.i:
            break
        node = node.head
        steps += 1
    for tok in start.sent:
        if tok.lower_ in words["according_heads"]:
            for c in tok.subtree:
                if c.dep_ == "pobj" and c.i > tok.i:
                    # "according to a statement from the army": the army
                    if c.lemma_.lower() in ("statement", "report", "source", "tally", "count", "estimate", "figure"):
                        for p in c.subtree:
                            if p.i != c.i and (p.i in ctx.tok2key or ctx.institution(p)):
                                return p
                    return c
    return None


def _specific_source(ctx: DocContext, src: Token, verb: Token) -> Token:
    """A vague speaker ("sources", "a report") gives way to the organisation named in
    the phrase ("sources connected to the NUG") or told ("sources told Reuters"); an
    unnamed spokesman to the body he speaks for ("a defense ministry spokesman")."""
    if src.i not in ctx.tok2key and src.lower_ in ctx.rules.words["member_roles"]:
        for c in src.children:
            if c.dep_ in ("compound", "amod", "nmod", "poss") and (c.i in ctx.tok2key or ctx.institution(c)):
                return c
    if src.lemma_.lower() in ("source", "report", "account", "assessment", "estimate", "statement", "document", "study"):
        for t in src.subtree:
            if t.i != src.i and t.i in ctx.tok2key:
                return t
            if t.i != src.i and ctx.institution(t):
                return t
        for c in verb.children:
            if c.dep_ in ("dobj", "dative") and c.i in ctx.tok2key:
                return c
    return src


def _victim_label(ctx: DocContext, victim: Token) -> str | None:
    if victim.lower_ in ("others", "other"):
        return None
    label = ctx.np_label(victim) or (victim.lower_ if victim.lower_ in ("people", "persons") else None)
    conj = [c for c in victim.children if c.dep_ == "conj" and not any(x.like_num for x in c.children)
            and c.lower_ not in ctx.rules.kind_of_noun and not any(x.dep_ == "prep" for x in c.children)]
    if label and conj:
        more = [ctx.np_label(c) for c in conj]
        label = " and ".join([label, *[m for m in more if m]])
    return label


def figures(ctx: DocContext) -> Iterator[tuple[Token, CasualtyReport, Token]]:
    """Every casualty figure: (number token, report without event, kind token)."""
    r = ctx.rules
    for tok in ctx.tokens:
        if not tok.like_num:
            continue
        misparsed = tok.i > 0 and tok.doc[tok.i - 1].lower_ == "to" and tok.i + 1 < len(tok.doc) \
            and tok.doc[tok.i + 1].like_num  # "raised the toll to 89 two days later"
        if tok.ent_type_ in NON_FIGURE_ENTS and not (misparsed or _counts_people(tok, r) or _toll_value(tok)):
            continue
        if tok.lower_ in MULTIPLIERS and any(c.like_num for c in tok.children):
            continue
        value = number_value(tok)
        if value is None or value <= 0:
            continue
        top = _top_number(tok)
        victim, attach = None, top
        if misparsed:
            pass
        elif top.dep_ == "nummod" or (top.dep_ in ("quantmod", "compound", "amod") and top.head.pos_ == "NOUN"):
            victim = top.head
            attach = victim
            if victim.lower_ in r.words["not_victims"] or victim.lemma_.lower() in r.words["not_victims"]:
                continue
            if victim.dep_ == "pobj" and victim.head.lower_ == "of" and victim.head.head.lemma_.lower() in COUNT_NOUNS:
                attach = victim.head.head
        elif top.dep_ == "pobj" and top.head.lower_ == "of" and top.head.head.lemma_.lower() in COUNT_NOUNS:
            attach = top.head.head
        found = None
        verb_kind = _kind(ctx, attach, victim) if victim is not None and victim.lower_ in r.kind_of_noun \
            and victim.dep_ in ("nsubjpass", "dobj") and victim.head.lemma_.lower() in r.kind_of_verb else None
        if verb_kind is not None:  # "15 hostages were freed": what the verb says happened to them
            found = verb_kind
            victims_label = _victim_label(ctx, victim)
        elif victim is not None and victim.lower_ in r.kind_of_noun:
            k, rid = r.kind_of_noun[victim.lower_]
            found = (k, rid, victim)
            victims_label = None
        else:
            found = _kind(ctx, attach, victim) or _kind_by_position(ctx, tok)
            victims_label = _victim_label(ctx, victim) if victim is not None else None
        if found is None:
            continue
        kind, rid, kind_tok = found
        if victim is not None and victim.lower_ in r.kind_of_noun and found[2].i == victim.i:
            # "400 and 500 deaths were reported": the victims are said elsewhere
            victims_label = None
        victim_key = ctx.generic(victim) if victim is not None and victims_label else None
        src_tok = _source_token(ctx, kind_tok)
        source = ctx.entity_at(src_tok) if src_tok is not None else None
        if source and ctx.cls_of(source) in ("Facility", "Vehicle", "City", "Region", "Country"):
            if ctx.cls_of(source) != "Country":
                source = None
        qual = qualifier(tok, ctx) or ("at least" if attach.lemma_.lower() == "minimum" else None)
        report = CasualtyReport(count=value, kind=kind, evidence=ctx.evidence(tok.sent, rid),
                                victims=victims_label, victim_key=victim_key if ctx.cls_of(victim_key) == "Group" else None,
                                source=source, qualifier=qual)
        yield tok, report, kind_tok


def _inherit_victims(reports: list[tuple[Token, CasualtyReport, Token]]) -> list[tuple[Token, CasualtyReport, Token]]:
    """"63 troops were killed ... raised the death toll to 89": a count of deaths or
    injuries with no victim noun counts the victims named by the figure before it."""
    out, last = [], None
    for tok, rep, kind_tok in reports:
        if rep.victims is None and last is not None and rep.kind in ("killed", "injured") \
                and kind_tok.lower_ in ("deaths", "dead", "injuries", "toll", "death", "injured", "wounded", "fatalities", "figure"):
            rep = CasualtyReport(**{**rep.__dict__, "victims": last.victims, "victim_key": last.victim_key})
        if rep.victims:
            last = rep
        out.append((tok, rep, kind_tok))
    return out


def link_reports(ctx: DocContext, frames: list[Frame]) -> set[str]:
    """Attach every figure to the event it reports on and record it. Returns the
    keys of the events reports refer to (so they are kept even without arguments)."""
    keep: set[str] = set()
    seen = set()
    for tok, rep, kind_tok in _inherit_victims(list(figures(ctx))):
        sent = ctx.sent_of(tok.i)
        same = [f for f in frames if f.key and f.sent == sent]
        event = None
        if same:
            linked = [f for f in same if _linked(kind_tok, f.trigger)]
            event = (linked or sorted(same, key=lambda f: abs(f.trigger.i - tok.i)))[0].key
        else:
            before = [f for f in frames if f.key and f.trigger.i < tok.i and f.cls not in ("Agreement", "Death")]
            event = before[-1].key if before else None
        ident = (rep.count, rep.kind, rep.victims, rep.source, rep.evidence.start)
        if ident in seen:
            continue
        seen.add(ident)
        rep = CasualtyReport(**{**rep.__dict__, "event": event})
        ctx.facts.reports.append(rep)
        if event:
            keep.add(event)
            for place in _figure_places(ctx, tok, kind_tok):
                emit(ctx, event, "locatedIn", place, tok.sent, "cas.place", tokens=[kind_tok])
    return keep


def _figure_places(ctx: DocContext, num: Token, kind_tok: Token) -> list[str]:
    """Places where the victims were: "killed in Gwadar", "including women and
    children in Gwadar"."""
    out = []
    holders = [kind_tok, num.head]
    for h in list(holders):
        for c in h.children:
            if c.dep_ == "prep" and c.lower_ == "including":
                holders.extend(p for p in c.subtree if p.dep_ in ("pobj", "conj"))
    for h in holders:
        for c in h.children:
            if c.dep_ == "prep" and c.lower_ in ("in", "across", "near"):
                for p in c.children:
                    if p.dep_ == "pobj":
                        key = ctx.entity_at(p, allow_generic=False, allow_pronoun=False)
                        if key and ctx.cls_of(key) in ("City", "Region", "Country", "Place", "Facility") and key not in out:
                            out.append(key)
    return out


def _linked(a: Token, b: Token) -> bool:
    """Whether two tokens are within two dependency steps of each other."""
    near = {a.i, a.head.i, a.head.head.i} | {c.i for c in a.children}
    for c in a.children:
        near |= {g.i for g in c.children}
    return b.i in near or b.head.i == a.i or b.head.head.i == a.i
