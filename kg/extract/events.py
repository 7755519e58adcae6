"""Event frames from trigger words, with their arguments.

A trigger (a verb or noun lemma from ``rules/events.yaml``) opens a frame; rules then
fill its roles from the dependency parse:

* ``agent`` (carriedOut): the subject of a verb trigger, the ``by`` agent of a
  passive or of a noun ("attacks by the BLA"), a possessive or name modifier ("the
  BLA's attack", "Houthi attacks"), the subject of "launched/carried out/staged";
* ``target`` (targeted): the object of a verb trigger, "attack on/against X",
  "the attack targeted X", "targets included X";
* ``place`` (locatedIn): places in the trigger's in/at/across/near phrases and place
  modifiers ("the Quetta bombing");
* ``date`` (occurredOn): date expressions attached to the trigger or its clause.

Attacks by a state actor become security operations (and the reverse). Later
definite mentions ("the attack", "these assaults") merge into the event they refer
to. Hypothetical events ("will attack", "threatened to attack") are dropped.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from spacy.tokens import Span, Token

from kg.extract.context import PLACE_CLASSES, PLACE_RANK, DocContext, emit, emit_literal, is_a
from kg.extract.dates import normalise
from kg.extract.rules import TAKING_VERBS
from kg.model import Event, Evidence, Relation

MODALS = {"will", "would", "could", "might", "may", "should", "shall", "must"}
IRREALIS_HEADS = {"threaten", "vow", "plan", "warn", "intend", "aim", "seek", "want", "try", "prepare",
                  "protect", "prevent", "avoid", "fear", "risk", "stop", "deter", "thwart", "foil"}
# verbs whose infinitive happened: "began to launch missiles"
ASPECT_VERBS = {"begin", "start", "continue", "resume", "keep", "proceed", "go", "manage", "come"}
IRREALIS_NOUNS = {"warning", "warnings", "threat", "threats", "plan", "plans", "intention", "risk",
                  "fear", "fears", "capacity", "capability", "ability", "potential", "prospect"}
PLACE_PREPS = {"in", "at", "across", "near", "inside", "throughout", "outside", "around", "along"}
TARGET_PREPS = {"on", "against", "at", "upon", "into"}
# what a weapon does when it is the subject: "a roadside bomb killed four soldiers"
# (verbs that are triggers themselves, "a missile hit the port", open their own frame)
WEAPON_HARM_VERBS = {"kill", "wound", "injure", "maim", "destroy", "damage"}
# verbs whose subjects are the parties of the agreement they take: "agreed to a ceasefire"
AGREEING_VERBS = {"agree", "reach", "conclude", "accept", "strike", "ink", "seal", "negotiate"}
MEDIATING_VERBS = {"broker", "mediate", "facilitate", "sponsor", "negotiate"}
WEEKDAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
# verbs that say what an event did to its object: "the attack targeted police stations"
EVENT_SUBJECT_VERBS = {"target", "hit", "strike", "destroy", "damage"}
LONE_ATTACKERS = {"bomber", "gunman", "attacker", "assailant", "shooter", "sniper"}
HELD_VERBS = {"hold", "stage", "organize", "organise", "carry", "conduct", "launch", "report"}
# what a group holds: "struck Houthi targets", "shelled TTP positions" targets the group
HELD_BY_GROUP = {"target", "position", "hideout", "stronghold"}
OCCUR_VERBS = {"take", "occur", "happen", "unfold", "erupt", "break", "spread", "continue", "rage", "flare", "resume"}
ATTACKER_NOUNS = {"attacker", "bomber", "gunman", "assailant", "perpetrator", "militant", "hijacker", "shooter", "kidnapper"}
COMBATANTS = {"fighter", "militant", "gunman", "insurgent", "member", "operative", "rebel", "jihadist",
              "bomber", "attacker", "commander", "unit", "squad", "cell", "loyalist", "soldier", "troop"}
CONTAINERS = {"series", "wave", "spate", "string", "number", "surge", "spree", "set", "barrage", "volley",
              "round", "flurry", "chain", "campaign", "cycle", "wave", "rash", "string", "succession", "burst"}
AFFILIATION = {"affiliated", "linked", "associated", "loyal", "belonging", "allied", "tied", "connected"}
EVENT_FAMILY = {"Attack": "violence", "Hijacking": "violence", "SecurityOperation": "violence",
                "Invasion": "violence", "Protest": "protest", "Agreement": "agreement",
                "ArmedConflict": "conflict", "Coup": "coup", "Death": "death"}


@dataclass
class Frame:
    trigger: Token
    cls: str
    rule: str
    sent: Span
    agents: list[tuple[str, str]] = field(default_factory=list)  # (entity key, rule id)
    targets: list[tuple[str, str]] = field(default_factory=list)
    places: list[tuple[str, str]] = field(default_factory=list)
    dates: list[tuple[str, str, str]] = field(default_factory=list)  # (value, datatype, rule)
    participants: list[tuple[str, str]] = field(default_factory=list)
    anaphoric: bool = False
    bare_plural: bool = False  # "Attacks unfolded ...": the event already told, if of the same class
    key: str | None = None
    extra_evidence: list[Span] = field(default_factory=list)
    target_sents: dict[str, Span] = field(default_factory=dict)
    # the frame's own arguments, kept when other frames' arguments are merged into it
    # (the merged lists decide what is one event; each fact is emitted from the frame,
    # and so the sentence, that states it)
    own: dict[str, list] | None = None

    def stated(self, kind: str) -> list:
        """The ``agents``, ``targets``, ``places`` or ``dates`` this frame's own
        sentence states (not those merged in from other frames of its event)."""
        return self.own[kind] if self.own is not None else getattr(self, kind)


def trigger_of(tok: Token, ctx: DocContext):
    """The trigger entry a token opens, or None."""
    rules = ctx.rules
    lemma, low = tok.lemma_.lower(), tok.lower_
    pos = tok.pos_
    if pos == "VERB":
        if lemma not in rules.words["trigger_verb_openers"]:
            return None  # (what every test below would conclude)
        if lemma in rules.words["weapon_verbs"] and any(
                c.dep_ == "dobj" and c.lemma_.lower() in rules.words["weapons"] for c in tok.children):
            return rules.verb_trigger.get("attack")  # "launched missiles at Israel"
        if lemma in rules.words["force_verbs"] and any(
                c.dep_ == "dobj" and (c.lemma_.lower() in rules.words["force_nouns"] or c.lower_ in rules.words["force_nouns"])
                for c in tok.children):
            return rules.verb_trigger.get("attack")  # "security forces employing lethal force"
        objects = [c for c in tok.children if c.dep_ == "dobj"]
        if lemma in ("seize", "take", "grab", "usurp", "wrest") and any(o.lemma_.lower() == "power" for o in objects):
            return rules.verb_trigger.get("overthrow")  # "the military seized power": a coup
        if lemma == "take" and any(q.lemma_.lower() in ("street", "road") and prep == "to" for q, prep in _args_via_prep(tok, {"to"})):
            return rules.verb_trigger.get("protest")  # "thousands took to the streets"
        if lemma in TAKING_VERBS and any(
                c.dep_ == "dobj" and ctx.cls_of(_named_place(c, ctx)) in ("City", "Region") for c in tok.children):
            return rules.verb_trigger.get("attack")  # "the M23 has taken Goma", "captured the village of X"
        for c in tok.children:  # two-word verbs: "blew himself up", "opened fire on"
            if (c.dep_ == "prt" or (c.dep_ == "dobj" and c.i == tok.i + 1)) and f"{lemma} {c.lower_}" in rules.verb_trigger:
                return rules.verb_trigger[f"{lemma} {c.lower_}"]
        if lemma in rules.words["killing_verbs"] and lemma not in rules.verb_trigger and \
                (lemma != "shoot" or any(c.lower_ in ("dead", "down") or (c.dep_ == "dobj" and any(a.lower_ == "dead" for a in c.children))
                                         for c in tok.children)):  # "shot dead nine men"; not "shot a video"
            return rules.verb_trigger.get("attack") if _armed_killing(tok, ctx) else None
        if lemma == "carry" or lemma in rules.words["perpetration_verbs"]:
            return None
        return rules.verb_trigger.get(lemma)
    if pos in ("NOUN", "PROPN"):
        if lemma not in rules.words["trigger_noun_openers"] and low not in rules.words["trigger_noun_openers"]:
            return None  # (what every test below would conclude)
        if tok.ent_type_ in ("DATE", "TIME", "CARDINAL", "PERSON", "GPE"):
            return None
        if pos == "PROPN" and tok.i in ctx.tok2key:
            return None
        compound = [c for c in tok.children if c.dep_ == "compound" and c.i == tok.i - 1]
        if compound:
            two = f"{compound[0].lower_} {low}"
            if two in rules.noun_trigger:
                return rules.noun_trigger[two]
        if tok.dep_ == "compound" and tok.head.lemma_.lower() in rules.noun_trigger:
            return None  # "bomb attacks": the head is the trigger
        if any(c.lower_ in rules.words["skip_noun_modifiers"] for c in tok.children if c.dep_ in ("compound", "amod")):
            return None  # "a heart attack", "a panic attack"
        if tok.dep_ in ("compound", "amod") and tok.head.lemma_.lower() in ("toll", "tally", "count", "squad", "threat", "figure", "certificate", "penalty", "sentence", "row"):
            return None  # "the death toll", "a suicide squad"
        if lemma == "movement" and any(c.dep_ in ("compound", "amod", "nmod") and c.i in ctx.tok2key
                                       and ctx.cls_of(ctx.tok2key[c.i]) == "ArmedGroup" for c in tok.children):
            return None  # "the Houthi movement said": an armed group, not a protest
        if lemma in rules.words["weapons"] and tok.dep_ == "nsubj" and tok.head.lemma_.lower() in WEAPON_HARM_VERBS:
            return rules.noun_trigger.get("attack")  # "a roadside bomb killed four soldiers"
        return rules.noun_trigger.get(lemma) or rules.noun_trigger.get(low)
    return None


def _named_place(tok: Token, ctx: DocContext) -> str | None:
    """The entity key of a name ("Goma") or of "the town/province of <name>", without
    making any entity."""
    if tok.i in ctx.tok2key:
        return ctx.tok2key[tok.i]
    if tok.lemma_.lower() in ctx.rules.words["city_words"] | ctx.rules.words["region_words"]:
        for c in tok.children:
            if c.dep_ == "prep" and c.lower_ == "of":
                return next((ctx.tok2key[p.i] for p in c.children if p.dep_ == "pobj" and p.i in ctx.tok2key), None)
    return None


def _armed_killing(tok: Token, ctx: DocContext) -> bool:
    """"Gunmen killed 12 villagers", "security forces killed ten militants": an active
    killing verb whose named or armed subject is an organisation, a group of fighters or
    a state, with an object, in a sentence that names no other event (there, the killing
    is that event's toll)."""
    if any(c.dep_ in ("auxpass", "nsubjpass") for c in tok.children) or not any(c.dep_ == "dobj" for c in tok.children):
        return False
    subj, _ = _closest_subject(tok)
    if subj is None or subj.pos_ == "PRON":
        return False
    rules = ctx.rules
    for other in ctx.tokens[tok.sent.start:tok.sent.end]:
        if other.i == tok.i:
            continue
        low, lemma = other.lower_, other.lemma_.lower()
        if (other.pos_ == "VERB" and lemma in rules.verb_trigger) or \
                (other.pos_ in ("NOUN", "PROPN") and (lemma in rules.noun_trigger or low in rules.noun_trigger)):
            return False
    if subj.lemma_.lower() in LONE_ATTACKERS:  # "a suicide bomber killed 12 soldiers"
        return True
    if subj.lemma_.lower() in LONE_ATTACKERS:  # "a suicide bomber killed 12 soldiers"
        return True
    key = ctx.entity_at(subj, allow_pronoun=False)  # (last: it may make a generic entity)
    return key is not None and is_a(ctx.cls_of(key) or "", {"Organization", "Country"})


def is_irrealis(tok: Token) -> bool:
    """Future, threatened, prevented or hypothetical: not an event that happened."""
    for c in tok.children:
        if c.dep_ in ("aux", "auxpass") and c.lower_ in MODALS:
            return True
        if c.dep_ == "neg":
            return True
        if c.dep_ == "aux" and c.lower_ == "to" and tok.tag_ == "VB" and tok.dep_ in ("advcl", "xcomp", "acl", "relcl") \
                and tok.head.lemma_.lower() not in ASPECT_VERBS:
            return True  # "fighting for 15 years to topple the government": a purpose, not a coup
    head = tok
    for _ in range(4):
        if head.dep_ in ("xcomp", "ccomp", "pcomp", "pobj", "dobj", "acl", "advcl", "prep", "relcl") and head.head.i != head.i:
            head = head.head
            if head.lemma_.lower() in IRREALIS_HEADS or head.lower_ in IRREALIS_NOUNS:
                return True
            if head.pos_ == "VERB" and any(c.dep_ == "aux" and c.lower_ in MODALS for c in head.children):
                return head.lemma_.lower() not in ("say", "report", "claim")
        else:
            break
    return False


def _conjuncts(tok: Token) -> list[Token]:
    out = [tok]
    for c in tok.conjuncts:
        if c.i > tok.i:
            out.append(c)
    return out


def _args_via_prep(tok: Token, preps: set[str]) -> Iterator[tuple[Token, str]]:
    for c in tok.children:
        if c.dep_ == "prep" and c.lower_ in preps:
            for p in c.children:
                if p.dep_ == "pobj":
                    for q in _conjuncts(p):
                        yield q, c.lower_


# dependencies that open a clause of its own: what is in it is not said of the event
OTHER_CLAUSE = {"advcl", "ccomp", "relcl", "parataxis", "csubj", "conj"}


def _in_clause_of(tok: Token, root: Token) -> bool:
    """Whether ``tok`` is in ``root``'s own clause: no clause boundary on the way up.
    ("rammed into a convoy carrying police in X": yes, a participle modifies the
    convoy; "condemned the bombing, noting that JeM is banned in Pakistan": no.)"""
    node = tok
    while node.i != root.i:
        if node.dep_ in OTHER_CLAUSE and node.pos_ in ("VERB", "AUX"):
            return False
        if node.head.i == node.i:
            return False
        node = node.head
    return True


def _governing_verb(tok: Token) -> Token | None:
    """The verb a noun trigger is an argument of ("launched attacks" → launched)."""
    head = tok
    for _ in range(3):
        if head.dep_ in ("dobj", "nsubj", "nsubjpass", "pobj", "conj", "attr", "appos") and head.head.i != head.i:
            head = head.head
            if head.pos_ in ("VERB", "AUX"):
                return head
        else:
            break
    return None


def _closest_subject(verb: Token) -> tuple[Token | None, Token]:
    """The subject of ``verb``, or of the verb it is coordinated with ("stopped a bus,
    checked their papers and shot dead nine men"), the closest when there are two (a
    dateline misparsed as one); and the verb that has it."""
    while not any(c.dep_ == "nsubj" for c in verb.children) and verb.dep_ == "conj" and verb.head.pos_ == "VERB":
        verb = verb.head
    return max((c for c in verb.children if c.dep_ == "nsubj"), key=lambda c: c.i, default=None), verb


def _conj_heads(tok: Token) -> list[Token]:
    """The verbs a verb trigger is coordinated with, up to the one with the subject:
    "stopped a bus on a highway, checked papers and shot dead nine men" (for "shot")."""
    out, node = [], tok
    while node.pos_ == "VERB" and node.dep_ == "conj" and node.head.pos_ == "VERB" and len(out) < 3:
        node = node.head
        out.append(node)
        if any(c.dep_ == "nsubj" for c in node.children):
            break
    return out


def _victims_verb(tok: Token) -> Token | None:
    """"A commander was killed in a drone strike", "a bomber killed 12 soldiers ... in an
    attack": the harm verb a noun trigger is the "in"/"during" phrase of (through a
    "..., an officer said," the parser hangs it on), or None."""
    if tok.pos_ != "VERB" and tok.dep_ == "pobj" and tok.head.lower_ in ("in", "during") and tok.head.dep_ == "prep":
        verb = tok.head.head
        if verb.dep_ == "parataxis" and verb.lemma_.lower() in ("say", "tell", "report", "add"):
            verb = verb.head
        elif verb.pos_ in ("NOUN", "PROPN") and verb.dep_ in ("dobj", "nsubjpass"):
            verb = verb.head  # "killed 30 militants in raids", the phrase hung on the victims
        if verb.lemma_.lower() in ("kill", "wound", "injure", "maim", "arrest", "detain", "abduct", "kidnap", "capture"):
            return verb  # ("arrested 25 Palestinians in overnight raids")
    return None


def _members_of(tok: Token) -> list[Token]:
    """"civilians who dug trenches as well as members of the army": the army."""
    out = []
    for c in tok.subtree:
        if c.lemma_.lower() in ("member", "members", "personnel", "ranks") and c.i != tok.i:
            for p in c.children:
                if p.dep_ == "prep" and p.lower_ == "of":
                    out.extend(x for x in p.children if x.dep_ == "pobj")
    return out


def container_of(tok: Token) -> Token | None:
    """"a series of assaults", "a wave of attacks": the noun the trigger is counted by."""
    if tok.dep_ == "pobj" and tok.head.lower_ == "of" and tok.head.head.lemma_.lower() in CONTAINERS:
        return tok.head.head
    return None


def _group_of(ctx: DocContext, tok: Token) -> str | None:
    """The named group whose fighters or holdings a target noun names ("Hamas militants",
    "TTP hideouts", "dozens of Houthi targets"), or None."""
    low = tok.lemma_.lower()
    if low in ("dozen", "dozens", "scores", "hundreds", "number"):
        for p, _ in _args_via_prep(tok, {"of"}):
            return _group_of(ctx, p)
    if low not in COMBATANTS | HELD_BY_GROUP or tok.i in ctx.tok2key:
        return None
    owners = ("ArmedGroup", "SecurityForce", "Organization") if low in COMBATANTS else ("ArmedGroup",)
    for c in tok.children:  # (an "air force base" stays a base)
        if c.dep_ in ("compound", "amod", "nmod", "poss") and c.i in ctx.tok2key and ctx.cls_of(ctx.tok2key[c.i]) in owners:
            return ctx.tok2key[c.i]
    return None


def _agent_token(ctx: DocContext, tok: Token) -> str | None:
    """Entity for an agent position; "fighters of X", "members of X" and "X fighters"
    resolve to X."""
    group = _group_of(ctx, tok) if tok.lemma_.lower() in COMBATANTS else None
    if group:
        return group  # "Al-Shabaab fighters", "Taliban militants"
    if tok.lemma_.lower() in COMBATANTS:  # "fighters of JNIM", "members of the PDF"
        for p, _ in _args_via_prep(tok, {"of", "from"}):
            key = ctx.entity_at(p, allow_generic=False)
            if key:
                return key
    key = ctx.entity_at(tok)
    if key is None or (ctx.facts.entities.get(key) and ctx.facts.entities[key].generic):
        # "armed groups, primarily affiliated with the BLA"
        for c in tok.children:
            if c.dep_ in ("acl", "amod", "relcl") and c.lower_ in AFFILIATION:
                for q, _ in _args_via_prep(c, {"with", "to"}):
                    named = ctx.entity_at(q, allow_generic=False)
                    if named:
                        return named
    return key


def frame_arguments(ctx: DocContext, fr: Frame) -> None:
    """Fill a frame's roles from the parse around its trigger."""
    t = fr.trigger
    cls_of = ctx.cls_of

    def agent(tok: Token, rule: str) -> None:
        if fr.cls == "Death":
            return  # the subject of "died" is the one who died
        for q in _conjuncts(tok):
            key = _agent_token(ctx, q)
            if key and is_a(cls_of(key) or "", {"Agent", "Country"}) and (key, rule) not in fr.agents:
                fr.agents.append((key, rule))
            # "U.S. and British forces": each country whose forces they are did it too
            if key and ctx.facts.entities.get(key) is not None and ctx.facts.entities[key].generic:
                for c in q.children:
                    if c.dep_ in ("amod", "compound", "nmod") and c.i < q.i and c.conjuncts:
                        for m in (c, *c.conjuncts):
                            mk = ctx.tok2key.get(m.i)
                            country = mk if mk and ctx.cls_of(mk) == "Country" else None
                            if country is None and ctx.gaz.country_of_demonym(m.text):
                                country = ctx.gaz_entity(ctx.gaz.country_of_demonym(m.text), m.text).key
                            if country and (country, rule + ".country") not in fr.agents:
                                fr.agents.append((country, rule + ".country"))
            # "Hamas-led gunmen", "the Saudi-led coalition": who leads them did it too
            if key and ctx.facts.entities.get(key) is not None and ctx.facts.entities[key].generic:
                for i in range(q.left_edge.i, q.i - 1):
                    if ctx.doc[i + 1].text == "-" and ctx.doc[i + 2].lower_ == "led" and i in ctx.tok2key:
                        lead = ctx.tok2key[i]
                        if is_a(cls_of(lead) or "", {"Organization", "Country"}) and (lead, rule + ".led-by") not in fr.agents:
                            fr.agents.append((lead, rule + ".led-by"))

    def target(tok: Token, rule: str) -> None:
        if fr.cls == "Death":
            return  # "14 soldiers had died": nothing was done to anyone
        for q in _conjuncts(tok):
            if q.like_num or q.ent_type_ in ("DATE", "TIME", "CARDINAL"):
                continue
            if q.lemma_.lower() in ("protest", "demonstration", "rally", "protester", "demonstrator") and q.i not in ctx.tok2key:
                label = "protesters"  # "attacking protests": the people protesting
                ctx.add_entity(f"n:{label}", label, "Group", label, (q.idx, q.idx + len(q)), generic=True)
                if (f"n:{label}", rule) not in fr.targets:
                    fr.targets.append((f"n:{label}", rule + ".protesters"))
                continue
            named = _group_of(ctx, q)  # "struck Hamas militants", "dozens of Houthi targets": the group
            for key in ([named] if named else ctx.entities_at(q)):
                if key and key not in [a for a, _ in fr.agents] and (key, rule) not in fr.targets:
                    fr.targets.append((key, rule))
            # "a convoy carrying paramilitary police": those carried are targets too
            for c in q.children:
                if c.dep_ == "acl" and c.lemma_.lower() in ("carry", "transport", "ferry", "escort"):
                    for o in c.children:
                        if o.dep_ == "dobj" and not ctx.facts.entities.get(ctx.entity_at(o) or "", None) is None \
                                and not ctx.facts.entities[ctx.entity_at(o)].generic:
                            target(o, rule + ".carried")

    def place(tok: Token, rule: str, depth: int = 0) -> None:
        key = ctx.entity_at(tok, allow_pronoun=False)
        if (key is None or cls_of(key) not in PLACE_CLASSES) and depth == 0:
            # "in at least twelve towns and cities across Balochistan"
            for q, _ in _args_via_prep(tok, {"across", "in", "throughout", "of"}):
                place(q, rule + ".nested", depth + 1)
            return
        if key and cls_of(key) in PLACE_CLASSES:
            if (key, rule) not in fr.places:
                fr.places.append((key, rule))
            # nested: "at a railway station in Quetta"
            for q, _ in _args_via_prep(tok, {"in", "inside", "near"}):
                place(q, rule + ".nested", depth + 1)

    if fr.cls == "Protest" and t.lemma_.lower() == "take":
        for q, _ in _args_via_prep(t, {"to"}):  # "took to the streets of Dhaka"
            if q.lemma_.lower() in ("street", "road"):
                place(q, "ev.arg.place.streets")
    if t.pos_ == "VERB":
        passive = any(c.dep_ in ("nsubjpass", "auxpass") for c in t.children)
        for c in t.children:
            if c.dep_ == "nsubj" and not passive:
                agent(c, "ev.arg.agent.subject")
            elif c.dep_ == "agent":
                for p in c.children:
                    if p.dep_ == "pobj":
                        agent(p, "ev.arg.agent.by")
            elif c.dep_ == "dobj" or (c.dep_ == "nsubjpass" and passive):
                if fr.cls == "Agreement" or c.lemma_.lower() in ctx.rules.words["weapons"]:
                    continue  # "launched missiles at X": the missiles are not the target
                target(c, "ev.arg.target.object")
        if not passive and not any(c.dep_ == "dobj" for c in t.children):
            for c in t.children:  # "struck Hamas militants operating from a school", parsed as a clause
                if c.dep_ == "ccomp" and c.tag_ == "VBG":
                    for n in c.children:
                        if n.dep_ == "nsubj" and n.pos_ != "PRON":
                            target(n, "ev.arg.target.object-participle")
        for q, prep in _args_via_prep(t, TARGET_PREPS):
            if t.lemma_.lower() in ("fire", "launch", "strike", "open", "lob", "drop", "shoot") and prep in ("on", "at", "against", "into"):
                target(q, "ev.arg.target.prep")
            elif t.lemma_.lower() in ("ram", "crash", "plough", "plow", "drive") and prep in ("into", "on"):
                target(q, "ev.arg.target.prep")
        if not fr.agents and t.dep_ in ("conj", "advcl", "xcomp") and t.head.pos_ == "VERB" and not passive \
                and not any(c.dep_ == "nsubj" for c in t.children) \
                and t.head.lemma_.lower() not in ctx.rules.words["reporting_verbs"]:
            subj, head = _closest_subject(t.head)
            if subj is not None and head.lemma_.lower() not in ctx.rules.words["reporting_verbs"]:
                agent(subj, "ev.arg.agent.shared-subject")
        for h in _conj_heads(t):  # ... where and when the first verbs of the sequence say
            for q, _ in _args_via_prep(h, PLACE_PREPS):
                place(q, "ev.arg.place.conj-verb")
        if not fr.agents and t.dep_ in ("relcl", "acl") and not passive:
            agent(t.head, "ev.arg.agent.modified-noun")  # "security forces attacking protests"
        if not fr.agents and t.dep_ == "pcomp" and t.head.lower_ in ("of", "for") \
                and t.head.head.lemma_.lower() in ctx.rules.words["accusation_verbs"]:
            for c in t.head.head.children:  # "accused India of attacking a school" (the accuser's claim)
                if c.dep_ == "dobj":
                    agent(c, "ev.arg.agent.accused-of")
    else:
        box = container_of(t)
        heads = [t] + ([box] if box is not None else [])
        for h in heads:
            for c in h.subtree:
                if c.dep_ == "prep" and c.lower_ == "by" and c.head.i != t.i:
                    for p in c.children:
                        key = ctx.entity_at(p, allow_generic=False) if p.dep_ == "pobj" else None
                        if key and is_a(cls_of(key) or "", {"Organization", "Person"}):
                            agent(p, "ev.arg.agent.by-phrase")
        if box is not None:
            for q, _ in _args_via_prep(box, PLACE_PREPS):
                place(q, "ev.arg.place.container")
        t_role = box if box is not None else t
        for c in t.children:
            if c.dep_ == "prep" and c.lower_ == "by":
                for p in c.children:
                    if p.dep_ == "pobj":
                        agent(p, "ev.arg.agent.by")
            elif c.dep_ == "poss":
                agent(c, "ev.arg.agent.possessive")
            elif c.dep_ in ("compound", "nmod") and c.i not in ctx.tok2key and c.pos_ == "NOUN" \
                    and ctx.rules.generic_class.get(c.lower_) in ("Facility", "Vehicle") \
                    and t.lemma_.lower() not in ctx.rules.words["weapons"] \
                    and c.lower_ not in ctx.rules.words["weapons"]:  # "a car bomb", "a drone strike": how, not what
                target(c, "ev.arg.target.modifier")  # "a prison attack", "the convoy bombing"
            elif c.dep_ in ("compound", "amod", "nmod") and c.i in ctx.tok2key and not any(
                    ctx.rules.generic_class.get(x.lower_) in ("Facility", "Vehicle") for x in t.doc[c.i + 1:t.i]):
                key = ctx.tok2key[c.i]
                if cls_of(key) in ("ArmedGroup", "SecurityForce", "GovernmentBody", "Country") and fr.cls != "ArmedConflict":
                    agent(c, "ev.arg.agent.modifier")
                elif cls_of(key) in PLACE_CLASSES:
                    place(c, "ev.arg.place.modifier")
            elif c.dep_ == "acl" and c.lemma_.lower() in ("carry", "conduct", "launch", "stage"):
                for a in c.children:
                    if a.dep_ == "agent":
                        for p in a.children:
                            if p.dep_ == "pobj":
                                agent(p, "ev.arg.agent.by")
        if fr.cls in ("Attack", "SecurityOperation", "Invasion") and not fr.agents:
            for c in t.children:  # "Israeli airstrikes", "Russian strikes": the country's
                if c.dep_ in ("amod", "compound") and c.i < t.i and (c.i not in ctx.tok2key or ctx.cls_of(ctx.tok2key[c.i]) == "Group") \
                        and not any(ctx.rules.generic_class.get(x.lower_) in ("Facility", "Vehicle", "SecurityForce")
                                    for x in t.doc[c.i + 1:t.i]):  # "Nigerian Military Base Attack"
                    country = ctx.gaz.country_of_demonym(c.text)
                    if country:
                        fr.agents.append((ctx.gaz_entity(country, c.text).key, "ev.arg.agent.demonym"))
        if fr.cls == "Protest":
            for rc in t.children:  # "protests that have swept the country"
                if rc.dep_ == "relcl" and rc.lemma_.lower() in ("sweep", "spread", "engulf", "rock", "grip", "roil", "hit"):
                    for o in rc.children:
                        if o.dep_ == "dobj":
                            place(o, "ev.arg.place.swept")
                    for q, _ in _args_via_prep(rc, {"across", "through", "to", "in"}):
                        place(q, "ev.arg.place.swept")
            for c in t.children:
                if c.dep_ in ("amod", "compound") and c.i not in ctx.tok2key:
                    country = ctx.gaz.country_of_demonym(c.text)
                    if country:
                        fr.places.append((ctx.gaz_entity(country, c.text).key, "ev.arg.place.demonym"))
        for q, _ in _args_via_prep(t, {"on", "against", "upon"}):
            if fr.cls != "Agreement":
                target(q, "ev.arg.target.on")
        if t.lemma_.lower() in ("assassination", "killing", "murder", "execution", "kidnapping", "abduction"):
            for q, _ in _args_via_prep(t, {"of"}):  # "the assassination of Ismail Haniyeh"
                target(q, "ev.arg.target.of")
        gov = _governing_verb(t_role)
        if gov is not None and t_role.dep_ == "dobj" and not any(c.dep_ in ("auxpass", "nsubjpass") for c in gov.children):
            for c in gov.children:  # "condemned the assault on Goma by the M23": a misattached "by"
                if c.dep_ == "agent":
                    for p in c.children:
                        key = ctx.entity_at(p, allow_generic=False) if p.dep_ == "pobj" else None
                        if key and is_a(cls_of(key) or "", {"Organization"}):
                            agent(p, "ev.arg.agent.by-misattached")
        if gov is not None and t_role.dep_ == "dobj" and gov.lemma_.lower() in ctx.rules.words["condemnation_verbs"]:
            # "condemned the airstrike on a market in X": a misattached "on" (one does not
            # condemn on something)
            for q, _ in _args_via_prep(gov, {"on", "against"}):
                target(q, "ev.arg.target.on-misattached")
                for p, _ in _args_via_prep(q, {"in", "near"}):
                    place(p, "ev.arg.place.target-misattached")
        if gov is not None and t_role.dep_ in ("dobj",) and (gov.lemma_.lower() in ctx.rules.words["perpetration_verbs"] or gov.lemma_.lower() == "carry"):
            passive = any(c.dep_ in ("nsubjpass", "auxpass") for c in gov.children)
            for c in gov.children:
                if c.dep_ == "nsubj" and not passive:
                    agent(c, "ev.arg.agent.perpetration-verb")
            if gov.dep_ == "pcomp" and gov.head.lower_ in ("of", "for") and not any(c.dep_ == "nsubj" for c in gov.children) \
                    and gov.head.head.lemma_.lower() in ctx.rules.words["accusation_verbs"]:
                for c in gov.head.head.children:  # "accused Israel of carrying out the assassination"
                    if c.dep_ == "dobj":
                        agent(c, "ev.arg.agent.accused-of")
            for q, prep in _args_via_prep(gov, PLACE_PREPS):
                place(q, "ev.arg.place.verb-prep")
            for q, prep in _args_via_prep(gov, {"on", "against", "at"}):
                if not ctx.cls_of(ctx.entity_at(q, allow_generic=False)) in PLACE_CLASSES:
                    target(q, "ev.arg.target.verb-prep")
        if gov is not None and t_role.dep_ == "nsubjpass" and gov.lemma_.lower() in ("carry", "conduct", "launch", "stage"):
            for c in gov.children:
                if c.dep_ == "agent":
                    for p in c.children:
                        if p.dep_ == "pobj":
                            agent(p, "ev.arg.agent.by")
        # "the attack took place in Pulwama", "the blast occurred on Saturday"
        if (t_role.dep_ == "nsubj" and t_role.head.lemma_.lower() in OCCUR_VERBS) or (
                t_role.dep_ == "nsubjpass" and t_role.head.lemma_.lower() in HELD_VERBS):  # "demonstrations were held in X"
            for q, _ in _args_via_prep(t_role.head, PLACE_PREPS):
                place(q, "ev.arg.place.occur-verb")
        # "the attack, which took place near Parachinar, ..."
        for rc in t_role.children:
            if rc.dep_ == "relcl" and rc.lemma_.lower() in OCCUR_VERBS \
                    and any(c.dep_ == "nsubj" and c.lower_ in ("which", "that") for c in rc.children):
                for q, _ in _args_via_prep(rc, PLACE_PREPS):
                    place(q, "ev.arg.place.occur-verb.relative")
        # "the attacks targeted X", "the strikes hit radar sites in Sanaa"
        if t_role.dep_ == "nsubj" and t_role.head.lemma_.lower() in EVENT_SUBJECT_VERBS:
            for c in t_role.head.children:
                if c.dep_ == "dobj":
                    target(c, "ev.arg.target.event-subject")
            for q, _ in _args_via_prep(t_role.head, PLACE_PREPS):
                place(q, "ev.arg.place.event-subject")
        # "the attack killed hundreds of civilians as well as members of the army";
        # "an airstrike that killed nine people in Chin state"
        killers = [t_role.head] if t_role.dep_ == "nsubj" else []
        killers += [c for c in t.children if c.dep_ == "relcl"]
        for verb in killers:
            if verb.lemma_.lower() not in ("kill", "wound", "injure", "maim") or fr.cls not in ("Attack", "Hijacking", "SecurityOperation"):
                continue
            for q, _ in _args_via_prep(verb, {"in", "across", "near"}):
                place(q, "ev.arg.place.victims")
            for c in verb.children:
                if c.dep_ == "dobj":
                    for q, _ in _args_via_prep(c, {"in", "across", "near"}):
                        place(q, "ev.arg.place.victims")
        verb = _victims_verb(t_role)  # (or of "a series of raids")
        if verb is not None and fr.cls in ("Attack", "Hijacking", "SecurityOperation"):
            # "a senior commander was killed in a drone strike in North Waziristan"; "a
            # suicide bomber killed 12 soldiers at a base in Mogadishu ... in an attack"
            passive = any(c.dep_ == "nsubjpass" for c in verb.children)
            for c in verb.children:
                if c.dep_ == ("nsubjpass" if passive else "dobj"):
                    for q in _conjuncts(c):
                        for key in ctx.entities_at(q):
                            if key and is_a(cls_of(key) or "", {"Agent"}) and (key, "ev.arg.target.victims-of-verb") not in fr.targets:
                                fr.targets.append((key, "ev.arg.target.victims-of-verb"))
                elif c.dep_ == "nsubj" and not passive:
                    agent(c, "ev.arg.agent.victims-of-verb")
            for q, _ in _args_via_prep(verb, {"in", "near", "across", "at"}):
                if q.i != t.i:
                    place(q, "ev.arg.place.victims")
        if t_role.dep_ == "nsubj" and t_role.head.lemma_.lower() in ("kill", "wound", "injure", "maim") and fr.cls in ("Attack", "Hijacking", "SecurityOperation"):
            for c in t_role.head.children:
                if c.dep_ == "dobj":
                    for q in _conjuncts(c) + [p for x in _conjuncts(c) for p in _members_of(x)]:
                        for key in ctx.entities_at(q):
                            if key and is_a(cls_of(key) or "", {"Agent"}) and (key, "ev.arg.target.victims") not in fr.targets:
                                fr.targets.append((key, "ev.arg.target.victims"))
            for q, _ in _args_via_prep(t_role.head, {"in", "across", "near"}):
                place(q, "ev.arg.place.victims")
    if t.pos_ != "VERB" and not fr.targets:
        for v in ctx.tokens[t.i + 1:fr.sent.end]:  # (the rest of the trigger's sentence)
            if v.lemma_.lower() in ("target", "hit") and v.tag_ == "VBD" \
                    and not any(c.dep_ in ("nsubj", "nsubjpass") for c in v.children):
                objs = [c for c in v.children if c.dep_ == "dobj"] or ([v.head] if v.dep_ == "amod" else [])
                for o in objs:
                    target(o, "ev.arg.target.event-subject-fallback")
                break
    if fr.cls == "Agreement":
        holders = [t] + ([_governing_verb(t)] if t.pos_ != "VERB" and _governing_verb(t) is not None else [])
        if t.dep_ in ("advcl", "xcomp", "conj") and t.head.pos_ == "VERB":
            holders.append(t.head)
        for h in list(holders):
            holders.extend(c for c in h.children if c.dep_ == "dobj")
        for h in holders:
            for q, _ in _args_via_prep(h, {"with", "between"}):
                key = ctx.entity_at(q, allow_generic=False)
                if key and is_a(cls_of(key) or "", {"Organization", "Country"}) and (key, "ev.arg.participant.with") not in fr.agents:
                    fr.agents.append((key, "ev.arg.participant.with"))
        # "Hamas and Israel agreed to a ceasefire", "the sides reached a deal": the parties
        gov = _governing_verb(t) if t.pos_ != "VERB" else None
        if gov is None and t.dep_ == "pobj" and t.head.dep_ == "prep" and t.head.head.pos_ == "VERB":
            gov = t.head.head
        if gov is not None and gov.lemma_.lower() not in AGREEING_VERBS and gov.dep_ in ("xcomp", "advcl") \
                and gov.head.lemma_.lower() in AGREEING_VERBS:
            gov = gov.head  # "agreed to restore ties in a deal brokered by China"
        if gov is not None and gov.lemma_.lower() in AGREEING_VERBS:
            for c in gov.children:
                if c.dep_ == "nsubj":
                    for q in _conjuncts(c):
                        key = ctx.entity_at(q, allow_generic=False, allow_pronoun=False)
                        if key and is_a(cls_of(key) or "", {"Organization", "Country"}) and key not in [a for a, _ in fr.agents]:
                            fr.agents.append((key, "ev.arg.participant.agreeing"))
        # "a ceasefire brokered by Qatar and Egypt": the mediators take part, as no party
        for c in t.children:
            if c.dep_ == "acl" and c.lemma_.lower() in MEDIATING_VERBS:
                for a in c.children:
                    if a.dep_ == "agent":
                        for p in a.children:
                            for q in _conjuncts(p) if p.dep_ == "pobj" else []:
                                key = ctx.entity_at(q, allow_generic=False, allow_pronoun=False)
                                if key and is_a(cls_of(key) or "", {"Agent", "Country"}) and key not in [k for k, _ in fr.participants]:
                                    fr.participants.append((key, "ev.arg.participant.mediator"))
    # places: prepositional phrases of the trigger
    for q, prep in _args_via_prep(t, PLACE_PREPS):
        if prep == "at" and t.lemma_.lower() in ctx.rules.words["weapon_verbs"]:
            continue  # "fired rockets at Israel": a target, not where it happened
        place(q, "ev.arg.place.prep")
    if not fr.places and fr.cls in ("Attack", "Hijacking", "SecurityOperation", "Coup"):
        # "rammed into a convoy carrying police in India's Jammu and Kashmir state"
        root = t if t.pos_ == "VERB" else (_governing_verb(t) or t)
        for r in [root] + _conj_heads(root):
            for c in r.subtree:
                if c.dep_ == "prep" and c.lower_ in ("in", "inside", "near") and c.head.i != t.i and not trigger_of(c.head, ctx) \
                        and _in_clause_of(c, r):
                    for p in [q for pobj in c.children if pobj.dep_ == "pobj" for q in _conjuncts(pobj)]:
                        key = ctx.entity_at(p, allow_generic=False, allow_pronoun=False)  # "in Nairobi and Mombasa"
                        if key and ctx.cls_of(key) in ("City", "Region", "Country", "WaterBody") \
                                and (key, "ev.arg.place.subtree") not in fr.places:
                            fr.places.append((key, "ev.arg.place.subtree"))
    # dates: the trigger's date phrases, then the clause's
    dates = _dates_for(ctx, fr)
    fr.dates.extend(dates)


def _dates_for(ctx: DocContext, fr: Frame) -> list[tuple[str, str, str]]:
    t = fr.trigger
    out: list[tuple[str, str, str]] = []
    sent = fr.sent
    anchors = {t.i}
    gov = _governing_verb(t) if t.pos_ != "VERB" else None
    if gov is not None:
        anchors.add(gov.i)
    if t.dep_ in ("acl", "relcl") and t.pos_ == "VERB":
        anchors.add(t.head.i)
    box = container_of(t)
    victims_verb = _victims_verb(box if box is not None else t)
    if victims_verb is not None:
        anchors.add(victims_verb.i)  # "was killed in a drone strike on Sunday"
    anchors.update(h.i for h in _conj_heads(t))  # "stopped a bus on Monday night ... and shot dead ..."
    if box is not None:
        anchors.add(box.i)
    # "a prior major incident in March 2025, when the BLA hijacked ..."
    if t.dep_ in ("relcl", "advcl") and any(c.lower_ == "when" for c in t.children):
        anchors.add(t.head.i)
    claimed_for = t.dep_ == "pobj" and t.head.lower_ == "for" and t.head.head.lemma_.lower() in ("responsibility", "credit")
    for ent in ctx.sent_ents(sent):
        if ent.label_ not in ("DATE", "TIME"):
            continue
        root = ent.root
        # climb from the date to the first trigger/verb it attaches to
        head, hops = root, 0
        prep = None
        while head.i not in anchors and head.head.i != head.i and hops < 4:
            if head.dep_ == "pobj":
                prep = head.head.lower_
            head = head.head
            hops += 1
            if head.i != t.i and (trigger_of(head, ctx) and head.i not in anchors):
                break
        if head.i not in anchors:
            continue
        if prep in ("by", "until", "before", "after", "following", "over", "for", "within", "than") \
                or (prep == "since" and fr.cls != "ArmedConflict"):  # ("since 2015, a conflict ...": its start)
            continue
        if ent[0].lower_ in ("every", "each") or any(c.lower_ in ("every", "each") for c in root.children):
            continue  # "every Friday": a recurrence, not a day
        before = ent.doc[ent.start - 1] if ent.start > sent.start else None
        if before is not None and root.lower_ in WEEKDAYS and before.text[:1].isupper() and before.is_alpha \
                and before.pos_ in ("PROPN", "ADJ", "NOUN") and before.ent_type_ not in ("DATE", "TIME"):
            continue  # "Bloody Friday", "Good Friday": a name, not a day
        if claimed_for and root.lower_ in WEEKDAYS:
            continue  # "claimed responsibility for the attack on Wednesday": the day of the claim
        ref = ctx.ref_date or _latest_date_before(ctx, ent.start_char)
        for value, dtype in normalise(ent.text, ref):
            out.append((value, dtype, "ev.arg.date.attached"))
    return out


def _latest_date_before(ctx: DocContext, pos: int):
    """The last full date the text gave before ``pos`` (for "On 2 January")."""
    from kg.extract.dates import parse_iso

    if ctx.full_dates is None:  # (end offset, date) of every full date, computed once per text
        ctx.full_dates = [(ent.end_char, parse_iso(value)) for ent in ctx.ents if ent.label_ == "DATE"
                          for value, dtype in normalise(ent.text, None) if dtype == "date"]
    last = None
    for end, value in ctx.full_dates:
        if end <= pos:
            last = value
    return last


def detect_frames(ctx: DocContext) -> list[Frame]:
    """Every event frame in the document, in order, with its arguments."""
    frames: list[Frame] = []
    for sent in ctx.doc.sents:
        for tok in ctx.tokens[sent.start:sent.end]:
            trig = trigger_of(tok, ctx)
            if trig is None or is_irrealis(tok):
                continue
            if tok.pos_ == "VERB" and tok.lemma_.lower() in EVENT_SUBJECT_VERBS and any(
                    c.dep_ == "nsubj" and trigger_of(c, ctx) for c in tok.children):
                continue  # "the strikes hit radar sites": the strikes' frame takes what they hit
            if tok.pos_ == "NOUN" and any(c.like_num for c in tok.children if c.dep_ == "nummod"):
                continue  # "40 hours", "73 percent"-like counts are not events
            if tok.pos_ == "VERB" and tok.dep_ == "acl" and tok.tag_ == "VBG" and tok.head.i not in ctx.tok2key:
                continue  # "elements targeting civilians": a description, not an event
            fr = Frame(trigger=tok, cls=trig.cls, rule=trig.id, sent=sent)
            holders = [tok] + ([container_of(tok)] if container_of(tok) is not None else [])
            dets = {c.lower_ for h in holders for c in h.children if c.dep_ in ("det", "poss")}
            mods = {c.lower_ for h in holders for c in h.children if c.dep_ in ("amod", "advmod")}
            if "recent" in mods or "latest" in mods:
                dets.add("the")
            bare_plural = not dets and tok.tag_ == "NNS" and tok.dep_ in ("nsubj", "nsubjpass")
            fr.anaphoric = bool(dets & ctx.rules.words["anaphoric_determiners"]) and not (
                mods & ctx.rules.words["new_event_modifiers"])
            fr.bare_plural = bare_plural and not (mods & ctx.rules.words["new_event_modifiers"])
            if tok.pos_ == "VERB" and not fr.anaphoric:
                # "The gunmen killed 12 passengers", "the gunmen opened fire": the unnamed
                # attackers already told, so the event too
                fr.anaphoric = any(c.dep_ == "nsubj" and (c.i not in ctx.tok2key or ctx.facts.entities[ctx.tok2key[c.i]].generic)
                                   and any(d.dep_ == "det" and d.lower_ in ("the", "these", "those") for d in c.children)
                                   for v in [tok, *_conj_heads(tok)] for c in v.children)
            frame_arguments(ctx, fr)
            _reclassify(ctx, fr)
            if "similar" in mods and fr.cls in VIOLENT and not fr.agents:
                earlier = [f for f in frames if f.cls in VIOLENT]
                if earlier:  # "a similar attack": of the kind of the one just told
                    fr.cls = max(earlier, key=lambda f: len(f.agents) + len(f.places)).cls
            frames.append(fr)
    return frames


VIOLENT = {"Attack", "Hijacking", "SecurityOperation", "Invasion"}


def target_lists(ctx: DocContext, frames: list[Frame]) -> None:
    """"Targets included police stations, ...", "with targets including X": the
    listed targets belong to the violent event of the sentence, or the last one."""
    for tok in ctx.tokens:
        if tok.lemma_.lower() != "target" or tok.pos_ != "NOUN":
            continue
        listed: list[Token] = []
        if tok.dep_ in ("nsubj",) and tok.head.lemma_.lower() in ("include", "be", "comprise"):
            listed = [c for c in tok.head.children if c.dep_ in ("dobj", "attr")]
        for c in tok.children:
            if c.lower_ in ("including", "include", "such") or (c.dep_ == "prep" and c.lower_ == "like"):
                listed += [p for p in c.subtree if p.dep_ in ("pobj", "dobj") and p.head.i == c.i]
        if not listed:
            continue
        same = [f for f in frames if f.sent == tok.sent and f.cls in VIOLENT]
        before = [f for f in frames if f.trigger.i < tok.i and f.cls in VIOLENT]
        fr = (same or before or [None])[-1] if not same else same[0]
        if fr is None:
            continue
        for item in listed:
            for q in _conjuncts(item):
                key = ctx.entity_at(q, allow_pronoun=False)
                if key and (key, "ev.arg.target.listed") not in fr.targets:
                    if fr.sent != tok.sent:
                        fr.extra_evidence.append(tok.sent)
                    fr.targets.append((key, "ev.arg.target.listed"))
                    fr.target_sents[key] = tok.sent


ADVERSARIAL_DEALS = {"ceasefire", "truce", "armistice", "surrender", "exchange", "swap"}
PROTESTERS = {"protesters", "demonstrators", "rioters", "protestors", "crowds", "crowd", "mobs", "mob", "students"}


def _reclassify(ctx: DocContext, fr: Frame) -> None:
    """Attacks by the state are security operations; "operations" by armed groups
    are attacks. An operation against militants is a security operation; violence by
    protesters is part of a protest."""
    classes = {ctx.cls_of(k) for k, _ in fr.agents}
    if fr.cls in ("Attack",) and fr.agents and all(
            ctx.facts.entities[k].generic and ctx.facts.entities[k].label.lower().split()[-1] in PROTESTERS
            for k, _ in fr.agents if k in ctx.facts.entities):
        fr.cls = "Protest"
        return
    state = ctx.rules.words["state_actor_classes"]
    if fr.cls == "Attack" and classes and classes <= state:
        fr.cls = "SecurityOperation"
    elif fr.cls == "SecurityOperation" and classes & {"ArmedGroup"}:
        fr.cls = "Attack"
    elif fr.cls == "Attack" and not fr.agents and fr.targets and all(
            ctx.cls_of(k) == "ArmedGroup" for k, _ in fr.targets):
        fr.cls = "SecurityOperation"


def _compatible(a: Frame, b: Frame) -> bool:
    if EVENT_FAMILY.get(a.cls) != EVENT_FAMILY.get(b.cls):
        return False
    if a.cls in ("SecurityOperation", "Invasion") and b.cls in ("Attack", "Hijacking") and a.agents and b.agents:
        return False
    da = {v for v, _, _ in a.dates}
    db = {v for v, _, _ in b.dates}
    if da and db and not any(x.startswith(y) or y.startswith(x) for x in da for y in db):
        return False
    return True


def assemble_events(ctx: DocContext, frames: list[Frame]) -> tuple[list[Frame], dict[int, list[Frame]]]:
    """Merge frames that describe one event; give each event a key and record its
    relations. Frames with no argument that nothing refers to are dropped later."""
    events: list[Frame] = []  # representative frames
    members: dict[int, list[Frame]] = {}
    title_end = len(ctx.article.title) if ctx.article.title else -1
    for fr in frames:
        target = None
        # the headline summarises the story: its event is the first such event of the body
        if fr.sent.start_char > title_end:
            for ev in events:
                if ev.sent.start_char <= title_end and len(members[id(ev)]) == 1 and \
                        EVENT_FAMILY.get(ev.cls) == EVENT_FAMILY.get(fr.cls) and _compatible(ev, fr):
                    target = ev
                    break
        # same trigger phrase in the same sentence ("gun and bomb attacks")
        for ev in reversed(events):
            if fr.sent == ev.sent and fr.trigger.head.i == ev.trigger.i and fr.trigger.dep_ in ("compound", "conj") \
                    and EVENT_FAMILY.get(ev.cls) == EVENT_FAMILY.get(fr.cls):  # not "had died and were neutralised"
                target = ev
                break
        # the object of a verb trigger: "signed a partnership" is one agreement
        if target is None and fr.trigger.dep_ == "dobj":
            for ev in reversed(events):
                if fr.sent == ev.sent and fr.trigger.head.i == ev.trigger.i and EVENT_FAMILY.get(ev.cls) == EVENT_FAMILY.get(fr.cls):
                    target = ev
                    break
        # a participle telling more of the same event: "seized power, ousting the president"
        if target is None and fr.trigger.dep_ == "advcl" and fr.trigger.tag_ == "VBG":
            for ev in reversed(events):
                if fr.sent == ev.sent and fr.trigger.head.i == ev.trigger.i and ev.cls == fr.cls and _compatible(ev, fr):
                    target = ev
                    break
        days = {v for v, dtype, _ in fr.dates if dtype == "date"}
        if target is None and days and fr.cls in VIOLENT:  # noqa: SIM102
            for ev in reversed(events):
                if ev.cls in VIOLENT and days & {v for v, dtype, _ in ev.dates if dtype == "date"}:
                    target = ev  # the same violent event on the same day
                    break
        spots = {k for k, _ in fr.places if ctx.cls_of(k) in ("City", "Facility") and not ctx.facts.entities[k].generic}
        if target is None and spots and fr.cls in VIOLENT:
            for ev in reversed(events):
                if ev.cls in VIOLENT and spots & {k for k, _ in ev.places} and _compatible(ev, fr):
                    target = ev  # the same violent event at the same named place
                    break
        if target is None and (fr.anaphoric or fr.bare_plural):
            # "... forces struck Houthi targets. The strikes hit radar sites": first the
            # events told with the same word, then those of the class, then the family
            lemma = fr.trigger.lemma_.lower()
            worded = [ev for ev in events if _compatible(ev, fr) and EVENT_FAMILY.get(ev.cls) == EVENT_FAMILY.get(fr.cls)
                      and any(m.trigger.lemma_.lower() == lemma for m in members[id(ev)])] if fr.anaphoric else []
            same = [ev for ev in events if ev.cls == fr.cls and _compatible(ev, fr)]
            family = [ev for ev in events if _compatible(ev, fr)] if fr.anaphoric else []
            cands = [ev for ev in worded if ev.cls != fr.cls] or same or family  # (the word tells the class)
            if cands:  # the event told most often so far; the latest on ties
                target = max(cands, key=lambda ev: (len(members[id(ev)]), events.index(ev)))
        if target is None:
            events.append(fr)
            members[id(fr)] = [fr]
        else:
            members[id(target)].append(fr)
            if target.own is None:
                target.own = {k: list(getattr(target, k)) for k in ("agents", "targets", "places", "dates")}
            target.agents += [a for a in fr.agents if a not in target.agents]
            target.targets += [a for a in fr.targets if a not in target.targets]
            target.places += [a for a in fr.places if a not in target.places]
            target.dates += [a for a in fr.dates if a not in target.dates]
            if target.cls == "Attack" and fr.cls == "Hijacking":
                target.cls = "Hijacking"
            _reclassify(ctx, target)
            fr.key = None
    article_id = ctx.article.id
    for n, ev in enumerate(events, 1):
        ev.key = f"e:{article_id}:{n}"
        for m in members[id(ev)]:
            m.key = ev.key
    return events, members


def emit_events(ctx: DocContext, events: list[Frame], members: dict[int, list[Frame]], keep: set[str]) -> None:
    """Record events (with at least one argument, or in ``keep``) and their relations."""
    for ev in events:
        frames = members[id(ev)]
        has_args = ev.agents or ev.targets or ev.places or ev.dates or any(f.participants for f in frames)
        if not has_args and ev.key not in keep:
            continue
        trig_words = []
        for fr in frames:
            w = fr.trigger.lemma_.lower()
            if w not in trig_words:
                trig_words.append(w)
        label = _event_label(ctx, ev)
        event = Event(key=ev.key, cls=ev.cls, label=label, triggers=trig_words,
                      evidence=[ctx.evidence(fr.sent, fr.rule) for fr in frames])
        ctx.facts.events[ev.key] = event
        if ctx.article.dateline and not any(f.places for f in frames) and ev.cls in VIOLENT | {"Protest"} \
                and not any(f.places for e2 in events for f in members[id(e2)]):  # nothing else is placed
            entry = ctx.gaz.lookup(ctx.article.dateline, {"City", "Region", "Country"})
            country = entry if entry is None or entry.cls == "Country" else next(
                (ctx.gaz.entries[a] for a in ctx.gaz.ancestors(entry.id) if ctx.gaz.entries[a].cls == "Country"), None)
            if country is not None:
                key = ctx.gaz_entity(country).key
                emit(ctx, ev.key, "locatedIn", key, frames[0].sent, "ev.arg.place.dateline-country", tokens=[frames[0].trigger])
        all_dates = {v for f in frames for v, _, _ in f.dates}
        ev_by_sent = {}
        for fr in frames:
            ev_by_sent.setdefault(fr.sent.start, fr)
        for fr in frames:
            for key, rule in fr.stated("agents"):
                pred = "participatedIn" if ev.cls == "Agreement" else "carriedOut"
                emit(ctx, key, pred, ev.key, fr.sent, rule, tokens=[fr.trigger])
            named_spots = [k for k, _ in fr.stated("places") if ctx.cls_of(k) == "City" and not ctx.facts.entities[k].generic]
            for key, rule in fr.stated("targets"):
                sent = fr.target_sents.get(key, fr.sent)
                toks = [fr.trigger] if sent == fr.sent else [sent.root]
                emit(ctx, ev.key, "targeted", key, sent, rule, tokens=toks)
                tcls = ctx.cls_of(key)
                if tcls in ("City", "Region") and ev.cls in VIOLENT:
                    emit(ctx, ev.key, "locatedIn", key, sent, rule + ".place", tokens=toks)  # "the assault on Goma"
                elif tcls == "Facility" and named_spots and sent == fr.sent and ev.cls in VIOLENT:
                    spot = sorted(named_spots, key=lambda k: PLACE_RANK.get(ctx.cls_of(k), 9))[0]
                    emit(ctx, key, "locatedIn", spot, sent, "ev.target-in-event-place", tokens=toks)
            for key, rule in fr.stated("places"):
                if ev.cls in ("Death", "Protest", "Agreement") and ctx.facts.entities[key].generic:
                    continue  # "died in a hospital": only named places locate these
                if ev.cls != "ArmedConflict":  # background wars: the place is context, not a fact
                    emit(ctx, ev.key, "locatedIn", key, fr.sent, rule, tokens=[fr.trigger])
            for value, dtype, rule in fr.stated("dates"):
                if any(d != value and d.startswith(value) for d in all_dates):
                    continue  # "January 2026" when the day is known
                emit_literal(ctx, ev.key, "occurredOn", value, dtype, fr.sent, rule)
            for key, rule in fr.participants:
                emit(ctx, key, "participatedIn", ev.key, fr.sent, rule, tokens=[fr.trigger])
        if ev.cls == "Agreement" and not ({fr.trigger.lemma_.lower() for fr in frames} & ADVERSARIAL_DEALS):
            parties = []
            for fr in frames:
                parties += [k for k, _ in fr.agents if k not in parties and is_a(ctx.cls_of(k) or "", {"Country", "Organization"})]
            for a in parties:
                for b in parties:
                    if a != b:
                        emit(ctx, a, "partnerOf", b, frames[0].sent, "ev.agreement-partners", tokens=[frames[0].trigger])


def place_events_within(ctx: DocContext) -> None:
    """"Attacks on civilians in Wad al-Noura in Sudan's Gezira state": a sentence that
    places an event in a place, and that place in a larger one, places the event in
    the larger one too. Only what the same sentence asserts is chained, and the new
    fact cites that sentence (rule ``ev.place.within``)."""
    facts = ctx.facts
    inside: dict[tuple[int, str], list[str]] = {}  # (sentence start, place) -> larger places
    for r in facts.relations:
        if r.predicate == "locatedIn" and r.subject in facts.entities and r.object in facts.entities \
                and facts.entities[r.subject].cls in PLACE_CLASSES and facts.entities[r.object].cls in PLACE_CLASSES:
            inside.setdefault((r.evidence.start, r.subject), []).append(r.object)
    if not inside:
        return
    for r in list(facts.relations):
        if r.predicate != "locatedIn" or r.subject not in facts.events:
            continue
        seen = {r.object}
        todo = list(inside.get((r.evidence.start, r.object), ()))
        while todo:
            place = todo.pop(0)
            if place in seen or place == r.subject:
                continue
            seen.add(place)
            ev = r.evidence
            facts.add_relation(Relation(r.subject, "locatedIn", place, Evidence(ev.sentence, ev.start, ev.end, "ev.place.within")))
            todo += inside.get((ev.start, place), ())


def _event_label(ctx: DocContext, ev: Frame) -> str:
    words = {"Attack": "attack", "Hijacking": "hijacking", "Protest": "protest",
             "SecurityOperation": "security operation", "Invasion": "invasion",
             "Agreement": "agreement", "ArmedConflict": "armed conflict", "Coup": "coup",
             "Death": "death", "Event": "event"}
    parts = [words.get(ev.cls, "event")]
    if ev.places:
        parts.append("in " + ctx.facts.entities[ev.places[0][0]].label)
    if ev.dates:
        parts.append("on " + ev.dates[0][0])
    label = " ".join(parts)
    return label[0].upper() + label[1:]
