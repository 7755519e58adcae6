"""The small dataclasses that flow between the stages of a build.

``ingest`` makes :class:`Article` objects, ``extract`` turns each into an
:class:`ArticleFacts`, ``resolve`` gives every entity its canonical key, and ``rdf``
turns the facts into triples. Nothing here imports spaCy or rdflib.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Casualty kinds the extractor and the ontology know.
CASUALTY_KINDS = ("killed", "injured", "abducted", "freed", "arrested", "displaced", "missing")

# Asserted relation status vs. statements a source makes that the article does not assert.
ASSERTED = "asserted"
CLAIM_STATUSES = ("alleged", "denied", "claimed", "reported", "negated", "hedged")


@dataclass(frozen=True)
class Article:
    """One input article.

    ``text`` is the body; ``title`` (when known) is processed like the body. ``origin``
    names the file (and line, for JSONL) the article came from, for error messages.
    """

    id: str
    text: str
    title: str | None = None
    date: str | None = None  # ISO 8601 date (YYYY-MM-DD) when known
    source: str | None = None
    url: str | None = None
    dateline: str | None = None  # "TEHRAN" in "TEHRAN – ..."
    origin: str | None = None

    @property
    def document(self) -> str:
        """The text the NLP stage reads: the title (if any) then the body.

        Character offsets in provenance refer to this string.
        """
        return f"{self.title}\n\n{self.text}" if self.title else self.text

    @property
    def word_count(self) -> int:
        return len(self.document.split())


@dataclass(frozen=True)
class Evidence:
    """Where a fact comes from: the sentence, its offsets in ``Article.document`` and
    the id of the rule that produced the fact."""

    sentence: str
    start: int
    end: int
    rule: str


@dataclass
class Entity:
    """An entity as seen in one article.

    ``key`` is local to the article until :mod:`kg.resolve` replaces it with the
    canonical key shared across articles. ``gazetteer_id`` is set when the entity is a
    known gazetteer entry.
    """

    key: str
    label: str
    cls: str
    aliases: set[str] = field(default_factory=set)
    gazetteer_id: str | None = None
    wikidata: str | None = None
    generic: bool = False  # "police stations", "civilians": a category, not a name
    mentions: list[tuple[int, int]] = field(default_factory=list)  # char offsets
    lat: float | None = None
    lon: float | None = None


@dataclass
class Event:
    """An event frame: class, trigger words and where it was first seen."""

    key: str
    cls: str
    label: str
    triggers: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(frozen=True)
class Relation:
    """``subject predicate object`` where subject/object are entity or event keys, or
    (for ``occurredOn``) the object is an ISO date string with ``datatype`` set."""

    subject: str
    predicate: str
    object: str
    evidence: Evidence
    datatype: str | None = None  # "date", "gYearMonth", "gYear" for literal objects


@dataclass(frozen=True)
class Claim:
    """A statement a source makes (or denies) that the article does not assert.

    It is kept as an attributed statement: ``claimant`` says ``subject predicate
    object`` with ``status`` (alleged, denied, claimed, reported, negated, hedged).
    ``denied_by`` names who rejects it, when the text says so.
    """

    subject: str
    predicate: str
    object: str
    status: str
    evidence: Evidence
    claimant: str | None = None
    denied_by: str | None = None


@dataclass(frozen=True)
class CasualtyReport:
    """One reported figure from one source."""

    count: int
    kind: str
    evidence: Evidence
    victims: str | None = None  # the victim group as written ("civilians")
    victim_key: str | None = None  # the Group entity for it, when there is one
    event: str | None = None
    source: str | None = None  # entity key of the source
    qualifier: str | None = None  # "at least", "more than", "up to", "about"


@dataclass
class ArticleFacts:
    """Everything extraction found in one article."""

    article: Article
    entities: dict[str, Entity] = field(default_factory=dict)
    events: dict[str, Event] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    reports: list[CasualtyReport] = field(default_factory=list)
    dateline_place: str | None = None  # entity key

    def add_relation(self, rel: Relation) -> None:
        if all((r.subject, r.predicate, r.object) != (rel.subject, rel.predicate, rel.object)
               or r.evidence.start != rel.evidence.start for r in self.relations):
            self.relations.append(rel)
