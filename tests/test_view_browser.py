"""The network view in a real browser: headless Chromium (Debian's /usr/bin/chromium)
driven by Playwright, with every network request refused.

Skipped when /usr/bin/chromium or the playwright package is absent (never run
``playwright install``: it downloads a browser).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest_view import XSS_IMG, XSS_SCRIPT, node_count, sample_build, xss_build  # noqa: F401

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium "
                                                     "(apt-get install chromium)"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright Python package")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield b
        b.close()


class OfflinePage:
    """A page whose every http(s) request is aborted and recorded."""

    def __init__(self, browser, path: Path):
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route("http://**/*", self._abort)
        self.page.route("https://**/*", self._abort)
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_function("() => window.kgView && window.kgView.state.drawn", timeout=30_000)

    def _abort(self, route):
        self.requests.append(route.request.url)
        route.abort()

    def js(self, expression: str, arg=None):
        return self.page.evaluate(expression, arg)


@pytest.fixture
def sample_page(browser, sample_build):
    page = OfflinePage(browser, sample_build / "graph.html")
    yield page
    assert page.requests == [], f"the page tried to reach the network: {page.requests}"
    assert page.errors == [], page.errors
    page.context.close()


def test_network_draws_every_entity_and_event_offline(sample_page, sample_build):
    expected = node_count(sample_build / "graph.ttl")
    assert expected > 0
    assert sample_page.js("kgView.nodes.length") == expected
    assert sample_page.js("Object.keys(kgView.network.getPositions()).length") == expected
    assert sample_page.js("document.querySelectorAll('#kg-network canvas').length") == 1
    # the canvas was really painted: some pixel is not white
    painted = sample_page.js("""() => {
        const c = document.querySelector('#kg-network canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < d.length; i += 4) { if (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200) return true; }
        return false; }""")
    assert painted


def _hover(page: OfflinePage, x: float, y: float) -> str:
    page.page.mouse.move(x, y)
    page.page.wait_for_function("() => { const t = document.querySelector('div.vis-tooltip');"
                                " return t && t.style.visibility === 'visible' && t.innerText.length > 0; }",
                                timeout=5_000)
    return page.js("document.querySelector('div.vis-tooltip').innerText")


def test_tooltips_carry_evidence_and_entity_details(sample_page):
    # every edge with evidence quotes it in its tooltip
    missing = sample_page.js("""kgView.edges.get().filter(e => e.evidence.length && !e.title.includes(e.evidence[0][0]))
                                .map(e => e.id)""")
    assert missing == []
    # hover an edge of the Baloch Liberation Army with evidence on the canvas
    box = sample_page.page.locator("#kg-network").bounding_box()
    target = sample_page.js("""() => {
        const bla = kgView.nodes.get({filter: n => n.name === 'Baloch Liberation Army'})[0];
        kgView.network.focus(bla.id, {scale: 1.5, animation: false});
        const na = kgView.network.canvasToDOM(kgView.network.getPositions([bla.id])[bla.id]);
        // a point of one of its edges that no node and no other edge covers (the
        // layout decides where the others fall)
        for (const e of kgView.edges.get({filter: e => e.from === bla.id && e.evidence.length})) {
            const p = kgView.network.getPositions([e.from, e.to]);
            const a = kgView.network.canvasToDOM(p[e.from]), b = kgView.network.canvasToDOM(p[e.to]);
            for (let f = 0.3; f <= 0.8; f += 0.05) {
                const q = {x: a.x + (b.x - a.x) * f, y: a.y + (b.y - a.y) * f};
                if (kgView.network.getNodeAt(q) === undefined && kgView.network.getEdgeAt(q) === e.id) {
                    return {edge: e.id, evidence: e.evidence[0][0], x: q.x, y: q.y, nx: na.x, ny: na.y};
                }
            }
        }
        return null;
    }""")
    assert target is not None, "no edge of the Baloch Liberation Army can be hovered alone"
    text = _hover(sample_page, box["x"] + target["x"], box["y"] + target["y"])
    assert target["evidence"] in text
    sample_page.page.mouse.move(box["x"] + 5, box["y"] + 5)
    sample_page.page.wait_for_timeout(300)
    text = _hover(sample_page, box["x"] + target["nx"], box["y"] + target["ny"])
    assert text.startswith("Baloch Liberation Army") and "class: ArmedGroup" in text


def test_clicking_an_edge_shows_all_its_evidence(sample_page):
    info = sample_page.js("""() => {
        const e = kgView.edges.get({filter: e => e.evidence.length})[0];
        kgView.showEdge(e.id);
        return {sentences: e.evidence.map(x => x[0]), text: document.getElementById('kg-details-body').innerText,
                hidden: document.getElementById('kg-details').hidden};
    }""")
    assert not info["hidden"]
    assert all(s in info["text"] for s in info["sentences"])


def test_search_finds_the_baloch_liberation_army(sample_page):
    sample_page.page.fill("#kg-search", "Baloch Liberation Army")
    sample_page.page.press("#kg-search", "Enter")
    selected = sample_page.js("kgView.network.getSelectedNodes().map(id => kgView.nodes.get(id).name)")
    assert selected == ["Baloch Liberation Army"]
    assert sample_page.page.inner_text("#kg-search-status").startswith("1 match")
    assert sample_page.page.inner_text("#kg-details-body h3") == "Baloch Liberation Army"
    # the alias and a part of the name find it too
    for query in ("bla", "liberation army"):
        sample_page.page.fill("#kg-search", query)
        sample_page.page.click("#kg-search-go")
        names = sample_page.js("kgView.network.getSelectedNodes().map(id => kgView.nodes.get(id).name)")
        assert "Baloch Liberation Army" in names, query
    sample_page.page.fill("#kg-search", "no such thing at all")
    sample_page.page.press("#kg-search", "Enter")
    assert sample_page.page.inner_text("#kg-search-status").startswith("No node matches")


def test_class_toggles_hide_and_show_nodes(sample_page):
    total = sample_page.js("kgView.nodes.length")
    armed = sample_page.js("kgView.nodes.get({filter: n => n.cls === 'ArmedGroup'}).length")
    assert armed >= 1
    toggle = sample_page.page.locator('.kg-class-toggle[data-class="ArmedGroup"]')
    toggle.uncheck()
    hidden = sample_page.js("kgView.nodes.get({filter: n => n.hidden === true}).map(n => n.cls)")
    assert hidden == ["ArmedGroup"] * armed
    assert sample_page.page.inner_text("#kg-shown-nodes") == str(total - armed)
    # edges of hidden nodes are hidden too
    dangling = sample_page.js("""kgView.edges.get().filter(e => !e.hidden &&
        (kgView.nodes.get(e.from).hidden || kgView.nodes.get(e.to).hidden)).length""")
    assert dangling == 0
    toggle.check()
    assert sample_page.js("kgView.nodes.get({filter: n => n.hidden === true}).length") == 0
    # a relation toggle hides only its edges
    rel = sample_page.js("kgView.edges.get()[0].relation")
    sample_page.page.locator(f'.kg-relation-toggle[data-relation="{rel}"]').uncheck()
    assert set(sample_page.js("kgView.edges.get({filter: e => e.hidden}).map(e => e.relation)")) == {rel}


def test_script_payloads_in_an_article_stay_text(browser, xss_build):
    page = OfflinePage(browser, xss_build / "graph.html")
    try:
        page.page.wait_for_timeout(500)
        assert page.js("typeof window.__xss") == "undefined"
        assert page.js("document.querySelectorAll('img').length") == 0
        assert page.js("document.querySelectorAll('script').length") == 3
        # the payloads are in the data, as text, in the evidence of edges and in the article title
        evidence = page.js("kgView.edges.get().flatMap(e => e.evidence.map(x => x[0]))")
        assert any(XSS_SCRIPT in s for s in evidence) and any(XSS_IMG in s for s in evidence)
        titles = page.js("Object.values(kgView.data.articles).map(a => a.title)")
        assert any(XSS_SCRIPT in t and XSS_IMG in t for t in titles)
        # shown as text in the details panel, the tooltip and the casualty figures
        for predicate in ("e => e.evidence.some(x => x[0].includes('<script>'))",
                          "e => e.evidence.some(x => x[0].includes('<img'))"):
            text = page.js(f"""() => {{ const e = kgView.edges.get({{filter: {predicate}}})[0];
                kgView.showEdge(e.id); return document.getElementById('kg-details-body').textContent; }}""")
            assert XSS_SCRIPT in text or XSS_IMG in text
            assert page.js("document.querySelectorAll('#kg-details-body script, #kg-details-body img').length") == 0
        node_text = page.js("""() => { const n = kgView.nodes.get({filter: n => n.reports.length})[0];
            kgView.showNode(n.id); return document.getElementById('kg-details-body').textContent; }""")
        assert XSS_IMG in node_text
        page.page.fill("#kg-search", XSS_SCRIPT)
        page.page.press("#kg-search", "Enter")
        page.page.wait_for_timeout(300)
        assert page.js("typeof window.__xss") == "undefined"
        assert page.requests == [] and page.errors == []
    finally:
        page.context.close()
