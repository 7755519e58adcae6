"""``kg build --engine dask``: NLP, extraction and RDF on a Dask cluster.

The corpus is cut into partitions of consecutive articles. Three kinds of task run on
the workers and one cheap pass runs in the client, so the result is the same graph,
byte for byte, as a local build:

1. **extract** (workers): spaCy and the rules over one partition; the pre-resolution
   :class:`~kg.model.ArticleFacts` stay on the worker. Only the entity table of each
   article (keys, labels, classes, aliases) goes back to the client, plus the facts
   themselves when the build cache must store them.
2. **resolve** (client): the :class:`~kg.resolve.Resolver` runs over the entity
   tables in input order (entity keys are already canonical across articles; the
   resolver only fixes first-seen labels and classes and cross-article aliases). It is
   a small, sequential pass over entities only.
3. **write** (workers): each partition's facts are renamed with the client's mapping
   and turned into N-Quads (one named graph per article) - a **shard**, returned to the
   client, which writes it to ``OUT/shards/part-NNNNN.nq`` (any triple store can
   bulk-load these: Oxigraph, Jena ``tdb2.tdbloader``, QLever) and then produces the
   usual outputs from them.

Partitions are streamed: a bounded window of them is in flight, so the client never
holds the corpus. The workers load the spaCy pipeline once per process
(:func:`kg.engine.pipeline`). Requires the ``dask`` extra (``distributed``); imported
only when this engine is used.
"""
from __future__ import annotations

import pickle
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kg.model import Article, ArticleFacts

SHARD_DIR = "shards"


@dataclass
class ShardText:
    """What a write task returns: the N-Quads of a partition and its counts."""

    nquads: str
    rdf: list = field(default_factory=list)  # kg.output.ArticleRDF of each article, in order
    events_by_class: Counter = field(default_factory=Counter)
    relations_by_property: Counter = field(default_factory=Counter)
    casualty_reports: int = 0
    claims: int = 0


def extract_partition(spec, items: list[Article | ArticleFacts], keep_facts: bool):
    """Worker task 1: facts for every item (cached facts pass through), plus the
    entity tables for the client and (``keep_facts``) the new facts pickled."""
    from kg.engine import extract_batch

    todo = [a for a in items if isinstance(a, Article)]
    done = extract_batch(spec, todo) if todo else None
    parsed = iter(done.facts) if done else iter(())
    facts = [next(parsed) if isinstance(a, Article) else a for a in items]
    tables = [f.entities for f in facts]
    new = pickle.dumps([f for f, a in zip(facts, items) if isinstance(a, Article)]) if keep_facts else None
    stats = (done.nlp_s, done.extraction_s, done.setup_s) if done else (0.0, 0.0, 0.0)
    return facts, tables, new, stats


def partition_facts(result):
    return result[0]


def partition_tables(result):
    return result[1:]


def write_partition(facts: list[ArticleFacts], resolutions: list[tuple[dict, dict]]) -> ShardText:
    """Worker task 3: rename each article's facts with the client's resolution and
    write them as N-Quads lines."""
    from kg.output import article_rdf
    from kg.resolve import apply_mapping

    out = ShardText(nquads="")
    chunks = []
    for f, (mapping, entities) in zip(facts, resolutions):
        f.entities = entities
        f = apply_mapping(f, mapping)
        rdf, text = article_rdf(f, nquads=True)
        chunks.append(text)
        out.rdf.append(rdf)
        out.events_by_class.update(e.cls for e in f.events.values())
        out.relations_by_property.update(r.predicate for r in f.relations)
        out.casualty_reports += len(f.reports)
        out.claims += len(f.claims)
    out.nquads = "".join(chunks)
    return out


def _client(options):
    try:
        from distributed import Client, LocalCluster
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(f"--engine dask needs the 'distributed' package ({e})") from None
    if options.scheduler:
        return Client(options.scheduler), None
    cluster = LocalCluster(n_workers=max(1, options.jobs), threads_per_worker=1, processes=True,
                           dashboard_address=None)
    return Client(cluster), cluster


