"""The interactive network view: one self-contained HTML page that works offline.

The network is built with pyvis (nodes, edges, vis-network options) and rendered
through our own Jinja template (``kg/templates/view.html``), which inlines
vis-network's script and style sheet from pyvis' package data and adds the page
chrome: title, "showing N of M nodes" notice, search box, legend with class and
relation toggles, and a details panel with the evidence of the selected edge.

Safety: nothing on the page is loaded from the network (everything is inlined and a
Content-Security-Policy forbids any fetch); all text from articles reaches the page
as JSON inside a ``<script type="application/json">`` block with ``<``, ``>`` and
``&`` escaped, and is shown with ``textContent``/``innerText``, never as HTML. The
policy also only lets the page's own scripts (by hash) run.

Large graphs: positions are precomputed (:func:`force_layout`) and physics is off,
so the browser draws once and the network is still at once.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np

CLASS_COLOURS = {
    "ArmedGroup": "#d62728", "SecurityForce": "#1f77b4", "GovernmentBody": "#9467bd",
    "MediaOrganization": "#8c564b", "InternationalOrganization": "#17becf", "Company": "#7f7f7f",
    "Organization": "#bcbd22", "Person": "#e377c2", "Group": "#f7a6a0", "Agent": "#c5b0d5",
    "Country": "#2ca02c", "Region": "#7fcf6f", "City": "#66c2a5", "Facility": "#c49c94", "Vehicle": "#a6a6a6",
    "WaterBody": "#8ecae6", "Place": "#98df8a", "Project": "#ffbb78",
    "Attack": "#ff7f0e", "Hijacking": "#e6550d", "SecurityOperation": "#393b79", "Protest": "#fdd0a2",
    "Agreement": "#31a354", "Invasion": "#843c39", "ArmedConflict": "#a55194", "Coup": "#7b4173",
    "Death": "#636363", "Event": "#fdae6b",
}
CATEGORY_SHAPES = {"Agent": "dot", "Place": "triangle", "Event": "diamond", "Project": "square"}
LARGE_GRAPH = 1500  # nodes; above: approximate layout forces, no edge labels on the canvas
_TEMPLATES = Path(__file__).parent / "templates"


# ----------------------------------------------------------------------------- layout
def force_layout(n: int, edges: np.ndarray, seed: int = 7, iterations: int = 60,
                 exact_max: int = 1000) -> np.ndarray:
    """Fruchterman–Reingold positions (``n`` × 2) for ``n`` nodes and an ``E`` × 2 edge array.

    Repulsion is exact (all pairs) up to ``exact_max`` nodes; above, near pairs are
    found with a k-d tree and far nodes act through the centroids of a coarse grid,
    which keeps 5,000 nodes / 20,000 edges at a few seconds.

    Examples
    --------
    >>> pos = force_layout(3, np.array([[0, 1], [1, 2]]))
    >>> pos.shape
    (3, 2)
    >>> bool(np.linalg.norm(pos[0] - pos[1]) < np.linalg.norm(pos[0] - pos[2]))
    True
    """
    rng = np.random.default_rng(seed)
    if n == 0:
        return np.zeros((0, 2))
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    edges = edges[edges[:, 0] != edges[:, 1]]
    src, dst = edges[:, 0], edges[:, 1]
    side = math.sqrt(n) * 1.5
    pos = rng.uniform(0, side, size=(n, 2))
    temp0, cutoff, grid = side / 8, 2.5, 20
    for it in range(iterations):
        if n <= exact_max:
            dx = pos[:, 0:1] - pos[:, 0]
            dy = pos[:, 1:2] - pos[:, 1]
            d2 = dx * dx + dy * dy
            np.fill_diagonal(d2, np.inf)
            w = 1.0 / np.maximum(d2, 1e-4)
            fx, fy = (dx * w).sum(1), (dy * w).sum(1)
        else:
            from scipy.spatial import cKDTree  # (an import of about a second: only when needed)

            pairs = cKDTree(pos).query_pairs(cutoff, output_type="ndarray")
            i, j = pairs[:, 0], pairs[:, 1]
            delta = pos[i] - pos[j]
            w = 1.0 / np.maximum((delta ** 2).sum(1), 1e-4)
            fx = np.bincount(i, delta[:, 0] * w, n) - np.bincount(j, delta[:, 0] * w, n)
            fy = np.bincount(i, delta[:, 1] * w, n) - np.bincount(j, delta[:, 1] * w, n)
            lo = pos.min(0)
            span = np.maximum(pos.max(0) - lo, 1e-9)
            cell = np.minimum(((pos - lo) / span * grid).astype(np.int64), grid - 1)
            cid = cell[:, 0] * grid + cell[:, 1]
            mass = np.bincount(cid, minlength=grid * grid).astype(float)
            cx = np.bincount(cid, pos[:, 0], grid * grid)
            cy = np.bincount(cid, pos[:, 1], grid * grid)
            nz = mass > 0
            m, cx, cy = mass[nz], cx[nz] / mass[nz], cy[nz] / mass[nz]
            dx, dy = pos[:, 0:1] - cx, pos[:, 1:2] - cy
            d2 = dx * dx + dy * dy
            w = np.where(d2 > cutoff * cutoff, m / np.maximum(d2, 1e-4), 0.0)
            fx += (dx * w).sum(1)
            fy += (dy * w).sum(1)
        if len(src):
            delta = pos[src] - pos[dst]
            d = np.sqrt((delta ** 2).sum(1))
            ax, ay = delta[:, 0] * d, delta[:, 1] * d
            fx += np.bincount(dst, ax, n) - np.bincount(src, ax, n)
            fy += np.bincount(dst, ay, n) - np.bincount(src, ay, n)
        centre = pos.mean(0)
        fx += (centre[0] - pos[:, 0]) * 0.02
        fy += (centre[1] - pos[:, 1]) * 0.02
        length = np.sqrt(np.maximum(fx * fx + fy * fy, 1e-12))
        step = np.minimum(length, temp0 * (1 - it / iterations) + 0.02) / length
        pos[:, 0] += fx * step
        pos[:, 1] += fy * step
    return pos


def _component_layout(g: nx.Graph, nodes: list, seed: int) -> np.ndarray:
    """Positions of one connected component, scaled so that a typical edge is 1 long."""
    n = len(nodes)
    if n == 1:
        return np.zeros((1, 2))
    if n == 2:
        return np.array([[0.0, 0.0], [1.0, 0.0]])
    index = {v: i for i, v in enumerate(nodes)}
    # in a set order: the graph's edge order follows the store's, which can change
    # from one process to the next, and the sums of forces with it
    edges = np.array(sorted((min(index[a], index[b]), max(index[a], index[b]))
                            for a, b in g.subgraph(nodes).edges())).reshape(-1, 2)
    pos = force_layout(n, edges, seed=seed)
    length = np.linalg.norm(pos[edges[:, 0]] - pos[edges[:, 1]], axis=1)
    return pos / max(float(np.median(length)), 1e-6)


def layout_positions(g: nx.MultiDiGraph, spacing: float = 140.0, seed: int = 7) -> dict[str, tuple[float, float]]:
    """Pixel positions: each connected component laid out by :func:`force_layout`
    (a typical edge ``spacing`` px long), then the components packed in rows,
    largest first, into shelves (small ones stacked beside big ones). Nodes without
    an edge come last, sorted by class and label.

    Examples
    --------
    >>> g = nx.MultiDiGraph([("a", "b")]); g.add_node("c", label="C", cls="City")
    >>> sorted(layout_positions(g))
    ['a', 'b', 'c']
    """
    simple = nx.Graph(g)
    simple.remove_edges_from(nx.selfloop_edges(simple))

    def order(n):
        d = g.nodes[n]
        return (d.get("cls") or "", (d.get("label") or str(n)).casefold(), str(n))

    comps = sorted((sorted(c, key=order) for c in nx.connected_components(simple)),
                   key=lambda c: (-len(c), order(c[0])))
    boxes = []
    for c in comps:
        pos = _component_layout(simple, c, seed) * spacing
        pos -= pos.min(0)
        # room for labels (centred under their node, about 8.5 px a character) and a margin
        half = 4.25 * min(max(len(g.nodes[v].get("label") or str(v)) for v in c), 40)
        pos[:, 0] += half
        margin = np.array([20.0, spacing * 0.45]) if len(c) == 1 else np.array([spacing * 0.5, spacing * 0.8])
        boxes.append((c, pos, pos.max(0) + np.array([half, 0.0]) + margin))
    area = sum(float(b[2][0] * b[2][1]) for b in boxes)
    row_width = max(math.sqrt(area * 1.7), max((float(b[2][0]) for b in boxes), default=0.0))
    # shelves as high as their first (largest) box; the boxes after it stack in columns
    # inside the shelf, so small components fill the room beside a tall one
    out: dict[str, tuple[float, float]] = {}
    shelf_y = shelf_h = col_x = col_y = col_w = 0.0
    first = True
    for c, pos, size in boxes:
        w, h = float(size[0]), float(size[1])
        if first or (col_y + h > shelf_h and col_x + col_w + w > row_width):
            shelf_y += shelf_h
            shelf_h, col_x, col_y, col_w, first = h, 0.0, 0.0, 0.0, False
        elif col_y + h > shelf_h:  # next column in this shelf
            col_x, col_y, col_w = col_x + col_w, 0.0, 0.0
        for v, (px, py) in zip(c, pos):
            out[v] = (round(col_x + float(px), 1), round(shelf_y + col_y + float(py), 1))
        col_y += h
        col_w = max(col_w, w)
    return out



# ----------------------------------------------------------------------------- page
@dataclass
class ViewStats:
    """What a written view shows."""

    nodes: int
    edges: int
    total_nodes: int
    total_edges: int
    path: Path


def _categories() -> dict[str, str]:
    """Class local name → Agent, Place, Event or Project (for the node shape)."""
    from kg.view import class_closure

    out = {}
    for top, members in class_closure(list(CATEGORY_SHAPES)).items():
        for m in members:
            out[m] = top
    return out


def _wikidata_id(value: str | None) -> str | None:
    """A Wikidata id from an id ("Q804926") or an entity IRI."""
    if not value:
        return None
    q = value.rsplit("/", 1)[-1] if "wikidata.org/entity/" in value else value
    return q if q[:1] in "QP" and q[1:].isdigit() else None


def _aliases(d: dict) -> list[str]:
    a = d.get("aliases") or ""
    return sorted({x for x in (a.split("|") if isinstance(a, str) else a) if x and x != d.get("label")})


def _article_ref(articles: dict, aid: str | None) -> str:
    if not aid:
        return "unknown article"
    info = articles.get(aid) or {}
    title = info.get("title") or aid
    return f"{title} ({info['date']})" if info.get("date") else title


def _node_tooltip(d: dict, articles: dict, degree: int) -> str:
    lines = [d.get("label") or "", f"class: {d.get('cls', '')}"]
    aliases = _aliases(d)
    if aliases:
        lines.append("also: " + ", ".join(aliases))
    qid = _wikidata_id(d.get("wikidata"))
    if qid:
        lines.append(f"Wikidata: {qid}")
    if d.get("date"):
        lines.append(f"date: {d['date']}")
    reports = d.get("reports") or []
    if reports:
        lines.append("casualty figures:")
        lines += [f"  • {r.text()}" for r in reports[:8]]
        if len(reports) > 8:
            lines.append(f"  … {len(reports) - 8} more (click the node)")
    srcs = sorted(d.get("articles") or ())
    if srcs:
        lines.append(f"from {len(srcs)} article{'s' if len(srcs) != 1 else ''}: "
                     + "; ".join(_article_ref(articles, a) for a in srcs[:3]) + ("; …" if len(srcs) > 3 else ""))
    lines.append(f"{degree} edge{'s' if degree != 1 else ''}")
    return "\n".join(lines)


def _edge_evidence(d: dict) -> list[tuple[str, str | None]]:
    from kg.view import Evidence

    items = d.get("evidence_list")
    if items is None:  # a plain graph_to_networkx graph: one sample sentence
        items = [Evidence(d["evidence"], (d.get("articles") or "").split("|")[0] or None)] if d.get("evidence") else []
    return [(e.sentence, e.article) for e in items]


def _edge_tooltip(src: str, relation: str, dst: str, evidence, articles: dict) -> str:
    lines = [f"{src} —{relation}→ {dst}"]
    for sentence, aid in evidence[:3]:
        lines.append(f"“{sentence}”\n   — {_article_ref(articles, aid)}")
    if len(evidence) > 3:
        lines.append(f"… {len(evidence) - 3} more sentence(s) (click the edge)")
    if not evidence:
        lines.append("(no evidence sentence recorded)")
    return "\n".join(lines)


def _json_for_script(value) -> str:
    """JSON that can sit inside a ``<script>`` element whatever the strings hold."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


