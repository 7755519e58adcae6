"""Relations between entities, and the event relations that name an event.

* dependency patterns from ``rules/relations.yaml`` (located-in, part-of, borders,
  supports, partner-of, links, member-of), run with spaCy's ``DependencyMatcher``;
* roles: "Prime Minister Shehbaz Sharif", "Junta spokesman Zaw Min Tun", "the Chief
  Minister of Balochistan" (leader-of / member-of);
* claimed ("X claimed responsibility for", "X was responsible for"), condemned,
  accused ("X accused Y", "X holds Y responsible");
* "from X to Y" routes of a project (links), "neighbouring X" (borders).

Every relation passes through :func:`kg.extract.context.emit`, which keeps
allegations, denials and hedged statements as claims.
"""
from __future__ import annotations


from spacy.tokens import Span, Token
from spacy.vocab import Vocab

from kg.extract.depmatch import IndexedDependencyMatcher as DependencyMatcher
from kg.extract.context import PLACE_CLASSES, PLACE_RANK, DocContext, clean_name, emit, is_a
from kg.extract.events import Frame
from kg.extract.rules import DepRule, Rules
from kg.gazetteer import fold

COMMUNICATIVE = {"say", "condemn", "accuse", "deny", "refute", "reject", "claim", "insist", "hold",
                 "blame", "call", "warn", "demand", "urge", "announce", "state", "protest", "welcome",
                 "criticize", "criticise", "denounce", "sign", "agree", "confirm", "report"}
LEADER_TITLES = {"president", "prime minister", "premier", "chief minister", "governor", "military governor",
                 "king", "queen", "emir", "supreme leader", "secretary-general", "secretary general", "mayor",
                 "chancellor", "interior minister", "foreign minister", "defense minister", "defence minister",
                 "information minister", "minister", "sultan"}
LEADER_TITLE_HEADS = frozenset(t.split()[-1] for t in LEADER_TITLES)


_MATCHERS: dict[tuple[int, int], DependencyMatcher] = {}


def _matcher(vocab: Vocab, rules: Rules) -> DependencyMatcher:
    """One DependencyMatcher per (vocab, rules), built on first use."""
    key = (id(vocab), id(rules))
    if key not in _MATCHERS:
        m = DependencyMatcher(vocab)
        for r in rules.relations:
            m.add(r.id, [r.pattern])
        _MATCHERS[key] = m
    return _MATCHERS[key]


def _conj(tok: Token) -> list[Token]:
    """The token, its later conjuncts and named appositions ("external forces,
    particularly India")."""
    out = [tok, *[c for c in tok.conjuncts if c.i > tok.i]]
    out += [c for t in list(out) for c in t.children if c.dep_ == "appos" and c.pos_ == "PROPN"]
    return out


def _place_ok(ctx: DocContext, s: str, o: str) -> bool:
    es, eo = ctx.facts.entities[s], ctx.facts.entities[o]
    if eo.cls == "WaterBody" and es.cls != "Vehicle":
        return False  # a port on a sea borders it; it is not in it
    if es.gazetteer_id and eo.gazetteer_id:
        if eo.gazetteer_id in ctx.gaz.ancestors(es.gazetteer_id):
            return True
        if es.gazetteer_id in ctx.gaz.ancestors(eo.gazetteer_id):
            return False
        a, b = ctx.gaz.entries[es.gazetteer_id], ctx.gaz.entries[eo.gazetteer_id]
        if a.cls == "Country" or (a.cls == b.cls and a.cls != "Facility"):
            return False
    rs, ro = PLACE_RANK.get(es.cls), PLACE_RANK.get(eo.cls)
    if rs is not None and ro is not None and (rs > ro or (rs == ro and es.cls not in ("Place", "Facility"))):
        return False
    return True


