"""The kg vocabulary as an rdflib ``DefinedNamespace``.

A misspelt term (``KG.Atack``) fails at attribute access, not silently in a query.
``tests/test_ontology.py`` checks that every term here is defined in
``ontology/kg.ttl`` and the other way round.
"""
from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

KG_NS = "https://w3id.org/kg-news/ontology#"
ID_NS = "https://w3id.org/kg-news/id/"
GEO = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
WD = Namespace("http://www.wikidata.org/entity/")


class KG(DefinedNamespace):
    """Classes and properties of the kg ontology (``ontology/kg.ttl``)."""

    _NS = Namespace(KG_NS)
    _fail = True

    # --- classes: agents
    Agent: URIRef
    Person: URIRef
    Organization: URIRef
    ArmedGroup: URIRef
    GovernmentBody: URIRef
    SecurityForce: URIRef
    MediaOrganization: URIRef
    InternationalOrganization: URIRef
    Company: URIRef
    Group: URIRef
    # --- classes: places
    Place: URIRef
    Country: URIRef
    Region: URIRef
    City: URIRef
    Facility: URIRef
    Vehicle: URIRef
    WaterBody: URIRef
    # --- classes: events
    Event: URIRef
    Attack: URIRef
    Hijacking: URIRef
    Protest: URIRef
    SecurityOperation: URIRef
    Invasion: URIRef
    Agreement: URIRef
    ArmedConflict: URIRef
    Coup: URIRef
    Death: URIRef
    # --- other classes
    Project: URIRef
    CasualtyReport: URIRef
    Article: URIRef
    Claim: URIRef

    # --- core relations (vocabulary.md)
    claimed: URIRef
    carriedOut: URIRef
    targeted: URIRef
    locatedIn: URIRef
    occurredOn: URIRef
    links: URIRef
    partOf: URIRef
    borders: URIRef
    condemned: URIRef
    accused: URIRef
    supports: URIRef
    memberOf: URIRef
    leaderOf: URIRef
    participatedIn: URIRef
    partnerOf: URIRef
    # --- casualty reports
    reportOf: URIRef
    hasReport: URIRef
    reportedBy: URIRef
    casualtyCount: URIRef
    casualtyKind: URIRef
    victimGroup: URIRef
    victim: URIRef
    countQualifier: URIRef
    # --- claims (attributed statements)
    claimedBy: URIRef
    claimStatus: URIRef
    deniedBy: URIRef
    # --- provenance and metadata
    evidence: URIRef
    rule: URIRef
    charStart: URIRef
    charEnd: URIRef
    mentions: URIRef
    trigger: URIRef
    dateline: URIRef
    datelinePlace: URIRef
    sourceUrl: URIRef
    wordCount: URIRef
    generic: URIRef


# Local names of the core relations and their kebab-case labels (the contract).
CORE_RELATIONS = {
    "claimed": "claimed", "carriedOut": "carried-out", "targeted": "targeted",
    "locatedIn": "located-in", "occurredOn": "occurred-on", "links": "links",
    "partOf": "part-of", "borders": "borders", "condemned": "condemned", "accused": "accused",
    "supports": "supports", "memberOf": "member-of", "leaderOf": "leader-of",
    "participatedIn": "participated-in", "partnerOf": "partner-of",
}

EVENT_CLASSES = ("Event", "Attack", "Hijacking", "Protest", "SecurityOperation", "Invasion",
                 "Agreement", "ArmedConflict", "Coup", "Death")


def id_iri(*parts: str) -> URIRef:
    """An IRI in the project's id space; parts must already be IRI-safe."""
    return URIRef(ID_NS + "/".join(parts))
