"""``kg build``: articles in, graph files out.

Stages, each timed: ingest → (cache) → NLP → extraction → resolution → RDF →
outputs (TriG dataset, merged Turtle, GraphML, HTML view, ``report.json``) →
validation. Articles stream through in input order; the build cache
(:mod:`kg.cache`) lets a re-build skip the NLP of articles it has seen and copy the
RDF of those whose resolution did not change. Outputs are staged in a temporary
folder and moved into ``OUT/`` only when the whole build has succeeded, so a failed
build leaves the previous outputs as they were.
"""
from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kg.atomic import staging
from kg.ingest import InputProblem, read_articles, sample_corpus
from kg.model import Article

ENGINES = ("local", "dask")
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
    cache: bool = True  # reuse the extraction of unchanged articles (OUT/.kg-cache)
    cache_dir: Path | None = None  # default: OUT/.kg-cache
    engine: str = "local"  # or "dask"
    scheduler: str | None = None  # Dask scheduler address (engine="dask"); None: a local cluster
    batch_size: int = 8  # articles per batch sent to a worker
    worker_start: str = "auto"  # jobs > 1: "fork" the workers from a loaded pipeline (Linux), "spawn", or "auto"
    validate_max_triples: int | None = 10_000  # above: article graph by article graph (ArticleChecks)
    html_max_nodes: int | None = 3_000  # graph.html shows at most this many nodes (most connected)
    views_max_triples: int | None = 1_000_000  # above: no graph.graphml / graph.html (kg export / kg view)
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
    parsed: int = 0  # articles that went through the NLP pipeline (the others came from the cache)
    cache: dict | None = None
    worker_s: dict[str, float] = field(default_factory=dict)
    jobs: int = 1
    bounded: dict = field(default_factory=dict)
    outputs: list[str] = field(default_factory=lambda: list(OUTPUT_FILES))  # the files written

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
            "parsed": self.parsed,
            "cache": self.cache,
            "worker_time_s": self.worker_s,
            "bounded": self.bounded,
            "outputs": self.outputs,
        }


class _Timer:
    def __init__(self, timings: dict[str, float]):
        self.timings = timings

    def add(self, stage: str, seconds: float) -> None:
        self.timings[stage] = self.timings.get(stage, 0.0) + seconds


def load_articles(inputs: Iterable[Path], options: BuildOptions, result: BuildResult) -> list[Article]:
    """Read every input (the bundled samples when none is given) into a list."""
    articles = list(iter_articles(inputs, options, result))
    if not articles:
        raise BuildError(_no_article(result))
    return articles


def iter_articles(inputs: Iterable[Path], options: BuildOptions, result: BuildResult) -> Iterator[Article]:
    """Stream the articles of ``inputs`` (the bundled samples when none is given);
    bad files and lines are recorded in ``result.problems`` (or fail the build with
    ``on_error="fail"``)."""
    inputs = list(inputs) or [sample_corpus()]

    def report(p: InputProblem) -> None:
        if options.on_error == "fail":
            raise BuildError(str(p))
        result.problems.append(p)

    try:
        yield from read_articles(inputs, split=options.split, report=report)
    except InputProblem as p:  # a missing input path
        raise BuildError(str(p)) from None


def _no_article(result: BuildResult) -> str:
    return "no usable article in the input" + (
        f" ({len(result.problems)} problem(s): {result.problems[0]})" if result.problems else "")


def _timed(items: Iterable, timer: _Timer, stage: str) -> Iterator:
    """Iterate ``items``, adding the time spent producing them to ``stage``."""
    it = iter(items)
    while True:
        t = time.perf_counter()
        try:
            item = next(it)
        except StopIteration:
            timer.add(stage, time.perf_counter() - t)
            return
        timer.add(stage, time.perf_counter() - t)
        yield item


