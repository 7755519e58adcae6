"""The build cache: re-builds parse only new or changed articles and give the same
outputs; it is keyed by content and pipeline and cleans up after itself."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.build import BuildOptions, build
from kg.cache import FactsCache, article_key, fingerprint
from kg.model import Article

ROOT = Path(__file__).resolve().parents[1]

NEW = ("Gunmen attacked a bus near Turbat in Balochistan on Tuesday, killing four passengers, "
       "police said. No group claimed responsibility.\n")


def _files(out: Path) -> dict[str, bytes]:
    return {n: (out / n).read_bytes() for n in ("graph.trig", "graph.ttl", "graph.graphml")}


@pytest.mark.e2e
@pytest.mark.slow
def test_rebuild_parses_nothing_then_only_the_new_article(tmp_path):
    from kg.ingest import sample_corpus

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for f in sample_corpus().glob("*.txt"):
        (corpus / f.name).write_bytes(f.read_bytes())
    out = tmp_path / "out"
    opts = BuildOptions(validate=False, html=False)
    first = build([corpus], out, opts)
    assert first.parsed == first.articles > 1
    assert (out / ".kg-cache" / "facts.sqlite").exists()

    second = build([corpus], out, opts)
    assert second.parsed == 0 and second.articles == first.articles
    assert second.cache["hits"] == first.articles
    assert second.cache["reused"] == first.articles  # every article's RDF taken as it was
    before = _files(out)
    nocache = build([corpus], tmp_path / "plain", BuildOptions(validate=False, html=False, cache=False))
    assert nocache.parsed == nocache.articles
    assert _files(tmp_path / "plain") == before  # cached facts give the same graph
    assert not (tmp_path / "plain" / ".kg-cache").exists()

    (corpus / "zz_new.txt").write_text(NEW)
    third = build([corpus], out, opts)
    assert third.parsed == 1 and third.articles == first.articles + 1
    assert third.cache["reused"] == first.articles  # the new article comes last: nothing else changes
    report = json.loads((out / "report.json").read_text())
    assert report["parsed"] == 1 and report["cache"]["hits"] == first.articles

    # the article is removed: the cache forgets it after the build (garbage collection)
    (corpus / "zz_new.txt").unlink()
    fourth = build([corpus], out, opts)
    assert fourth.parsed == 0 and fourth.cache["removed"] == 1
    assert _files(out) == before


@pytest.mark.e2e
def test_an_earlier_new_article_that_changes_resolution_rewrites_the_later_one(tmp_path):
    """An acronym defined in a new article that comes first in the input resolves a
    bare mention in a cached one: that article's cached RDF is stale and must be
    rewritten, and the outputs equal a build without cache."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "b.txt").write_text("The TEF claimed responsibility for a bombing in Turbat on Friday that "
                                  "killed three soldiers, the army said.\n")
    out = tmp_path / "out"
    opts = BuildOptions(validate=False, html=False)
    build([corpus], out, opts)
    assert "entity:tef " in (out / "graph.ttl").read_text()
    (corpus / "a.txt").write_text("Tehreek-e-Foo (TEF) militants attacked a police checkpoint in Quetta on "
                                  "Monday, killing two officers, officials said.\n")
    again = build([corpus], out, opts)
    assert again.parsed == 1 and again.cache["hits"] == 1 and again.cache["reused"] == 0
    plain = build([corpus], tmp_path / "plain", BuildOptions(validate=False, html=False, cache=False))
    assert plain.parsed == 2
    assert _files(out) == _files(tmp_path / "plain")
    ttl = (out / "graph.ttl").read_text()
    assert "entity:tef " not in ttl and "entity:tehreek-e-foo" in ttl


def test_blocks_are_kept_and_a_damaged_block_is_rebuilt(tmp_path):
    from kg.cache import Block
    from kg.model import ArticleFacts

    a = Article(id="a", text="T.")
    c = FactsCache(tmp_path, "fp")
    assert c.lookup(a) is None
    c.put(a, ArticleFacts(article=a))
    hit = c.lookup(a)
    assert hit.block is None and c.facts(hit).article is a
    c.put_block(a, Block((), "sig", {}, None))
    assert c.lookup(a).block.sig == "sig"
    c.db.execute("UPDATE blocks SET data = x'00'")
    assert c.lookup(a).block is None  # unreadable: the build writes it again from the facts
    c.close()


