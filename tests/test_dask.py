"""``--engine dask`` on a local Dask cluster gives the same graph as a local build."""
from __future__ import annotations

import pytest

from kg.build import BuildOptions, build

distributed = pytest.importorskip("distributed")
pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def cluster():
    c = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    yield c
    c.close()


def test_dask_build_equals_local_build(tmp_path, cluster):
    import pyoxigraph as ox

    local = build([], tmp_path / "local", BuildOptions(validate=False, html=False, cache=False))
    opts = BuildOptions(validate=False, html=False, engine="dask", scheduler=cluster.scheduler_address,
                        batch_size=1)  # partitions of 4 articles: several shards
    dask = build([], tmp_path / "dask", opts)
    assert dask.articles == local.articles == dask.parsed
    for name in ("graph.trig", "graph.ttl"):
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
    assert dask.relations_by_property == local.relations_by_property
    assert dask.triples == local.triples

    # the shards, loaded into any store, hold the article graphs of the build
    shards = sorted((tmp_path / "dask" / "shards").glob("part-*.nq"))
    assert len(shards) >= 2
    store = ox.Store()
    for s in shards:
        store.bulk_load(path=str(s), format=ox.RdfFormat.N_QUADS)
    full = ox.Store()
    full.bulk_load(path=str(tmp_path / "local" / "graph.trig"), format=ox.RdfFormat.TRIG)
    q = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(!STRENDS(STR(?g), '/graph/ontology')) }"
    count = lambda st: int(next(iter(st.query(q)))["n"].value)  # noqa: E731
    assert count(store) == count(full) > 0

    # with the cache: a second dask build parses nothing and gives the same graph
    again = build([], tmp_path / "dask", opts)
    assert again.parsed == 0
    assert (tmp_path / "dask" / "graph.trig").read_bytes() == (tmp_path / "local" / "graph.trig").read_bytes()