def pattern_relations(ctx: DocContext) -> None:
    """Run the dependency patterns and emit the relations they match."""
    rules = ctx.rules
    by_id = {r.id: r for r in rules.relations}
    matcher = _matcher(ctx.doc.vocab, rules)
    for match_id, token_ids in matcher(ctx.doc):
        rule: DepRule = by_id[ctx.doc.vocab.strings[match_id]]
        names = [n["RIGHT_ID"] for n in rule.pattern]
        toks = {name: ctx.doc[i] for name, i in zip(names, token_ids)}
        s_tok, o_tok = toks[rule.subject], toks[rule.object]
        allow_generic_s = bool(rule.subject_classes & {"Facility", "Vehicle"})
        allow_generic_o = bool(rule.object_classes & {"Facility", "Vehicle", "Group"})
        for s in _conj(s_tok):
            sk = ctx.agent_at(s, allow_generic_s) if rule.predicate in ("supports", "partnerOf") else ctx.entity_at(s, allow_generic_s)
            if not sk or not is_a(ctx.cls_of(sk) or "", rule.subject_classes or {"Agent", "Place", "Project"}):
                continue
            for o in _conj(o_tok):
                ok = ctx.entity_at(o, allow_generic_o, allow_pronoun=False)
                if not ok or ok == sk or not is_a(ctx.cls_of(ok) or "", rule.object_classes or {"Agent", "Place", "Project"}):
                    continue
                if rule.check == "place_hierarchy" and not _place_ok(ctx, sk, ok):
                    continue
                emit(ctx, sk, rule.predicate, ok, s.sent, rule.id, tokens=list(toks.values()), subject_tok=s)


PLACE_ADJECTIVES = {"northern", "southern", "eastern", "western", "central", "northeastern", "northwestern",
                    "southeastern", "southwestern", "north", "south", "east", "west", "northeast", "northwest",
                    "southeast", "southwest", "neighbouring", "neighboring", "violence-hit", "restive", "remote",
                    "volatile", "troubled", "war-torn", "conflict-hit", "occupied", "rural", "mountainous"}


def adjacent_place_relations(ctx: DocContext) -> None:
    """"Gwadar Port in Balochistan", "Pulwama in southern Kashmir": a place name
    directly followed by "in" and a larger place is located there, whatever the
    parser attached the phrase to (the gazetteer and class ranks must agree)."""
    doc = ctx.doc
    spans: list[tuple[int, int, str]] = []
    for ent in ctx.ents:
        key = ctx.tok2key.get(ent.root.i)
        if key and ctx.cls_of(key) in PLACE_CLASSES:
            spans.append((ent.start, ent.end, key))
    starts = {s: (e, k) for s, e, k in spans}
    place_words = ctx.rules.words["region_words"] | ctx.rules.words["city_words"]
    for s, e, key in spans:
        i = e
        if i < len(doc) and doc[i].lower_ in place_words:
            i += 1
        if i >= len(doc) or doc[i].lower_ not in ("in", "inside"):
            continue
        i += 1
        if i + 2 < len(doc) and doc[i].lower_ == "the" and doc[i + 1].lower_ in ("heart", "centre", "center", "middle", "outskirts") \
                and doc[i + 2].lower_ == "of":
            i += 3  # "Pulwama in the heart of the Kashmir Valley"
        while i < len(doc) and (doc[i].lower_ in ("the", "'s", "’s") or doc[i].lower_ in PLACE_ADJECTIVES or doc[i].text == "-"):
            i += 1
        if i in starts:
            obj = starts[i][1]
            if obj != key and _place_ok(ctx, key, obj):
                emit(ctx, key, "locatedIn", obj, doc[s].sent, "rel.located.adjacent-in", tokens=[doc[s], doc[i]])


HYPHEN_RELATIONS = {"backed": ("supports", False), "sponsored": ("supports", False), "funded": ("supports", False),
                    "allied": ("partnerOf", True), "aligned": ("partnerOf", True), "based": ("locatedIn", True)}