@pytest.mark.e2e
def test_cache_dir_option_and_changed_text(tmp_path):
    a = tmp_path / "a.txt"
    a.write_text(NEW)
    cache_dir = tmp_path / "elsewhere"
    opts = BuildOptions(validate=False, html=False, cache_dir=cache_dir)
    assert build([a], tmp_path / "out", opts).parsed == 1
    assert (cache_dir / "facts.sqlite").exists() and not (tmp_path / "out" / ".kg-cache").exists()
    a.write_text(NEW.replace("four", "five"))
    again = build([a], tmp_path / "out", opts)
    assert again.parsed == 1 and again.cache["removed"] == 1


def test_key_depends_on_content_and_pipeline_not_origin():
    a = Article(id="x", text="Body.", title="T")
    assert article_key(a, "f1") == article_key(Article(id="x", text="Body.", title="T", origin="o"), "f1")
    assert article_key(a, "f1") != article_key(a, "f2")
    assert article_key(a, "f1") != article_key(Article(id="x", text="Body.", title="U"), "f1")
    assert article_key(a, "f1") != article_key(Article(id="y", text="Body.", title="T"), "f1")


def test_fingerprint_covers_extra_gazetteer(tmp_path):
    g = tmp_path / "g.jsonl"
    g.write_text('{"id": "x", "name": "X Front", "class": "ArmedGroup"}\n')
    base = fingerprint()
    assert fingerprint([g]) != base
    g.write_text('{"id": "x", "name": "X Front", "class": "Organization"}\n')
    assert fingerprint([g]) != fingerprint() and fingerprint([g]) != base


def test_interrupted_run_keeps_committed_entries_and_no_gc(tmp_path):
    from kg.model import ArticleFacts

    arts = [Article(id=f"a{i}", text=f"Text {i}.") for i in range(5)]
    c = FactsCache(tmp_path, "fp")
    c.COMMIT_EVERY = 2
    for a in arts[:3]:
        c.put(a, ArticleFacts(article=a))
    c.db.close()  # a crash: no close(), the last transaction is lost
    c = FactsCache(tmp_path, "fp")
    kept = [a.id for a in arts if c.get(a) is not None]
    assert kept == ["a0", "a1"]
    c.close(collect=False)
    # a successful run that uses only a1 removes a0
    c = FactsCache(tmp_path, "fp")
    assert c.get(arts[1]) is not None
    assert c.close(collect=True) == 1
    c = FactsCache(tmp_path, "fp")
    assert c.get(arts[0]) is None and c.get(arts[1]) is not None
    c.close()


def test_collection_keeps_blocks_and_verdicts_a_run_read_and_deletes_the_others(tmp_path):
    from kg.cache import Block
    from kg.model import ArticleFacts

    arts = [Article(id=f"a{i}", text=f"Text {i}.") for i in range(3)]
    c = FactsCache(tmp_path, "fp")
    keys = [c.put(a, ArticleFacts(article=a)) for a in arts]
    for a, k in zip(arts, keys):
        c.put_block(a, Block(table=(), sig=f"s-{a.id}", counts={}, rdf=None))
        c.put_verdict(k, f"s-{a.id}", [])
    c.close(collect=True)
    # the next run reads a0 whole, a1's facts and block but not its verdict, and not a2
    c = FactsCache(tmp_path, "fp")
    c.COMMIT_EVERY = 1  # the reads are listed across several transactions
    hit0, hit1 = c.lookup(arts[0]), c.lookup(arts[1])
    assert hit0.block.sig == "s-a0" and hit1.block.sig == "s-a1"
    assert c.verdict(keys[0], "s-a0") == []
    assert c.close(collect=True) == 1
    c = FactsCache(tmp_path, "fp")
    count = {t: c.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("facts", "blocks", "verdicts")}
    assert count == {"facts": 2, "blocks": 2, "verdicts": 1}
    assert c.lookup(arts[2]) is None and c.verdict(keys[1], "s-a1") is None
    c.close()


