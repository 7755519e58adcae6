"""The SPARQL endpoint, run as `kg serve` in a subprocess and queried over HTTP with
SPARQLWrapper (a real SPARQL client) and urllib."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest_sparql import BLA, KG_NS, halves, sample_articles, sample_graph  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


class Endpoint:
    def __init__(self, args: list[str]):
        env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        self.proc = subprocess.Popen([sys.executable, "-m", "kg", "serve", "--port", "0", *args],
                                     stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env, cwd=ROOT)
        deadline = time.monotonic() + 90
        self.log: list[str] = []
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.log.append(line)
            m = re.search(r"SPARQL endpoint (http://\S+/sparql)", line)
            if m:
                self.url = m.group(1)
                self.base = self.url[: -len("sparql")]
                return
        self.stop()
        raise RuntimeError("kg serve did not start: " + "".join(self.log))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture(scope="module")
def endpoint(sample_graph):
    ep = Endpoint(["--store", str(sample_graph[1]), "--timeout", "20"])
    yield ep
    ep.stop()


def http(url: str, data: bytes | None = None, headers: dict | None = None, method: str | None = None):
    """(status, headers, body) without raising on HTTP errors."""
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def wrapper(ep: Endpoint, query: str, fmt: str):
    from SPARQLWrapper import SPARQLWrapper

    w = SPARQLWrapper(ep.url)
    w.setQuery(query)
    w.setReturnFormat(fmt)
    w.setTimeout(60)
    return w


def test_select_json_and_csv_with_sparqlwrapper(endpoint):
    from SPARQLWrapper import CSV, JSON, POST

    q = f"SELECT DISTINCT ?e WHERE {{ ?e <{LABEL}> \"Baloch Liberation Army\" }}"
    data = wrapper(endpoint, q, JSON).query().convert()
    assert [b["e"]["value"] for b in data["results"]["bindings"]] == [BLA]
    w = wrapper(endpoint, f"SELECT DISTINCT ?s ?o WHERE {{ ?s <{KG_NS}claimed> ?o }}", CSV)
    w.setMethod(POST)
    text = w.query().convert().decode("utf-8")
    assert text.splitlines()[0].strip() == "s,o"
    assert BLA in text


def test_construct_as_turtle(endpoint):
    import rdflib
    from SPARQLWrapper import TURTLE

    q = f"CONSTRUCT {{ ?s <{KG_NS}claimed> ?o }} WHERE {{ ?s <{KG_NS}claimed> ?o }}"
    w = wrapper(endpoint, q, TURTLE)
    result = w.query()
    assert result.response.headers["Content-Type"].startswith("text/turtle")
    g = rdflib.Graph().parse(data=result.convert(), format="turtle")
    assert len(g) > 0 and (rdflib.URIRef(BLA), rdflib.URIRef(KG_NS + "claimed"), None) in g


def test_ask_and_xml_and_tsv(endpoint):
    status, headers, body = http(endpoint.url + "?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"}))
    assert status == 200 and b'"boolean":true' in body
    status, headers, body = http(endpoint.url, urllib.parse.urlencode(
        {"query": f"SELECT ?l WHERE {{ <{BLA}> <{LABEL}> ?l }} LIMIT 1"}).encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+xml"})
    assert status == 200 and headers["Content-Type"].startswith("application/sparql-results+xml")
    assert b"Baloch Liberation Army" in body
    status, headers, body = http(endpoint.url, f"SELECT ?l WHERE {{ <{BLA}> <{LABEL}> ?l }} LIMIT 1".encode(),
                                 {"Content-Type": "application/sparql-query", "Accept": "text/tab-separated-values"})
    assert status == 200 and body.decode().splitlines() == ["?l", '"Baloch Liberation Army"']
    status, _, body = http(endpoint.url, b"CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1",
                           {"Content-Type": "application/sparql-query", "Accept": "text/csv"})
    assert status == 406 and b"text/turtle" in body


def test_updates_are_refused(endpoint):
    from SPARQLWrapper import POST, SPARQLWrapper

    w = SPARQLWrapper(endpoint.url)
    w.setMethod(POST)
    w.setQuery(f"INSERT DATA {{ <{BLA}> <{LABEL}> \"hacked\" }}")
    assert w.isSparqlUpdateRequest()
    with pytest.raises(urllib.error.HTTPError) as e:
        w.query()
    assert e.value.code == 403 and b"read-only" in e.value.read()
    status, _, body = http(endpoint.url, b"DELETE WHERE { ?s ?p ?o }", {"Content-Type": "application/sparql-update"})
    assert status == 403 and b"read-only" in body
    status, _, _ = http(endpoint.url + "?" + urllib.parse.urlencode({"update": "CLEAR ALL"}))
    assert status == 403
    # and the data is still there
    status, _, body = http(endpoint.url + "?" + urllib.parse.urlencode({"query": f"ASK {{ <{BLA}> ?p \"hacked\" }}"}))
    assert status == 200 and b'"boolean":false' in body


def test_federated_queries_are_refused_by_default(endpoint):
    q = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    status, _, body = http(endpoint.url + "?" + urllib.parse.urlencode({"query": q}))
    assert status == 403 and b"--allow-service" in body
    q = 'SELECT ?s WHERE { ?s ?p "SERVICE" } LIMIT 1'  # the word in a literal is fine
    status, _, _ = http(endpoint.url + "?" + urllib.parse.urlencode({"query": q}))
    assert status == 200


def test_malformed_query_is_a_400_with_a_message(endpoint):
    from SPARQLWrapper import JSON
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    with pytest.raises(QueryBadFormed) as e:
        wrapper(endpoint, "SELECT * WHERE { ?s ?p }", JSON).query()
    assert "syntax error" in str(e.value)


def test_request_limits(endpoint):
    status, _, body = http(endpoint.url, b"x" * (2 * 1024 * 1024),
                           {"Content-Type": "application/sparql-query"})
    assert status == 413
    status, _, body = http(endpoint.url, b"query=SELECT", {"Content-Type": "text/plain"})
    assert status == 415
    status, _, _ = http(endpoint.base + "nothing-here")
    assert status == 404


def test_service_description_and_query_page(endpoint):
    import rdflib

    status, headers, body = http(endpoint.url, headers={"Accept": "text/turtle"})
    assert status == 200 and headers["Content-Type"].startswith("text/turtle")
    g = rdflib.Graph().parse(data=body.decode(), format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    assert (None, rdflib.RDF.type, sd.Service) in g
    assert (None, sd.endpoint, rdflib.URIRef(endpoint.url)) in g
    status, headers, body = http(endpoint.base, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    page = body.decode()
    assert "<textarea" in page and 'src="/query.js"' in page
    assert not re.search(r"""(src|href)=["']https?://""", page), "no external resources"
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    status, _, js = http(endpoint.base + "query.js")
    assert status == 200 and b"textContent" in js and b"innerHTML" not in js
    status, _, saved = http(endpoint.base + "queries.json")
    assert status == 200 and b"who-claimed" in saved