def hyphen_relations(ctx: DocContext) -> None:
    """"The Iran-backed Houthis", "a Pakistan-based group", "the Hamas-allied group" by
    their surface form, for when the parser attaches the participle elsewhere."""
    doc = ctx.doc
    for tok in ctx.tokens[2:]:
        rel = HYPHEN_RELATIONS.get(tok.lower_)
        if rel is None or doc[tok.i - 1].text != "-" or doc[tok.i - 1].whitespace_:
            continue
        x = ctx.tok2key.get(doc[tok.i - 2].i)
        if not x:
            continue
        j = tok.i + 1
        while j < len(doc) and doc[j].pos_ in ("ADJ", "NOUN", "PROPN") and j not in ctx.tok2key and doc[j].head.i != tok.i \
                and doc[j].dep_ in ("amod", "compound"):
            j += 1
        if j >= len(doc):
            continue
        y = ctx.entity_at(doc[j], allow_generic=False)
        if not y or y == x:
            continue
        predicate, reverse = rel
        s_, o_ = (y, x) if reverse else (x, y)
        if predicate == "locatedIn" and ctx.cls_of(o_) not in ("Country", "Region", "City"):
            continue
        if predicate in ("supports", "partnerOf") and not is_a(ctx.cls_of(y) or "", {"Agent"}):
            continue
        emit(ctx, s_, predicate, o_, tok.sent, f"rel.{predicate}.hyphen-{tok.lower_}", tokens=[tok, doc[j]])


# ------------------------------------------------------------------------- roles
def _role_phrase(tokens: list[Token]) -> str:
    return " ".join(t.lower_ for t in tokens).replace(" - ", "-").replace(" -", "-").replace("- ", "-")


def _role_tokens(person_root: Token) -> list[Token]:
    """Lower-case-able title words before a name: "Prime Minister", "Junta spokesman"."""
    out = []
    for c in person_root.children:
        if c.dep_ in ("compound", "amod", "nmod") and c.i < person_root.i and c.ent_type_ != "PERSON":
            out.extend(t for t in c.subtree if t.i < person_root.i)
    return sorted(set(out), key=lambda t: t.i)


def _split_role(ctx: DocContext, toks: list[Token]) -> tuple[str | None, list[Token]]:
    """The role title among title tokens, and the tokens qualifying it (an
    institution word inside the title, "police officer", qualifies it too)."""
    roles = ctx.rules.words["leader_roles"] | ctx.rules.words["member_roles"]
    best, best_len = None, 0
    words = [t for t in toks if t.pos_ != "PUNCT" or t.text == "-"]
    for i in range(len(words)):
        for j in range(len(words), i, -1):
            phrase = _role_phrase(words[i:j])
            if phrase in roles and j - i > best_len:
                best, best_len, span = phrase, j - i, (i, j)
    if best is None:
        return None, []
    i, j = span
    inner = [t for t in words[i:j - 1] if ctx.rules.generic_class.get(t.lower_) in ("SecurityForce", "GovernmentBody")] \
        if best in ctx.rules.words["member_roles"] and best not in ctx.rules.words["leader_roles"] else []
    return best, words[:i] + words[j:] + inner


def _org_of(ctx: DocContext, quals: list[Token], head: Token | None) -> str | None:
    """The organisation or place a role belongs to: a qualifier or "of X"."""
    for q in quals:
        key = ctx.tok2key.get(q.i)
        if key and is_a(ctx.cls_of(key) or "", {"Organization"}):
            return key  # "U.S. State Department spokesman"
        dem = ctx.gaz.country_of_demonym(q.text) if q.pos_ in ("ADJ", "PROPN", "NOUN") else None
        if dem:  # "Chinese premier": the country, whatever the NER made of the word
            return ctx.gaz_entity(dem).key
        key = key or ctx.institution(q)
        if key:
            return key
    if head is not None:
        for c in head.children:
            if c.dep_ == "prep" and c.lower_ == "of":
                for p in c.children:
                    if p.dep_ == "pobj":
                        key = ctx.entity_at(p, allow_generic=False)
                        if key:
                            return key
            if c.dep_ == "poss":
                key = ctx.entity_at(c, allow_generic=False)
                if key:
                    return key
    return None


