"""Saved queries, parameters, formats, DataFrames and kg.open, on the real sample build."""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import re

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from conftest_sparql import BLA, ID_NS, KG_NS, halves, sample_articles, sample_graph, sample_store  # noqa: F401

from kg.query import (QueryError, get_saved, parse_query_file, prepare, resolve_entity, saved_queries, serialize,
                      to_dataframe)

runner = CliRunner()
REQUIRED = {"who-claimed", "events", "casualties", "evidence", "neighbours", "entity", "claims"}


def run(store, name, **params):
    """Rows of a saved query as dicts of plain values."""
    result = prepare(store, get_saved(name), params).run(store)
    names = [v.value for v in result.variables]
    return [{n: (row[n].value if row[n] is not None else None) for n in names} for row in result]


def ask(store, text: str) -> bool:
    return bool(store.query(text, use_default_graph_as_union=True))


# ----------------------------------------------------------------------------- the saved queries themselves
def test_saved_queries_are_documented_and_declare_their_parameters():
    queries = saved_queries()
    assert REQUIRED <= set(queries)
    for name, q in queries.items():
        assert q.path.stem == name and q.description, name
        slot = re.search(r"VALUES\s*\(([^)]*)\)\s*\{\s*\(([^)]*)\)\s*\}", q.text)
        declared = [p.name for p in q.params if p.type != "limit"]
        if declared:
            assert slot, f"{name}: parameters need a VALUES (...) {{ (UNDEF ...) }} row"
            assert sorted(v.lstrip("?") for v in slot.group(1).split()) == sorted(declared), name
            assert set(slot.group(2).split()) == {"UNDEF"}, name
        ox.Store().query(q.text)  # valid SPARQL as shipped (parameters unbound)


def test_header_errors_are_reported():
    with pytest.raises(QueryError, match="unknown type"):
        parse_query_file("# param: x colour optional -- nope\nSELECT * {}")


def test_parameter_lines_are_comments_until_their_parameters_are_given():
    q = parse_query_file("# param: x string optional -- x\n# param: y keyword optional -- y\n"
                         "SELECT * WHERE {\n  VALUES (?x ?y) { (UNDEF UNDEF) }\n"
                         "  #[x] ?s <http://ex/p> ?x .\n  #[x, y] ?s <http://ex/q> ?y .\n}")
    assert prepare(None, q, {}).text == q.text
    only_x = prepare(None, q, {"x": "a"}).text
    assert "\n  ?s <http://ex/p> ?x .\n" in only_x and "#[x, y] ?s <http://ex/q> ?y ." in only_x
    both = prepare(None, q, {"x": "a", "y": "B"}).text
    assert "#[" not in both and "\n  ?s <http://ex/q> ?y .\n" in both
    assert '(\"a\" \"b\")'.replace("\\", "") in both  # the values stay in the VALUES row; a keyword is lower-cased
    with pytest.raises(QueryError, match="'z' is not a variable"):
        parse_query_file("SELECT * WHERE {\n  VALUES (?x) { (UNDEF) }\n  #[z] ?s ?p ?z .\n}")


def _without_parameter_lines(q):
    return dataclasses.replace(q, text=re.sub(r"^[ \t]*#\[[^\]]*\].*$", "", q.text, flags=re.MULTILINE))


def _rows(store, query, params):
    result = prepare(store, query, params).run(store)
    return sorted(tuple(str(row[v]) for v in result.variables) for row in result)