class _NodeIds(list):
    """pyvis's list of node ids, with membership in constant time: ``add_edge`` checks
    that both ends are nodes with ``in``, which on a list made adding the edges
    quadratic (0.4 s for 7,000 edges between 3,000 nodes). Set once the nodes are in.

    >>> ids = _NodeIds(["a", "b"]); "b" in ids, "c" in ids, list(ids)
    (True, False, ['a', 'b'])
    """

    def __init__(self, items):
        super().__init__(items)
        self._members = set(items)

    def __contains__(self, item) -> bool:
        return item in self._members


def build_network(g: nx.MultiDiGraph, size_by: str = "degree"):
    """A pyvis ``Network`` of ``g`` with positions, colours, shapes, sizes and tooltips.

    Node and edge dicts carry extra fields for the page script (``cls``, ``aliases``,
    ``reports``, ``evidence`` ...); vis-network ignores them.

    Examples
    --------
    >>> g = nx.MultiDiGraph(); g.add_node("x", label="X", cls="City", kind="entity")
    >>> net = build_network(g); net.nodes[0]["label"], net.nodes[0]["shape"]
    ('X', 'triangle')
    """
    from pyvis.network import Network

    from kg.view import centrality

    articles = g.graph.get("articles", {})
    large = len(g) > LARGE_GRAPH
    net = Network(height="100%", width="100%", directed=True, cdn_resources="in_line", notebook=False)
    pos = layout_positions(g)
    score = centrality(g, size_by)
    top = max(score.values(), default=1.0) or 1.0
    cats = _categories()
    for n, d in g.nodes(data=True):
        cls = d.get("cls") or "Thing"
        x, y = pos[n]
        reports = d.get("reports") or []
        label = d.get("label") or n
        if d.get("kind") == "event" and d.get("date") and d["date"] not in label:
            label = f"{label}\n{d['date']}"
        net.add_node(
            n, label=label, shape=CATEGORY_SHAPES.get(cats.get(cls, ""), "dot"),
            color=CLASS_COLOURS.get(cls, "#999999"), size=round(9 + 26 * math.sqrt(score[n] / top), 1),
            title=_node_tooltip(d, articles, g.degree(n)), x=x, y=y, physics=False,
            cls=cls, kind=d.get("kind", "entity"), name=d.get("label") or n, aliases=_aliases(d),
            wikidata=_wikidata_id(d.get("wikidata")), date=d.get("date"), articles=sorted(d.get("articles") or ()),
            reports=[{"text": r.text(), "count": r.count, "kind": r.kind, "victims": r.victims,
                      "qualifier": r.qualifier, "source": r.source, "evidence": r.evidence, "article": r.article}
                     for r in reports],
            degree=g.degree(n), borderWidth=2 if reports else 1,
        )
    if isinstance(getattr(net, "node_ids", None), list):
        net.node_ids = _NodeIds(net.node_ids)
    for i, (s, o, k, d) in enumerate(g.edges(keys=True, data=True)):
        relation = d.get("relation") or k
        evidence = _edge_evidence(d)
        net.add_edge(s, o, id=f"e{i}", label=None if large else relation, relation=relation,
                     title=_edge_tooltip(g.nodes[s].get("label") or s, relation, g.nodes[o].get("label") or o,
                                         evidence, articles),
                     evidence=[[sent, aid] for sent, aid in evidence],
                     width=1 + min(len(evidence), 5) * 0.5)
    options = {
        "physics": {"enabled": False},
        "layout": {"improvedLayout": False},
        "interaction": {"hover": True, "tooltipDelay": 120, "multiselect": True, "navigationButtons": False,
                        "hideEdgesOnDrag": large, "hideEdgesOnZoom": large},
        "nodes": {"font": {"size": 14, "face": "sans-serif"}, "scaling": {"label": {"drawThreshold": 6 if large else 3}}},
        "edges": {"arrows": {"to": {"enabled": True, "scaleFactor": 0.5}}, "smooth": False,
                  "color": {"color": "#9aa4ad", "highlight": "#222222", "hover": "#444444"},
                  # "horizontal": with any other alignment vis-network 9.1.2 draws the labels of edges
                  # that are too small to show, or level, at the origin (visjs/vis-network#2044)
                  "font": {"size": 10, "align": "horizontal", "color": "#555555", "strokeWidth": 3}},
    }
    net.set_options(json.dumps(options))
    return net