def role_relations(ctx: DocContext) -> None:
    """leader-of / member-of from role titles next to names, and role-only people
    ("the Chief Minister of Balochistan") as Person entities."""
    words = ctx.rules.words
    doc = ctx.doc
    done: set[int] = set()
    for span in ctx.ents:
        if span.label_ != "PERSON":
            continue
        key = ctx.tok2key.get(span.root.i)
        if not key or ctx.cls_of(key) != "Person":
            continue
        root = span.root
        toks = _role_tokens(root)
        # "Shahid Rind, the provincial government spokesperson" / "the leader of X, Y"
        appos = [c for c in root.children if c.dep_ == "appos" and c.pos_ == "NOUN"]
        if root.dep_ == "appos" and root.head.pos_ == "NOUN":
            appos.append(root.head)
        for a in appos:
            toks_a = [t for t in a.subtree if t.i <= a.i and t.dep_ not in ("det", "punct") and t.i not in range(span.start, span.end)]
            role, quals = _split_role(ctx, toks_a)
            if role:
                _emit_role(ctx, key, role, quals, a, span.sent)
                done.add(a.i)
        if toks:
            role, quals = _split_role(ctx, toks)
            if role:
                head = next((t for t in toks if _role_phrase([t]) in role.split()[-1:]), toks[-1])
                _emit_role(ctx, key, role, quals, head, span.sent)
    # role-only people: "the Chief Minister of Balochistan", "Pakistan's interior minister"
    for tok in ctx.tokens:
        if tok.lower_ not in LEADER_TITLE_HEADS:
            continue  # (the title found below must end with this word)
        if tok.i in ctx.tok2key or tok.i in done or tok.pos_ not in ("NOUN", "PROPN"):
            continue
        if tok.ent_type_ == "PERSON" or any(c.ent_type_ == "PERSON" for c in tok.children):
            continue
        if tok.head.ent_type_ == "PERSON" and tok.dep_ in ("compound", "appos"):
            continue
        chain = [c for c in tok.children if c.dep_ == "compound" and c.i < tok.i] + [tok]
        chain = sorted({t for c in chain for t in (c.subtree if c.i != tok.i else [tok]) if t.i <= tok.i}, key=lambda t: t.i)
        role, quals = _split_role(ctx, [t for t in chain if t.dep_ != "det"])
        if not role or role not in LEADER_TITLES:
            continue
        if role.split()[-1] != _role_phrase([tok]):
            continue
        mods = [c for c in tok.children if c.dep_ in ("amod", "poss") and c.i < tok.i]
        place = _org_of(ctx, [], tok) or _org_of(ctx, quals + mods, None)  # "of X" first
        if place is None:
            continue
        pent = ctx.facts.entities[place]
        title = " ".join(w.capitalize() if w not in ("of",) else w for w in role.split())
        title = "-".join(p[:1].upper() + p[1:] for p in title.split("-"))
        label = f"{title} of {pent.label}"
        surface = clean_name(doc[min(t.i for t in chain + mods):tok.i + 1].text)
        pkey = f"n:{fold(label)}"
        ctx.add_entity(pkey, label, "Person", surface, (tok.idx, tok.idx + len(tok)))
        if surface.lower() != role:
            ctx.facts.entities[pkey].aliases.add(role)
        ctx.tok2key[tok.i] = pkey
        if role in words["leader_roles"] and role not in ("minister", "interior minister", "foreign minister",
                                                         "defense minister", "defence minister", "information minister"):
            emit(ctx, pkey, "leaderOf", place, tok.sent, "rel.role.title-of", tokens=[tok])


