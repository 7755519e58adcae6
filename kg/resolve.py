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

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from kg.gazetteer import fold as _fold
from kg.model import ArticleFacts, CasualtyReport, Claim, Entity, Relation

fold = lru_cache(maxsize=1 << 16)(_fold)  # names recur in every article

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

    def _target(self, row: EntityRow) -> str:
        key, label, cls, generic, aliases = row
        if key.startswith("g:") or key in self.known:
            return key
        for form in (label, *aliases):
            other_key = self.aliases.get(fold(form))
            if other_key and other_key != key:
                other = self.known[other_key]
                if other.generic == generic and ROOT.get(other.cls) == ROOT.get(cls) and fold(form) == fold(label):
                    return other_key
        return key

    def resolve(self, facts: ArticleFacts) -> ArticleFacts:
        """Rename entity keys to their canonical keys and unify labels and classes."""
        mapping = self.resolve_entities(facts)
        return apply_mapping(facts, mapping)

    def resolve_table(self, table: Iterable[EntityRow]) -> Resolution:
        """Resolve one article's :func:`entity_table` (in input order: this updates
        the corpus state) and return its :class:`Resolution`.

        The resolution of an article depends on its table and on what earlier
        articles made known; it holds all of it (the key mapping and the label, class
        and genericity each canonical key was first given), so :func:`resolved` can
        apply it to the article's facts later, and its :meth:`Resolution.signature`
        tells whether a cached resolved form of the article is still valid.
        """
        mapping: dict[str, str] = {}
        known: dict[str, Known] = {}
        for row in table:
            key = self._target(row)
            mapping[row[0]] = key
            entry = self.known.get(key)
            if entry is None:
                entry = self.known[key] = Known(row[1], row[2], row[3])
            known[key] = entry
            for a in (row[1], *row[4]):
                self.aliases.setdefault(fold(a), key)
        return Resolution(mapping, known)

    def resolve_entities(self, facts: ArticleFacts) -> dict[str, str]:
        """The entity half of :meth:`resolve`: replace ``facts.entities`` with the
        canonical entities and return the key mapping (old key -> canonical key) that
        :func:`apply_mapping` applies to the rest of the facts. Splitting the two lets a
        distributed build resolve entity tables in one place and rename the (larger)
        facts where they are."""
        res = self.resolve_table(entity_table(facts))
        facts.entities = merged_entities(facts, res)
        return res.mapping


EntityRow = tuple[str, str, str, bool, tuple[str, ...]]  # key, label, class, generic, sorted aliases


def entity_table(facts: ArticleFacts) -> tuple[EntityRow, ...]:
    """What resolution needs of an article's entities, in order: key, label, class,
    genericity and (sorted) aliases. Small and picklable, so a build cache can keep it
    beside an article's resolved RDF.

    >>> from kg.model import Article
    >>> f = ArticleFacts(article=Article(id="a", text="."),
    ...                  entities={"n:tef": Entity("n:tef", "TEF", "ArmedGroup", aliases={"T.E.F."})})
    >>> entity_table(f)
    (('n:tef', 'TEF', 'ArmedGroup', False, ('T.E.F.',)),)
    """
    return tuple((e.key, e.label, e.cls, e.generic, tuple(sorted(e.aliases))) for e in facts.entities.values())


@dataclass
class Resolution:
    """How one article's entities resolve: ``mapping`` (article key -> canonical key)
    and ``known`` (canonical key -> the label, class and genericity it keeps)."""

    mapping: dict[str, str]
    known: dict[str, Known]

    def signature(self, salt: str = "") -> str:
        """A digest of the resolution (everything resolution changes in an article).

        >>> r = Resolution({"n:a": "n:a"}, {"n:a": Known("A", "City", False)})
        >>> r.signature() == Resolution(dict(r.mapping), dict(r.known)).signature()
        True
        >>> r.signature() == Resolution({"n:a": "n:a"}, {"n:a": Known("A", "Region", False)}).signature()
        False
        """
        h = hashlib.sha256(salt.encode("utf-8"))
        for old, new in self.mapping.items():
            k = self.known[new]
            h.update("\x1f".join((old, new, k.label, k.cls, "1" if k.generic else "0")).encode("utf-8"))
            h.update(b"\x1e")
        return h.hexdigest()


def merged_entities(facts: ArticleFacts, res: Resolution) -> dict[str, Entity]:
    """The canonical entities of an article under ``res``: one per canonical key, with
    the label and class it keeps, the other names as aliases and all mentions."""
    merged: dict[str, Entity] = {}
    for ent in facts.entities.values():
        key = res.mapping[ent.key]
        known = res.known[key]
        target = merged.get(key)
        if target is None:
            target = merged[key] = Entity(key=key, label=known.label, cls=known.cls, aliases=set(),
                                          gazetteer_id=ent.gazetteer_id, wikidata=ent.wikidata,
                                          generic=known.generic, lat=ent.lat, lon=ent.lon)
        target.aliases |= {a for a in ent.aliases | {ent.label} if a != known.label}
        target.mentions.extend(ent.mentions)
    return merged


def resolved(facts: ArticleFacts, res: Resolution) -> ArticleFacts:
    """``facts`` (modified in place) with the entities, relations, claims and reports
    renamed and unified under ``res`` (see :meth:`Resolver.resolve_table`)."""
    facts.entities = merged_entities(facts, res)
    return apply_mapping(facts, res.mapping)


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
