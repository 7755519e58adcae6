"""The interactive network view: a self-contained pyvis page that works offline.

Nodes are coloured by class, sized by degree and placed by a precomputed layout
(physics off, so large graphs are still at once); tooltips show label, aliases,
class and Wikidata link, and for edges the evidence sentence. Every script and style
sheet is inlined; text from articles goes through pyvis' JSON encoding and is shown
with ``innerText``, never as HTML.
"""
from __future__ import annotations

import re
from pathlib import Path

import networkx as nx

CLASS_COLOURS = {
    "ArmedGroup": "#d62728", "SecurityForce": "#1f77b4", "GovernmentBody": "#9467bd",
    "MediaOrganization": "#8c564b", "InternationalOrganization": "#17becf", "Company": "#7f7f7f",
    "Organization": "#bcbd22", "Person": "#e377c2", "Group": "#ff9896", "Country": "#2ca02c",
    "Region": "#98df8a", "City": "#66c2a5", "Facility": "#c49c94", "Vehicle": "#c7c7c7",
    "WaterBody": "#aec7e8", "Place": "#98df8a", "Project": "#ffbb78",
    "Attack": "#ff7f0e", "Hijacking": "#ff7f0e", "SecurityOperation": "#393b79", "Protest": "#fdd0a2",
    "Agreement": "#31a354", "Invasion": "#393b79", "ArmedConflict": "#a55194", "Coup": "#a55194",
    "Death": "#636363", "Event": "#fdae6b",
}


def write_html(g: nx.MultiDiGraph, path: Path, title: str = "kg network") -> None:
    """Write a self-contained HTML view of ``g``."""
    from pyvis.network import Network

    net = Network(height="850px", width="100%", directed=True, cdn_resources="in_line", notebook=False)
    net.toggle_physics(False)
    pos = nx.spring_layout(nx.Graph(g), seed=7, k=None, iterations=60) if len(g) else {}
    scale = 60 * max(10, len(g) ** 0.5)
    for n, d in g.nodes(data=True):
        x, y = pos.get(n, (0, 0))
        cls = d.get("cls", "")
        tip = [d.get("label", ""), f"class: {cls}"]
        if d.get("aliases"):
            tip.append("also: " + ", ".join(d["aliases"].split("|")))
        if d.get("wikidata"):
            tip.append(d["wikidata"])
        if d.get("date"):
            tip.append(f"date: {d['date']}")
        net.add_node(n, label=d.get("label", n), title="\n".join(tip), color=CLASS_COLOURS.get(cls, "#999999"),
                     shape="box" if d.get("kind") == "event" else "dot", size=10 + 3 * min(g.degree(n), 20),
                     x=float(x) * scale, y=float(y) * scale, physics=False)
    for s, o, d in g.edges(data=True):
        tip = d.get("relation", "")
        if d.get("evidence"):
            tip += "\n" + d["evidence"]
        net.add_edge(s, o, label=d.get("relation", ""), title=tip, arrows="to")
    html = net.generate_html(notebook=False)
    # pyvis links bootstrap from a CDN even in in_line mode: drop it (nothing may leave the page)
    html = re.sub(r"<link[^>]+cdn[^>]*>", "", html)
    html = re.sub(r"<script[^>]+src=\"https?://[^\"]+\"[^>]*>\s*</script>", "", html)
    Path(path).write_text(html, encoding="utf-8")