def build_dask(articles: Iterable[Article], out_dir: Path, options, spec, result, timer, cache,
               progress: Callable[[int, int | None], None] | None) -> None:
    """The Dask counterpart of the local loop in :func:`kg.build.build` (same outputs,
    plus ``OUT/shards/``)."""
    from kg.atomic import staging
    from kg.build import ArticleChecks, BuildError, _drop_unwritten, _finish, _no_article
    from kg.output import GraphWriter
    from kg.rdf import graph_iri
    from kg.resolve import Resolver

    t = time.perf_counter()
    client, cluster = _client(options)
    timer.add("setup", time.perf_counter() - t)
    size = max(1, options.batch_size) * 4
    resolver = Resolver()
    keep = cache is not None
    worker = {"nlp": 0.0, "extraction": 0.0, "setup": 0.0}
    checks = writer = None
    try:
        with staging(out_dir) as tmp:
            shards = tmp / SHARD_DIR
            shards.mkdir()
            writer = GraphWriter(tmp, html_max_nodes=options.html_max_nodes,
                                 views_max_triples=options.views_max_triples, background=options.validate)
            checks = ArticleChecks(None, options.validate_max_triples) if options.validate else None
            graphs: dict[int, list[str]] = {}  # part number -> its article graphs, in order
            pending: deque = deque()   # (articles, extract future) awaiting resolution
            writing: deque = deque()   # (part number, write future) awaiting their shard
            part = 0
            t_loop = time.perf_counter()

            def flush_write(limit: int) -> None:
                while len(writing) > limit:
                    n, fut = writing.popleft()
                    shard: ShardText = fut.result()
                    t0 = time.perf_counter()
                    (shards / f"part-{n:05d}.nq").write_text(shard.nquads, encoding="utf-8")
                    for rdf, graph in zip(shard.rdf, graphs.pop(n)):
                        writer.add(rdf)
                        if checks is not None:
                            checks.see(None, "", graph, rdf, True)
                    result.events_by_class.update(shard.events_by_class)
                    result.relations_by_property.update(shard.relations_by_property)
                    result.casualty_reports += shard.casualty_reports
                    result.claims += shard.claims
                    timer.add("rdf", time.perf_counter() - t0)

            def resolve_head() -> None:
                nonlocal part
                items, fut = pending.popleft()
                tables, new, stats = client.submit(partition_tables, fut).result()
                worker["nlp"] += stats[0]
                worker["extraction"] += stats[1]
                worker["setup"] += stats[2]
                t0 = time.perf_counter()
                if new is not None:
                    for f in pickle.loads(new):
                        cache.put(f.article, f)
                timer.add("cache", time.perf_counter() - t0)
                t0 = time.perf_counter()
                resolutions = []
                graphs[part] = []
                for item, ents in zip(items, tables):
                    art = item if isinstance(item, Article) else item.article
                    graphs[part].append(str(graph_iri(art.id)))
                    stub = ArticleFacts(article=art, entities=ents)
                    mapping = resolver.resolve_entities(stub)
                    resolutions.append((mapping, stub.entities))
                    result.articles += 1
                    result.words += art.word_count
                    result.parsed += isinstance(item, Article)
                    if progress:
                        progress(result.articles, None)
                timer.add("resolution", time.perf_counter() - t0)
                facts = client.submit(partition_facts, fut)
                writing.append((part, client.submit(write_partition, facts, resolutions)))
                part += 1
                flush_write(2 * max(1, options.jobs))

            batch: list[Article | ArticleFacts] = []

            def submit(batch_items: list) -> None:
                fut = client.submit(extract_partition, spec, batch_items, keep, pure=False)
                pending.append((batch_items, fut))
                while len(pending) > 2 * max(1, options.jobs):
                    resolve_head()

            for art in articles:
                t0 = time.perf_counter()
                hit = cache.get(art) if cache is not None else None
                timer.add("cache", time.perf_counter() - t0)
                batch.append(hit if hit is not None else art)
                if len(batch) >= size:
                    submit(batch)
                    batch = []
            if batch:
                submit(batch)
            while pending:
                resolve_head()
            flush_write(0)
            loop = time.perf_counter() - t_loop
            if not result.articles:
                raise BuildError(_no_article(result))
            parent = sum(result.timings.get(k, 0.0) for k in ("ingest", "cache", "resolution", "rdf"))
            waited = max(0.0, loop - parent)
            busy = worker["nlp"] + worker["extraction"]
            share = worker["nlp"] / busy if busy else 1.0
            timer.add("nlp", waited * share)
            timer.add("extraction", waited * (1 - share))
            result.worker_s = {k: round(v, 3) for k, v in worker.items()}
            if cache is not None:
                result.cache = {"hits": cache.hits, "misses": cache.misses, "folder": str(cache.folder)}
            _finish(writer, tmp, options, result, timer, out_dir, checks)
        _drop_unwritten(out_dir, result)
    finally:
        if checks is not None:
            checks.cancel()
        if writer is not None:
            writer.cancel()
        client.close()
        if cluster is not None:
            cluster.close()