def test_prefetch_gives_the_same_entries_and_finds_what_this_run_wrote(tmp_path):
    import threading
    import zlib

    from kg.cache import Block
    from kg.model import ArticleFacts

    arts = [Article(id=f"a{i}", text=f"Text {i}.") for i in range(150)]
    c = FactsCache(tmp_path, "fp")
    for a in arts[:100]:
        c.put(a, ArticleFacts(article=a))
        c.put_block(a, Block(table=(a.id,), sig=f"s-{a.id}", counts={}, rdf=None))
    damaged = article_key(arts[7], "fp")
    c.db.execute("UPDATE blocks SET data = ? WHERE key = ?", (zlib.compress(b"not a pickle"), damaged))
    c.close()

    c = FactsCache(tmp_path, "fp")
    got = []
    # a new article met twice: the second time, it is found though not yet committed
    for a in c.prefetch(iter([*arts, arts[120]]), chunk=16, depth=2):
        hit = c.lookup(a)
        if hit is None:
            c.put(a, ArticleFacts(article=a))
        got.append((a.id, hit is not None, hit.block.sig if hit and hit.block else None))
    assert [g[0] for g in got] == [a.id for a in arts] + ["a120"]  # every article, in order
    assert got[:100] == [(f"a{i}", True, None if i == 7 else f"s-a{i}") for i in range(100)]
    assert not any(found for _, found, _ in got[100:150]) and got[150] == ("a120", True, None)
    assert (c.hits, c.misses) == (101, 50)
    assert not [t for t in threading.enumerate() if t.name.startswith("kg-cache")]
    c.close()


def test_cache_hit_attaches_the_current_article(tmp_path):
    from kg.model import ArticleFacts, Entity

    a = Article(id="a", text="T.", origin="old.txt")
    facts = ArticleFacts(article=a, entities={"g:x": Entity(key="g:x", label="X", cls="City", aliases={"Y"})})
    c = FactsCache(tmp_path, "fp")
    c.put(a, facts)
    b = Article(id="a", text="T.", origin="new.txt")
    got = c.get(b)
    assert got.article is b and got.entities["g:x"].aliases == {"Y"}
    c.close()


def test_cli_no_cache_and_cache_conflict(tmp_path):
    from typer.testing import CliRunner

    from kg.cli import app

    r = CliRunner().invoke(app, ["build", "-o", str(tmp_path / "o"), "--no-cache", "--cache", str(tmp_path / "c")])
    assert r.exit_code == 2
    r = CliRunner().invoke(app, ["build", "-o", str(tmp_path / "o"), "--scheduler", "tcp://x:1"])
    assert r.exit_code == 2
    r = CliRunner().invoke(app, ["build", "--help"])
    for opt in ("--no-cache", "--cache", "--engine", "--scheduler", "--validate-max-triples", "--html-max-nodes"):
        assert opt in r.output


@pytest.mark.e2e
def test_a_rebuild_of_known_articles_does_not_load_spacy(tmp_path):
    """``kg build``'s own process reads the cache, resolves and writes: only what must
    be parsed loads spaCy (in a worker, or in the process itself for a few articles)."""
    import subprocess
    import sys

    from kg.ingest import sample_corpus

    out = tmp_path / "out"

    def build_imports() -> tuple[dict, set[str]]:
        # -X importtime lists every module the command's process imports, on stderr
        done = subprocess.run([sys.executable, "-X", "importtime", "-m", "kg", "build", str(sample_corpus()),
                               "-o", str(out), "-j", "2", "-q"], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        modules = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()
                   if line.startswith("import time:")}
        return json.loads((out / "report.json").read_text()), modules

    report, modules = build_imports()
    assert report["parsed"] > 0 and "spacy" in modules  # too few articles to start workers for
    report, modules = build_imports()
    assert report["parsed"] == 0 and report["cache"]["hits"] == report["articles"]
    assert "kg.extract" in modules and "kg.extract.rules" in modules  # the rule errors are known...
    assert not {m for m in modules if m == "spacy" or m.startswith("spacy.")}  # ...without spaCy