def test_parameter_lines_change_the_plan_not_the_results(sample_store):
    """Each saved query gives the same rows with its parameter lines as with its
    FILTERs alone, for every parameter that has one."""
    claim = run(sample_store, "claims")[0]
    report = next(r for r in run(sample_store, "casualties") if r["event"])
    cases = [("events", {"place": "Balochistan"}), ("events", {"type": "kg:Attack"}),
             ("casualties", {"place": "Balochistan"}), ("casualties", {"kind": "KILLED"}),
             ("casualties", {"event": f"<{report['event']}>"}),
             ("claims", {"status": claim["claim_status"].title()}), ("claims", {"about": f"<{claim['subject']}>"}),
             ("claims", {"claimant": f"<{claim['by']}>"})]
    for name, params in cases:
        q = get_saved(name)
        assert "#[" in q.text, name
        fast, slow = _rows(sample_store, q, params), _rows(sample_store, _without_parameter_lines(q), params)
        assert fast and fast == slow, (name, params)
        everything = _rows(sample_store, q, {})
        assert set(fast) <= set(everything) and (len(fast) < len(everything) or len(everything) == 1), (name, params)
    # a value that matches nothing gives nothing, both ways
    for name, params in [("claims", {"status": "negated"}), ("casualties", {"kind": "displaced"})]:
        q = get_saved(name)
        assert _rows(sample_store, q, params) == _rows(sample_store, _without_parameter_lines(q), params) == []


# ----------------------------------------------------------------------------- facts from the sample corpus
def test_who_claimed_finds_the_baloch_liberation_army(sample_store):
    rows = run(sample_store, "who-claimed")
    assert BLA in {r["claimant"] for r in rows}
    assert any(r["claimant_label"] == "Baloch Liberation Army" for r in rows)
    # every row is a real kg:claimed triple
    for r in rows:
        assert ask(sample_store, f"ASK {{ <{r['claimant']}> <{KG_NS}claimed> <{r['event']}> }}")
    # the alias and the label name the same entity
    by_alias = run(sample_store, "who-claimed", actor="BLA")
    assert by_alias and {r["claimant"] for r in by_alias} == {BLA}
    assert by_alias == run(sample_store, "who-claimed", actor="baloch liberation army")
    assert all(r["evidence"] and ("BLA" in r["evidence"] or "Baloch" in r["evidence"]) for r in by_alias)


def test_who_claimed_the_january_31_2026_attacks(sample_store):
    rows = run(sample_store, "who-claimed", **{"from": "2026-01-31", "to": "2026-01-31"})
    dated = ask(sample_store, f"""ASK {{ <{BLA}> <{KG_NS}claimed> ?e . ?e <{KG_NS}occurredOn> ?d
                                         FILTER(STR(?d) = "2026-01-31") }}""")
    assert dated, "the event the BLA claimed is dated 2026-01-31 in the sample"
    assert BLA in {r["claimant"] for r in rows}
    assert all(r["date"] == "2026-01-31" for r in rows)


def _event_dates(store) -> dict[str, list[str]]:
    dates: dict[str, list[str]] = {}
    for r in store.query(f"SELECT DISTINCT ?e ?d WHERE {{ ?e <{KG_NS}occurredOn> ?d }}", use_default_graph_as_union=True):
        dates.setdefault(r["e"].value, []).append(r["d"].value)
    return dates


def _period(text: str) -> tuple[str, str]:
    return {4: (text + "-01-01", text + "-12-31"), 7: (text + "-01", text + "-31")}.get(len(text), (text, text))


@pytest.mark.parametrize("start,end", [("2026-01-01", "2026-01-31"), ("2026", "2026"), ("2020-01", "2025-12-31"),
                                       ("2026-01-30", "2026-02-28")])
def test_events_date_range_matches_an_independent_computation(sample_store, start, end):
    dates = _event_dates(sample_store)
    lo, hi = _period(start)[0], _period(end)[1]
    expected = {e for e, ds in dates.items() if any(_period(d)[1] >= lo and _period(d)[0] <= hi for d in ds)}
    got = {r["event"] for r in run(sample_store, "events", **{"from": start, "to": end})}
    assert got == expected


