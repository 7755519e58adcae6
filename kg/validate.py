"""Validate a kg output graph against the SHACL shapes of the ontology.

The shapes (``ontology/shapes.ttl``) encode the output contract: one ``rdfs:label`` per
entity, typed subjects and objects of core relations, a provenance ``rdf:Statement``
for every relation triple, well-formed casualty reports, claims and articles, and typed
dates. Validation uses pyshacl without inference: the class hierarchy comes from the
ontology (``ontology/kg.ttl``), which is mixed into the data before validating, so
``sh:class kg:Place`` accepts a ``kg:City``.

Only rdflib and pyshacl are used (no spaCy); pyshacl is imported on first use.

Example (runnable as a doctest)::

    >>> from rdflib import Graph
    >>> g = Graph().parse(format="turtle", data='''
    ...     @prefix kg: <https://w3id.org/kg-news/ontology#> .
    ...     @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    ...     <https://w3id.org/kg-news/id/quetta> a kg:City ; rdfs:label "Quetta", "Shal" .
    ... ''')
    >>> result = validate_graph(g)
    >>> result.conforms
    False
    >>> [(v.focus, v.shape) for v in result.violations]
    [('https://w3id.org/kg-news/id/quetta', 'https://w3id.org/kg-news/shapes#EntityLabelShape')]
    >>> result.counts_by_severity["Violation"]
    1
    >>> result.to_json()["violation_count"]
    1

Scale: validation is in memory and pyshacl is pure Python: about 0.15 ms per triple
(``benchmarks/bench_validate.py``: a 23,500-triple build graph parsed in 0.7 s and
validated in 3.0 s, 1.6x faster than rdflib's parser and pyshacl with the shapes as
written; 0.1 s + 0.7 s for 5,600 triples). Three things make it so: each SHACL-SPARQL
query is parsed once, not once per focus node (that alone was 5x); the shapes are
validated as :func:`flatten_shapes` gives them (each property shape once for all its
focus nodes, not once per node); Turtle-family files are parsed with pyoxigraph. A
build of millions of triples should be validated per article (one named graph at a
time: :func:`validate_graph` with a Dataset and ``per_graph=True``, bounded memory and
results per graph) or sampled with ``max_focus``.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from rdflib import Dataset, Graph, Namespace, URIRef
from rdflib.graph import ConjunctiveGraph
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

SH = Namespace("http://www.w3.org/ns/shacl#")
SEVERITIES = ("Violation", "Warning", "Info")

# File suffix -> (rdflib format, whether it holds named graphs)
FORMATS = {
    ".ttl": ("turtle", False),
    ".turtle": ("turtle", False),
    ".nt": ("nt", False),
    ".n3": ("n3", False),
    ".rdf": ("xml", False),
    ".xml": ("xml", False),
    ".owl": ("xml", False),
    ".trig": ("trig", True),
    ".nq": ("nquads", True),
    ".jsonld": ("json-ld", True),
    ".json": ("json-ld", True),
}


@dataclass(frozen=True)
class Violation:
    """One validation result (a violation, warning or info), all fields as strings."""

    focus: str
    path: str | None
    message: str
    severity: str  # "Violation", "Warning" or "Info"
    shape: str  # IRI of the shape that produced it (blank node id if anonymous)
    value: str | None = None
    constraint: str | None = None  # e.g. "MinCountConstraintComponent"
    graph: str | None = None  # the named graph validated, with per_graph=True

    def __str__(self) -> str:
        where = f"{self.focus}" + (f" {self.path}" if self.path else "")
        return f"[{self.severity}] {where}: {self.message}"


@dataclass
class ValidationResult:
    """The outcome of :func:`validate_graph`.

    ``conforms`` is True when there is no result of severity Violation (warnings and
    infos do not break conformance). ``focus_nodes_checked`` is None when every node
    was validated, else the number of focus nodes that were (see ``max_focus``).
    """

    conforms: bool
    violations: list[Violation] = field(default_factory=list)
    focus_nodes_checked: int | None = None
    graphs_checked: int = 1

    @property
    def counts_by_severity(self) -> dict[str, int]:
        counts = Counter(v.severity for v in self.violations)
        return {s: counts.get(s, 0) for s in SEVERITIES} | {
            s: n for s, n in counts.items() if s not in SEVERITIES}

    @property
    def complete(self) -> bool:
        return self.focus_nodes_checked is None

    def by_shape(self) -> dict[str, int]:
        """Number of results per shape, most frequent first."""
        return dict(Counter(v.shape for v in self.violations).most_common())

    def to_json(self) -> dict:
        """The result as a JSON-serialisable dict (for ``report.json``)."""
        counts = self.counts_by_severity
        return {
            "conforms": self.conforms,
            "complete": self.complete,
            "focus_nodes_checked": self.focus_nodes_checked,
            "graphs_checked": self.graphs_checked,
            "violation_count": counts["Violation"],
            "warning_count": counts["Warning"],
            "counts_by_severity": counts,
            "counts_by_shape": self.by_shape(),
            "violations": [asdict(v) for v in self.violations],
        }

    to_dict = to_json

    def to_json_text(self, indent: int | None = 2) -> str:
        """:meth:`to_json` as JSON text."""
        return json.dumps(self.to_json(), indent=indent, ensure_ascii=False)

    def summary(self) -> str:
        c = self.counts_by_severity
        head = "conforms" if self.conforms else "does not conform"
        return f"{head}: {c['Violation']} violation(s), {c['Warning']} warning(s), {c['Info']} info(s)"


def _default_path(name: str) -> Path:
    from kg.paths import ontology_dir

    return ontology_dir() / name


_PARSED: dict[tuple[str, float], Graph] = {}


def _file_key(path: Path) -> tuple[str, float]:
    """A file's identity for the caches below: its resolved path and modification time."""
    path = Path(path).resolve()
    return str(path), path.stat().st_mtime


