"""Parallel builds give the same files as one process; the indexed dependency matcher
finds exactly what spaCy's finds; the output stages stay bounded."""
from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from kg.build import BuildOptions, build

ROOT = Path(__file__).resolve().parents[1]
DEV = next((p / "shared" / "eval" / "dev" / "articles.jsonl" for p in ROOT.parents
            if (p / "shared" / "eval" / "dev" / "articles.jsonl").exists()), ROOT.parent / "shared")
pytestmark = pytest.mark.e2e


def corpora():
    yield pytest.param([], id="samples")
    if DEV.exists():
        yield pytest.param([DEV], id="dev")


def starts():
    yield "spawn"
    yield pytest.param("fork", marks=pytest.mark.skipif(not sys.platform.startswith("linux"),
                                                        reason="workers are forked on Linux only"))


@pytest.mark.slow
@pytest.mark.parametrize("start", list(starts()))
@pytest.mark.parametrize("inputs", list(corpora()))
def test_jobs_2_writes_the_same_files_as_jobs_1(tmp_path, inputs, start):
    opts = dict(validate=False, cache=False, batch_size=2)
    one = build(inputs, tmp_path / "j1", BuildOptions(jobs=1, **opts))
    two = build(inputs, tmp_path / "j2", BuildOptions(jobs=2, worker_start=start, **opts))
    assert one.articles == two.articles > 1
    assert two.parsed == two.articles
    for name in ("graph.trig", "graph.ttl", "graph.graphml"):
        a, b = (tmp_path / "j1" / name).read_bytes(), (tmp_path / "j2" / name).read_bytes()
        assert a == b, name
    assert one.relations_by_property == two.relations_by_property
    assert one.events_by_class == two.events_by_class


def _marker_and_pid(spec):
    import gc

    import kg.engine

    return getattr(kg.engine.pipeline(spec), "marker", None), os.getpid(), gc.get_freeze_count()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")
def test_forked_workers_use_the_pipeline_this_process_loaded():
    from kg.engine import PipelineSpec, fork_pool, pipeline

    spec = PipelineSpec()
    pipeline(spec).marker = "loaded here"  # a worker that loaded its own would not have it
    pool = fork_pool(spec, 2)
    try:
        seen = [pool.submit(_marker_and_pid, spec).result() for _ in range(6)]
    finally:
        pool.shutdown()
        del pipeline(spec).marker
    assert {marker for marker, _, _ in seen} == {"loaded here"}
    assert os.getpid() not in {pid for _, pid, _ in seen}
    # what they inherited is out of their garbage collector's way; here it is not
    import gc

    assert min(frozen for _, _, frozen in seen) > 10_000 and gc.get_freeze_count() == 0


