"""Hostile text in articles and names: the build succeeds, every output parses (rdflib
and Oxigraph), every IRI is valid, SHACL conforms, the strings come back intact as
literals and are never run as code (HTML view, GraphML, terminal messages)."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph

from kg.build import BuildOptions, build
from kg.vocab import ID_NS

pytestmark = pytest.mark.e2e

XSS = ["<script>alert('kg-xss-1')</script>", "<img src=x onerror=\"alert('kg-xss-2')\">",
       "\"><svg onload=alert('kg-xss-3')>", "</script><script>alert('kg-xss-4')</script>",
       "javascript:alert('kg-xss-5')", "{{7*7}} ${7*7} <%= 7*7 %> &lt;b&gt; &amp;"]
SPARQL = ['" } ; DROP ALL ; SELECT * { "', "> } INSERT DATA { <urn:x> <urn:y> <urn:z> } #",
          "' } DELETE WHERE { ?s ?p ?o } #", '\\" . } ; CLEAR DEFAULT ; #', "<http://evil.example/> ?p ?o"]
UNICODE = ["\u202eevil\u202c gpj.exe", "zero\u200bwidth\u200djoiner\ufeffmark", "emoji 🧨🔥👩‍👩‍👧 flags 🇵🇰",
           "combining e\u0301\u0301\u0301 and ﷽", "NUL\x00here", "lone \ud800 surrogate"]
HUGE_TOKEN = "A" * 20_000

# gazetteer entries whose names are payloads, so they are certain to become entity labels
NAMES = {
    "kg-test-script-front": ("Kgx <script>alert('kg-xss-6')</script> Front", ["\"><svg onload=alert('kg-xss-7')>"]),
    "kg-test-drop-brigade": ('Kgy " } ; DROP ALL ; SELECT * { " Brigade', ["> } INSERT DATA { Kgy"]),
    "kg-test-rtl-legion": ("Kgz \u202eLegion\u202c 🧨", ["Kgz\u200bLegion"]),
}


def clean(s: str) -> str:
    """What ingest makes of a string: NUL to a space, a lone surrogate to U+FFFD."""
    return s.replace("\x00", " ").replace("\ud800", "\ufffd")


def articles() -> list[dict]:
    out = []
    payloads = XSS + SPARQL + UNICODE
    for i, p in enumerate(payloads):
        name = list(NAMES.values())[i % len(NAMES)][0]
        out.append({
            "title": f"Attack report {i} {p}",
            "text": (f"The Baloch Liberation Army claimed responsibility for the attack in Quetta, "
                     f"officials said {p}.\nMilitants from the {name} stormed a police station in Gwadar "
                     f"on 3 March 2024 and killed {i + 2} soldiers, the army said.\n"
                     f"Officials said the {name} also attacked a checkpoint near {p} in Turbat."),
        })
    out.append({"title": "Huge " + HUGE_TOKEN,
                "text": f"Gunmen attacked a bus in Quetta, police said. {HUGE_TOKEN} was written on a wall."})
    return out


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    src = d / "hostile.jsonl"
    # json.dumps escapes the lone surrogate as \ud800, as a scraper's JSON would
    src.write_text("".join(json.dumps(a) + "\n" for a in articles()), encoding="utf-8")
    gaz = d / "gazetteer.jsonl"
    gaz.write_text("".join(json.dumps({"id": k, "name": n, "class": "ArmedGroup", "aliases": a}) + "\n"
                           for k, (n, a) in NAMES.items()), encoding="utf-8")
    out = d / "out"
    result = build([src], out, BuildOptions(gazetteer_extra=(gaz,), validate=True, html=True,
                                            validate_max_triples=None))
    return out, result


def load_ox(path: Path) -> ox.Store:
    store = ox.Store()
    store.bulk_load(path=str(path), format=ox.RdfFormat.TRIG if path.suffix == ".trig" else ox.RdfFormat.TURTLE)
    return store


def values(store: ox.Store, query: str) -> list[str]:
    return [row[0].value for row in store.query(query, use_default_graph_as_union=True)]


def test_build_succeeds_with_only_the_expected_problems(hostile):
    out, result = hostile
    assert result.articles == len(articles())
    assert [p.reason for p in result.problems] == ["title longer than 1,000 characters; cut"]
    assert result.validation and result.validation["conforms"], result.validation


def test_outputs_parse_with_rdflib_and_oxigraph_alike(hostile):
    out, _ = hostile
    ds = Dataset()
    ds.parse(out / "graph.trig", format="trig")
    store = load_ox(out / "graph.trig")
    n_ox = int(values(store, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")[0])
    assert len(list(ds.quads((None, None, None, None)))) == n_ox > 0
    g = Graph()
    g.parse(out / "graph.ttl", format="turtle")
    merged = load_ox(out / "graph.ttl")
    assert len(g) == int(values(merged, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]) > 0


_IRI = re.compile(r"[a-z][a-z0-9+.-]*:(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#\[\]]|%[0-9A-F]{2})+")


def test_every_iri_is_valid_ascii_and_free_of_dot_segments(hostile):
    out, _ = hostile
    store = load_ox(out / "graph.trig")
    iris = set()
    for q in store.quads_for_pattern(None, None, None, None):
        for term in (q.subject, q.predicate, q.object, q.graph_name):
            if isinstance(term, ox.NamedNode):
                iris.add(term.value)
    minted = {i for i in iris if i.startswith(ID_NS)}
    assert len(minted) > 20
    for iri in iris:
        assert ox.NamedNode(iri).value == iri
        assert _IRI.fullmatch(iri), iri
    for iri in minted:
        assert all(seg not in (".", "..", "") for seg in iri[len(ID_NS):].split("/")), iri
    # the payload names became entities with percent-encoded IRIs of their own
    for key in NAMES:
        assert f"{ID_NS}entity/{key}" in iris


def test_strings_come_back_intact_as_literals(hostile):
    out, _ = hostile
    store = load_ox(out / "graph.trig")
    titles = set(values(store, "SELECT ?t WHERE { ?a a <https://w3id.org/kg-news/ontology#Article> ; "
                               "<http://purl.org/dc/terms/title> ?t }"))
    expected = {clean(a["title"]) for a in articles()[:-1]}
    assert expected <= titles
    assert "Huge " + "A" * (1000 - len("Huge ")) in titles  # the cut title (no space to cut at)
    for key, (name, _) in NAMES.items():
        iri = f"<{ID_NS}entity/{key}>"
        assert values(store, f"SELECT DISTINCT ?l WHERE {{ {iri} <http://www.w3.org/2000/01/rdf-schema#label> ?l }}") \
            == [name]
    evidence = "\n".join(values(store, "SELECT ?e WHERE { ?s <https://w3id.org/kg-news/ontology#evidence> ?e }"))
    for p in XSS[:3] + SPARQL[:2] + ["👩‍👩‍👧", "\u202eevil\u202c"]:
        assert p in evidence, p
    assert "\ufffd surrogate" in evidence and "\x00" not in evidence


def test_injection_strings_changed_nothing_in_the_store(hostile):
    out, result = hostile
    store = load_ox(out / "graph.trig")
    graphs = values(store, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert sum("/id/graph/a" in g for g in graphs) == result.articles
    assert not values(store, "SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?s), 'urn:') "
                             "|| STRSTARTS(STR(?s), 'http://evil')) }")


def test_shacl_conforms_on_the_merged_graph(hostile):
    from kg.validate import validate_file

    out, _ = hostile
    assert validate_file(out / "graph.ttl").conforms


def test_graphml_is_well_formed_and_keeps_the_labels(hostile):
    import networkx as nx

    out, _ = hostile
    g = nx.read_graphml(out / "graph.graphml")
    labels = {d.get("label") for _, d in g.nodes(data=True)}
    assert {name for name, _ in NAMES.values()} <= labels


def test_html_view_never_holds_a_payload_as_markup(hostile):
    out, _ = hostile
    html = (out / "graph.html").read_text(encoding="utf-8")
    for p in XSS + [name for name, _ in NAMES.values()] + [a for _, al in NAMES.values() for a in al]:
        if "<" in p or ">" in p:
            assert p not in html, p
    assert "alert('kg-xss-6')" in html  # the label is there, escaped: \u003cscript\u003e...
    assert "\\u003cscript\\u003ealert('kg-xss-6')" in html


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_html_view_runs_no_payload_in_a_browser(hostile):
    sync_api = pytest.importorskip("playwright.sync_api")
    out, _ = hostile
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.route("http://**/*", lambda r: r.abort())
            page.route("https://**/*", lambda r: r.abort())
            page.goto((out / "graph.html").resolve().as_uri())
            page.wait_for_function("() => window.kgView && window.kgView.state.drawn", timeout=30_000)
            # search for a payload name: the result list shows it as text
            page.evaluate("() => { const s = document.querySelector('input[type=search], #search');"
                          " if (s) { s.value = 'Kgx'; s.dispatchEvent(new Event('input')); } }")
            page.wait_for_timeout(300)
            assert dialogs == []
            assert page.evaluate("() => document.querySelectorAll('svg[onload], img[onerror]').length") == 0
        finally:
            browser.close()


def test_terminal_messages_escape_control_characters(tmp_path):
    from typer.testing import CliRunner

    from kg.cli import app

    bad = tmp_path / "evil\x1b[2J\x1b]0;pwned\x07.txt"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "ok.txt").write_text("Militants attacked a police station in Quetta, officials said.")
    res = CliRunner().invoke(app, ["build", str(tmp_path), "-o", str(tmp_path / "out"), "-q", "--no-validate",
                                   "--no-html"])
    assert res.exit_code == 3
    assert "\x1b" not in res.output and "\x07" not in res.output
    assert "evil\\x1b[2J\\x1b]0;pwned\\x07.txt: a PNG image, not text" in res.output


# ----------------------------------------------------------------------------- endpoint and queries
@pytest.fixture(scope="module")
def endpoint(hostile):
    pytest.importorskip("kg.serve")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from bench_load import Server

    srv = Server(hostile[0] / "graph.trig", "--timeout", "10")
    yield srv
    srv.stop()


def _get(url: str, params: dict, headers: dict | None = None) -> tuple[int, dict, bytes]:
    import urllib.error
    import urllib.parse
    import urllib.request

    req = urllib.request.Request(url + "?" + urllib.parse.urlencode(params), headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@pytest.fixture
def canary():
    """A loopback HTTP server that records every request it gets (for SERVICE)."""
    import http.server
    import threading

    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(500)
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/", hits
    srv.shutdown()


SERVICE_TRICKS = [
    "SELECT * {{ ?s ?p ?o SERVICE <{u}a> {{ ?a ?b ?c }} }}",
    "SELECT * {{ ?s ?p ?o sErViCe SILENT <{u}b> {{ ?a ?b ?c }} }}",
    "SELECT * {{ ?s ?p ?o # '''\nSERVICE <{u}c> {{ ?a ?b ?c }}\n# '''\n}}",
    'SELECT * {{ ?s ?p ?o # """\nSERVICE <{u}d> {{ ?a ?b ?c }}\n# """\n}}',
    "PREFIX e: <{u}> SELECT * {{ ?s ?p e:x\\# . SERVICE e:e {{ ?a ?b ?c }} }}",
    "PREFIX e: <{u}> SELECT * {{ ?s ?p ?o FILTER(?o != 'it''s') SERVICE e:f {{ ?a ?b ?c }} }}",
]