def _emit_role(ctx: DocContext, person: str, role: str, quals: list[Token], head: Token, sent: Span) -> None:
    words = ctx.rules.words
    org = _org_of(ctx, quals, head)
    if org is None:
        if role in ("president", "prime minister", "premier", "king", "queen", "emir") and ctx.home_country:
            org, rule = ctx.home_country, "rel.role.national-leader"
        else:
            return
    else:
        rule = "rel.role.title"
    cls = ctx.cls_of(org) or ""
    if role in words["leader_roles"] and role not in ("minister",):
        if is_a(cls, {"Organization", "Country", "Region", "City"}):
            emit(ctx, person, "leaderOf", org, sent, rule + ".leader", tokens=[head])
    elif role in words["member_roles"]:
        if is_a(cls, {"Organization"}):
            emit(ctx, person, "memberOf", org, sent, rule + ".member", tokens=[head])


# ------------------------------------------------------------------------- event relations
def _event_for(ctx: DocContext, tok: Token, frames: list[Frame]) -> str | None:
    by_trigger = {f.trigger.i: f for f in frames if f.key}
    if tok.i in by_trigger:
        return by_trigger[tok.i].key
    for c in tok.conjuncts:
        if c.i in by_trigger:
            return by_trigger[c.i].key
    return None


def _salient_event(frames: list[Frame], before: int, classes: set[str] | None = None) -> str | None:
    """The main event told so far: the one most often mentioned (earliest on ties)."""
    cands = [f for f in frames if f.key and f.trigger.idx < before and (classes is None or f.cls in classes)]
    if not cands:
        return None
    counts: dict[str, int] = {}
    for f in cands:
        counts[f.key] = counts.get(f.key, 0) + 1
    return max(counts, key=lambda k: (counts[k], -list(counts).index(k)))


def _passive(verb: Token) -> bool:
    return any(c.dep_ in ("auxpass", "nsubjpass") for c in verb.children) or (
        verb.tag_ == "VBN" and verb.dep_ in ("acl", "amod", "relcl"))


def _subject_of(verb: Token) -> Token | None:
    for c in verb.children:
        if c.dep_ == "nsubj":
            return c
    for c in verb.children:
        if c.dep_ == "agent" and _passive(verb):
            for p in c.children:
                if p.dep_ == "pobj":
                    return p
    if verb.dep_ in ("conj", "advcl", "xcomp", "pcomp", "acl") and verb.head.i != verb.i:
        head = verb.head
        if head.pos_ in ("VERB", "AUX"):
            return _subject_of(head)
        if verb.dep_ == "acl":
            return head
        if head.dep_ == "prep" and head.head.pos_ in ("VERB", "AUX"):
            return _subject_of(head.head)
    return None


VIOLENCE = {"Attack", "Hijacking", "SecurityOperation", "Invasion"}
ATTACKER_NOUNS = {"attacker", "bomber", "gunman", "assailant", "perpetrator", "hijacker", "shooter", "kidnapper"}