@pytest.fixture
def other_thread():
    """A thread that runs until the test ends."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="test-other-thread")
    thread.start()
    yield thread
    stop.set()
    thread.join()


def test_workers_are_not_forked_while_another_thread_runs(other_thread):
    from kg.engine import can_fork, use_fork

    assert not can_fork() and not use_fork("auto")
    assert not use_fork("spawn")
    with pytest.raises(ValueError, match="unknown worker start method 'thread'"):
        use_fork("thread")


def test_a_build_beside_another_thread_spawns_its_workers(tmp_path, other_thread, monkeypatch):
    import kg.engine

    def no_fork(*args, **kwargs):
        raise AssertionError("forked while another thread runs")

    monkeypatch.setattr(kg.engine, "fork_pool", no_fork)
    one = build([], tmp_path / "j1", BuildOptions(validate=False, html=False, cache=False))
    two = build([], tmp_path / "j2", BuildOptions(jobs=2, batch_size=1, validate=False, html=False, cache=False))
    assert two.parsed == one.parsed > 2
    assert (tmp_path / "j1" / "graph.trig").read_bytes() == (tmp_path / "j2" / "graph.trig").read_bytes()


def test_an_unknown_worker_start_method_is_a_one_line_error(tmp_path):
    from kg.build import BuildError

    with pytest.raises(BuildError, match=r"^unknown worker start method 'threads' \(use auto, fork, spawn\)$"):
        build([], tmp_path / "out", BuildOptions(jobs=2, worker_start="threads", cache=False))
    assert not (tmp_path / "out").exists()


def test_report_has_stage_times_and_worker_times(tmp_path):
    import json

    (tmp_path / "a.txt").write_text("Militants attacked a police station in Quetta on Monday, officials said.\n")
    result = build([tmp_path / "a.txt"], tmp_path / "out", BuildOptions(validate=False, html=False))
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert {"setup", "ingest", "nlp", "extraction", "resolution", "rdf", "outputs"} <= set(report["timings_s"])
    assert report["parsed"] == result.parsed == 1
    assert report["worker_time_s"]["nlp"] > 0


def test_indexed_dependency_matcher_matches_spacy(nlp, rules):
    """Same matches, in the same order, as spaCy's DependencyMatcher on real text."""
    from spacy.matcher import DependencyMatcher

    from kg.extract.depmatch import IndexedDependencyMatcher
    from kg.ingest import read_articles, sample_corpus

    paths = [sample_corpus()] + ([DEV] if DEV.exists() else [])
    docs = list(nlp.pipe(a.document for a in read_articles(paths)))
    ours, theirs = IndexedDependencyMatcher(nlp.vocab), DependencyMatcher(nlp.vocab)
    for r in rules.relations:
        ours.add(r.id, [r.pattern])
        theirs.add(r.id, [r.pattern])
    assert ours.indexed
    total = 0
    for doc in docs:
        expected = theirs(doc)
        assert ours(doc) == expected
        total += len(expected)
    assert total > 10  # the patterns do fire on this text


def test_indexed_matcher_falls_back_for_unindexed_attributes(nlp):
    from spacy.matcher import DependencyMatcher

    from kg.extract.depmatch import IndexedDependencyMatcher

    pattern = [{"RIGHT_ID": "v", "RIGHT_ATTRS": {"LEMMA": "attack"}},
               {"LEFT_ID": "v", "REL_OP": ">", "RIGHT_ID": "s", "RIGHT_ATTRS": {"LENGTH": {">=": 3}}}]
    ours, theirs = IndexedDependencyMatcher(nlp.vocab), DependencyMatcher(nlp.vocab)
    ours.add("r", [pattern])
    theirs.add("r", [pattern])
    assert not ours.indexed
    doc = nlp("Gunmen attacked the convoy near Turbat.")
    assert ours(doc) == theirs(doc) != []


def test_indexed_matcher_not_in_and_pos(nlp):
    from spacy.matcher import DependencyMatcher

    from kg.extract.depmatch import IndexedDependencyMatcher

    pattern = [{"RIGHT_ID": "v", "RIGHT_ATTRS": {"POS": "VERB"}},
               {"LEFT_ID": "v", "REL_OP": ">", "RIGHT_ID": "o",
                "RIGHT_ATTRS": {"DEP": {"NOT_IN": ["punct", "aux"]}, "POS": {"IN": ["NOUN", "PROPN"]}}}]
    ours, theirs = IndexedDependencyMatcher(nlp.vocab), DependencyMatcher(nlp.vocab)
    ours.add("r", [pattern])
    theirs.add("r", [pattern])
    doc = nlp("Gunmen attacked the convoy near Turbat. Police arrested two men in Quetta on Friday.")
    assert ours.indexed
    assert ours(doc) == theirs(doc) != []