@pytest.mark.parametrize("trick", SERVICE_TRICKS)
def test_federated_queries_are_refused_however_written(endpoint, canary, trick):
    url, hits = canary
    query = trick.format(u=url)
    status, _, body = _get(endpoint.url, {"query": query})
    assert status in (400, 403), (status, body[:300])
    assert hits == [], f"the endpoint fetched {hits} for {query!r}"


def test_endpoint_errors_are_plain_text_and_escape_nothing_into_html(endpoint):
    payload = "<script>alert('kg-xss-9')</script>"
    status, headers, body = _get(endpoint.url, {"query": f"SELECT * {{ {payload} }}"},
                                 {"Accept": "text/html,application/xhtml+xml"})
    assert 400 <= status < 500
    assert headers["Content-Type"].startswith("text/plain") and headers.get("X-Content-Type-Options") == "nosniff"
    assert len(body.decode().strip().splitlines()) == 1  # a one-line reason
    status, headers, body = _get(endpoint.url.rsplit("/", 1)[0] + "/%3Csvg%20onload=alert(1)%3E", {})
    assert status == 404 and headers["Content-Type"].startswith("text/plain")


def test_oversized_requests_are_refused_with_4xx(endpoint):
    import urllib.error
    import urllib.request

    status, _, _ = _get(endpoint.url, {"query": "SELECT * { ?s ?p ?o } #" + "x" * (1100 * 1024)})
    assert status == 414
    req = urllib.request.Request(endpoint.url, data=b"SELECT * {}" + b" " * (1100 * 1024),
                                 headers={"Content-Type": "application/sparql-query"})
    try:
        urllib.request.urlopen(req, timeout=30)
        status = 200
    except urllib.error.HTTPError as e:
        status = e.code
    except (ConnectionResetError, BrokenPipeError, urllib.error.URLError):
        status = 413  # refused before the body was read: the server closed the connection
    assert status == 413
    assert endpoint.alive() and _get(endpoint.url, {"query": "ASK {}"})[0] == 200