def _load(path: Path) -> Graph:
    """Parse a Turtle file once per (path, mtime). The graph must not be modified."""
    key = _file_key(path)
    if key not in _PARSED:
        _PARSED[key] = Graph().parse(path, format="turtle")
    return _PARSED[key]


_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
_FLAT: dict[tuple[str, float], Graph] = {}


def _load_shapes(path: Path) -> Graph:
    """The shapes of ``path`` as :func:`flatten_shapes` gives them, once per (path, mtime)."""
    key = _file_key(path)
    if key not in _FLAT:
        _FLAT[key] = flatten_shapes(_load(path))
    return _FLAT[key]


def prepare() -> None:
    """Import pyshacl and parse the default shapes and ontology, so that a process
    started ahead of its validation has done it before the data comes (about half a
    second)."""
    import pyshacl  # noqa: F401

    _load_shapes(_default_path("shapes.ttl"))
    _load(_default_path("kg.ttl"))


def flatten_shapes(shapes: Graph) -> Graph:
    """An equivalent shapes graph in which the property shapes of a node shape carry
    its targets themselves.

    pyshacl validates a property shape listed with ``sh:property`` once for each focus
    node of its node shape, one call per focus node, and the fixed cost of a call
    dominates on a large graph. A property shape with targets of its own is validated
    in one call for all its focus nodes. The results are the same (a property shape's
    results name it as ``sh:sourceShape`` either way), so the targets are moved where
    it is safe: the node shape has targets, is not deactivated and is not used by
    another shape (``sh:node``, ``sh:or``...); the property shape is listed by that
    node shape alone and has no targets of its own. Everything else is left as it is,
    and ``shapes`` is not modified.

    >>> g = Graph().parse(format="turtle", data='''
    ...     @prefix sh: <http://www.w3.org/ns/shacl#> .
    ...     @prefix ex: <https://example.org/> .
    ...     ex:Person a sh:NodeShape ; sh:targetClass ex:Human ; sh:property ex:NameShape .
    ...     ex:NameShape a sh:PropertyShape ; sh:path ex:name ; sh:minCount 1 .
    ... ''')
    >>> flat = flatten_shapes(g)
    >>> EX = Namespace("https://example.org/")
    >>> flat.value(EX.NameShape, SH.targetClass) == EX.Human, (EX.Person, SH.property, EX.NameShape) in flat
    (True, False)
    """
    flat = Graph()
    for prefix, ns in shapes.namespaces():
        flat.bind(prefix, ns, override=False)
    for triple in shapes:
        flat.add(triple)
    for node in sorted(set(shapes.subjects(SH.property, None)), key=str):
        targets = [(p, o) for p in _TARGETS for o in shapes.objects(node, p)]
        used_elsewhere = next(iter(shapes.subjects(None, node)), None) is not None
        deactivated = any(str(v).lower() == "true" for v in shapes.objects(node, SH.deactivated))
        if not targets or used_elsewhere or deactivated:
            continue
        for prop in shapes.objects(node, SH.property):
            listed_by = set(shapes.subject_predicates(prop))
            own_targets = any((prop, p, None) in shapes for p in _TARGETS)
            if listed_by != {(node, SH.property)} or own_targets:
                continue
            for p, o in targets:
                flat.add((prop, p, o))
            flat.remove((node, SH.property, prop))
    return flat