def test_indexed_matcher_prunes_candidates_without_changing_matches(make_doc):
    """Heads without a dependant among the candidates (and the other way round) are
    dropped before spaCy's product of candidates: the same matches, in the same order,
    for chains of ">", a ">>" beside them, and two matches in one sentence."""
    from spacy.matcher import DependencyMatcher

    from kg.extract.depmatch import IndexedDependencyMatcher

    # "Militants attacked the camp and gunmen attacked a post near Quetta ; police said ."
    words = ["Militants", "attacked", "the", "camp", "and", "gunmen", "attacked", "a", "post", "near", "Quetta",
             ";", "police", "said", "."]
    heads = [1, 13, 3, 1, 1, 6, 1, 8, 6, 8, 9, 13, 13, 13, 13]
    deps = ["nsubj", "ccomp", "det", "dobj", "cc", "nsubj", "conj", "det", "dobj", "prep", "pobj", "punct",
            "nsubj", "ROOT", "punct"]
    pos = ["NOUN", "VERB", "DET", "NOUN", "CCONJ", "NOUN", "VERB", "DET", "NOUN", "ADP", "PROPN", "PUNCT",
           "NOUN", "VERB", "PUNCT"]
    doc = make_doc(words, heads, deps, pos=pos, lemmas=[w.lower() if w != "attacked" else "attack" for w in words])
    patterns = {
        "subject-verb-object": [
            {"RIGHT_ID": "v", "RIGHT_ATTRS": {"LEMMA": "attack"}},
            {"LEFT_ID": "v", "REL_OP": ">", "RIGHT_ID": "s", "RIGHT_ATTRS": {"DEP": "nsubj"}},
            {"LEFT_ID": "v", "REL_OP": ">", "RIGHT_ID": "o", "RIGHT_ATTRS": {"DEP": "dobj"}}],
        "object-near-place": [  # only the second verb has a "near" phrase under its object
            {"RIGHT_ID": "v", "RIGHT_ATTRS": {"POS": "VERB"}},
            {"LEFT_ID": "v", "REL_OP": ">", "RIGHT_ID": "o", "RIGHT_ATTRS": {"DEP": "dobj"}},
            {"LEFT_ID": "o", "REL_OP": ">", "RIGHT_ID": "p", "RIGHT_ATTRS": {"LOWER": "near"}},
            {"LEFT_ID": "p", "REL_OP": ">", "RIGHT_ID": "x", "RIGHT_ATTRS": {"POS": "PROPN"}}],
        "said-over-place": [  # ">>" is left to spaCy
            {"RIGHT_ID": "s", "RIGHT_ATTRS": {"LOWER": "said"}},
            {"LEFT_ID": "s", "REL_OP": ">>", "RIGHT_ID": "x", "RIGHT_ATTRS": {"POS": "PROPN"}},
            {"LEFT_ID": "s", "REL_OP": ">", "RIGHT_ID": "n", "RIGHT_ATTRS": {"DEP": "nsubj"}}],
        "no-match": [  # a "near" with no place under it anywhere
            {"RIGHT_ID": "p", "RIGHT_ATTRS": {"LOWER": "near"}},
            {"LEFT_ID": "p", "REL_OP": ">", "RIGHT_ID": "x", "RIGHT_ATTRS": {"POS": "NOUN"}}],
    }
    ours, theirs = IndexedDependencyMatcher(doc.vocab), DependencyMatcher(doc.vocab)
    for name, pattern in patterns.items():
        ours.add(name, [pattern])
        theirs.add(name, [pattern])
    expected = theirs(doc)
    assert ours(doc) == expected
    found = {(doc.vocab.strings[key], tuple(ids)) for key, ids in expected}
    assert found == {("subject-verb-object", (1, 0, 3)), ("subject-verb-object", (6, 5, 8)),
                     ("object-near-place", (6, 8, 9, 10)), ("said-over-place", (13, 10, 12))}
    # the pruning: "attacked" (1) has no dobj with a "near" under it, so it is no
    # candidate of "object-near-place"; "near" has no NOUN dependant at all
    maps = ours._get_keys_to_position_maps(doc)
    near_place = ours.pattern_nodes[1]
    assert [i for tree in maps.values() for i in tree.get(near_place[0], [])] == [6]
    assert not any(k in tree for tree in maps.values() for k in ours.pattern_nodes[3])


def test_html_view_is_capped_and_reported(tmp_path):
    import json

    from kg.ingest import sample_corpus

    result = build([sample_corpus()], tmp_path / "out",
                   BuildOptions(validate=False, cache=False, html_max_nodes=10))
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    bounded = report["bounded"]["graph.html"]
    assert bounded["nodes"] == 10 < bounded["of_nodes"]
    html = (tmp_path / "out" / "graph.html").read_text()
    import re

    assert len(re.findall(r'"shape": ?"(?:dot|triangle|diamond|square|box)"', html)) == 10
    assert result.bounded == report["bounded"]