def test_events_in_a_place_include_places_inside_it(sample_store):
    rows = run(sample_store, "events", place="Balochistan")
    assert rows
    for r in rows:
        assert ask(sample_store, f"ASK {{ <{r['event']}> <{KG_NS}locatedIn>/<{KG_NS}locatedIn>* <{ID_NS}entity/balochistan> }}")
    everything = {r["event"] for r in run(sample_store, "events")}
    n_events = int(next(iter(sample_store.query(
        f"SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {{ ?e <http://www.w3.org/ns/prov#wasDerivedFrom> ?a . "
        f"FILTER(STRSTARTS(STR(?e), '{ID_NS}event/')) }}", use_default_graph_as_union=True)))["n"].value)
    assert len(everything) == n_events
    attacks = run(sample_store, "events", type="kg:Attack")
    assert attacks and all(r["event_type"] in ("Attack", "Hijacking") for r in attacks)


def test_casualties_keeps_competing_figures_with_their_sources(sample_store):
    rows = run(sample_store, "casualties")
    reports = {r["r"].value for r in sample_store.query(
        f"SELECT DISTINCT ?r WHERE {{ ?r a <{KG_NS}CasualtyReport> }}", use_default_graph_as_union=True)}
    assert {r["report"] for r in rows} == reports
    insurgents_killed = {int(r["count"]) for r in rows if r["casualty_kind"] == "killed" and r["victims"] == "insurgents"}
    assert {67, 41} <= insurgents_killed  # "67 insurgents were killed ... the military said killed 41"
    killed = run(sample_store, "casualties", kind="KILLED")
    assert killed and all(r["casualty_kind"] == "killed" for r in killed)
    one = rows[0]["event"]
    assert {r["event"] for r in run(sample_store, "casualties", event=f"<{one}>")} == {one}


def test_evidence_behind_a_triple(sample_store):
    rows = run(sample_store, "evidence", subject="BLA", predicate="kg:claimed")
    assert rows
    for r in rows:
        assert r["status"] == "asserted" and r["relation"] == "claimed"
        assert "BLA" in r["evidence"] or "Baloch Liberation Army" in r["evidence"]
        assert r["article"]
    claims = run(sample_store, "evidence", object="Baloch Liberation Army", predicate="kg:supports")
    assert claims and all(r["status"] != "asserted" for r in claims)


def test_claims_are_never_asserted(sample_store):
    rows = run(sample_store, "claims", about="BLA")
    supports = [r for r in rows if r["relation"] == "supports" and r["object"] == BLA]
    assert supports, "the sample says India is accused of supporting the BLA, which New Delhi denies"
    for r in supports:
        assert not ask(sample_store, f"ASK {{ <{r['subject']}> <{KG_NS}supports> <{BLA}> }}")
    denied = run(sample_store, "claims", status="denied")
    assert denied and all(r["claim_status"] == "denied" for r in denied)


def test_neighbours_and_entity(sample_store):
    rows = run(sample_store, "neighbours", entity="Balochistan")
    assert rows and all(r["other"] != ID_NS + "entity/balochistan" for r in rows)
    counts = [int(r["connections"]) for r in rows]
    assert counts == sorted(counts, reverse=True)
    assert len(run(sample_store, "neighbours", entity="Balochistan", limit="1")) == 1
    facts = {(r["property"], r["value"]) for r in run(sample_store, "entity", entity="BLA")}
    assert ("rdfs:label", "Baloch Liberation Army") in facts
    assert ("rdf:type", KG_NS + "ArmedGroup") in facts
    assert any(p == "kg:claimed" for p, _ in facts)


# ----------------------------------------------------------------------------- parameters are terms, not text
def test_required_and_unknown_parameters(sample_store):
    with pytest.raises(QueryError, match="needs --param entity"):
        prepare(sample_store, get_saved("entity"), {})
    with pytest.raises(QueryError, match="has no parameter 'colour'"):
        prepare(sample_store, get_saved("entity"), {"entity": "BLA", "colour": "red"})
    with pytest.raises(QueryError, match="not a date"):
        prepare(sample_store, get_saved("events"), {"from": "31/01/2026"})
    with pytest.raises(QueryError, match="not a valid date"):
        prepare(sample_store, get_saved("events"), {"from": "2026-02-30"})


