"""SPARQL over a graph file or a kg store: saved queries, safe parameters, output formats.

Queries run on a ``pyoxigraph.Store`` whose default graph is the *merged graph* of the
dataset (each article is a named graph, plus the ontology graph; their triples, each
once, are also in the default graph: see :mod:`kg.store`), so ``?s kg:claimed ?o``
finds every claim without ``GRAPH``, once, and ``GRAPH ?g { ... }`` says which articles
state a triple. A store whose default graph is empty (a plain Oxigraph store of named
graphs) is queried as the union of its graphs, where a triple that several graphs
state is found once per graph.

Saved queries
-------------
``kg/queries/*.rq`` ship with the package. Each starts with a header::

    # name: who-claimed
    # description: Who claimed which events ...
    # param: actor entity optional -- the claimant: a label or alias such as "BLA", or an IRI
    # param: from date optional -- only events on or after this date

and declares its parameters in one ``VALUES`` row of ``UNDEF`` at the top of its
``WHERE`` clause, so that the text is a valid query by itself (every parameter unbound
means "no restriction")::

    VALUES (?actor ?from ?to) { (UNDEF UNDEF UNDEF) }

Parameters are bound by replacing that row with RDF terms built by pyoxigraph
(``NamedNode``/``Literal``, which validate IRIs and escape literals), never by pasting
the user's text into the query. Parameter types:

``entity``
    a label or alias, matched case-insensitively against ``rdfs:label`` and
    ``skos:altLabel`` (an exact label wins over an alias; an ambiguous name is an error
    listing the candidates), or an IRI (``<...>``, ``https://...`` or a prefixed name
    such as ``kgid:entity/gwadar``).
``iri``
    an IRI or prefixed name (``kg:claimed``, ``kg:Attack``).
``string``
    a plain literal (``xsd:string``).
``keyword``
    a plain literal, lower-cased: for the closed vocabularies of the graph (claim
    statuses, casualty kinds), so that ``status=Denied`` finds ``"denied"``.
``date``
    ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` (an ``xsd:date``, ``xsd:gYearMonth`` or
    ``xsd:gYear`` literal). The saved queries compare dates as periods: an event dated
    ``2026-01`` is in the range ``2026-01-15``..``2026-02-10``.
``integer``, ``decimal``
    numbers (``xsd:integer``, ``xsd:decimal``).
``limit``
    a positive integer, appended to the query as ``LIMIT n``.

A line of the form ``#[place] ?event kg:locatedIn+ ?place .`` is a *parameter line*:
a comment, unless every parameter it names (``#[a,b]`` for several) is given, when
:func:`prepare` removes the marker. The query text stays valid and unrestricted by
itself; the line lets a given parameter drive the evaluation from an index (Oxigraph
evaluates a ``FILTER EXISTS`` for every candidate row, and a parameter only bound by the
``VALUES`` row is joined late). Keep the ``FILTER`` too, so the text alone stays right
when someone fills the ``VALUES`` row by hand.

Ad-hoc queries (inline or ``.rq`` files without a header) take ``name=value``
parameters as strings, ``name=<iri>`` as IRIs, or ``name:type=value`` with a type above;
they are bound through the same ``VALUES`` row if the query has one, otherwise through
pyoxigraph's ``substitutions`` (the variable must then be in the ``SELECT`` list, and
``FILTER`` expressions do not see it).
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.vocab import ID_NS, KG_NS
from kg.store import query_options

QUERY_DIR = Path(__file__).resolve().parent / "queries"
PARAM_TYPES = ("entity", "iri", "string", "keyword", "date", "integer", "decimal", "limit")
XSD = "http://www.w3.org/2001/XMLSchema#"
PREFIXES = {
    "kg": KG_NS, "kgid": ID_NS, "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#", "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": XSD, "skos": "http://www.w3.org/2004/02/skos/core#", "prov": "http://www.w3.org/ns/prov#",
    "dcterms": "http://purl.org/dc/terms/", "geo": "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "wd": "http://www.wikidata.org/entity/",
}

#: ``--format`` values: for SELECT/ASK results, and for CONSTRUCT/DESCRIBE graphs.
RESULT_FORMATS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
                  "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}
GRAPH_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES,
                 "ntriples": ox.RdfFormat.N_TRIPLES, "rdfxml": ox.RdfFormat.RDF_XML, "jsonld": ox.RdfFormat.JSON_LD}
FORMATS = ("table", *RESULT_FORMATS, *GRAPH_FORMATS)

_SLOT = re.compile(r"VALUES\s*\(\s*((?:\?\w+\s*)+)\)\s*\{\s*\(\s*((?:UNDEF\s*)+)\)\s*\}", re.IGNORECASE)
# "#[name] text" (or "#[a,b] text"): a line that is a comment unless the parameters are given
_PARAM_LINE = re.compile(r"^(?P<indent>[ \t]*)#\[(?P<names>\w+(?:\s*,\s*\w+)*)\][ \t]?(?P<body>.*)$", re.MULTILINE)
_HEADER = re.compile(r"^#\s*(name|description|param)\s*:\s*(.*?)\s*$")
_PARAM = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s+(?P<type>\w+)(?:\s+(?P<req>required|optional))?"
                    r"(?:\s+default=(?P<default>\S+))?\s*(?:--\s*(?P<desc>.*))?$")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_PNAME = re.compile(r"^([A-Za-z][\w-]*):([^\s<>\"{}|^`\\]*)$")


class QueryError(ValueError):
    """A query that cannot be prepared or run (one-line message)."""


# ----------------------------------------------------------------------------- saved queries
@dataclass(frozen=True)
class Param:
    """A parameter of a saved query."""

    name: str
    type: str
    required: bool = False
    default: str | None = None
    description: str = ""

    def usage(self) -> str:
        text = f"{self.name} ({self.type}{', required' if self.required else ''}"
        text += f", default {self.default})" if self.default is not None else ")"
        return text


@dataclass(frozen=True)
class SavedQuery:
    """A query shipped in ``kg/queries`` (or read from a ``.rq`` file with a header)."""

    name: str
    description: str
    params: tuple[Param, ...]
    text: str
    path: Path | None = None

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


def parse_query_file(text: str, path: Path | None = None) -> SavedQuery:
    """A :class:`SavedQuery` from the text of an ``.rq`` file and its header comments.

    >>> q = parse_query_file('# name: t\\n# param: x date optional -- since\\nSELECT * { VALUES (?x) { (UNDEF) } }')
    >>> q.name, q.params[0].type
    ('t', 'date')
    """
    name = path.stem if path else ""
    description = ""
    params: list[Param] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if not line.startswith("#"):
            break
        m = _HEADER.match(line)
        if not m:
            continue
        key, value = m.groups()
        if key == "name":
            name = value
        elif key == "description":
            description = value
        else:
            p = _PARAM.match(value)
            where = f"{path or 'query'}: param {value!r}"
            if not p:
                raise QueryError(f"{where}: expected 'NAME TYPE [required|optional] [default=V] -- description'")
            if p["type"] not in PARAM_TYPES:
                raise QueryError(f"{where}: unknown type {p['type']!r} (use {', '.join(PARAM_TYPES)})")
            params.append(Param(p["name"], p["type"], p["req"] == "required", p["default"], (p["desc"] or "").strip()))
    slot = _SLOT.search(text)
    slot_vars = {v[1:] for v in slot.group(1).split()} if slot else set()
    for m in _PARAM_LINE.finditer(text):
        for n in (n.strip() for n in m["names"].split(",")):
            if n not in slot_vars:
                raise QueryError(f"{path or 'query'}: line {m.group(0).strip()[:40]!r}: {n!r} is not a variable "
                                 f"of the query's VALUES row")
    return SavedQuery(name=name, description=description, params=tuple(params), text=text, path=path)


@cache
def saved_queries() -> dict[str, SavedQuery]:
    """The saved queries shipped with kg, by name.

    >>> "who-claimed" in saved_queries()
    True
    """
    queries = {}
    for path in sorted(QUERY_DIR.glob("*.rq")):
        q = parse_query_file(path.read_text(encoding="utf-8"), path)
        queries[q.name] = q
    return queries


def get_saved(name: str) -> SavedQuery:
    """The saved query called ``name`` (:class:`QueryError` naming the others if none)."""
    try:
        return saved_queries()[name]
    except KeyError:
        raise QueryError(f"no saved query named {name!r} (saved queries: {', '.join(saved_queries())})") from None


# ----------------------------------------------------------------------------- parameters
def expand_iri(text: str) -> ox.NamedNode:
    """An IRI from ``<...>``, an absolute IRI or a prefixed name with a kg prefix.

    >>> expand_iri("kg:claimed").value
    'https://w3id.org/kg-news/ontology#claimed'
    """
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    else:
        m = _PNAME.match(text)
        if m and m.group(1) in PREFIXES:
            text = PREFIXES[m.group(1)] + m.group(2)
    try:
        return ox.NamedNode(text)
    except ValueError as e:
        raise QueryError(f"not an IRI: {text!r} ({e})") from None


def _looks_like_iri(text: str) -> bool:
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        return True
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$", text) or text.startswith("urn:"):
        return True
    m = _PNAME.match(text)
    return bool(m and m.group(1) in PREFIXES and m.group(2))


_NOT_ENTITIES = tuple(f"{ID_NS}{kind}/" for kind in ("event", "report", "claim", "statement", "article", "graph"))


def resolve_entity(store: ox.Store, text: str) -> ox.NamedNode:
    """The entity named ``text`` (label or alias, case-insensitive) or given by IRI.

    An exact ``rdfs:label`` match wins over ``skos:altLabel`` matches; two or more
    candidates at the same rank are an error that lists them.
    """
    if _looks_like_iri(text):
        return expand_iri(text)
    needle = ox.Literal(text.strip().lower())
    excluded = " ".join(str(ox.Literal(p)) for p in _NOT_ENTITIES)
    q = f"""PREFIX rdfs: <{PREFIXES['rdfs']}> PREFIX skos: <{PREFIXES['skos']}>
    SELECT ?e (MIN(?rank) AS ?r) (SAMPLE(?label) AS ?name) WHERE {{
      VALUES ?needle {{ {needle} }}
      {{ ?e rdfs:label ?l BIND(0 AS ?rank) }} UNION {{ ?e skos:altLabel ?l BIND(1 AS ?rank) }}
      FILTER(LCASE(STR(?l)) = ?needle)
      FILTER NOT EXISTS {{ VALUES ?prefix {{ {excluded} }} FILTER(STRSTARTS(STR(?e), ?prefix)) }}
      OPTIONAL {{ ?e rdfs:label ?label }}
    }} GROUP BY ?e ORDER BY ?r ?e"""
    rows = [(r["e"], int(r["r"].value), r["name"].value if r["name"] else "") for r in
            store.query(q, **query_options(store)) if isinstance(r["e"], ox.NamedNode)]
    if not rows:
        raise QueryError(f"no entity labelled {text!r} (give a label or alias as in the graph, or an IRI)")
    best = [r for r in rows if r[1] == rows[0][1]]
    if len(best) > 1:
        listed = "; ".join(f"{name} <{e.value}>" for e, _, name in best[:6])
        raise QueryError(f"{text!r} names {len(best)} entities: {listed}; give the IRI instead")
    return best[0][0]


def parse_value(store: ox.Store | None, ptype: str, raw: str, name: str = "") -> Any:
    """The RDF term (or, for ``limit``, the int) for the text ``raw`` of a parameter."""
    label = f"parameter {name!r}: " if name else ""
    raw = raw.strip()
    if ptype == "entity":
        if store is None and not _looks_like_iri(raw):
            raise QueryError(f"{label}a store is needed to look up an entity")
        try:
            return resolve_entity(store, raw)
        except QueryError as e:
            raise QueryError(f"{label}{e}") from None
    if ptype == "iri":
        try:
            return expand_iri(raw)
        except QueryError as e:
            raise QueryError(f"{label}{e}") from None
    if ptype == "string":
        return ox.Literal(raw)
    if ptype == "keyword":
        return ox.Literal(raw.lower())
    if ptype == "date":
        if not _DATE.match(raw):
            raise QueryError(f"{label}{raw!r} is not a date (YYYY-MM-DD, YYYY-MM or YYYY)")
        try:
            date.fromisoformat(raw if len(raw) == 10 else (raw + "-01-01")[:10])
        except ValueError:
            raise QueryError(f"{label}{raw!r} is not a valid date") from None
        kind = {10: "date", 7: "gYearMonth", 4: "gYear"}[len(raw)]
        return ox.Literal(raw, datatype=ox.NamedNode(XSD + kind))
    if ptype in ("integer", "limit"):
        try:
            n = int(raw)
        except ValueError:
            raise QueryError(f"{label}{raw!r} is not an integer") from None
        if ptype == "limit":
            if n < 1:
                raise QueryError(f"{label}the limit must be positive")
            return n
        return ox.Literal(str(n), datatype=ox.NamedNode(XSD + "integer"))
    if ptype == "decimal":
        try:
            float(raw)
        except ValueError:
            raise QueryError(f"{label}{raw!r} is not a number") from None
        if not re.match(r"^[+-]?(\d+(\.\d*)?|\.\d+)$", raw):
            raise QueryError(f"{label}{raw!r} is not a decimal number")
        return ox.Literal(raw, datatype=ox.NamedNode(XSD + "decimal"))
    raise QueryError(f"{label}unknown parameter type {ptype!r} (use {', '.join(PARAM_TYPES)})")


@dataclass
class Prepared:
    """A query ready to run: its text (with parameters bound) and substitutions."""

    text: str
    substitutions: dict

    def run(self, store: ox.Store, **kwargs):
        return run_query(store, self.text, substitutions=self.substitutions, **kwargs)


def split_param(arg: str) -> tuple[str, str | None, str]:
    """``name=value`` or ``name:type=value`` → (name, type or None, value).

    >>> split_param("from:date=2026-01-31")
    ('from', 'date', '2026-01-31')
    """
    if "=" not in arg:
        raise QueryError(f"parameter {arg!r}: expected name=value")
    key, value = arg.split("=", 1)
    key = key.strip().lstrip("?$")
    ptype = None
    if ":" in key:
        key, ptype = key.split(":", 1)
    if not re.match(r"^[A-Za-z_]\w*$", key):
        raise QueryError(f"parameter {arg!r}: {key!r} is not a variable name")
    if ptype is not None and ptype not in PARAM_TYPES:
        raise QueryError(f"parameter {arg!r}: unknown type {ptype!r} (use {', '.join(PARAM_TYPES)})")
    return key, ptype, value


def prepare(store: ox.Store | None, query: str | SavedQuery, params: Mapping[str, str] | Iterable[str] = ()) -> Prepared:
    """Bind ``params`` into ``query`` (a :class:`SavedQuery` or query text).

    ``params`` maps names to values as text (``{"actor": "BLA"}``) or is a list of
    ``name=value`` / ``name:type=value`` strings. Declared parameters take their
    declared type; required ones must be given.

    >>> p = prepare(None, 'SELECT ?x WHERE { VALUES (?x) { (UNDEF) } }', ["x:date=2026-01-31"])
    >>> "2026-01-31" in p.text
    True
    """
    saved = query if isinstance(query, SavedQuery) else parse_query_file(query)
    given: dict[str, tuple[str | None, str]] = {}
    if isinstance(params, Mapping):
        items = [(k, None, str(v)) for k, v in params.items()]
    else:
        items = [split_param(a) for a in params]
    for key, ptype, value in items:
        if key in given:
            raise QueryError(f"parameter {key!r} given twice")
        given[key] = (ptype, value)

    values: dict[str, Any] = {}
    declared = {p.name: p for p in saved.params}
    if declared:
        unknown = [k for k in given if k not in declared]
        if unknown:
            accepted = ", ".join(p.usage() for p in saved.params)
            raise QueryError(f"{saved.name or 'query'} has no parameter {unknown[0]!r} (parameters: {accepted})")
    for p in saved.params:
        if p.name in given:
            ptype, raw = given.pop(p.name)
            if ptype and ptype != p.type:
                raise QueryError(f"parameter {p.name!r} is of type {p.type}, not {ptype}")
            values[p.name] = parse_value(store, p.type, raw, p.name)
        elif p.default is not None:
            values[p.name] = parse_value(store, p.type, p.default, p.name)
        elif p.required:
            raise QueryError(f"{saved.name or 'query'} needs --param {p.name}=... ({p.description or p.type})")
    for key, (ptype, raw) in given.items():  # ad-hoc parameters of an undeclared query
        if ptype is None:
            ptype = "iri" if raw.strip().startswith("<") and raw.strip().endswith(">") else "string"
        values[key] = parse_value(store, ptype, raw, key)

    text = saved.text
    limit = next((values.pop(p.name) for p in saved.params if p.type == "limit" and p.name in values), None)
    for key in [k for k, v in values.items() if isinstance(v, int)]:  # ad-hoc name:limit=
        limit = values.pop(key)
    slot = _SLOT.search(text)
    slot_vars = slot.group(1).split() if slot else []
    in_slot = {k: v for k, v in values.items() if f"?{k}" in slot_vars}
    if slot and in_slot:
        row = " ".join(str(in_slot[v[1:]]) if v[1:] in in_slot else "UNDEF" for v in slot_vars)
        text = text[:slot.start()] + f"VALUES ({' '.join(slot_vars)}) {{ ({row}) }}" + text[slot.end():]
        text = _PARAM_LINE.sub(lambda m: _param_line(m, in_slot), text)
    substitutions = {ox.Variable(k): v for k, v in values.items() if k not in in_slot}
    if limit is not None:
        text = re.sub(r"\bLIMIT\s+\d+\s*$", "", text.rstrip(), flags=re.IGNORECASE) + f"\nLIMIT {int(limit)}\n"
    return Prepared(text=text, substitutions=substitutions)


def _param_line(m: re.Match, given: Mapping[str, Any]) -> str:
    """A parameter line made active (its ``#[...]`` marker removed) when all its
    parameters are given, else left as the comment it is."""
    names = [n.strip() for n in m["names"].split(",")]
    return m["indent"] + m["body"] if all(n in given for n in names) else m.group(0)


# ----------------------------------------------------------------------------- running
def run_query(store: ox.Store, text: str, *, substitutions: dict | None = None, union: bool | None = None,
              default_graph: list | None = None, named_graphs: list | None = None):
    """Run a SPARQL query; a ``bool`` (ASK), ``QuerySolutions`` (SELECT) or ``QueryTriples``.

    The default graph is ``default_graph`` when given; else, with ``union`` true, the
    union of all graphs; else (``union`` None, the default) the store's default graph
    when it holds triples (a kg dataset keeps its merged graph there) and the union of
    all graphs when it is empty (see :func:`kg.store.query_options`).
    Syntax errors and bad substitutions raise :class:`QueryError`.

    >>> s = ox.Store(); s.add(ox.Quad(ox.NamedNode("http://ex/a"), ox.NamedNode("http://ex/b"),
    ...                                ox.Literal("c"), ox.NamedNode("http://ex/g")))
    >>> [r["o"].value for r in run_query(s, "SELECT ?o WHERE { ?s ?p ?o }")]
    ['c']
    """
    kwargs: dict[str, Any] = {}
    if substitutions:
        kwargs["substitutions"] = substitutions
    if default_graph is not None:
        kwargs["default_graph"] = default_graph
    elif union:
        kwargs["use_default_graph_as_union"] = True
    elif union is None:
        kwargs.update(query_options(store))
    if named_graphs is not None:
        kwargs["named_graphs"] = named_graphs
    try:
        return store.query(text, **kwargs)
    except SyntaxError as e:
        raise QueryError(f"syntax error: {_one_line(e)}") from None
    except RuntimeError as e:
        raise QueryError(_one_line(e)) from None


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


def is_graph_result(result) -> bool:
    return isinstance(result, ox.QueryTriples)


def serialize(result, fmt: str) -> bytes:
    """A query result in a standard format: ``json`` (SPARQL 1.1 Query Results JSON),
    ``xml``, ``csv``, ``tsv`` for SELECT/ASK; ``turtle``, ``nt``, ``rdfxml``, ``jsonld``
    for CONSTRUCT/DESCRIBE."""
    if is_graph_result(result):
        if fmt not in GRAPH_FORMATS:
            raise QueryError(f"a CONSTRUCT/DESCRIBE result is a graph: use --format turtle, nt, rdfxml or jsonld, "
                             f"not {fmt}")
        if GRAPH_FORMATS[fmt] == ox.RdfFormat.TURTLE:
            return ox.serialize(result, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
        return ox.serialize(result, format=GRAPH_FORMATS[fmt])
    if fmt not in RESULT_FORMATS:
        raise QueryError(f"a SELECT/ASK result is a table: use --format table, json, xml, csv or tsv, not {fmt}")
    if isinstance(result, bool):
        return _boolean(result, fmt)
    return result.serialize(format=RESULT_FORMATS[fmt])


def _boolean(value: bool, fmt: str) -> bytes:
    text = "true" if value else "false"
    if fmt == "json":
        return ('{"head":{},"boolean":%s}' % text).encode()
    if fmt == "xml":
        return ('<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head></head>'
                f"<boolean>{text}</boolean></sparql>").encode()
    return f"{text}\n".encode()


def compact(term, prefixes: Mapping[str, str] = PREFIXES) -> str:
    """A term for display: IRIs with a known prefix shortened, literals as their text.

    >>> compact(ox.NamedNode("https://w3id.org/kg-news/id/entity/gwadar"))
    'kgid:entity/gwadar'
    """
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        for p, ns in prefixes.items():
            if term.value.startswith(ns) and len(term.value) > len(ns):
                return f"{p}:{term.value[len(ns):]}"
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value


def rows(result) -> tuple[list[str], list[list]]:
    """(variable names, rows of terms or None) of a SELECT result; ASK gives one row."""
    if isinstance(result, (bool, ox.QueryBoolean)):
        return ["boolean"], [[ox.Literal("true" if bool(result) else "false")]]
    names = [v.value for v in result.variables]
    return names, [[sol[n] for n in names] for sol in result]


def to_dataframe(result_or_store, query: str | SavedQuery | None = None, params=(), *, iris: str = "full"):
    """A pandas ``DataFrame`` of a SELECT result, or of running ``query`` on a store.

    Literals become Python values (``xsd:integer`` → ``int``, ``xsd:decimal``/``double``
    → ``float``, ``xsd:boolean`` → ``bool``, other literals → ``str``); IRIs stay full
    strings (``iris="compact"`` shortens them with the kg prefixes); unbound → ``None``.

    Examples
    --------
    >>> s = ox.Store(); s.add(ox.Quad(ox.NamedNode("http://ex/a"), ox.NamedNode("http://ex/n"),
    ...                                ox.Literal("3", datatype=ox.NamedNode(XSD + "integer"))))
    >>> df = to_dataframe(s, "SELECT ?s ?n WHERE { ?s ?p ?n }")
    >>> df.loc[0, "s"], int(df.loc[0, "n"]), str(df["n"].dtype)
    ('http://ex/a', 3, 'int64')
    """
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("kg.query.to_dataframe needs pandas: pip install 'kg-news[dev]' or pip install pandas") from None
    result = result_or_store
    if query is not None:
        result = prepare(result_or_store, query, params).run(result_or_store)
    if is_graph_result(result):
        return pd.DataFrame([[python_value(t.subject, iris), python_value(t.predicate, iris),
                              python_value(t.object, iris)] for t in result], columns=["subject", "predicate", "object"])
    names, table = rows(result)
    return pd.DataFrame([[python_value(v, iris) for v in row] for row in table], columns=names)


_NUMERIC = {XSD + "integer": int, XSD + "int": int, XSD + "long": int, XSD + "nonNegativeInteger": int,
            XSD + "decimal": float, XSD + "double": float, XSD + "float": float}


def python_value(term, iris: str = "full"):
    """A Python value for an RDF term (see :func:`to_dataframe`)."""
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        dt = term.datatype.value if term.datatype else ""
        if dt in _NUMERIC:
            try:
                return _NUMERIC[dt](term.value)
            except ValueError:
                return term.value
        if dt == XSD + "boolean":
            return term.value in ("true", "1")
        return term.value
    if isinstance(term, ox.NamedNode) and iris == "compact":
        return compact(term)
    return term.value


def write_csv_rows(result, stream: io.TextIOBase, delimiter: str = ",") -> None:
    """Plain CSV (compact IRIs, literal text) for people; ``serialize`` gives the standard."""
    names, table = rows(result)
    w = csv.writer(stream, delimiter=delimiter)
    w.writerow(names)
    for row in table:
        w.writerow([compact(v) for v in row])


# ----------------------------------------------------------------------------- the graph handle
class KnowledgeGraph:
    """A graph file or kg store opened for querying: what :func:`kg.open` returns.

    Examples
    --------
    >>> import kg, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "g.ttl"
    >>> _ = p.write_text('<http://ex/a> <http://www.w3.org/2000/01/rdf-schema#label> "A" .')
    >>> g = kg.open(p)
    >>> g.query("SELECT ?l WHERE { ?s ?p ?l }").iloc[0]["l"]
    'A'
    """

    def __init__(self, source):
        from kg.store import load_graph

        if isinstance(source, ox.Store):
            self.path, self.store = None, source
        else:
            self.path = Path(source)
            self.store = load_graph(self.path)

    def __repr__(self) -> str:
        return f"<KnowledgeGraph {self.path or 'in memory'}>"

    def query(self, query: str, params: Mapping[str, str] | Iterable[str] = (), *, dataframe: bool = True):
        """Run a query (text, a ``.rq`` path or a saved query's name) with ``params``.

        Returns a pandas DataFrame (SELECT, CONSTRUCT as subject/predicate/object rows)
        or a bool (ASK); ``dataframe=False`` returns the pyoxigraph result.
        """
        q: str | SavedQuery = query
        if isinstance(query, str) and re.fullmatch(r"[a-z0-9-]+", query) and query in saved_queries():
            q = saved_queries()[query]
        elif isinstance(query, Path) or (isinstance(query, str) and query.endswith(".rq") and Path(query).is_file()):
            q = parse_query_file(Path(query).read_text(encoding="utf-8"), Path(query))
        result = prepare(self.store, q, params).run(self.store)
        if isinstance(result, ox.QueryBoolean):
            return bool(result)
        if not dataframe:
            return result
        return to_dataframe(result)

    def to_networkx(self):
        """Entities, events and core relations as a ``networkx.MultiDiGraph``
        (:func:`kg.analytics.graph_to_networkx`)."""
        from kg.analytics import graph_to_networkx

        return graph_to_networkx(self.store)

    def export(self, path, format: str | None = None) -> Path:
        """Write the graph to ``path``; the format comes from ``format`` or the suffix:
        ``trig``, ``nq`` (dataset), ``ttl``, ``nt`` (merged graph), ``graphml``, ``gexf``,
        ``html`` (the interactive view)."""
        return export_graph(self.store, Path(path), format)


def merged_graph(store: ox.Store) -> ox.Store:
    """A store whose default graph is the set union of every graph of ``store``."""
    from kg.store import merged_store

    return merged_store(store)


def export_graph(store: ox.Store, path: Path, fmt: str | None = None) -> Path:
    """See :meth:`KnowledgeGraph.export`."""
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt in ("trig", "nq", "nquads"):
        from kg.store import dataset_quads

        rdf_format = ox.RdfFormat.TRIG if fmt == "trig" else ox.RdfFormat.N_QUADS
        kwargs = {"prefixes": PREFIXES} if fmt == "trig" else {}
        write_bytes(path, ox.serialize(dataset_quads(store), format=rdf_format, **kwargs))
    elif fmt in ("ttl", "turtle", "nt"):
        merged = merged_graph(store)
        if fmt == "nt":
            write_bytes(path, merged.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()))
        else:
            write_bytes(path, merged.dump(format=ox.RdfFormat.TURTLE, from_graph=ox.DefaultGraph(), prefixes=PREFIXES))
    elif fmt in ("graphml", "gexf", "html"):
        from kg.analytics import graph_to_networkx

        g = graph_to_networkx(store)
        if fmt == "graphml":
            from kg.analytics import write_graphml

            write_graphml(g, path)
        elif fmt == "gexf":
            import networkx as nx

            buf = io.BytesIO()
            nx.write_gexf(g, buf)
            write_bytes(path, buf.getvalue())
        else:
            from kg.visualise import write_html

            write_html(g, path)
    else:
        raise QueryError(f"{path}: unknown export format {fmt!r} (use trig, nq, ttl, nt, graphml, gexf, html)")
    return path


def write_bytes(path: Path, data: bytes) -> None:
    """Write a file atomically (temporary file, then rename)."""
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