def test_validation_above_the_budget_goes_article_by_article_and_remembers(tmp_path):
    import json

    out = tmp_path / "out"
    opts = BuildOptions(html=False, validate_max_triples=400)
    build([], out, opts)
    report = json.loads((out / "report.json").read_text())
    v = report["validation"]
    assert v["complete"] is False and v["conforms"] is True
    first = v["sample"]
    assert 1 <= first["article_graphs"] == first["validated_now"] < first["of_article_graphs"] == report["articles"]
    assert first["from_earlier_builds"] == 0 and 0 < first["triples_validated_now"]
    assert "validation budget" in first["note"]
    # a re-build keeps the verdicts (same articles, same resolution) and validates nothing again
    second = build([], out, opts).validation["sample"]
    assert second["from_earlier_builds"] == first["validated_now"] and second["validated_now"] == 0
    assert second["article_graphs"] == first["article_graphs"]
    # a new article is validated by the re-build that adds it
    extra = tmp_path / "new.txt"
    extra.write_text("Gunmen attacked a bus near Turbat on Tuesday, killing four passengers, police said.\n")
    from kg.ingest import sample_corpus

    third = build([sample_corpus(), extra], out, opts).validation["sample"]
    assert third["validated_now"] == 1 and third["from_earlier_builds"] == first["validated_now"]
    assert third["of_article_graphs"] == report["articles"] + 1
    # no budget: the whole graph at once
    assert build([], tmp_path / "whole", BuildOptions(html=False, validate_max_triples=None)).validation["complete"]
    # without a cache nothing is remembered
    plain = build([], tmp_path / "plain", BuildOptions(cache=False, html=False, validate_max_triples=400))
    assert plain.validation["sample"]["from_earlier_builds"] == 0


def test_small_builds_are_fully_validated(sample_build):
    out, result = sample_build
    assert result.validation["complete"] is True
    assert result.validation["conforms"] is True
    assert "sample" not in result.validation


def test_views_above_their_budget_are_not_written_and_not_left_stale(tmp_path):
    import json

    from typer.testing import CliRunner

    from kg.cli import app

    out = tmp_path / "out"
    build([], out, BuildOptions(validate=False))
    assert (out / "graph.graphml").exists() and (out / "graph.html").exists()
    r = CliRunner().invoke(app, ["build", "-o", str(out), "--no-validate", "--views-max-triples", "100"])
    assert r.exit_code == 0, r.output
    assert "not written: graph.graphml, graph.html:" in r.output and "kg export" in r.output
    assert not (out / "graph.graphml").exists() and not (out / "graph.html").exists()  # none left stale
    report = json.loads((out / "report.json").read_text())
    assert report["outputs"] == ["graph.trig", "graph.ttl", "report.json"]
    assert report["bounded"]["graph.graphml"]["written"] is False
    assert report["bounded"]["graph.html"]["triples"] == report["triples"] > 100
    # the graph files are complete all the same
    assert report["triples"] == build([], tmp_path / "full", BuildOptions(validate=False, html=False)).triples


def test_views_job_reports_a_failure_of_its_process(tmp_path):
    from kg.output import ViewsJob

    job = ViewsJob()
    job.start(tmp_path, True, 100)  # no graph.ttl in the folder: the process fails
    with pytest.raises(RuntimeError, match="graph.graphml / graph.html failed: FileNotFoundError"):
        job.result()
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # its notes are cleaned up


def test_views_process_takes_the_large_graph_message_before_its_task(tmp_path):
    from kg.output import ViewsJob

    job = ViewsJob()
    job.expect_large()
    job.expect_large()  # sent once
    job.start(tmp_path, True, 100)  # then the task: no graph.ttl, so it fails, as a task
    with pytest.raises(RuntimeError, match="graph.graphml / graph.html failed: FileNotFoundError"):
        job.result()


def test_a_rebuild_warms_one_worker_and_stops_it_when_nothing_needs_parsing(tmp_path, monkeypatch):
    import kg.engine

    out = tmp_path / "out"
    build([], out, BuildOptions(validate=False, html=False))
    monkeypatch.setattr(kg.engine, "_LOADED", {})  # no pipeline in this process
    again = build([], out, BuildOptions(jobs=2, validate=False, html=False))
    assert again.parsed == 0 and not kg.engine._LOADED
    (tmp_path / "new.txt").write_text("Gunmen attacked a bus near Turbat on Tuesday, killing four passengers.\n")
    from kg.ingest import sample_corpus

    third = build([sample_corpus(), tmp_path / "new.txt"], out, BuildOptions(jobs=2, validate=False, html=False))
    assert third.parsed == 1 and third.cache["reused"] == again.articles
    assert not kg.engine._LOADED  # parsed by the warmed worker, not here


