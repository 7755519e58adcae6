/* kg view: search, class and relation toggles, details panel.
   All text from the graph is set with textContent, never parsed as HTML. */
(function () {
  "use strict";
  var timings = { start: performance.now() };
  var data = JSON.parse(document.getElementById("kg-data").textContent);
  timings.parsed = performance.now();
  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  var state = { drawn: false, drawnAt: null, timings: timings, hiddenClasses: new Set(), hiddenRelations: new Set() };
  var network = new vis.Network(document.getElementById("kg-network"), { nodes: nodes, edges: edges }, data.options);
  timings.network = performance.now();
  /* vis fits node shapes, not their labels: leave a margin so that labels stay in view */
  function fitWithMargin(ids) {
    network.fit(ids ? { nodes: ids, animation: false } : { animation: false });
    network.moveTo({ position: network.getViewPosition(), scale: network.getScale() * 0.93, animation: false });
  }
  /* vis makes its own fit while drawing the first frame: refit once with a margin, and
     count the page as drawn (and still: physics is off) after that second frame */
  network.once("afterDrawing", function () {
    timings.firstFrame = performance.now();
    network.once("afterDrawing", function () {
      state.drawn = true;
      state.drawnAt = performance.now();
      document.body.setAttribute("data-drawn", "true");
    });
    fitWithMargin();
    network.redraw();
  });

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }
  function fold(s) { return String(s || "").toLocaleLowerCase(); }
  function articleRef(id) {
    if (!id) { return "unknown article"; }
    var a = data.articles[id] || {};
    var t = a.title || id;
    return a.date ? t + " (" + a.date + ")" : t;
  }

  /* ---- visibility: classes and relations */
  function refresh() {
    var nodeUpdates = [];
    nodes.forEach(function (n) {
      var hide = state.hiddenClasses.has(n.cls);
      if (!!n.hidden !== hide) { nodeUpdates.push({ id: n.id, hidden: hide }); }
    });
    if (nodeUpdates.length) { nodes.update(nodeUpdates); }
    var edgeUpdates = [];
    edges.forEach(function (e) {
      var a = nodes.get(e.from), b = nodes.get(e.to);
      var hide = state.hiddenRelations.has(e.relation) || a.hidden === true || b.hidden === true;
      if (!!e.hidden !== hide) { edgeUpdates.push({ id: e.id, hidden: hide }); }
    });
    if (edgeUpdates.length) { edges.update(edgeUpdates); }
    var shown = nodes.get({ filter: function (n) { return !n.hidden; } }).length;
    document.getElementById("kg-shown-nodes").textContent = shown.toLocaleString("en");
  }
  function setClassVisible(cls, visible) {
    if (visible) { state.hiddenClasses.delete(cls); } else { state.hiddenClasses.add(cls); }
    document.querySelectorAll(".kg-class-toggle").forEach(function (box) {
      if (box.dataset.class === cls) { box.checked = visible; }
    });
    refresh();
  }
  function setRelationVisible(rel, visible) {
    if (visible) { state.hiddenRelations.delete(rel); } else { state.hiddenRelations.add(rel); }
    document.querySelectorAll(".kg-relation-toggle").forEach(function (box) {
      if (box.dataset.relation === rel) { box.checked = visible; }
    });
    refresh();
  }
  document.querySelectorAll(".kg-class-toggle").forEach(function (box) {
    box.addEventListener("change", function () { setClassVisible(box.dataset.class, box.checked); });
  });
  document.querySelectorAll(".kg-relation-toggle").forEach(function (box) {
    box.addEventListener("change", function () { setRelationVisible(box.dataset.relation, box.checked); });
  });

  /* ---- search */
  var names = document.getElementById("kg-names");
  var seen = new Set();
  nodes.forEach(function (n) {
    [n.name].concat(n.aliases || []).forEach(function (text) {
      if (text && !seen.has(text)) {
        seen.add(text);
        var o = document.createElement("option");
        o.value = text;
        names.appendChild(o);
      }
    });
  });
  function search(query) {
    var q = fold(query).trim();
    var status = document.getElementById("kg-search-status");
    if (!q) { status.textContent = ""; network.unselectAll(); return []; }
    var exact = [], partial = [];
    nodes.forEach(function (n) {
      var all = [n.name].concat(n.aliases || []).map(fold);
      if (all.indexOf(q) >= 0) { exact.push(n); } else if (all.some(function (t) { return t.indexOf(q) >= 0; })) { partial.push(n); }
    });
    var found = exact.length ? exact : partial;
    if (!found.length) { status.textContent = "No node matches “" + query.trim() + "”."; return []; }
    found.forEach(function (n) { if (state.hiddenClasses.has(n.cls)) { setClassVisible(n.cls, true); } });
    var ids = found.map(function (n) { return n.id; });
    network.selectNodes(ids);
    if (ids.length === 1) {
      network.focus(ids[0], { scale: Math.max(network.getScale(), 1.0), animation: false });
    } else {
      network.fit(ids ? { nodes: ids, animation: false } : { animation: false });
    }
    showNode(ids[0]);
    status.textContent = found.length === 1 ? "1 match: " + found[0].name
      : found.length + " matches (" + (exact.length ? "exact" : "containing the text") + "), all selected.";
    return ids;
  }
  document.getElementById("kg-search-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    search(document.getElementById("kg-search").value);
  });

  /* ---- details panel */
  var panel = document.getElementById("kg-details");
  var body = document.getElementById("kg-details-body");
  function open() { panel.hidden = false; }
  function clear() { while (body.firstChild) { body.removeChild(body.firstChild); } }
  function showNode(id) {
    var n = nodes.get(id);
    if (!n) { return; }
    clear();
    body.appendChild(el("h3", n.name));
    var meta = el("p", n.cls + (n.date ? " · " + n.date : "") + " · " + n.degree + " edge" + (n.degree === 1 ? "" : "s"), "meta");
    body.appendChild(meta);
    if (n.aliases && n.aliases.length) { body.appendChild(el("p", "Also: " + n.aliases.join(", "))); }
    if (n.wikidata && /^[QP][0-9]+$/.test(n.wikidata)) {
      var p = el("p", "Wikidata: ");
      var a = el("a", n.wikidata);
      a.href = "https://www.wikidata.org/wiki/" + n.wikidata;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      p.appendChild(a);
      body.appendChild(p);
    }
    if (n.reports && n.reports.length) {
      body.appendChild(el("h4", "Casualty figures (" + n.reports.length + ", each as reported)"));
      var ul = el("ul");
      n.reports.forEach(function (r) {
        var li = el("li", r.text);
        if (r.evidence) { li.appendChild(el("blockquote", r.evidence)); }
        li.appendChild(el("p", "— " + articleRef(r.article), "source"));
        ul.appendChild(li);
      });
      body.appendChild(ul);
    }
    if (n.articles && n.articles.length) {
      body.appendChild(el("h4", "Articles"));
      var ul2 = el("ul");
      n.articles.forEach(function (aid) { ul2.appendChild(el("li", articleRef(aid))); });
      body.appendChild(ul2);
    }
    body.appendChild(el("p", n.id, "source"));
    open();
  }
  function showEdge(id) {
    var e = edges.get(id);
    if (!e) { return; }
    var a = nodes.get(e.from), b = nodes.get(e.to);
    clear();
    body.appendChild(el("h3", (a ? a.name : e.from) + " —" + e.relation + "→ " + (b ? b.name : e.to)));
    body.appendChild(el("p", e.evidence.length + " evidence sentence" + (e.evidence.length === 1 ? "" : "s"), "meta"));
    e.evidence.forEach(function (item) {
      body.appendChild(el("blockquote", item[0]));
      body.appendChild(el("p", "— " + articleRef(item[1]), "source"));
    });
    open();
  }
  network.on("click", function (params) {
    if (params.nodes.length) { showNode(params.nodes[0]); }
    else if (params.edges.length) { showEdge(params.edges[0]); }
    else { panel.hidden = true; }
  });
  document.getElementById("kg-details-close").addEventListener("click", function () { panel.hidden = true; });

  window.kgView = {
    network: network, nodes: nodes, edges: edges, state: state, data: data,
    search: search, setClassVisible: setClassVisible, setRelationVisible: setRelationVisible,
    showNode: showNode, showEdge: showEdge
  };
})();