def _asset(*parts: str) -> str:
    import pyvis

    text = Path(pyvis.__file__).parent.joinpath("templates", "lib", *parts).read_text(encoding="utf-8")
    if "</script" in text.lower() or "</style" in text.lower():  # pragma: no cover - a changed pyvis
        raise RuntimeError(f"pyvis asset {'/'.join(parts)} cannot be inlined safely")
    return text


def _sha256(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


def render_page(net, title: str, notes=(), total: tuple[int, int] | None = None,
                articles: dict | None = None) -> str:
    """The HTML page of a pyvis network built by :func:`build_network`."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    nodes, edges, _, _, _, options = net.get_network_data()
    classes: dict[str, int] = {}
    for n in nodes:
        classes[n["cls"]] = classes.get(n["cls"], 0) + 1
    relations: dict[str, int] = {}
    for e in edges:
        relations[e["relation"]] = relations.get(e["relation"], 0) + 1
    cats = _categories()
    order = {"Agent": 0, "Place": 1, "Event": 2, "Project": 3}
    legend = [{"name": c, "count": k, "colour": CLASS_COLOURS.get(c, "#999999"),
               "shape": CATEGORY_SHAPES.get(cats.get(c, ""), "dot"), "category": cats.get(c, "other")}
              for c, k in sorted(classes.items(), key=lambda x: (order.get(cats.get(x[0], ""), 9), x[0]))]
    total_nodes, total_edges = total or (len(nodes), len(edges))
    data = {"nodes": nodes, "edges": edges, "options": json.loads(options), "articles": articles or {},
            "title": title}
    vis_js = _asset("vis-9.1.2", "vis-network.min.js")
    page_js = (_TEMPLATES / "view.js").read_text(encoding="utf-8")
    env = Environment(loader=FileSystemLoader(str(_TEMPLATES)), autoescape=select_autoescape(default=True))
    return env.get_template("view.html").render(
        title=title, notes=list(notes), legend=legend, relations=sorted(relations.items()),
        shown_nodes=len(nodes), shown_edges=len(edges), total_nodes=total_nodes, total_edges=total_edges,
        large=len(nodes) > LARGE_GRAPH,
        data_json=_json_for_script(data), vis_css=_asset("vis-9.1.2", "vis-network.css"),
        page_css=(_TEMPLATES / "view.css").read_text(encoding="utf-8"), vis_js=vis_js, page_js=page_js,
        csp_scripts=" ".join((_sha256(vis_js), _sha256(page_js))),
    )


def write_html(g: nx.MultiDiGraph, path: Path, title: str = "kg network", *, store=None, notes=(),
               total: tuple[int, int] | None = None, size_by: str = "degree") -> ViewStats:
    """Write a self-contained HTML view of ``g`` (a graph from
    :func:`kg.analytics.graph_to_networkx` or :func:`kg.view.view_graph`).

    With ``store``, the graph is read again from it by :func:`kg.view.view_graph`,
    which adds every evidence sentence, article titles and casualty figures.
    ``notes`` (filters applied) and ``total`` (nodes, edges before filtering) go in
    the page's notice.

    Examples
    --------
    >>> import tempfile
    >>> g = nx.MultiDiGraph(); g.add_node("x", label="<b>X</b>", cls="City", kind="entity")
    >>> p = Path(tempfile.mkdtemp()) / "v.html"
    >>> write_html(g, p).nodes
    1
    >>> "<b>X</b>" in p.read_text()
    False
    """
    if store is not None:
        from kg.view import view_graph

        g = view_graph(store)
    net = build_network(g, size_by=size_by)
    page = render_page(net, title, notes=notes, total=total, articles=g.graph.get("articles", {}))
    path = Path(path)
    path.write_text(page, encoding="utf-8")
    total = total or (len(g), g.number_of_edges())
    return ViewStats(nodes=len(g), edges=g.number_of_edges(), total_nodes=total[0], total_edges=total[1], path=path)


# ----------------------------------------------------------------------------- PNG
class SnapshotError(RuntimeError):
    """No Chromium to render with, or Chromium failed (one-line message)."""


CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """Path of a Chromium binary: ``$KG_CHROMIUM``, ``/usr/bin/chromium`` or one on ``PATH``."""
    env = os.environ.get("KG_CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def snapshot_png(html_path: Path, png_path: Path, width: int = 1600, height: int = 1000,
                 timeout: float = 120.0) -> Path:
    """Render ``html_path`` in headless Chromium and save a ``width`` × ``height`` PNG."""
    chromium = find_chromium()
    if chromium is None:
        raise SnapshotError("--png needs Chromium, which was not found (install the Debian package "
                            "'chromium', or set KG_CHROMIUM to a Chromium binary)")
    png_path = Path(png_path).resolve()
    with tempfile.TemporaryDirectory(prefix="kg-chromium-") as profile:
        cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
               f"--user-data-dir={profile}", f"--window-size={width},{height}",
               "--virtual-time-budget=15000", f"--screenshot={png_path}",
               Path(html_path).resolve().as_uri()]
        try:
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise SnapshotError(f"Chromium did not finish the snapshot within {timeout:.0f} s") from None
        except OSError as e:
            raise SnapshotError(f"cannot run Chromium at {chromium}: {e}") from None
    if run.returncode != 0 or not png_path.exists():
        last = (run.stderr.strip().splitlines() or ["no message"])[-1]
        raise SnapshotError(f"Chromium failed to take the snapshot (exit {run.returncode}): {last}")
    return png_path