def test_a_few_articles_to_parse_start_no_worker_processes(monkeypatch, tmp_path):
    import concurrent.futures

    from kg.ingest import sample_corpus

    out = tmp_path / "out"
    first = build([], out, BuildOptions(validate=False, html=False))

    class NoPool:
        def __init__(self, *args, **kwargs):
            raise AssertionError("worker processes were started for one article")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", NoPool)
    (tmp_path / "new.txt").write_text("Gunmen attacked a bus near Turbat on Tuesday, killing four passengers.\n")
    again = build([sample_corpus(), tmp_path / "new.txt"], out,
                  BuildOptions(jobs=2, validate=False, html=False, cache=False))
    assert again.parsed == again.articles == first.articles + 1
    # many articles to parse do start them
    with pytest.raises(AssertionError, match="worker processes were started"):
        build([], tmp_path / "other", BuildOptions(jobs=2, batch_size=1, cache=False, validate=False, html=False))


def test_views_written_in_the_background_are_the_same(tmp_path, monkeypatch):
    import kg.output

    fg = build([], tmp_path / "fg", BuildOptions(cache=False))
    monkeypatch.setattr(kg.output, "BACKGROUND_MIN_TRIPLES", 0)
    bg = build([], tmp_path / "bg", BuildOptions(cache=False))
    for name in ("graph.graphml", "graph.html"):
        assert (tmp_path / "fg" / name).read_bytes() == (tmp_path / "bg" / name).read_bytes(), name
    assert bg.bounded == fg.bounded and bg.validation["conforms"]
    assert sorted(p.name for p in (tmp_path / "bg").iterdir()) == sorted(p.name for p in (tmp_path / "fg").iterdir())


def test_a_full_validation_budget_is_validated_beside_the_build(tmp_path, monkeypatch):
    """When the budget fills, the article graphs taken are validated in a process of
    their own while the build goes on; the report is what validating them at the end
    gives."""
    import kg.build as kb

    started = []

    class Recorded(kb.ValidationJob):
        def __init__(self, graphs):
            started.append(sorted(graphs))
            super().__init__(graphs)

    monkeypatch.setattr(kb, "ValidationJob", Recorded)
    monkeypatch.setattr(kb.ArticleChecks, "BACKGROUND_MIN_TRIPLES", 200)
    opts = BuildOptions(html=False, cache=False, validate_max_triples=700)  # the samples: 1,641 triples
    beside = build([], tmp_path / "beside", opts).validation
    assert len(started) == 1 and 1 <= len(started[0]) == beside["sample"]["validated_now"] < beside["sample"][
        "of_article_graphs"]
    monkeypatch.setattr(kb.ArticleChecks, "BACKGROUND_MIN_TRIPLES", 10**9)  # at the end, in the build's process
    at_end = build([], tmp_path / "at-end", opts).validation
    assert len(started) == 1
    assert beside == at_end and beside["conforms"] is True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")
