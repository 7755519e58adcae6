"""Regression guard: build the shared development set and score it.

Reads ../shared/eval/ when it exists (CI has it) and skips otherwise. The thresholds
are the issue's targets; the values measured when this test was written are noted
next to each so a drop is visible.
"""
from __future__ import annotations

import importlib.util
import json

import pytest

from conftest import DEV, SHARED

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not (DEV / "gold.jsonl").exists(),
                                                  reason="../shared/eval/dev is not available (a user's clone)")]

TARGETS = {  # measure: (minimum, measured 2026-11-21; 2026-11-22)
    "fact_f1": (0.70, 0.843),
    "fact_precision": (0.80, 0.885),
    "entity_typed_recall": (0.85, 0.923),
    "casualty_attributed_recall": (0.80, 0.971),
    "provenance_coverage": (1.0, 1.0),
}


@pytest.fixture(scope="module")
def dev_graph(tmp_path_factory):
    from kg.build import BuildOptions, build

    out = tmp_path_factory.mktemp("dev") / "out"
    build([DEV / "articles.jsonl"], out, BuildOptions(validate=False, html=False))
    return out / "graph.trig"


@pytest.fixture(scope="module")
def shared_scores(dev_graph):
    spec = importlib.util.spec_from_file_location("shared_score", SHARED / "eval" / "score.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.Scorer(mod.Graph(mod.load([dev_graph])), mod.Gold(DEV / "gold.jsonl")).run()


@pytest.mark.parametrize("measure", sorted(TARGETS))
def test_dev_set_meets_targets(shared_scores, measure):
    minimum, measured = TARGETS[measure]
    assert shared_scores[measure] >= minimum, f"{measure} {shared_scores[measure]} < {minimum} (was {measured})"


def test_no_false_assertions(shared_scores):
    assert shared_scores["false_assertions"] == []


def test_kg_evaluate_agrees_with_the_shared_scorer(dev_graph, shared_scores):
    from kg.evaluate import evaluate_paths

    ours = evaluate_paths(dev_graph, DEV / "gold.jsonl")
    for key in ("entity_recall", "entity_typed_recall", "entity_precision", "fact_recall", "fact_precision",
                "fact_f1", "casualty_recall", "casualty_attributed_recall", "casualty_precision",
                "provenance_coverage"):
        assert ours[key] == shared_scores[key], key
    assert sorted(ours["facts_missed"]) == sorted(shared_scores["facts_missed"])


def test_evaluate_cli_json(dev_graph):
    from typer.testing import CliRunner

    from kg.cli import app

    res = CliRunner().invoke(app, ["evaluate", str(DEV / "gold.jsonl"), "--graph", str(dev_graph), "--json"])
    assert res.exit_code == 0
    assert json.loads(res.output)["fact_f1"] >= TARGETS["fact_f1"][0]


def test_an_events_place_or_target_is_named_in_the_sentence_it_cites(dev_graph):
    """Sentence-level provenance: the evidence of ``event locatedIn/targeted X`` names X
    (its label or an alias). The rest are references such as "the province"; when
    merged events cited the sentence of the frame they were merged into, 34 of 140 did
    not name X (measured 2026-11-22: 4 of 114)."""
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(path=str(dev_graph), format=ox.RdfFormat.TRIG)
    rows = list(store.query("""
        PREFIX kg: <https://w3id.org/kg-news/ontology#>
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?st ?sentence (GROUP_CONCAT(?name; separator="\u0001") AS ?names) WHERE {
          ?st rdf:subject ?ev ; rdf:predicate ?p ; rdf:object ?o ; kg:evidence ?sentence .
          VALUES ?p { kg:locatedIn kg:targeted }
          ?ev a/rdfs:subClassOf* kg:Event .
          { ?o rdfs:label ?name } UNION { ?o skos:altLabel ?name }
        } GROUP BY ?st ?sentence""", use_default_graph_as_union=True))
    assert len(rows) > 50
    unnamed = [r["sentence"].value for r in rows
               if not any(n.lower() in r["sentence"].value.lower() for n in r["names"].value.split("\u0001"))]
    assert len(unnamed) / len(rows) <= 0.1, unnamed
