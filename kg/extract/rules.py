"""Loading and validating the rule files in ``kg/rules`` (YAML).

Rules are data: word lists, trigger lexicons and dependency patterns, each with an id
that provenance records. A malformed file fails on load with a message naming the
file and the problem.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from kg.paths import rules_dir

RELATION_PREDICATES = {"claimed", "carriedOut", "targeted", "locatedIn", "links", "partOf",
                       "borders", "condemned", "accused", "supports", "memberOf", "leaderOf",
                       "participatedIn", "partnerOf"}
ENTITY_CLASSES = {"Agent", "Person", "Organization", "ArmedGroup", "GovernmentBody",
                  "SecurityForce", "MediaOrganization", "InternationalOrganization", "Company",
                  "Group", "Place", "Country", "Region", "City", "Facility", "Vehicle",
                  "WaterBody", "Project"}


class RuleError(ValueError):
    """A malformed rule file."""


# libyaml's safe loader when PyYAML has it (six times faster on the rule files); the
# same safe subset of YAML either way
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load(path: Path) -> dict:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as e:
        raise RuleError(f"{path}: not valid YAML ({e})") from None
    if not isinstance(data, dict) or data.get("version") != 1:
        raise RuleError(f"{path}: expected a mapping with 'version: 1'")
    return data


def _words(path: Path, where: str, value) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
        raise RuleError(f"{path}: {where} must be a list of strings")
    return frozenset(w.lower() for w in value)


def _need(path: Path, obj: dict, keys: tuple[str, ...], where: str) -> None:
    missing = [k for k in keys if k not in obj]
    if missing:
        raise RuleError(f"{path}: {where} lacks {', '.join(missing)}")


@dataclass(frozen=True)
class Trigger:
    id: str
    cls: str
    nouns: frozenset[str]
    verbs: frozenset[str]


@dataclass(frozen=True)
class DepRule:
    """A dependency pattern (spaCy DependencyMatcher syntax) for one relation."""

    id: str
    predicate: str
    pattern: list[dict]
    subject: str
    object: str
    subject_classes: frozenset[str] = frozenset()
    object_classes: frozenset[str] = frozenset()
    symmetric: bool = False
    inverse: bool = False
    check: str | None = None  # a named extra check ("place_hierarchy", ...)


@dataclass
class Rules:
    """Every rule file, loaded and validated."""

    lexicon: dict = field(default_factory=dict)
    triggers: list[Trigger] = field(default_factory=list)
    events: dict = field(default_factory=dict)
    casualties: dict = field(default_factory=dict)
    attribution: dict = field(default_factory=dict)
    relations: list[DepRule] = field(default_factory=list)
    # derived look-ups
    noun_trigger: dict[str, Trigger] = field(default_factory=dict)
    verb_trigger: dict[str, Trigger] = field(default_factory=dict)
    kind_of_verb: dict[str, tuple[str, str]] = field(default_factory=dict)
    kind_of_noun: dict[str, tuple[str, str]] = field(default_factory=dict)
    kind_of_adj: dict[str, tuple[str, str]] = field(default_factory=dict)
    generic_class: dict[str, str] = field(default_factory=dict)
    words: dict[str, frozenset[str]] = field(default_factory=dict)


# verbs that open an attack when their object is a city or region ("the M23 has taken Goma")
TAKING_VERBS = frozenset({"take", "capture", "seize", "overrun", "storm"})


@cache
def load_rules(folder: Path | None = None) -> Rules:
    """Load every rule file from ``folder`` (default: the package's ``kg/rules``)."""
    folder = Path(folder) if folder else rules_dir()
    r = Rules()
    p = folder / "lexicon.yaml"
    r.lexicon = lex = _load(p)
    for key in ("org_name_keywords", "descriptor_classes", "institutions", "regional_institutions"):
        for item in lex.get(key, []):
            _need(p, item, ("id", "class"), f"{key} entry {item!r}")
            if item["class"] not in ENTITY_CLASSES:
                raise RuleError(f"{p}: {key} entry {item['id']}: unknown class {item['class']!r}")
    for cls, words in lex.get("generic_heads", {}).items():
        if cls not in ENTITY_CLASSES:
            raise RuleError(f"{p}: generic_heads: unknown class {cls!r}")
        for w in _words(p, f"generic_heads.{cls}", words):
            r.generic_class.setdefault(w, cls)
    for key in ("generic_drop_modifiers", "region_words", "city_words", "water_words"):
        r.words[key] = _words(p, key, lex.get(key, []))
    roles = lex.get("roles", {})
    r.words["leader_roles"] = _words(p, "roles.leader", roles.get("leader", []))
    r.words["member_roles"] = _words(p, "roles.member", roles.get("member", []))

    p = folder / "events.yaml"
    r.events = ev = _load(p)
    for t in ev.get("triggers", []):
        _need(p, t, ("id", "class"), f"trigger {t!r}")
        trig = Trigger(t["id"], t["class"], _words(p, f"{t['id']}.nouns", t.get("nouns", [])),
                       _words(p, f"{t['id']}.verbs", t.get("verbs", [])))
        r.triggers.append(trig)
        for n in trig.nouns:
            r.noun_trigger.setdefault(n, trig)
        for v in trig.verbs:
            r.verb_trigger.setdefault(v, trig)
    state = ev.get("state_actor_classes", [])
    if not isinstance(state, list) or set(state) - ENTITY_CLASSES:
        raise RuleError(f"{p}: state_actor_classes must be a list of entity classes")
    r.words["state_actor_classes"] = frozenset(state)
    for key in ("perpetration_verbs", "anaphoric_determiners",
                "new_event_modifiers", "skip_noun_modifiers", "weapon_verbs", "weapons", "force_verbs", "force_nouns",
                "killing_verbs"):
        r.words[key] = _words(p, key, ev.get(key, []))
    # the words a token needs, as a lemma or lower-case form, for ``trigger_of`` to look
    # further (a verb trigger, a verb that takes a weapon, force or place as its object;
    # a noun trigger or the head word of a two-word one): other tokens are no trigger
    r.words["trigger_verb_openers"] = frozenset(v.split()[0] for v in r.verb_trigger) | r.words["weapon_verbs"] | \
        r.words["force_verbs"] | r.words["killing_verbs"] | TAKING_VERBS
    r.words["trigger_noun_openers"] = frozenset(r.noun_trigger) | {n.split()[-1] for n in r.noun_trigger} | r.words["weapons"]

    p = folder / "casualties.yaml"
    r.casualties = cas = _load(p)
    for k in cas.get("kinds", []):
        _need(p, k, ("id", "kind"), f"kind {k!r}")
        for v in _words(p, f"{k['id']}.verbs", k.get("verbs", [])):
            r.kind_of_verb.setdefault(v, (k["kind"], k["id"]))
        for n in _words(p, f"{k['id']}.nouns", k.get("nouns", [])):
            r.kind_of_noun.setdefault(n, (k["kind"], k["id"]))
        for a in _words(p, f"{k['id']}.adjectives", k.get("adjectives", [])):
            r.kind_of_adj.setdefault(a, (k["kind"], k["id"]))
    r.words["not_victims"] = _words(p, "not_victims", cas.get("not_victims", []))
    if not isinstance(cas.get("qualifiers", {}), dict):
        raise RuleError(f"{p}: qualifiers must be a mapping")

    p = folder / "attribution.yaml"
    r.attribution = att = _load(p)
    for key, value in att.items():
        if key != "version":
            r.words[key] = _words(p, key, value)

    p = folder / "relations.yaml"
    rel = _load(p)
    ids = set()
    for item in rel.get("patterns", []):
        _need(p, item, ("id", "predicate", "pattern", "subject", "object"), f"pattern {item.get('id')!r}")
        if item["id"] in ids:
            raise RuleError(f"{p}: duplicate rule id {item['id']!r}")
        ids.add(item["id"])
        if item["predicate"] not in RELATION_PREDICATES:
            raise RuleError(f"{p}: {item['id']}: unknown predicate {item['predicate']!r}")
        names = {n.get("RIGHT_ID") for n in item["pattern"]}
        for role in ("subject", "object"):
            if item[role] not in names:
                raise RuleError(f"{p}: {item['id']}: {role} {item[role]!r} is not a node of the pattern")
        for key in ("subject_classes", "object_classes"):
            bad = set(item.get(key, [])) - ENTITY_CLASSES
            if bad:
                raise RuleError(f"{p}: {item['id']}: unknown class(es) {sorted(bad)}")
        r.relations.append(DepRule(
            id=item["id"], predicate=item["predicate"], pattern=item["pattern"],
            subject=item["subject"], object=item["object"],
            subject_classes=frozenset(item.get("subject_classes", [])),
            object_classes=frozenset(item.get("object_classes", [])),
            symmetric=bool(item.get("symmetric", False)), check=item.get("check")))
    return r