@pytest.mark.parametrize("budget", ["fills", "never fills", "holds the graph"])
def test_the_validation_process_started_before_the_workers_gives_the_same_report(tmp_path, monkeypatch, budget):
    """A build that forks its workers starts its validation process first. Whether the
    budget fills (the graphs go to that process), never fills though the graph is
    larger (the process is stopped; validated here), or holds the whole graph, the
    report is the one of a build in one process."""
    import kg.build as kb
    import kg.engine

    jobs, forked = [], []

    class Recorded(kb.ValidationJob):
        def __init__(self, graphs=None, fork=False):
            super().__init__(graphs, fork=fork)
            jobs.append(self)
            forked.append(fork)

    # (a thread an earlier test leaves behind, such as Dask's offload thread, would make
    # the build spawn its processes: forking is allowed here as in a fresh process)
    monkeypatch.setattr(kg.engine, "can_fork", lambda: True)
    whole = build([], tmp_path / "whole", BuildOptions(html=False, cache=False))
    budget_triples = {"fills": 700, "never fills": whole.triples - 1, "holds the graph": whole.triples}[budget]
    opts = dict(html=False, cache=False, validate_max_triples=budget_triples)
    one = build([], tmp_path / "j1", BuildOptions(**opts)).validation
    monkeypatch.setattr(kb, "ValidationJob", Recorded)
    two = build([], tmp_path / "j2", BuildOptions(jobs=2, batch_size=1, worker_start="fork", **opts)).validation
    assert two == one and one["conforms"] is True
    assert len(jobs) == 1 and not jobs[0].proc.is_alive()  # started first, then used or stopped
    assert forked == [True]  # forked, as the workers are
    assert jobs[0].started == (budget == "fills")
    if budget == "never fills":
        assert one["sample"]["validated_now"] == one["sample"]["of_article_graphs"]


def test_a_validation_process_that_fails_is_reported_and_one_cancelled_stops(tmp_path):
    from kg.build import BuildError, ValidationJob

    job = ValidationJob({"https://w3id.org/kg-news/id/graph/x": "<a> <b> ."})  # not TriG: a syntax error
    with pytest.raises(BuildError, match="^validation failed: "):
        job.result()
    job = ValidationJob({"https://w3id.org/kg-news/id/graph/x": ""})
    job.cancel()
    assert not job.proc.is_alive()
    job = ValidationJob()  # started ahead of its graphs
    job.start({"https://w3id.org/kg-news/id/graph/x": "<a> <b> ."})
    with pytest.raises(RuntimeError, match="already has its graphs"):
        job.start({})
    with pytest.raises(BuildError, match="^validation failed: "):
        job.result()
    job = ValidationJob()  # never given any: stopped
    job.cancel()
    assert not job.proc.is_alive()


def test_the_views_process_started_early_writes_the_same_views_or_is_stopped(tmp_path, monkeypatch):
    import multiprocessing

    import kg.output

    inline = build([], tmp_path / "inline", BuildOptions(cache=False))
    monkeypatch.setattr(kg.output, "PREWARM_TRIPLES", 0)  # started with the first article
    early = build([], tmp_path / "early", BuildOptions(cache=False))
    for name in ("graph.graphml", "graph.html"):
        assert (tmp_path / "inline" / name).read_bytes() == (tmp_path / "early" / name).read_bytes(), name
    assert early.bounded == inline.bounded
    # a graph that turns out too large for the views: the process is stopped, nothing written
    over = build([], tmp_path / "over", BuildOptions(cache=False, views_max_triples=inline.triples - 1))
    assert not (tmp_path / "over" / "graph.html").exists() and over.bounded["graph.html"]["written"] is False
    assert not [p for p in multiprocessing.active_children() if p.name == "kg-views"]


def test_the_views_process_is_told_once_when_the_graph_grows_large(tmp_path, monkeypatch):
    """Only a large graph needs scipy for its layout: the process hears it once, when
    the articles pass BACKGROUND_MIN_TRIPLES (a small build spares the import)."""
    import kg.output
    from kg.output import ArticleRDF, GraphWriter

    told = []

    class Recorder:
        def __init__(self):
            told.append("started")

        def expect_large(self):
            told.append("large")

        def cancel(self):
            told.append("cancelled")

    monkeypatch.setattr(kg.output, "ViewsJob", Recorder)
    monkeypatch.setattr(kg.output, "PREWARM_TRIPLES", 0)
    monkeypatch.setattr(kg.output, "BACKGROUND_MIN_TRIPLES", 10)
    writer = GraphWriter(tmp_path, background=True)
    try:
        for local in (4, 4, 4, 4):  # 4, 8, then 12 and 16 triples
            writer.add(ArticleRDF(trig=b"", ttl=b"", shared=(), local=local, used=frozenset()))
        assert told == ["started", "large", "large"]  # (ViewsJob.expect_large sends once)
    finally:
        writer.cancel()
        writer.close_graphs()


