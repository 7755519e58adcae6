"""``kg build``: articles in, graph files out.

Stages, each timed: ingest → NLP → extraction → resolution → RDF → outputs
(TriG dataset, merged Turtle, GraphML, HTML view, ``report.json``) → validation.
Outputs are staged in a temporary folder and moved into ``OUT/`` only when the whole
build has succeeded, so a failed build leaves the previous outputs as they were.
"""
from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kg.atomic import staging
from kg.ingest import InputProblem, read_articles, sample_corpus
from kg.model import Article

OUTPUT_FILES = ("graph.trig", "graph.ttl", "graph.graphml", "graph.html", "report.json")


class BuildError(RuntimeError):
    """A build that cannot produce outputs (one-line message)."""


@dataclass
class BuildOptions:
    split: str = "auto"
    jobs: int = 1
    on_error: str = "skip"  # or "fail"
    validate: bool = True
    strict: bool = False
    html: bool = True
    gazetteer_extra: tuple[Path, ...] = ()
    store_dir: Path | None = None  # also keep the dataset in this kg store (kg.store)


@dataclass
class BuildResult:
    out_dir: Path
    articles: int = 0
    words: int = 0
    entities_by_class: Counter = field(default_factory=Counter)
    events_by_class: Counter = field(default_factory=Counter)
    relations_by_property: Counter = field(default_factory=Counter)
    casualty_reports: int = 0
    claims: int = 0
    triples: int = 0
    problems: list[InputProblem] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    validation: dict | None = None

    @property
    def entities(self) -> int:
        return sum(self.entities_by_class.values())

    def to_json(self) -> dict:
        return {
            "articles": self.articles,
            "words": self.words,
            "entities": self.entities,
            "entities_by_class": dict(sorted(self.entities_by_class.items())),
            "events_by_class": dict(sorted(self.events_by_class.items())),
            "relations": sum(self.relations_by_property.values()),
            "relations_by_property": dict(sorted(self.relations_by_property.items())),
            "casualty_reports": self.casualty_reports,
            "claims": self.claims,
            "triples": self.triples,
            "problems": [{"file": p.path, "line": p.line, "reason": p.reason} for p in self.problems],
            "skipped": len(self.problems),
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
            "time_s": round(sum(self.timings.values()), 3),
            "validation": self.validation,
            "outputs": list(OUTPUT_FILES),
        }


class _Timer:
    def __init__(self, timings: dict[str, float]):
        self.timings = timings

    def add(self, stage: str, seconds: float) -> None:
        self.timings[stage] = self.timings.get(stage, 0.0) + seconds


def load_articles(inputs: Iterable[Path], options: BuildOptions, result: BuildResult) -> list[Article]:
    """Read every input (the bundled samples when none is given)."""
    inputs = list(inputs) or [sample_corpus()]

    def report(p: InputProblem) -> None:
        if options.on_error == "fail":
            raise BuildError(str(p))
        result.problems.append(p)

    try:
        articles = list(read_articles(inputs, split=options.split, report=report))
    except InputProblem as p:  # a missing input path
        raise BuildError(str(p)) from None
    if not articles:
        raise BuildError("no usable article in the input" + (
            f" ({len(result.problems)} problem(s): {result.problems[0]})" if result.problems else ""))
    return articles


def build(inputs: Iterable[Path], out_dir: Path, options: BuildOptions | None = None,
          progress: Callable[[int, int], None] | None = None) -> BuildResult:
    """Build the graph of ``inputs`` into ``out_dir``; see the module docstring."""
    from kg.extract import extract_facts, load_rules
    from kg.gazetteer import load_gazetteer
    from kg.nlp import build_pipeline
    from kg.output import GraphWriter
    from kg.resolve import Resolver

    options = options or BuildOptions()
    out_dir = Path(out_dir)
    result = BuildResult(out_dir=out_dir)
    timer = _Timer(result.timings)

    t = time.perf_counter()
    articles = load_articles(inputs, options, result)
    timer.add("ingest", time.perf_counter() - t)

    t = time.perf_counter()
    gaz = load_gazetteer(extra=options.gazetteer_extra)
    rules = load_rules()
    nlp = build_pipeline(gaz)
    timer.add("setup", time.perf_counter() - t)

    resolver = Resolver()
    with staging(out_dir) as tmp:
        writer = GraphWriter(tmp)
        docs = nlp.pipe(((a.document, a) for a in articles), as_tuples=True,
                        n_process=max(1, options.jobs), batch_size=16)
        t_nlp = time.perf_counter()
        for n, (doc, article) in enumerate(docs, 1):
            t0 = time.perf_counter()
            timer.add("nlp", t0 - t_nlp)
            facts = extract_facts(doc, article, gaz, rules)
            t1 = time.perf_counter()
            facts = resolver.resolve(facts)
            t2 = time.perf_counter()
            writer.add(facts)
            t3 = time.perf_counter()
            timer.add("extraction", t1 - t0)
            timer.add("resolution", t2 - t1)
            timer.add("rdf", t3 - t2)
            result.articles += 1
            result.words += article.word_count
            result.events_by_class.update(e.cls for e in facts.events.values())
            result.relations_by_property.update(r.predicate for r in facts.relations)
            result.casualty_reports += len(facts.reports)
            result.claims += len(facts.claims)
            if progress:
                progress(n, len(articles))
            t_nlp = time.perf_counter()

        t = time.perf_counter()
        store = writer.finish(html=options.html)
        result.triples = writer.triples
        result.entities_by_class = writer.entities_by_class()
        timer.add("outputs", time.perf_counter() - t)

        if options.validate:
            t = time.perf_counter()
            result.validation = _validate(tmp / "graph.ttl")
            timer.add("validation", time.perf_counter() - t)
            if options.strict and result.validation and not result.validation.get("conforms", True):
                n = result.validation.get("violations", 0)
                raise BuildError(f"the graph violates {n} SHACL constraint(s) (--strict); "
                                 f"previous outputs in {out_dir} are unchanged")
        if options.store_dir is not None:
            from kg.store import write_build_store

            t = time.perf_counter()
            write_build_store(options.store_dir, store, articles, resolver)
            timer.add("store", time.perf_counter() - t)
        (tmp / "report.json").write_text(json.dumps(result.to_json(), indent=2), encoding="utf-8")
        del store
    return result


def _validate(path: Path) -> dict | None:
    """SHACL validation of the merged graph (see :mod:`kg.validate`)."""
    try:
        from kg.validate import validate_file
    except ImportError:  # pragma: no cover - validation module absent
        return None
    res = validate_file(path)
    return res.to_json()