class _PreparedQueryGraph(Graph):
    """A Graph that parses each distinct SPARQL query text once.

    pyshacl runs a SHACL-SPARQL constraint once per focus node, passing the same query
    text each time; rdflib would parse it every time (about 0.1-0.2 s per parse). Here
    the parsed query is cached and evaluated with the per-node bindings, which gives
    the same results."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._prepared: dict[str, object] = {}

    def query(self, query_object, processor="sparql", result="sparql", initNs=None,  # noqa: N803
              initBindings=None, use_store_provided=True, **kwargs):  # noqa: N803
        if isinstance(query_object, str) and processor == "sparql" and not kwargs.get("base"):
            prepared = self._prepared.get(query_object)
            if prepared is None:
                from rdflib.plugins.sparql import prepareQuery

                try:
                    prepared = prepareQuery(query_object, initNs=initNs or dict(self.namespaces()))
                except Exception:  # let rdflib report the problem the usual way
                    prepared = None
                if prepared is not None:
                    self._prepared[query_object] = prepared
            if prepared is not None:
                query_object = prepared
        return super().query(query_object, processor, result, initNs, initBindings,
                             use_store_provided, **kwargs)


class _Scratch(_PreparedQueryGraph):
    """A graph this module parsed for one validation, free to modify (the ontology is
    added to it in place instead of to a copy)."""


# File suffix -> pyoxigraph format name, for the files parsed with pyoxigraph (the
# Turtle family; the same triples in about half the time of rdflib's parsers, most of
# it now spent adding them to rdflib's store)
_OX_FORMATS = {".ttl": "TURTLE", ".turtle": "TURTLE", ".nt": "N_TRIPLES", ".trig": "TRIG", ".nq": "N_QUADS"}


def _parse_into(graph: Graph, fmt: str, *, data: bytes | None = None, path: Path | None = None) -> set[Node]:
    """Add the triples of ``data`` or the file ``path`` (graph names dropped) to
    ``graph``, parsed with pyoxigraph and turned into rdflib terms; return the subjects.

    A plain literal and an ``xsd:string`` one are the same RDF term: both become a plain
    rdflib ``Literal``, as rdflib's own parsers make of the plain literals kg writes.

    >>> g = Graph()
    >>> sorted(_parse_into(g, "TURTLE", data=b'<https://x.org/a> <https://x.org/p> "v", 3 .'))
    [rdflib.term.URIRef('https://x.org/a')]
    >>> sorted(o.n3() for o in g.objects())
    ['"3"^^<http://www.w3.org/2001/XMLSchema#integer>', '"v"']
    """
    import pyoxigraph as ox
    from rdflib import BNode, Literal

    string = ox.NamedNode("http://www.w3.org/2001/XMLSchema#string")
    terms: dict = {}

    def term(t):
        r = terms.get(t)
        if r is None:
            if isinstance(t, ox.NamedNode):
                r = URIRef(t.value)
            elif isinstance(t, ox.BlankNode):
                r = BNode(t.value)
            elif isinstance(t, ox.Literal):
                if t.language:
                    r = Literal(t.value, lang=t.language)
                elif t.datatype == string:
                    r = Literal(t.value)
                else:
                    r = Literal(t.value, datatype=URIRef(t.datatype.value))
            else:
                raise ValueError(f"unsupported RDF term (RDF-star): {t}")
            terms[t] = r
        return r

    kind = getattr(ox.RdfFormat, fmt)
    source = ox.parse(data, format=kind) if path is None else ox.parse(
        path=str(path), format=kind, base_iri=Path(path).resolve().as_uri())
    add = graph.add
    subjects: set[Node] = set()
    for q in source:
        s = term(q.subject)
        subjects.add(s)
        add((s, term(q.predicate), term(q.object)))
    return subjects


def _merge(data: Graph | Dataset | ConjunctiveGraph) -> Graph:
    """All triples of a graph, or of every graph (default and named) of a dataset, in a
    new graph that caches parsed SPARQL queries."""
    merged = _PreparedQueryGraph()
    for prefix, ns in data.namespaces():
        merged.bind(prefix, ns, override=False)
    if isinstance(data, (Dataset, ConjunctiveGraph)):
        for s, p, o, _ in data.quads((None, None, None, None)):
            merged.add((s, p, o))
    else:
        for triple in data:
            merged.add(triple)
    return merged


def _candidate_focus_nodes(g: Graph) -> list[Node]:
    """IRIs any of our shapes can target (typed nodes, subjects and objects of kg
    properties), in a stable order."""
    from kg.vocab import KG_NS

    nodes: set[Node] = set(g.subjects(RDF.type, None))
    for s, p, o in g:
        if str(p).startswith(KG_NS):
            nodes.add(s)
            nodes.add(o)
    # pyshacl takes focus nodes as IRIs only: blank nodes are not sampled
    return sorted((n for n in nodes if isinstance(n, URIRef)), key=str)


def _results(report: Graph, graph_name: str | None) -> list[Violation]:
    out = []
    for r in report.subjects(RDF.type, SH.ValidationResult):
        def one(p):
            v = report.value(r, p)
            return None if v is None else str(v)

        messages = sorted(str(m) for m in report.objects(r, SH.resultMessage))
        sev = report.value(r, SH.resultSeverity)
        comp = report.value(r, SH.sourceConstraintComponent)
        out.append(Violation(
            focus=one(SH.focusNode) or "",
            path=one(SH.resultPath),
            message="; ".join(messages) or "(no message)",
            severity=str(sev).rsplit("#", 1)[-1] if sev is not None else "Violation",
            shape=one(SH.sourceShape) or "",
            value=one(SH.value),
            constraint=str(comp).rsplit("#", 1)[-1] if comp is not None else None,
            graph=graph_name,
        ))
    return out


def sorted_violations(violations) -> list[Violation]:
    """Distinct violations, most severe first, then by shape, focus node, path, value."""
    return sorted(set(violations), key=_sort_key)


def _sort_key(v: Violation):
    rank = SEVERITIES.index(v.severity) if v.severity in SEVERITIES else len(SEVERITIES)
    return (rank, v.shape, v.focus, v.path or "", v.value or "", v.message)


def _validate_one(g: Graph, shapes: Graph, ontology: Graph | None, owned: bool,
                  max_focus: int | None, graph_name: str | None = None
                  ) -> tuple[list[Violation], int | None]:
    from pyshacl import validate as shacl_validate

    if not owned:
        g = _merge(g)
        owned = True
    if ontology is not None:
        g += ontology
    focus = None
    checked = None
    if max_focus is not None:
        candidates = _candidate_focus_nodes(g)
        if len(candidates) > max_focus:
            focus = candidates[:max_focus]
            checked = len(focus)
        if focus == []:
            return [], 0
    _conforms, report, _text = shacl_validate(
        g, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True,
        allow_infos=True, inplace=owned, focus_nodes=focus)
    return _results(report, graph_name), checked


def validate_graph(data: Graph | Dataset, shapes_path: str | Path | None = None,
                   ontology_path: str | Path | None = None, *, max_focus: int | None = None,
                   per_graph: bool = False, include_ontology: bool = True) -> ValidationResult:
    """Validate ``data`` against the kg SHACL shapes.

    ``data`` is an rdflib ``Graph`` or a ``Dataset``/``ConjunctiveGraph``; a dataset is
    validated as the union of all its graphs (default and named), whether or not it
    was created with ``default_union``. The input is never modified.

    ``shapes_path`` and ``ontology_path`` default to ``ontology/shapes.ttl`` and
    ``ontology/kg.ttl``. The ontology is mixed into the data (for the class hierarchy)
    unless ``include_ontology`` is False.

    For large builds:

    * ``per_graph=True`` (datasets only) validates each named graph separately, each
      together with the default graph and the ontology, and concatenates the results
      (each :class:`Violation` names its ``graph``). Use it when every article is its
      own named graph and shared nodes (labels, types) live in the default graph.
    * ``max_focus=N`` validates only the first N candidate focus IRIs (in a stable
      order; blank nodes are never sampled); the result then has ``complete == False``
      and ``focus_nodes_checked == N``. Useful for a quick check.

    With ``per_graph=True`` every article graph must hold the triples about its own
    nodes (statements, reports, events); types and labels of shared entities may live
    in the default graph, which is added to each.

    Severity Violation breaks conformance; Warning and Info do not.
    """
    shapes = _load_shapes(Path(shapes_path) if shapes_path else _default_path("shapes.ttl"))
    ontology = None
    if include_ontology:
        ontology = _load(Path(ontology_path) if ontology_path else _default_path("kg.ttl"))

    violations: list[Violation] = []
    checked: int | None = None
    graphs = 1
    if per_graph and isinstance(data, (Dataset, ConjunctiveGraph)):
        # the default graph and schema graphs (the ontology's class triples) are shared
        # by every article graph; each other named graph is validated on its own
        shared = Graph()
        articles = []
        default = data.default_graph if hasattr(data, "default_graph") else data.default_context
        default_id = default.identifier
        contexts = data.graphs() if hasattr(data, "graphs") else data.contexts()
        for ctx in contexts:
            is_schema = (None, RDFS.subClassOf, None) in ctx or (None, RDF.type, OWL.Class) in ctx
            if ctx.identifier == default_id or is_schema:
                for t in ctx:
                    shared.add(t)
            elif len(ctx):
                articles.append(ctx)
        graphs = 0
        for ctx in sorted(articles, key=lambda c: str(c.identifier)):
            g = _merge(ctx)
            g += shared
            found, n = _validate_one(g, shapes, ontology, True, max_focus, str(ctx.identifier))
            violations.extend(found)
            if n is not None:
                checked = (checked or 0) + n
            graphs += 1
        if not articles:
            violations, checked = _validate_one(shared, shapes, ontology, True, max_focus)
            graphs = 1
    elif isinstance(data, _Scratch):
        violations, checked = _validate_one(data, shapes, ontology, True, max_focus)
    else:
        owned = isinstance(data, (Dataset, ConjunctiveGraph))
        g = _merge(data) if owned else data
        violations, checked = _validate_one(g, shapes, ontology, owned, max_focus)

    violations = sorted(set(violations), key=_sort_key)
    conforms = not any(v.severity == "Violation" for v in violations)
    return ValidationResult(conforms=conforms, violations=violations,
                            focus_nodes_checked=checked, graphs_checked=graphs)


def validate_article_graphs(graphs: dict[str, str | bytes], prefixes: str = "") -> dict[str, list[Violation]]:
    """Validate article graphs together and say which results belong to which.

    ``graphs`` maps a graph name to its triples in TriG (or Turtle), as text or UTF-8
    bytes; ``prefixes``, the prefix declarations, are put in front of each. Every graph must hold the triples about
    its own nodes (as a build's article graphs do), so their union can be validated in
    one pyshacl run (much faster than one run each); each result is then given to the
    graphs that state something about its focus node.

    >>> ttl = '@prefix kg: <https://w3id.org/kg-news/ontology#> .\\n'
    >>> found = validate_article_graphs({"g1": "<https://x.org/r> a kg:CasualtyReport .\\n",
    ...                                  "g2": "<https://x.org/e> a kg:Event .\\n"}, ttl)
    >>> bool(found["g1"]), found["g2"]
    (True, [])
    """
    union = _Scratch()
    owners: dict[str, list[str]] = {}
    head = prefixes.encode("utf-8")
    for name, text in graphs.items():
        data = head + (text if isinstance(text, bytes) else text.encode("utf-8"))
        subjects = _parse_into(union, "TRIG", data=data)
        for subject in subjects:
            owners.setdefault(str(subject), []).append(name)
    found: dict[str, list[Violation]] = {name: [] for name in graphs}
    if graphs:
        for v in validate_graph(union).violations:
            for name in owners.get(v.focus, ()):
                found[name].append(replace(v, graph=name))
    return found


def load_data(path: str | Path) -> Graph | Dataset:
    """Parse an RDF file by its suffix: .trig, .nq and .jsonld/.json into a Dataset;
    .ttl, .nt, .n3 and .rdf/.xml/.owl into a Graph."""
    path = Path(path)
    try:
        fmt, quads = FORMATS[path.suffix.lower()]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise ValueError(f"{path}: unknown RDF file type {path.suffix!r} (known: {known})") from None
    target: Graph | Dataset = Dataset() if quads else Graph()
    target.parse(path, format=fmt)
    return target


def validate_file(path: str | Path, **kwargs) -> ValidationResult:
    """Parse ``path`` (see :func:`load_data`) and validate it with :func:`validate_graph`;
    keyword arguments are passed on. Turtle, TriG, N-Triples and N-Quads files are
    validated as one graph (the union of their graphs; unless ``per_graph``) parsed
    with pyoxigraph, in about half the time of rdflib's parsers."""
    path = Path(path)
    fmt = _OX_FORMATS.get(path.suffix.lower())
    if fmt is None or kwargs.get("per_graph"):
        return validate_graph(load_data(path), **kwargs)
    graph = _Scratch()
    _parse_into(graph, fmt, path=path)
    return validate_graph(graph, **kwargs)