def test_the_views_process_stops_as_soon_as_the_graph_outgrows_the_views(tmp_path, monkeypatch):
    import multiprocessing

    import kg.output
    from kg.output import ArticleRDF, GraphWriter

    monkeypatch.setattr(kg.output, "PREWARM_TRIPLES", 0)
    views = lambda: [p for p in multiprocessing.active_children() if p.name == "kg-views"]  # noqa: E731
    writer = GraphWriter(tmp_path, views_max_triples=10, background=True)
    try:
        writer.add(ArticleRDF(trig=b"", ttl=b"", shared=(), local=5, used=frozenset()))
        assert len(views()) == 1  # started: the graph may need views
        writer.add(ArticleRDF(trig=b"", ttl=b"", shared=(), local=20, used=frozenset()))
        assert not views()  # 25 triples: more than the views take
    finally:
        writer.cancel()
        writer.close_graphs()


def _cmdline(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")
def test_a_build_that_forks_its_workers_forks_its_helpers_first_and_writes_the_same_files(tmp_path, monkeypatch):
    """With forked workers, the validation and views processes are forked from the
    build's process before it loads the pipeline (a forked process has the parent's
    command line; a spawned one runs multiprocessing's spawn_main), and the build writes
    the same views and validation report as one process."""
    import multiprocessing

    import kg.engine

    started = []
    real = kg.engine.start_helper

    def recorded(target, args, name, **kw):
        proc = real(target, args, name, **kw)
        started.append((name, _cmdline(proc.pid) == _cmdline(os.getpid()), bool(kg.engine._LOADED)))
        return proc

    one = build([], tmp_path / "j1", BuildOptions(cache=False, validate_max_triples=700))
    monkeypatch.setattr(kg.engine, "start_helper", recorded)
    monkeypatch.setattr(kg.engine, "_LOADED", {})  # (this process's pipeline: loaded again)
    monkeypatch.setattr(kg.engine, "can_fork", lambda: True)  # (as in a fresh process: see above)
    two = build([], tmp_path / "j2", BuildOptions(jobs=2, batch_size=1, cache=False, validate_max_triples=700))
    assert started == [("kg-validation", True, False), ("kg-views", True, False)]  # forked, before the load
    assert two.validation == one.validation and one.validation["conforms"] is True
    assert one.validation["sample"]["validated_now"] < one.validation["sample"]["of_article_graphs"]
    for name in ("graph.trig", "graph.ttl", "graph.graphml", "graph.html"):
        assert (tmp_path / "j1" / name).read_bytes() == (tmp_path / "j2" / name).read_bytes(), name
    assert not [p for p in multiprocessing.active_children() if p.name in ("kg-views", "kg-validation")]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="processes are forked on Linux only")
@pytest.mark.parametrize("job", ["validation", "views"])
def test_a_forked_helper_ends_when_the_build_closes_its_end_of_the_pipe(job):
    """A forked helper inherits the build's end of its pipe: it closes it, or it would
    wait forever for a build that has gone away."""
    from kg.build import ValidationJob
    from kg.output import ViewsJob

    helper = ValidationJob(fork=True) if job == "validation" else ViewsJob(fork=True)
    assert _cmdline(helper.proc.pid) == _cmdline(os.getpid())  # forked
    helper._conn.close()
    helper.proc.join(60)
    assert helper.proc.exitcode == 0


def _dies(spec, articles):
    import multiprocessing

    if multiprocessing.parent_process() is None:  # (never the test's own process)
        raise AssertionError("parsed in the build's process, not in a worker")
    os._exit(9)  # as a worker killed for lack of memory


@pytest.mark.parametrize("start", list(starts()))
def test_a_worker_that_dies_is_a_one_line_error_and_the_outputs_stay(tmp_path, monkeypatch, start):
    import kg.engine
    from kg.build import BuildError

    out = tmp_path / "out"
    build([], out, BuildOptions(validate=False, html=False, cache=False))
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    monkeypatch.setattr(kg.engine, "extract_batch", _dies)  # (sent to the workers by reference)
    with pytest.raises(BuildError, match=r"^a worker process ended unexpectedly \(killed, or out of memory\?\); "
                                         r"try fewer processes \(-j\)$"):
        build([], out, BuildOptions(jobs=2, batch_size=1, worker_start=start, validate=False, html=False,
                                    cache=False))
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