def event_relations(ctx: DocContext, frames: list[Frame]) -> set[str]:
    """claimed / condemned / accused. Returns the event keys these refer to."""
    words = ctx.rules.words
    used: set[str] = set()
    for tok in ctx.tokens:
        lemma = tok.lemma_.lower()
        # --- claimed responsibility ("claimed responsibility for", "claimed the attack")
        if tok.pos_ == "VERB" and lemma in words["claim_responsibility_verbs"]:
            obj = next((c for c in tok.children if c.dep_ == "dobj" and c.lemma_.lower() in words["claim_responsibility_nouns"]), None)
            if obj is None and lemma == "claim":
                obj = next((c for c in tok.children if c.dep_ == "dobj" and _event_for(ctx, c, frames)), None)
            if obj is not None:
                subj = _subject_of(tok)
                if subj is not None and any(d.dep_ == "det" and d.lower_ == "no" for d in subj.children):
                    continue  # "no group has claimed the attack"
                claimant = ctx.agent_at(subj) if subj is not None else None
                event = _event_for(ctx, obj, frames)  # "claimed the attack"
                for holder in (obj, tok):
                    for c in holder.children:
                        if c.dep_ == "prep" and c.lower_ == "for":
                            for p in c.children:
                                if p.dep_ == "pobj":
                                    event = _event_for(ctx, p, frames)
                event = event or _salient_event(frames, tok.sent.end_char, VIOLENCE)
                if claimant and event and is_a(ctx.cls_of(claimant) or "", {"Agent", "Country"}):
                    emit(ctx, claimant, "claimed", event, tok.sent, "rel.claimed.responsibility", tokens=[tok])
                    used.add(event)
        # "the TTP was behind the attack", "said it was behind the bombing"
        if tok.lower_ == "behind" and tok.dep_ == "prep" and tok.head.lemma_.lower() == "be":
            subj = next((c for c in tok.head.children if c.dep_ == "nsubj"), None)
            if subj is not None and not any(d.dep_ == "det" and d.lower_ == "no" for d in subj.children):
                group = ctx.agent_at(subj, allow_generic=False)
                for p in (c for c in tok.children if c.dep_ == "pobj"):
                    event = _event_for(ctx, p, frames)
                    if group and event and is_a(ctx.cls_of(group) or "", {"Organization", "Country"}):
                        emit(ctx, group, "carriedOut", event, tok.sent, "rel.carried-out.behind", tokens=[tok.head],
                             subject_tok=subj)
                        used.add(event)
        # "an attack claimed by the al Shabaab group"
        if tok.pos_ == "VERB" and lemma == "claim" and tok.dep_ == "acl":
            event = _event_for(ctx, tok.head, frames)
            for a in (c for c in tok.children if c.dep_ == "agent"):
                for p in (c for c in a.children if c.dep_ == "pobj"):
                    claimant = ctx.agent_at(p, allow_generic=False)
                    if claimant and event and is_a(ctx.cls_of(claimant) or "", {"Organization"}):
                        emit(ctx, claimant, "claimed", event, tok.sent, "rel.claimed.by", tokens=[tok])
                        used.add(event)
        if tok.lower_ == "responsible" and tok.dep_ in ("acomp", "oprd", "amod"):
            head = tok.head
            if head.lemma_.lower() in ("hold", "blame", "consider", "deem", "find"):
                continue  # an accusation, handled below
            subj = next((c for c in head.children if c.dep_ == "nsubj"), None)
            if subj is not None:
                claimant = ctx.agent_at(subj)
                event = None
                for c in tok.children:
                    if c.dep_ == "prep" and c.lower_ == "for":
                        for p in c.children:
                            if p.dep_ == "pobj":
                                event = _event_for(ctx, p, frames)
                if claimant and event and is_a(ctx.cls_of(claimant) or "", {"Organization", "Group", "Person"}):
                    emit(ctx, claimant, "claimed", event, tok.sent, "rel.claimed.responsible", tokens=[head])
                    used.add(event)
        # --- "the suicide attacker was a member of JeM": the group carried out the attack
        if tok.lemma_.lower() in ATTACKER_NOUNS and tok.dep_ == "nsubj" and tok.head.lemma_.lower() == "be":
            for attr in tok.head.children:
                if attr.dep_ == "attr" and attr.lemma_.lower() in ("member", "fighter", "militant", "operative"):
                    for c in attr.children:
                        if c.dep_ == "prep" and c.lower_ == "of":
                            for p in c.children:
                                group = ctx.entity_at(p, allow_generic=False) if p.dep_ == "pobj" else None
                                event = _salient_event(frames, tok.sent.end_char, VIOLENCE)
                                if group and event and is_a(ctx.cls_of(group) or "", {"Organization"}):
                                    emit(ctx, group, "carriedOut", event, tok.sent, "rel.carried-out.attacker-member",
                                         tokens=[tok.head])
                                    used.add(event)
        # --- condemned
        if tok.pos_ == "VERB" and lemma in words["condemnation_verbs"]:
            subj = _subject_of(tok)
            objs = [c for c in tok.children if c.dep_ == "dobj"]
            if subj is not None and any(subj.i in {x.i for x in o.subtree} for o in objs):
                subj = None  # a misparse put the subject inside what is condemned
            if subj is None:
                subj = next((t for t in tok.sent if t.dep_ == "nsubj" and t.head.dep_ == "ROOT"), None)
            whos = [ctx.agent_at(s) for s in _conj(subj)] if subj is not None else []  # "Egypt and Qatar condemned"
            for who in dict.fromkeys(w for w in whos if w and is_a(ctx.cls_of(w) or "", {"Agent", "Country"})):
                for c in tok.children:
                    if c.dep_ != "dobj":
                        continue
                    for o in _conj(c):
                        event = _event_for(ctx, o, frames)
                        if event:
                            emit(ctx, who, "condemned", event, tok.sent, "rel.condemned.event", tokens=[tok])
                            used.add(event)
                            continue
                        target = ctx.entity_at(o, allow_generic=False)
                        if target and target != who and is_a(ctx.cls_of(target) or "", {"Agent", "Country"}):
                            emit(ctx, who, "condemned", target, tok.sent, "rel.condemned.agent", tokens=[tok])
        # --- accused
        if tok.pos_ == "VERB" and lemma in words["accusation_verbs"]:
            subj = _subject_of(tok)
            who = ctx.agent_at(subj) if subj is not None else None
            if not who:
                continue
            objs = []
            if lemma == "hold":
                if not any(c.lower_ == "responsible" for c in tok.children):
                    continue
            for c in tok.children:
                if c.dep_ == "dobj":
                    objs.extend(_conj(c))
                    # "external forces, particularly India"
                    for a in c.children:  # (not "blamed militias for the attack ... in Jordan")
                        if a.dep_ in ("appos", "npadvmod") or a.lower_ in ("particularly", "especially", "notably") \
                                or (a.dep_ == "prep" and a.lower_ in ("including", "like", "as")):
                            objs.extend(t for t in a.subtree if t.pos_ == "PROPN")
            for o in objs:
                accused = ctx.agent_at(o)
                if accused and ctx.facts.entities.get(accused) and ctx.facts.entities[accused].generic:
                    continue
                if accused and accused != who and is_a(ctx.cls_of(accused) or "", {"Agent", "Country"}):
                    emit(ctx, who, "accused", accused, tok.sent, "rel.accused.verb", tokens=[tok])
    return used