def build(inputs: Iterable[Path], out_dir: Path, options: BuildOptions | None = None,
          progress: Callable[[int, int | None], None] | None = None) -> BuildResult:
    """Build the graph of ``inputs`` into ``out_dir``; see the module docstring.

    Articles are streamed: they are read, parsed (in ``options.jobs`` processes, or on
    a Dask cluster with ``options.engine="dask"``), extracted, resolved and appended
    to the output files one batch at a time, in input order, so the output does not
    depend on the number of processes and memory does not grow with the corpus (see
    ``docs/performance.md``). ``progress(done, total)`` is called after each article;
    ``total`` is None (the corpus is not counted in advance).
    """
    from kg.cache import Block, FactsCache, default_cache_dir, fingerprint, rdf_fingerprint
    from kg.engine import PipelineSpec, can_fork, extract_stream, use_fork
    from kg.output import GraphWriter, article_rdf
    from kg.rdf import graph_iri
    from kg.resolve import Resolver, entity_table, resolved

    options = options or BuildOptions()
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise BuildError(f"{out_dir}: not a folder (the output must be a folder)")
    result = BuildResult(out_dir=out_dir, jobs=max(1, options.jobs))
    timer = _Timer(result.timings)
    if options.engine not in ENGINES:
        raise BuildError(f"unknown engine {options.engine!r} (use {' or '.join(ENGINES)})")
    spec = PipelineSpec(gazetteer_extra=tuple(options.gazetteer_extra))

    t = time.perf_counter()
    cache = None
    if options.cache:
        cache = FactsCache(Path(options.cache_dir) if options.cache_dir else default_cache_dir(out_dir),
                           fingerprint(spec.gazetteer_extra))
    timer.add("setup", time.perf_counter() - t)

    articles = _timed(iter_articles(inputs, options, result), timer, "ingest")
    if options.engine == "dask" and options.store_dir is not None:
        raise BuildError("--store is not available with --engine dask: bulk-load OUT/shards/*.nq into the store")
    if options.engine == "dask":
        from kg.dask_engine import build_dask

        ok = False
        try:
            build_dask(articles, out_dir, options, spec, result, timer, cache, progress)
            ok = True
        finally:
            if cache is not None:
                result.cache = {"hits": cache.hits, "misses": cache.misses,
                                "removed": cache.close(collect=ok)}
        return result

    # A re-build (the cache has entries): its first articles are probably known, so a
    # worker is spawned at once to load the pipeline while a thread reads the cache
    # ahead. Otherwise the workers are forked from this process once it has loaded the
    # pipeline, which needs no other thread to be running (see kg.engine.fork_pool).
    rebuild = cache is not None and len(cache) > 0
    try:
        fork = options.jobs > 1 and not rebuild and use_fork(options.worker_start)
    except ValueError as e:
        raise BuildError(str(e)) from None
    if rebuild:  # the cache entries are read ahead, beside the build
        articles = cache.prefetch(articles)
    worker = {"setup": 0.0, "nlp": 0.0, "extraction": 0.0}
    resolver = Resolver()
    built: list = []  # the articles, kept only for --store
    ok = False
    checks = writer = None
    loading = 0.0  # this process loading the pipeline before forking the workers

    def loaded(seconds: float) -> None:
        nonlocal loading
        loading += seconds

    try:
        with staging(out_dir) as tmp:
            checks = ArticleChecks(cache, options.validate_max_triples) if options.validate else None
            # This process will load the pipeline, alone on one core, before forking the
            # workers: the validation and views processes start now, so that their
            # imports use another core meanwhile. They are forked too when no other
            # thread runs (they then share the modules imported so far, and start in
            # milliseconds), before the pipeline is loaded.
            early = fork and checks is not None
            helpers_fork = early and can_fork()
            if early:
                checks.prewarm(fork=helpers_fork)
            writer = GraphWriter(tmp, html_max_nodes=options.html_max_nodes,
                                 views_max_triples=options.views_max_triples, background=options.validate,
                                 prewarm=early and options.html, fork=helpers_fork)
            t_loop = time.perf_counter()
            stream = extract_stream(articles, spec, jobs=options.jobs, batch=options.batch_size,
                                    known=cache.lookup if cache is not None else None,
                                    prewarm=options.jobs > 1 and rebuild, start=options.worker_start,
                                    on_setup=loaded)
            stream = _one_line_worker_errors(stream)
            salt = rdf_fingerprint()
            reused = 0  # articles whose RDF came from the cache as it was
            for item, parsed, stats in stream:
                t0 = time.perf_counter()
                if stats is not None:
                    worker["nlp"] += stats.nlp_s
                    worker["extraction"] += stats.extraction_s
                    worker["setup"] += stats.setup_s
                block = key = None
                if parsed:
                    facts, article = item, item.article
                    result.parsed += 1
                    if cache is not None:
                        key = cache.put(article, facts)
                    table = entity_table(facts)
                else:  # a cache hit: its entity table and the RDF of the last build
                    facts, article, block, key = None, item.article, item.block, item.key
                    if block is not None:
                        table = block.table
                    else:
                        facts = cache.facts(item)
                        table = entity_table(facts)
                t1 = time.perf_counter()
                res = resolver.resolve_table(table)
                sig = res.signature(salt)
                t2 = time.perf_counter()
                new = block is None or block.sig != sig
                if new:  # new, or resolved differently: write its RDF
                    facts = resolved(facts if facts is not None else cache.facts(item), res)
                    block = Block(table, sig, article_counts(facts), article_rdf(facts)[0])
                    if cache is not None:
                        cache.put_block(article, block)
                else:
                    reused += 1
                writer.add(block.rdf)
                if checks is not None:
                    checks.see(key, sig, str(graph_iri(article.id)), block.rdf, new)
                t3 = time.perf_counter()
                timer.add("cache", t1 - t0)
                timer.add("resolution", t2 - t1)
                timer.add("rdf", t3 - t2)
                _count(result, article, block.counts)
                if options.store_dir is not None:
                    built.append(article)
                if progress:
                    progress(result.articles, None)
            timer.add("setup", loading)
            loop = time.perf_counter() - t_loop - loading
            if not result.articles:
                raise BuildError(_no_article(result))
            _split_parallel_time(result, timer, worker, loop)
            if cache is not None:
                result.cache = {"hits": cache.hits, "misses": cache.misses, "reused": reused,
                                "folder": str(cache.folder)}
            _finish(writer, tmp, options, result, timer, out_dir, checks, built, resolver)
        _drop_unwritten(out_dir, result)
        ok = True
    finally:
        if checks is not None:
            checks.cancel()
        if writer is not None:
            writer.cancel()
        if cache is not None:
            articles.close()  # stops reading ahead (a build that failed part-way)
            result.cache = {**(result.cache or {}), "hits": cache.hits, "misses": cache.misses,
                            "folder": str(cache.folder), "removed": cache.close(collect=ok)}
    return result