def test_hostile_labels_through_the_endpoint_come_back_intact(endpoint):
    name = NAMES["kg-test-drop-brigade"][0]
    status, _, body = _get(endpoint.url, {"query": f"SELECT ?l WHERE {{ <{ID_NS}entity/kg-test-drop-brigade> "
                                                   f"<http://www.w3.org/2000/01/rdf-schema#label> ?l }}"},
                           {"Accept": "application/sparql-results+json"})
    assert status == 200
    assert {b["l"]["value"] for b in json.loads(body)["results"]["bindings"]} == {name}


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_query_page_shows_hostile_results_as_text(endpoint):
    sync_api = pytest.importorskip("playwright.sync_api")
    base = endpoint.url.rsplit("/", 1)[0] + "/"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(base)
            page.fill("#query", "SELECT ?e ?l WHERE { ?e <http://www.w3.org/2000/01/rdf-schema#label> ?l "
                                "FILTER(STRSTARTS(STR(?e), 'https://w3id.org/kg-news/id/entity/kg-test')) }")
            page.click("#run")
            page.wait_for_selector("#out >> text=kg-xss-6", timeout=30_000)  # (no eval: the page's CSP)
            text = page.inner_text("#out")
            assert NAMES["kg-test-script-front"][0] in text and NAMES["kg-test-drop-brigade"][0] in text
            assert page.evaluate("() => document.querySelectorAll('#out script, #out svg, #out img').length") == 0
            # an error message that repeats the query's text is shown as text too
            page.fill("#query", "SELECT * { <img src=x onerror=alert('kg-xss-10')> }")
            page.click("#run")
            page.wait_for_selector("#status.err", timeout=30_000)
            page.wait_for_timeout(300)
            assert page.evaluate("() => document.querySelectorAll('img, svg[onload]').length") == 0
            assert dialogs == []
        finally:
            browser.close()


def test_saved_query_parameters_are_bound_not_pasted(hostile):
    query = pytest.importorskip("kg.query")
    out, _ = hostile
    store = load_ox(out / "graph.trig")
    before = int(values(store, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")[0])
    for evil in SPARQL + XSS[:3]:
        with pytest.raises(query.QueryError):  # no such entity, or not an IRI: never run as SPARQL
            query.resolve_entity(store, evil)
        prepared = query.prepare(None, "SELECT ?x WHERE { VALUES (?x) { (UNDEF) } }", [f"x:string={evil}"])
        rows = list(prepared.run(store))
        assert [r["x"].value for r in rows] == [evil]
    # a label with injection text is found by its exact text
    assert query.resolve_entity(store, NAMES["kg-test-drop-brigade"][0]).value == f"{ID_NS}entity/kg-test-drop-brigade"
    assert int(values(store, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")[0]) == before