# ------------------------------------------------------------------------- routes, neighbours
ROUTE_NOUNS = {"network", "corridor", "road", "railway", "rail", "pipeline", "link", "route", "highway",
               "line", "connection", "motorway", "shortcut"}


def route_relations(ctx: DocContext) -> None:
    """"a road and rail network from this port to the Xinjiang region" → the
    project the article is about links both ends."""
    projects = [e for e in ctx.facts.entities.values() if e.cls == "Project" and e.mentions]
    if not projects:
        return
    for tok in ctx.tokens:
        if tok.lemma_.lower() not in ROUTE_NOUNS or tok.pos_ != "NOUN":
            continue
        ends = []
        holders = [x for x in tok.subtree if x.head.i == tok.i or x.head.head.i == tok.i]
        if tok.dep_ == "dobj":  # "establishing a network from this port to the Xinjiang region"
            holders += [x for x in tok.head.children if x.dep_ == "prep"]
        for c in holders:
            if c.dep_ == "prep" and c.lower_ in ("from", "to", "between"):
                for p in c.children:
                    if p.dep_ == "pobj":
                        for q in _conj(p):
                            key = ctx.entity_at(q, allow_generic=False)
                            if key is None and q.lower_ == "port":
                                key = ctx.salient({"Facility", "City"}, q.idx)
                            if key and ctx.cls_of(key) in PLACE_CLASSES:
                                ends.append(key)
        if not ends:
            continue
        in_sent = [e for e in projects if any(tok.sent.start_char <= s < tok.sent.end_char for s, _ in e.mentions)]
        project = (in_sent or sorted(projects, key=lambda e: -len(e.mentions)))[0]
        for end in ends:
            emit(ctx, project.key, "links", end, tok.sent, "rel.links.route-from-to", tokens=[tok])