def test_injection_attempts_stay_data(sample_store):
    evil = 'denied") } UNION { ?claim ?p ?o } #'
    assert run(sample_store, "claims", status=evil) == []
    with pytest.raises(QueryError, match="no entity labelled"):
        run(sample_store, "who-claimed", actor='BLA" } ; DROP ALL ; #')
    with pytest.raises(QueryError, match="not an IRI"):
        prepare(sample_store, get_saved("evidence"), {"predicate": "<http://x> } ; DROP ALL ; <y>"})
    text = prepare(sample_store, get_saved("claims"), {"status": evil}).text
    assert '"denied\\") } union { ?claim ?p ?o } #"' in text  # one escaped literal (a keyword: lower-cased)
    # a parameter line made active holds the variable, never the text
    assert "\n  ?claim kg:claimStatus ?status .\n" in text


def test_ambiguous_labels_are_refused_with_candidates():
    store = ox.Store()
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    alt = ox.NamedNode("http://www.w3.org/2004/02/skos/core#altLabel")
    a, b = ox.NamedNode(ID_NS + "entity/a"), ox.NamedNode(ID_NS + "entity/b")
    store.extend([ox.Quad(a, label, ox.Literal("Alpha Front")), ox.Quad(b, label, ox.Literal("Beta Front")),
                  ox.Quad(a, alt, ox.Literal("AF")), ox.Quad(b, alt, ox.Literal("AF")),
                  ox.Quad(b, alt, ox.Literal("alpha front"))])
    with pytest.raises(QueryError, match="names 2 entities.*Alpha Front.*Beta Front"):
        resolve_entity(store, "af")
    assert resolve_entity(store, "ALPHA FRONT") == a  # an exact label beats an alias
    assert resolve_entity(store, "kgid:entity/b") == b


def test_ad_hoc_parameters(sample_store):
    q = "SELECT ?l WHERE { VALUES (?e) { (UNDEF) } ?e <http://www.w3.org/2000/01/rdf-schema#label> ?l }"
    rows = list(prepare(sample_store, q, [f"e=<{BLA}>"]).run(sample_store))
    assert {r["l"].value for r in rows} == {"Baloch Liberation Army"}
    rows = list(prepare(sample_store, q, ["e:entity=BLA"]).run(sample_store))
    assert {r["l"].value for r in rows} == {"Baloch Liberation Army"}
    q2 = "SELECT ?e ?l WHERE { ?e <http://www.w3.org/2000/01/rdf-schema#label> ?l }"  # substitutions
    rows = list(prepare(sample_store, q2, [f"e=<{BLA}>"]).run(sample_store))
    assert rows and {r["e"].value for r in rows} == {BLA}


# ----------------------------------------------------------------------------- formats and the CLI
def test_standard_formats(sample_store):
    result = prepare(sample_store, get_saved("who-claimed"), {}).run(sample_store)
    data = json.loads(serialize(result, "json"))
    assert "claimant" in data["head"]["vars"] and data["results"]["bindings"]
    graph = sample_store.query(f"CONSTRUCT {{ ?s <{KG_NS}claimed> ?o }} WHERE {{ ?s <{KG_NS}claimed> ?o }}",
                               use_default_graph_as_union=True)
    import rdflib

    g = rdflib.Graph().parse(data=serialize(graph, "turtle").decode(), format="turtle")
    assert (rdflib.URIRef(BLA), rdflib.URIRef(KG_NS + "claimed"), None) in g
    with pytest.raises(QueryError, match="is a table"):
        serialize(sample_store.query("SELECT * WHERE { ?s ?p ?o } LIMIT 1"), "turtle")


