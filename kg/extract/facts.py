"""Extraction of one parsed article: :func:`extract_facts` runs the rule families."""
from __future__ import annotations

from spacy.tokens import Doc

from kg.extract.casualties import link_reports
from kg.extract.context import DocContext
from kg.extract.events import assemble_events, detect_frames, emit_events, place_events_within, target_lists
from kg.extract.relations import (adjacent_place_relations, event_relations, hyphen_relations, neighbour_relations, pattern_relations,
                                  role_relations, route_relations, shared_border_relations)
from kg.extract.rules import Rules, load_rules
from kg.gazetteer import Gazetteer
from kg.model import Article, ArticleFacts


def extract_facts(doc: Doc, article: Article, gaz: Gazetteer, rules: Rules | None = None) -> ArticleFacts:
    """Everything the rules find in one parsed article."""
    ctx = DocContext(doc, article, gaz, rules or load_rules())
    role_relations(ctx)
    frames = detect_frames(ctx)
    target_lists(ctx, frames)
    events, members = assemble_events(ctx, frames)
    pattern_relations(ctx)
    adjacent_place_relations(ctx)
    hyphen_relations(ctx)
    route_relations(ctx)
    neighbour_relations(ctx)
    shared_border_relations(ctx)
    keep = event_relations(ctx, frames)
    keep |= link_reports(ctx, frames)
    emit_events(ctx, events, members, keep)
    place_events_within(ctx)
    _drop_dangling(ctx)
    _drop_idle_generic_places(ctx)
    _drop_idle_generic_entities(ctx)
    if article.dateline:
        entry = gaz.lookup(article.dateline, {"City", "Region", "Country"})
        if entry:
            ctx.facts.dateline_place = ctx.gaz_entity(entry, article.dateline).key
    return ctx.facts


def _drop_idle_generic_places(ctx: DocContext) -> None:
    """"A hospital in Tehran": where an unnamed facility is only matters when
    something happened to or at it. Keep located-in for generic facilities that are an
    event's target or place."""
    facts = ctx.facts
    used = {r.object for r in [*facts.relations, *facts.claims]
            if r.subject.startswith("e:") and r.predicate in ("targeted", "locatedIn")}
    facts.relations = [r for r in facts.relations
                       if not (r.predicate == "locatedIn" and r.subject in facts.entities
                               and facts.entities[r.subject].generic and r.subject not in used)]


def _drop_idle_generic_entities(ctx: DocContext) -> None:
    """Unnamed entities ("homes", "the building") are made when a rule asks what a noun
    stands for; those no fact, claim or figure refers to in the end are not kept, unless
    a name qualifies them ("the U.S. embassy", "Chinese nationals"): the article still
    mentions those."""
    facts = ctx.facts
    used = {k for r in facts.relations for k in (r.subject, r.object)}
    used |= {k for c in facts.claims for k in (c.subject, c.object, c.claimant, c.denied_by)}
    used |= {k for r in facts.reports for k in (r.source, r.victim_key)}
    for key in [k for k, e in facts.entities.items() if e.generic and k not in used and e.label == e.label.lower()]:
        del facts.entities[key]


def _drop_dangling(ctx: DocContext) -> None:
    """Relations, claims and reports that point at events that were not kept."""
    facts = ctx.facts
    known = set(facts.entities) | set(facts.events)

    def ok(key: str | None) -> bool:
        return key is None or key in known

    facts.relations = [r for r in facts.relations if ok(r.subject) and (r.datatype or ok(r.object))]
    facts.claims = [c for c in facts.claims if ok(c.subject) and ok(c.object) and ok(c.claimant) and ok(c.denied_by)]
    facts.reports = [r if ok(r.event) else type(r)(**{**r.__dict__, "event": None}) for r in facts.reports]