def test_a_query_past_the_timeout_is_stopped(sample_graph):
    from SPARQLWrapper import JSON

    ep = Endpoint(["--store", str(sample_graph[1]), "--timeout", "1", "--workers", "1"])
    try:
        expensive = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
        t = time.monotonic()
        with pytest.raises(urllib.error.HTTPError) as e:
            wrapper(ep, expensive, JSON).query()
        assert e.value.code == 503 and b"stopped after 1 s" in e.value.read()
        assert time.monotonic() - t < 15
        # the endpoint recovers: a fresh worker answers the next query
        data = wrapper(ep, "ASK { ?s ?p ?o }", JSON).query().convert()
        assert data["boolean"] is True
    finally:
        ep.stop()


def test_serves_a_graph_file_and_picks_up_store_additions(sample_graph, halves, tmp_path):
    from SPARQLWrapper import JSON

    ep = Endpoint(["--graph", str(sample_graph[0] / "graph.trig")])
    try:
        data = wrapper(ep, f"SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE {{ <{BLA}> <{KG_NS}claimed> ?o }}", JSON).query().convert()
        assert int(data["results"]["bindings"][0]["n"]["value"]) > 0
        # patterns outside GRAPH see the merged graph: a label several articles state, once
        for query, expected in ((f"SELECT (COUNT(*) AS ?n) WHERE {{ <{BLA}> <{LABEL}> ?l }}", 1),
                                (f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ <{BLA}> <{LABEL}> ?l }} }}", None)):
            n = int(wrapper(ep, query, JSON).query().convert()["results"]["bindings"][0]["n"]["value"])
            assert n == expected if expected else n > 1
    finally:
        ep.stop()

    from kg.store import add_articles

    store = tmp_path / "store"
    add_articles(store, [halves[0]])
    ep = Endpoint(["--store", str(store)])
    try:
        count = "SELECT (COUNT(*) AS ?n) WHERE { ?a a <https://w3id.org/kg-news/ontology#Article> }"
        n = lambda: int(wrapper(ep, count, JSON).query().convert()["results"]["bindings"][0]["n"]["value"])  # noqa: E731
        assert n() == 3
        add_articles(store, [halves[1]])
        assert n() == 5  # the running endpoint sees the new version
    finally:
        ep.stop()


def test_cli_serve_errors():
    from typer.testing import CliRunner

    from kg.cli import app

    res = CliRunner().invoke(app, ["serve"])
    assert res.exit_code != 0 and "exactly one of" in res.output
    res = CliRunner().invoke(app, ["serve", "--graph", "/nonexistent/graph.trig"])
    assert res.exit_code != 0 and "kg: error:" in res.output


@pytest.mark.browser
def test_query_page_runs_a_query_and_shows_values_as_text(tmp_path):
    """Headless Chromium: the page runs a query via fetch and escapes every value."""
    import shutil

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    playwright = pytest.importorskip("playwright.sync_api")
    if not chromium:
        pytest.skip("chromium is not installed")
    evil = '<img src=x onerror=window.pwned=1>'
    graph = tmp_path / "g.ttl"
    graph.write_text(f'<{BLA}> <{LABEL}> "{evil}" .\n', encoding="utf-8")
    ep = Endpoint(["--graph", str(graph)])
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page()
            outside: list[str] = []

            def only_local(route):
                if route.request.url.startswith(ep.base):
                    return route.continue_()
                outside.append(route.request.url)
                return route.abort()

            page.route("**/*", only_local)
            page.goto(ep.base)
            page.fill("#query", f"SELECT ?s ?label WHERE {{ ?s <{LABEL}> ?label }}")
            page.click("#run")
            page.wait_for_selector("#out table")
            cells = page.eval_on_selector_all("#out td", "tds => tds.map(td => td.textContent)")
            assert evil in cells and "kgid:entity/baloch-liberation-army" in cells
            assert page.eval_on_selector_all("#out img", "els => els.length") == 0
            assert page.evaluate("window.pwned === undefined")
            assert "1 row" in page.inner_text("#status")
            page.fill("#query", "SELECT * WHERE { ?s ?p }")
            page.click("#run")
            page.wait_for_selector("#status.err")  # (a CSP without unsafe-eval: no wait_for_function)
            assert "400" in page.inner_text("#status")
            assert not outside
            browser.close()
    finally:
        ep.stop()
