"""Canonical entities across articles.

Extraction already gives every entity a canonical key (``g:<gazetteer id>`` or
``n:<folded name>``), so the same name is the same entity in every article. The
:class:`Resolver` adds what needs the whole corpus, in input order:

* an alias defined in one article ("Tehreek-e-Foo (TEF)") resolves a bare mention in a
  later one ("TEF") to the same entity, when the classes agree;
* an entity keeps the label and class it was first given, so the merged graph has
  exactly one ``rdfs:label`` and one type per entity;
* generic mentions ("police stations") never absorb named entities and the other way
  round, and two names that merely share a word stay apart.

The resolver can be seeded from an existing store (incremental builds), through
:meth:`Resolver.seed`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from kg.gazetteer import fold
from kg.model import ArticleFacts, CasualtyReport, Claim, Entity, Relation

ROOT = {"Person": "Agent", "Organization": "Agent", "Group": "Agent", "ArmedGroup": "Agent",
        "GovernmentBody": "Agent", "SecurityForce": "Agent", "MediaOrganization": "Agent",
        "InternationalOrganization": "Agent", "Company": "Agent", "Agent": "Agent",
        "Country": "Place", "Region": "Place", "City": "Place", "Facility": "Place", "Vehicle": "Place",
        "WaterBody": "Place", "Place": "Place", "Project": "Project"}


@dataclass
class Known:
    label: str
    cls: str
    generic: bool


@dataclass
class Resolver:
    """Entity identity across the articles of one build (or store)."""

    known: dict[str, Known] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # folded alias -> key

    def seed(self, key: str, label: str, cls: str, aliases: tuple[str, ...] = (), generic: bool = False) -> None:
        """Make an entity known (from a store) before resolving new articles."""
        self.known.setdefault(key, Known(label, cls, generic))
        for a in (label, *aliases):
            self.aliases.setdefault(fold(a), key)

    def _target(self, ent: Entity) -> str:
        if ent.key.startswith("g:") or ent.key in self.known:
            return ent.key
        for form in (ent.label, *sorted(ent.aliases)):
            key = self.aliases.get(fold(form))
            if key and key != ent.key:
                other = self.known[key]
                if other.generic == ent.generic and ROOT.get(other.cls) == ROOT.get(ent.cls) and fold(form) == fold(ent.label):
                    return key
        return ent.key

    def resolve(self, facts: ArticleFacts) -> ArticleFacts:
        """Rename entity keys to their canonical keys and unify labels and classes."""
        mapping = self.resolve_entities(facts)
        return apply_mapping(facts, mapping)

    def resolve_entities(self, facts: ArticleFacts) -> dict[str, str]:
        """The entity half of :meth:`resolve`: replace ``facts.entities`` with the
        canonical entities and return the key mapping (old key -> canonical key) that
        :func:`apply_mapping` applies to the rest of the facts. Splitting the two lets a
        distributed build resolve entity tables in one place and rename the (larger)
        facts where they are."""
        mapping: dict[str, str] = {}
        merged: dict[str, Entity] = {}
        for ent in facts.entities.values():
            key = self._target(ent)
            mapping[ent.key] = key
            known = self.known.get(key)
            if known is None:
                known = self.known[key] = Known(ent.label, ent.cls, ent.generic)
            target = merged.get(key)
            if target is None:
                target = merged[key] = Entity(key=key, label=known.label, cls=known.cls, aliases=set(),
                                              gazetteer_id=ent.gazetteer_id, wikidata=ent.wikidata,
                                              generic=known.generic, lat=ent.lat, lon=ent.lon)
            target.aliases |= {a for a in ent.aliases | {ent.label} if a != known.label}
            target.mentions.extend(ent.mentions)
            for a in (ent.label, *ent.aliases):
                self.aliases.setdefault(fold(a), key)
        facts.entities = merged
        return mapping


def apply_mapping(facts: ArticleFacts, mapping: dict[str, str]) -> ArticleFacts:
    """Rename the entity keys of relations, claims, reports and the dateline place
    (see :meth:`Resolver.resolve_entities`)."""
    if all(k == v for k, v in mapping.items()):
        return facts

    def m(key: str | None) -> str | None:
        return mapping.get(key, key) if key else key

    facts.relations = [Relation(m(r.subject), r.predicate, r.object if r.datatype else m(r.object),
                                r.evidence, r.datatype) for r in facts.relations]
    facts.claims = [Claim(m(c.subject), c.predicate, m(c.object), c.status, c.evidence,
                          m(c.claimant), m(c.denied_by)) for c in facts.claims]
    facts.reports = [CasualtyReport(**{**r.__dict__, "source": m(r.source), "victim_key": m(r.victim_key)})
                     for r in facts.reports]
    facts.dateline_place = m(facts.dateline_place)
    return facts