def _one_line_worker_errors(stream: Iterator) -> Iterator:
    """``stream``, with a worker process that died (killed, out of memory) reported as a
    :class:`BuildError` instead of the process pool's own exception."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        yield from stream
    except BrokenProcessPool:
        raise BuildError("a worker process ended unexpectedly (killed, or out of memory?); "
                         "try fewer processes (-j)") from None


def article_counts(facts) -> dict:
    """What ``report.json`` counts of one (resolved) article (plain dicts: kept in the
    cache, they unpickle without calling ``Counter``)."""
    return {"events_by_class": dict(Counter(e.cls for e in facts.events.values())),
            "relations_by_property": dict(Counter(r.predicate for r in facts.relations)),
            "casualty_reports": len(facts.reports), "claims": len(facts.claims)}


def _count(result: BuildResult, article, counts: dict) -> None:
    result.articles += 1
    result.words += article.word_count
    result.events_by_class.update(counts["events_by_class"])
    result.relations_by_property.update(counts["relations_by_property"])
    result.casualty_reports += counts["casualty_reports"]
    result.claims += counts["claims"]


def _split_parallel_time(result: BuildResult, timer: _Timer, worker: dict[str, float], loop: float) -> None:
    """Stage times of the article loop: the wall time the loop spent waiting for the
    pipeline is shared between "nlp" and "extraction" in the proportion the workers
    measured (with one process this is exactly what they measured)."""
    parent = sum(result.timings.get(k, 0.0) for k in ("ingest", "cache", "resolution", "rdf"))
    waited = max(0.0, loop - parent)
    if result.worker_s is not None and not result.timings.get("nlp") and worker["setup"]:
        # loading the pipeline: exact with one process; in parallel the workers load at once
        load = min(waited, worker["setup"] / max(1, result.jobs))
        timer.add("setup", load)
        waited -= load
    busy = worker["nlp"] + worker["extraction"]
    share = worker["nlp"] / busy if busy else 1.0
    timer.add("nlp", waited * share)
    timer.add("extraction", waited * (1 - share))
    result.worker_s = {k: round(v, 3) for k, v in worker.items()}


def _finish(writer, tmp: Path, options: BuildOptions, result: BuildResult, timer: _Timer, out_dir: Path,
            checks: ArticleChecks | None = None, articles=(), resolver=None) -> None:
    """Write the output files and report.json in ``tmp`` (the staging folder), and the
    store when ``options.store_dir`` is set."""
    t = time.perf_counter()
    # views of a large graph are written in a process of their own while the build validates
    writer.finish(html=options.html)
    result.triples = writer.triples
    result.entities_by_class = writer.entities_by_class()
    timer.add("outputs", time.perf_counter() - t)

    try:
        if checks is not None:
            t = time.perf_counter()
            result.validation = checks.report(tmp / "graph.ttl", result.triples)
            timer.add("validation", time.perf_counter() - t)
        t = time.perf_counter()
        writer.wait()
        timer.add("outputs", time.perf_counter() - t)
    finally:
        writer.cancel()
    result.bounded = writer.bounded
    if options.strict and result.validation and not result.validation.get("conforms", True):
        n = result.validation.get("violation_count", 0)
        raise BuildError(f"the graph violates {n} SHACL constraint(s) (--strict); "
                         f"previous outputs in {out_dir} are unchanged")
    if options.store_dir is not None and resolver is not None:
        from kg.store import write_build_store

        t = time.perf_counter()
        write_build_store(options.store_dir, tmp / "graph.trig", tmp / "graph.ttl", articles, resolver)
        timer.add("store", time.perf_counter() - t)
    result.outputs = [n for n in OUTPUT_FILES if n == "report.json" or (tmp / n).exists()]
    (tmp / "report.json").write_text(json.dumps(result.to_json(), indent=2), encoding="utf-8")


def _drop_unwritten(out_dir: Path, result: BuildResult) -> None:
    """Remove the outputs of an earlier build that this build did not write (a view
    above ``--views-max-triples``, graph.html with ``--no-html``), so no stale file is
    left beside the new ones."""
    for name in OUTPUT_FILES:
        if name not in result.outputs:
            (out_dir / name).unlink(missing_ok=True)


class ArticleChecks:
    """SHACL validation of a build, within a budget of ``max_triples`` triples.

    A graph of at most ``max_triples`` triples (or any graph, with None) is validated
    whole, from ``graph.ttl``. A larger one is validated article graph by article graph
    (each holds the triples about its own nodes and entities): a build validates the
    article graphs it writes (new articles, and those whose resolution changed), in
    input order, until the next one would overrun the budget, and keeps each verdict in
    the build cache under the article's signature; verdicts of earlier builds on
    unchanged article graphs are reused. A re-build with a few new articles thus
    validates just those. When the budget is spent during the build (and holds at
    least ``BACKGROUND_MIN_TRIPLES``), the graphs taken are validated at once in a
    :class:`ValidationJob` process, beside the NLP, instead of at the end. The report
    says how many article graphs are checked, of how many, and how many verdicts came
    from earlier builds.
    """

    #: a budget filled by this many triples or more is validated in a process of its
    #: own as soon as it is full, while the build goes on (below, at the end, inline)
    BACKGROUND_MIN_TRIPLES = 2_000

    def __init__(self, cache, max_triples: int | None):
        self.cache = cache
        self.max_triples = max_triples
        self.total = 0
        self.known: dict[str, list] = {}  # graph -> violations (dicts) from earlier builds
        self.first: list = []  # [(key, sig, graph, trig, triples)]: to validate, within the budget
        self.size = 0
        self.full = False  # the budget is spent: no more article graphs are taken
        self._job: ValidationJob | None = None

    def see(self, key: str | None, sig: str, graph: str, rdf, new: bool) -> None:
        """Take note of one article graph (``new``: written by this build)."""
        self.total += 1
        if self.max_triples is None:
            return
        if not new and key is not None and self.cache is not None:
            found = self.cache.verdict(key, sig)
            if found is not None:
                self.known[graph] = found
                return
        if not new or self.full:
            return
        triples = rdf.local + len(rdf.shared)
        if not self.first or self.size + triples <= self.max_triples:
            self.first.append((key, sig, graph, rdf.trig, triples))
            self.size += triples
        else:  # the budget is spent: the article graphs taken are validated now, beside the build
            self.full = True
            graphs = {g: trig for _, _, g, trig, _ in self.first}
            if self._job is not None:  # started early (prewarm)
                self._job.start(graphs)
            elif self.size >= self.BACKGROUND_MIN_TRIPLES:
                self._job = ValidationJob(graphs)

    def prewarm(self, fork: bool = False) -> None:
        """Start the validation process now (forked from this process with ``fork``), so
        that it has imported what it needs when the budget is full (it is stopped if the
        whole graph fits in the budget)."""
        if self.max_triples is not None and self._job is None:
            self._job = ValidationJob(fork=fork)

    def cancel(self) -> None:
        """Stop a validation running in the background (a build that fails)."""
        if self._job is not None:
            self._job.cancel()
            self._job = None

    def report(self, merged: Path, triples: int) -> dict | None:
        """The validation report of the build (``merged``: its graph.ttl)."""
        if self.max_triples is None or triples <= self.max_triples:
            self.cancel()  # (the article graphs overlap: the whole graph fits the budget)
            return _trimmed(_validate_file(merged))
        from kg.output import prefix_lines
        from kg.validate import ValidationResult, Violation, sorted_violations, validate_article_graphs

        picked = self.first
        validated = sum(item[4] for item in picked)
        if self._job is not None and self._job.started:
            found, self._job = self._job.result(), None
        else:
            self.cancel()  # (a process started early that the budget never filled)
            found = validate_article_graphs({graph: trig for _, _, graph, trig, _ in picked}, prefix_lines())
        for key, sig, graph, _, _ in picked:
            if key is not None and self.cache is not None:
                self.cache.put_verdict(key, sig, [asdict(v) for v in found[graph]])
        violations = [v for vs in found.values() for v in vs]
        violations += [Violation(**d) for vs in self.known.values() for d in vs]
        violations = sorted_violations(violations)
        conforms = not any(v.severity == "Violation" for v in violations)
        checked = len(picked) + len(self.known)
        report = ValidationResult(conforms, violations, graphs_checked=checked).to_json()
        report["complete"] = checked == self.total
        report["sample"] = {
            "article_graphs": checked, "of_article_graphs": self.total, "validated_now": len(picked),
            "from_earlier_builds": len(self.known), "triples_validated_now": validated,
            "note": f"the graph has {triples:,} triples, more than the validation budget "
                    f"({self.max_triples:,}): it is validated article graph by article graph, those this "
                    f"build wrote first; {checked:,} of {self.total:,} article graphs are checked "
                    f"({len(picked):,} now, {len(self.known):,} by earlier builds of the same articles). "
                    f"For a full check, run `kg validate --per-graph` on graph.trig or raise "
                    f"--validate-max-triples"}
        return _trimmed(report)


class ValidationJob:
    """:func:`kg.validate.validate_article_graphs` in a process of its own, given the
    graphs when the validation budget is full, so that the build does not wait for it
    at the end. The process starts at once (spawned, or forked with ``fork``: see
    :func:`kg.engine.start_helper`) and imports what validation needs; :meth:`start`
    gives it the graphs (or ``graphs`` here), :meth:`result` gives what the function
    returns."""

    def __init__(self, graphs: dict[str, bytes] | None = None, fork: bool = False):
        import multiprocessing

        from kg.engine import start_helper

        self._conn, child = multiprocessing.Pipe(duplex=True)
        self.started = graphs is not None
        # graphs given now travel with the process's start-up data, which the child
        # reads at once; a later start() is read once the child has done its imports
        self.proc = start_helper(_validation_main, (child, graphs), "kg-validation", fork=fork,
                                 own_end=self._conn)
        child.close()

    def start(self, graphs: dict[str, bytes]) -> None:
        """Validate ``graphs`` (name -> TriG), in a process started without them."""
        if self.started:
            raise RuntimeError("this validation process already has its graphs")
        self.started = True
        try:
            self._conn.send(graphs)
        except OSError:  # the process has ended: result() says why
            pass

    def result(self) -> dict:
        from kg.validate import Violation

        try:
            kind, value = self._conn.recv()
        except (EOFError, OSError):
            kind, value = "error", None
        self.proc.join()
        self._conn.close()
        if kind != "ok":
            raise BuildError(f"validation failed: {value or f'exit code {self.proc.exitcode}'}")
        return {graph: [Violation(**d) for d in found] for graph, found in value.items()}

    def cancel(self) -> None:
        if self.proc.is_alive():
            self.proc.terminate()
        self.proc.join()
        self._conn.close()


def _validation_main(conn, graphs: dict[str, bytes] | None = None) -> None:  # pragma: no cover - a child process
    """Entry point of the :class:`ValidationJob` process: validate ``graphs``, or import
    what validation needs, then wait for the graphs."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides
    try:
        from kg.output import prefix_lines
        from kg.validate import prepare, validate_article_graphs

        if graphs is None:
            prepare()
            try:
                graphs = conn.recv()
            except (EOFError, OSError):  # the build did not need it
                return
        found = validate_article_graphs(graphs, prefix_lines())
        conn.send(("ok", {graph: [asdict(v) for v in vs] for graph, vs in found.items()}))
    except BaseException as e:  # noqa: BLE001 - reported to the parent in one line
        conn.send(("error", f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"))
    finally:
        conn.close()


def _validate_file(path: Path) -> dict | None:
    try:
        from kg.validate import validate_file
    except ImportError:  # pragma: no cover - validation module absent
        return None
    return validate_file(path).to_json()


def _trimmed(report: dict | None) -> dict | None:
    if report and len(report["violations"]) > 200:  # keep report.json readable; counts stay exact
        report["violations"] = report["violations"][:200]
        report["violations_truncated"] = True
    return report