def neighbour_relations(ctx: DocContext) -> None:
    """"neighbouring Rwanda" borders the country the sentence (or story) is about."""
    for tok in ctx.tokens:
        if tok.lower_ not in ("neighboring", "neighbouring", "bordering", "adjacent") or tok.dep_ != "amod":
            continue
        x = ctx.entity_at(tok.head, allow_generic=False)
        if not x or ctx.cls_of(x) not in ("Country", "Region"):
            continue
        others = [ctx.tok2key[t.i] for t in tok.sent if t.i in ctx.tok2key and ctx.cls_of(ctx.tok2key[t.i]) == "Country"
                  and ctx.tok2key[t.i] != x]
        y = others[0] if others else (ctx.home_country if ctx.home_country != x else None)
        if y:
            emit(ctx, x, "borders", y, tok.sent, "rel.borders.neighbouring", tokens=[tok])



BORDER_WORDS = {"border", "borders", "frontier", "frontiers", "boundary", "boundaries"}
BORDERING_CLASSES = {"Country", "Region", "City", "Place", "WaterBody"}


def shared_border_relations(ctx: DocContext) -> None:
    """"Balochistan shares a long border with Iran and Afghanistan", "Iran and Pakistan
    share a border": by the surface form, as the model often reads "shares" as a noun."""
    doc = ctx.doc
    for tok in ctx.tokens:
        if tok.lower_ not in ("share", "shares", "shared", "sharing") or tok.i == 0:
            continue
        sent = ctx.sent_of(tok.i)
        border = next((t for t in doc[tok.i + 1:min(tok.i + 7, sent.end)] if t.lower_ in BORDER_WORDS), None)
        if border is None:
            continue
        subjects = _places_listed(ctx, tok.i - 1, -1, sent)
        objects = _places_listed(ctx, border.i + 2, 1, sent) if border.i + 1 < sent.end and doc[border.i + 1].lower_ == "with" else []
        pairs = [(s, o) for s in subjects for o in objects] if objects else \
            [(subjects[k], subjects[m]) for k in range(len(subjects)) for m in range(k + 1, len(subjects))]
        for s, o in pairs:
            if s != o:
                emit(ctx, s, "borders", o, sent, "rel.borders.share", tokens=[tok])


def _places_listed(ctx: DocContext, i: int, step: int, sent) -> list[str]:
    """Places named from token ``i`` on, going forward (``step`` 1) or backward (-1),
    as a list joined by commas and "and": "Iran, Afghanistan and China"."""
    doc, out = ctx.doc, []
    while sent.start <= i < sent.end:
        if doc[i].lower_ in ("and", ",", "the"):
            i += step
            continue
        key = ctx.tok2key.get(i)
        if key is None and step < 0 and not out:  # "the province shares ...": a reference
            key = ctx.entity_at(doc[i], allow_generic=False, allow_pronoun=False)
            i += step
        elif key is not None:
            while sent.start <= i < sent.end and ctx.tok2key.get(i) == key:  # the rest of the name
                i += step
        if key is None or ctx.cls_of(key) not in BORDERING_CLASSES:
            break
        if key not in out:
            out.append(key)
    return out
