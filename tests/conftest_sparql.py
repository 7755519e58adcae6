"""Fixtures for the SPARQL tests (store, query, serve), imported explicitly by them.

The sample corpus is built once per session into graph files *and* a kg store; the
articles are also written as JSONL halves (A: the first three, B: the last two) for
incremental tests.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import pyoxigraph as ox

KG_NS = "https://w3id.org/kg-news/ontology#"
ID_NS = "https://w3id.org/kg-news/id/"
BLA = ID_NS + "entity/baloch-liberation-army"


def write_jsonl(path: Path, articles) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for a in articles:
            f.write(json.dumps({"id": a.id, "text": a.text, "title": a.title, "date": a.date, "source": a.source,
                                "url": a.url}, ensure_ascii=False) + "\n")
    return path


def quads(store) -> set[str]:
    """Every quad of a pyoxigraph store, as N-Quads text (no blank nodes in kg graphs)."""
    return {str(q) for q in store}


def named_quads(store) -> set[str]:
    """The quads of the named graphs of a pyoxigraph store, as N-Quads text."""
    return {str(q) for q in store if not isinstance(q.graph_name, ox.DefaultGraph)}


def assert_merged(store) -> None:
    """The default graph of ``store`` is the merged graph of its named graphs: each
    triple that some named graph states, and nothing else."""
    default = {str(ox.Triple(q.subject, q.predicate, q.object))
               for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())}
    named = {str(ox.Triple(q.subject, q.predicate, q.object))
             for q in store if not isinstance(q.graph_name, ox.DefaultGraph)}
    assert named and default == named, (len(default - named), len(named - default))


# Fixtures imported into several test modules are separate fixtures to pytest; the
# expensive results are memoised here so that the sample is built once per session.
_MEMO: dict[str, object] = {}


@pytest.fixture(scope="session")
def sample_articles():
    from kg.ingest import read_articles, sample_corpus

    return list(read_articles([sample_corpus()]))


@pytest.fixture(scope="session")
def halves(sample_articles, tmp_path_factory):
    """(A.jsonl, B.jsonl, AB.jsonl): the sample articles split in two, and all of them."""
    if "halves" in _MEMO:
        return _MEMO["halves"]
    d = tmp_path_factory.mktemp("halves")
    _MEMO["halves"] = (write_jsonl(d / "a.jsonl", sample_articles[:3]), write_jsonl(d / "b.jsonl", sample_articles[3:]),
            write_jsonl(d / "ab.jsonl", sample_articles))
    return _MEMO["halves"]


@pytest.fixture(scope="session")
def sample_graph(halves, tmp_path_factory):
    """(out folder, store folder) of one build of all sample articles with --store."""
    from kg.build import BuildOptions, build

    if "sample_graph" not in _MEMO:
        d = tmp_path_factory.mktemp("sparql-sample")
        build([halves[2]], d / "out", BuildOptions(store_dir=d / "store", html=False, validate=False))
        _MEMO["sample_graph"] = (d / "out", d / "store")
    return _MEMO["sample_graph"]


@pytest.fixture(scope="session")
def sample_store(sample_graph):
    from kg.store import load_graph

    return load_graph(sample_graph[1])
