"""Scoring a graph against gold annotations (``kg evaluate``, ``kg build --gold``).

The gold format is one JSON object per article::

    {"id": "a1",
     "entities": [{"name": "Baloch Liberation Army", "aliases": ["BLA"], "type": "ArmedGroup"}],
     "facts": [{"s": "Baloch Liberation Army", "p": "claimed", "o": "@Attack"},
               {"s": "@Attack", "p": "occurred-on", "o": "2026-01-31"},
               {"s": "Quetta", "p": "located-in", "o": "Balochistan", "world": true}],
     "casualties": [{"count": 31, "kind": "killed", "victims": ["civilians"],
                     "reported_by": "provincial officials"}],
     "not_asserted": [{"s": "India", "p": "supports", "o": "Baloch Liberation Army"}]}

Names match a node's ``rdfs:label``/``skos:altLabel`` after folding (case,
punctuation, a leading "the", a possessive); ``@Class`` matches any node of that class
or a subclass; a date matches a literal that starts with it (or a coarser date).
Recall counts a fact of article A only where a matching triple has a provenance
statement derived from A's ``kg:Article``; precision is over every core triple of the
graph; ``world`` facts count for precision only. The measures are those of the
project's development-set scorer, so users can measure the tool on their own articles.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, RDFS, Dataset, Literal
from rdflib.namespace import SKOS

from kg.gazetteer import fold
from kg.paths import ontology_dir
from kg.vocab import CORE_RELATIONS

ENTITY_ROOTS = {"Agent", "Place", "Project"}
NOT_ENTITY = {"Event", "CasualtyReport", "Article", "Statement", "Claim"}
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
RDF_FORMATS = {".trig": "trig", ".nq": "nquads", ".ttl": "turtle", ".nt": "nt", ".jsonld": "json-ld",
               ".rdf": "xml", ".owl": "xml"}
CORE_NAMES = set(CORE_RELATIONS.values())


def _local(iri) -> str:
    return re.split(r"[#/]", str(iri).rstrip("/#"))[-1]


def _kebab(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", name).lower()


def _date_ok(gold: str, value: str) -> bool:
    return value.startswith(gold) or (DATE.match(value) is not None and gold.startswith(value))


@dataclass
class GraphIndex:
    """The graph as the measures need it."""

    labels: dict = field(default_factory=lambda: defaultdict(set))
    types: dict = field(default_factory=lambda: defaultdict(set))
    by_relation: dict = field(default_factory=lambda: defaultdict(set))  # name -> {(s, p, o)}
    values: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(set)))  # node -> name -> {o}
    articles: dict = field(default_factory=dict)
    derived: dict = field(default_factory=lambda: defaultdict(set))
    evidenced: set = field(default_factory=set)

    @classmethod
    def from_dataset(cls, ds: Dataset) -> GraphIndex:
        ix = cls()
        triples = set(ds.triples((None, None, None)))
        parents = defaultdict(set)
        prop_labels = defaultdict(set)
        for s, p, o in triples:
            if p in (RDFS.label, SKOS.altLabel, SKOS.prefLabel) and isinstance(o, Literal):
                ix.labels[s].add(fold(o))
            if p == RDFS.subClassOf:
                parents[_local(s)].add(_local(o))
            if p == RDFS.label:
                prop_labels[s].add(str(o).strip().lower())
        for s, p, o in triples:
            if p == RDF.type:
                todo = [_local(o)]
                while todo:
                    c = todo.pop()
                    if c not in ix.types[s]:
                        ix.types[s].add(c)
                        todo.extend(parents[c])
        names = {p: {_kebab(_local(p))} | prop_labels[p] for p in {t[1] for t in triples}}
        for s, p, o in triples:
            for name in names[p]:
                ix.by_relation[name].add((s, p, o))
                ix.values[s][name].add(o)
        for node, t in ix.types.items():
            if "Article" in t:
                ids = {str(v) for v in ix.values[node]["identifier"]} or {_local(node)}
                for i in ids:
                    ix.articles[i] = node
        parts = defaultdict(dict)
        for s, p, o in triples:
            if p in (RDF.subject, RDF.predicate, RDF.object):
                parts[s][p] = o
        for st, d in parts.items():
            if len(d) == 3:
                key = (d[RDF.subject], d[RDF.predicate], d[RDF.object])
                srcs = ix.values[st]["was-derived-from"]
                ix.derived[key] |= srcs
                if srcs and ix.values[st]["evidence"]:
                    ix.evidenced.add(key)
        return ix

    def entity_nodes(self) -> set:
        return {n for n, t in self.types.items() if t & ENTITY_ROOTS and not t & NOT_ENTITY and self.labels.get(n)}

    def reports(self) -> set:
        return {n for n, t in self.types.items() if "CasualtyReport" in t}


@dataclass
class GoldSet:
    articles: list[dict]
    global_names: dict[str, set[str]]
    entities: list[tuple[str, set[str], str]]

    @classmethod
    def load(cls, path: Path) -> GoldSet:
        articles = []
        for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    articles.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise ValueError(f"{path}:{n}: not valid JSON ({e.msg})") from None
        merged: dict[str, list] = {}
        for art in articles:
            art["_names"] = {}
            for e in art.get("entities", []):
                names = {fold(e["name"])} | {fold(a) for a in e.get("aliases", [])}
                for name in names:
                    art["_names"].setdefault(name, names)
                entry = merged.setdefault(fold(e["name"]), [e["name"], set(), e.get("type")])
                entry[1].update(names)
        entities = [(a, b, c) for a, b, c in merged.values()]
        global_names: dict[str, set[str]] = {}
        for _, names, _ in entities:
            for name in names:
                global_names.setdefault(name, names)
        return cls(articles, global_names, entities)

    def names(self, ref: str, article: dict | None) -> set[str]:
        key = fold(ref)
        if article and key in article["_names"]:
            return article["_names"][key]
        return self.global_names.get(key, {key})


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 3) if b else None


def _f1(p: float | None, r: float | None) -> float:
    p, r = p or 0, r or 0
    return round(2 * p * r / (p + r), 3) if p and r else 0.0


def score(ix: GraphIndex, gold: GoldSet) -> dict:
    """Every measure, plus the lists of missed and unmatched facts."""
    cache: dict = {}

    def nodes(ref: str, article: dict | None) -> set:
        key = (ref, article["id"] if article else None)
        if key not in cache:
            if ref.startswith("@"):
                cache[key] = {n for n, t in ix.types.items() if ref[1:] in t}
            else:
                names = gold.names(ref, article)
                cache[key] = {n for n, labels in ix.labels.items() if labels & names}
        return cache[key]

    def matches(fact: dict, triple, article: dict | None) -> bool:
        s, _, o = triple
        if s not in nodes(fact["s"], article):
            return False
        if DATE.match(str(fact["o"])):
            return isinstance(o, Literal) and _date_ok(str(fact["o"]), str(o))
        return o in nodes(fact["o"], article)

    out: dict = {"articles_missing": [a["id"] for a in gold.articles if a["id"] not in ix.articles]}
    found = typed = 0
    for _, names, etype in gold.entities:
        hits = {n for n, labels in ix.labels.items() if labels & names}
        found += bool(hits)
        typed += any(etype in ix.types[n] for n in hits)
    all_names = set().union(*(e[1] for e in gold.entities)) if gold.entities else set()
    ents = ix.entity_nodes()
    out["entity_recall"] = _ratio(found, len(gold.entities))
    out["entity_typed_recall"] = _ratio(typed, len(gold.entities))
    out["entity_precision"] = _ratio(sum(bool(ix.labels[n] & all_names) for n in ents), len(ents))

    stated = [(a, f) for a in gold.articles for f in a.get("facts", []) if not f.get("world")]
    missed = []
    for a, f in stated:
        node = ix.articles.get(a["id"])
        if not any(node in ix.derived.get(t, ()) and matches(f, t, a) for t in ix.by_relation[f["p"]]):
            missed.append(f"{a['id']}: {f['s']} {f['p']} {f['o']}")
    out["fact_recall"] = _ratio(len(stated) - len(missed), len(stated))
    core = [t for name in CORE_NAMES for t in ix.by_relation[name]]
    wrong = []
    for t in core:
        name = _kebab(_local(t[1]))
        if not any(f["p"] == name and matches(f, t, a) for a in gold.articles for f in a.get("facts", [])):
            wrong.append(t)
    out["fact_precision"] = _ratio(len(core) - len(wrong), len(core))
    out["fact_f1"] = _f1(out["fact_precision"], out["fact_recall"])

    reports = ix.reports()

    def figure(rep, c: dict) -> bool:
        counts = {int(str(v)) for v in ix.values[rep]["casualty-count"] if str(v).strip().isdigit()}
        if c["count"] not in counts:
            return False
        kinds = {fold(v) for v in ix.values[rep]["casualty-kind"]}
        if c.get("kind") and not any(fold(c["kind"]) in k for k in kinds):
            return False
        victims = c.get("victims") or []
        victims = [fold(v) for v in ([victims] if isinstance(victims, str) else victims)]
        groups = set()
        for v in ix.values[rep]["victim-group"]:
            groups |= ix.labels.get(v, set()) | ({fold(v)} if isinstance(v, Literal) else set())
        return not victims or any(v in g or g in v for v in victims for g in groups if g)

    hits = attributed = total = 0
    for a in gold.articles:
        node = ix.articles.get(a["id"])
        for c in a.get("casualties", []):
            total += 1
            cands = {r for r in reports if node in ix.values[r]["was-derived-from"] and figure(r, c)}
            hits += bool(cands)
            if c.get("reported_by"):
                names = gold.names(c["reported_by"], a)
                attributed += any(ix.labels.get(src, set()) & names for r in cands for src in ix.values[r]["reported-by"])
            else:
                attributed += bool(cands)
    figures = [c for a in gold.articles for c in a.get("casualties", [])]
    out["casualty_recall"] = _ratio(hits, total)
    out["casualty_attributed_recall"] = _ratio(attributed, total)
    out["casualty_precision"] = _ratio(sum(any(figure(r, c) for c in figures) for r in reports), len(reports))
    out["false_assertions"] = [f"{a['id']}: {f['s']} {f['p']} {f['o']}" for a in gold.articles
                               for f in a.get("not_asserted", [])
                               if any(matches(f, t, a) for t in ix.by_relation[f["p"]])]
    between = [t for t in core if not isinstance(t[0], Literal)]
    out["provenance_coverage"] = _ratio(sum(t in ix.evidenced for t in between), len(between))
    out["facts_missed"] = missed
    out["facts_out"] = len(core)
    out["entities_out"] = len(ents)
    out["casualties_out"] = len(reports)
    return out


def evaluate_paths(graph: Path, gold: Path, ontology: Path | None = None) -> dict:
    """Score the RDF file ``graph`` against the gold JSONL file ``gold``."""
    graph = Path(graph)
    ds = Dataset(default_union=True)
    fmt = RDF_FORMATS.get(graph.suffix.lower())
    if fmt is None:
        raise ValueError(f"{graph}: unknown RDF file type {graph.suffix!r}")
    ds.parse(graph, format=fmt)
    ds.parse(Path(ontology) if ontology else ontology_dir() / "kg.ttl", format="turtle")
    return score(GraphIndex.from_dataset(ds), GoldSet.load(gold))


HEADLINE = ("fact_f1", "fact_precision", "fact_recall", "entity_recall", "entity_typed_recall",
            "entity_precision", "casualty_recall", "casualty_attributed_recall", "casualty_precision",
            "provenance_coverage")


def print_scores(result: dict, console) -> None:
    """A table of the measures (rich console)."""
    from rich.table import Table

    table = Table(title="evaluation", header_style="bold")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key in HEADLINE:
        value = result.get(key)
        table.add_row(key, "-" if value is None else f"{value:.3f}")
    table.add_row("false_assertions", str(len(result["false_assertions"])))
    table.add_row("facts missed", str(len(result["facts_missed"])))
    console.print(table)