def test_cli_query_formats(sample_graph):
    from kg.cli import app

    out, store = sample_graph
    res = runner.invoke(app, ["query", "who-claimed", "--store", str(store), "-p", "actor=BLA", "-f", "csv"])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert rows and all(r["claimant"] == BLA for r in rows)
    res = runner.invoke(app, ["query", "claims", "--graph", str(out / "graph.trig"), "-f", "json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["results"]["bindings"]
    res = runner.invoke(app, ["query", "entity", "--graph", str(out / "graph.trig"), "-p", "entity=BLA", "-f", "tsv"])
    assert res.exit_code == 0 and res.stdout.startswith("?direction\t")
    res = runner.invoke(app, ["query", "SELECT ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l }",
                              "--store", str(store)])
    assert res.exit_code == 0 and "Baloch Liberation Army" in res.stdout
    res = runner.invoke(app, ["query", "CONSTRUCT WHERE { ?s <https://w3id.org/kg-news/ontology#claimed> ?o }",
                              "--store", str(store), "-f", "nt"])
    assert res.exit_code == 0 and "/entity/baloch-liberation-army>" in res.stdout
    res = runner.invoke(app, ["queries"])
    assert res.exit_code == 0 and all(name in res.stdout for name in REQUIRED)
    # one-line errors
    for args, message in [(["query", "SELECT * WHERE { ?s ?p }", "--store", str(store)], "syntax error"),
                          (["query", "who-claimed"], "exactly one of"),
                          (["query", "nosuchquery", "--store", str(store)], "neither a saved query"),
                          (["query", "entity", "--store", str(store)], "needs --param entity"),
                          (["query", "who-claimed", "--store", str(store), "-f", "turtle"], "is a table")]:
        res = runner.invoke(app, args)
        assert res.exit_code != 0, args
        assert "kg: error:" in res.output and message in res.output, (args, res.output)
        assert len(res.output.strip().splitlines()) == 1, res.output


def test_query_file_with_header(sample_graph, tmp_path):
    from kg.cli import app

    f = tmp_path / "mine.rq"
    f.write_text("# name: mine\n# param: who entity required -- someone\n"
                 "SELECT ?l WHERE { VALUES (?who) { (UNDEF) } ?who <http://www.w3.org/2004/02/skos/core#altLabel> ?l }\n")
    res = runner.invoke(app, ["query", str(f), "--store", str(sample_graph[1]), "-p", "who=Baloch Liberation Army",
                              "-f", "csv"])
    assert res.exit_code == 0, res.output
    assert "BLA" in res.stdout.splitlines()[1:]


# ----------------------------------------------------------------------------- Python API
def test_dataframe_and_kg_open(sample_graph, tmp_path):
    pd = pytest.importorskip("pandas")
    import kg

    out, store = sample_graph
    g = kg.open(store)
    df = g.query("casualties", {"kind": "killed"})
    assert isinstance(df, pd.DataFrame) and len(df) > 0
    assert df["count"].dtype.kind == "i"
    assert list(df.columns)[:4] == ["event", "event_label", "date", "casualty_kind"]
    assert g.query("ASK { ?s ?p ?o }") is True
    nxg = g.to_networkx()
    assert nxg.nodes[BLA]["label"] == "Baloch Liberation Army"
    trig = g.export(tmp_path / "again.trig")
    from kg.store import load_graph

    assert {str(q) for q in load_graph(trig)} == {str(q) for q in load_graph(out / "graph.trig")}
    ttl = g.export(tmp_path / "merged.ttl")
    assert {str(q) for q in load_graph(ttl)} == {str(q) for q in load_graph(out / "graph.ttl")}
    g.export(tmp_path / "g.graphml")
    assert (tmp_path / "g.graphml").stat().st_size > 1000
    file_df = to_dataframe(load_graph(out / "graph.trig"), get_saved("who-claimed"), {"actor": "BLA"})
    assert set(file_df["claimant"]) == {BLA}
