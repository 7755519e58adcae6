"""Opening graphs, and the persistent kg store that grows article by article.

:func:`load_graph` is the one place that turns a path into a queryable
``pyoxigraph.Store``: a ``.trig``/``.nq`` dataset, a ``.ttl``/``.nt``/``.rdf`` graph
(loaded into the default graph), a kg store folder (see below) or a folder holding a
plain Oxigraph store.

The kg store
------------
``kg build --store DIR`` and ``kg add ARTICLES --store DIR`` keep the dataset of a
build on disk, in Oxigraph (RocksDB), so that a graph can grow for weeks without
being rebuilt. The folder holds::

    DIR/kg-store.json        pointer: {"format": "kg-news-store", "current": "v000007", ...}
    DIR/v000007/oxigraph/    the Oxigraph database of the current version
    DIR/v000007/meta.json    bookkeeping: article ids and content digests, resolver state
    DIR/v000006/             the previous version (kept for readers that still use it)

Every change writes a *new version*: the current database is copied with hard links
(its files are immutable once written, so this is instant), the copy is changed, and
the pointer file is replaced atomically (:func:`os.replace`). An interrupted ``add``
therefore leaves the store exactly as it was, and readers (``kg serve``, ``kg query``)
never see a half-written database; they open the current version read-only.

The RDF in the store is exactly the dataset of a build: one named graph per article
(``https://w3id.org/kg-news/id/graph/<article-id>``) holding the article, the
descriptions of the entities it mentions, its events, statements, casualty reports and
claims, plus the ontology graph ``https://w3id.org/kg-news/id/graph/ontology``
describing the terms in use. The default graph holds their *merged graph* (every
triple once, what ``graph.ttl`` holds), kept in step by ``kg add``: queries that name
no graph run on it (see :func:`query_options`). Bookkeeping stays out of the RDF (in
``meta.json``), so exporting a store gives the same files as a fresh build.

Adding articles
---------------
:func:`add_articles` runs the build pipeline on the articles that are new or changed
(same id, different content) and skips the others. The entity resolver is restored
from the store (canonical keys, labels, classes and aliases as the previous build left
them, see :class:`kg.resolve.Resolver`), so incremental adds give the same IRIs and
labels as one fresh build of all the articles. A changed article's named graph is
replaced as a whole, which removes the entities only it supported; the ontology graph
is recomputed from the terms in use.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

if TYPE_CHECKING:  # pragma: no cover
    from kg.build import BuildOptions
    from kg.model import Article
    from kg.resolve import Resolver

FORMATS = {".trig": ox.RdfFormat.TRIG, ".nq": ox.RdfFormat.N_QUADS, ".ttl": ox.RdfFormat.TURTLE,
           ".nt": ox.RdfFormat.N_TRIPLES, ".rdf": ox.RdfFormat.RDF_XML, ".owl": ox.RdfFormat.RDF_XML,
           ".jsonld": ox.RdfFormat.JSON_LD}

POINTER = "kg-store.json"
STORE_FORMAT = "kg-news-store"
STORE_VERSION = 1
_VERSION_DIR = re.compile(r"^v(\d{6,})$")


class GraphError(ValueError):
    """A graph file or store that cannot be opened (one-line message)."""


class StoreError(RuntimeError):
    """A store that cannot be written (one-line message)."""


# ----------------------------------------------------------------------------- opening
def load_graph(path: Path, merged: bool = False) -> ox.Store:
    """A store with the contents of ``path``: a file, a kg store folder or an Oxigraph folder.

    Named graphs of a dataset file (``.trig``, ``.nq``) stay named, and their merged
    graph (each triple once) is added to the default graph, where queries that name no
    graph run (see :func:`query_options`); query the named graphs with ``GRAPH ?g``.
    With ``merged``, the dataset is loaded as its merged graph only: what the views and
    analytics read, in half the memory. A kg store is opened read-only at its current
    version.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "g.ttl"
    >>> _ = p.write_text('<http://ex/a> <http://ex/b> "c" .')
    >>> len(list(load_graph(p)))
    1
    """
    path = Path(path)
    if path.is_dir():
        if is_store(path):
            return open_store(path)
        if not any(path.iterdir()):
            raise GraphError(f"{path}: empty folder, not a store (create one with `kg build --store` or `kg add`)")
        try:
            return ox.Store(str(path))
        except OSError as e:
            raise GraphError(f"{path}: cannot open the store ({_first_line(e)})") from None
    if not path.exists():
        raise GraphError(f"{path}: no such file or folder")
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise GraphError(f"{path}: unknown RDF format {path.suffix!r} (use .trig, .nq, .ttl, .nt, .rdf, .jsonld)")
    try:
        if merged and fmt in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS):
            return merged_store(ox.parse(path=str(path), format=fmt))
        store = ox.Store()
        load_dataset(store, path, fmt)
    except (SyntaxError, ValueError, OSError) as e:
        raise GraphError(f"{path}: not valid {path.suffix[1:]} ({_first_line(e)})") from None
    return store


def merged_store(quads: Iterable[ox.Quad]) -> ox.Store:
    """A store whose default graph holds the triples of ``quads``, each once."""
    store = ox.Store()
    store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object) for q in quads)
    return store


# ----------------------------------------------------------------------------- the merged graph
# A kg dataset (a loaded ``.trig``/``.nq`` file, a kg store) keeps, beside its named
# graphs, their *merged graph* in the default graph: every triple of every named graph,
# once. Queries that do not name graphs run on it. The alternative, Oxigraph's
# ``use_default_graph_as_union``, is a union *bag*: an entity described in k article
# graphs matches a pattern of n of its triples k**n times, which made corpus-wide
# queries on a million triples take seconds instead of milliseconds.
def add_merged_graph(store: ox.Store) -> None:
    """Copy every triple of the named graphs of ``store`` into its default graph."""
    # One SPARQL update: measured on a million quads, it is the fastest way (2.6 s
    # against 4.4-5.5 s through Python) and holds nothing more in memory.
    store.update("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")


def load_dataset(store: ox.Store, path: Path, fmt: ox.RdfFormat, on_disk: bool = False) -> None:
    """Bulk-load the RDF file ``path`` into ``store``; a dataset (TriG, N-Quads) with
    its merged graph added to the default graph. Raises what pyoxigraph raises.

    In memory the merged graph is made by a SPARQL update (:func:`add_merged_graph`);
    on disk, where an update of a million triples is slow, by reading the file again
    through the bulk loader.
    """
    store.bulk_load(path=str(path), format=fmt)
    if fmt not in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS):
        return
    if on_disk:
        store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object) for q in ox.parse(path=str(path), format=fmt))
    else:
        add_merged_graph(store)


def has_default_triples(store: ox.Store) -> bool:
    """Whether the default graph of ``store`` holds any triple."""
    return next(iter(store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None) is not None


def query_options(store: ox.Store) -> dict:
    """The keyword arguments of ``Store.query`` for a query that names no graph.

    When the default graph holds triples (a kg dataset keeps its merged graph there,
    a ``.ttl`` file is loaded there), queries run on it, as SPARQL says; when it is
    empty (a plain Oxigraph store of named graphs, a store written by an earlier kg),
    on the union of all graphs.

    >>> s = ox.Store()
    >>> s.add(ox.Quad(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/p"), ox.Literal("v"),
    ...               ox.NamedNode("http://x/g")))
    >>> query_options(s)
    {'use_default_graph_as_union': True}
    >>> add_merged_graph(s)
    >>> query_options(s)
    {}
    """
    return {} if has_default_triples(store) else {"use_default_graph_as_union": True}


def dataset_quads(store: ox.Store) -> Iterator[ox.Quad]:
    """The quads of ``store`` as a dataset file holds them: its named graphs, and the
    triples of its default graph that no named graph states (a merged graph is derived
    from the named graphs and is not written)."""
    yield from (q for q in store.quads_for_pattern(None, None, None)
                if not isinstance(q.graph_name, ox.DefaultGraph))
    named = any(True for _ in store.named_graphs())
    for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
        if not named or not _in_named_graph(store, q):
            yield q


def _in_named_graph(store: ox.Store, q: ox.Quad) -> bool:
    for other in store.quads_for_pattern(q.subject, q.predicate, q.object):
        if not isinstance(other.graph_name, ox.DefaultGraph):
            return True
    return False


def drop_graphs(store: ox.Store, graphs: Iterable[ox.NamedNode]) -> None:
    """Remove named graphs, and from the merged graph the triples that only they state."""
    graphs = [g for g in graphs if store.contains_named_graph(g)]
    if not graphs:
        return
    gone = set(graphs)
    if has_default_triples(store):
        orphans = []
        for g in graphs:
            for q in store.quads_for_pattern(None, None, None, g):
                if not any(other.graph_name not in gone and not isinstance(other.graph_name, ox.DefaultGraph)
                           for other in store.quads_for_pattern(q.subject, q.predicate, q.object)):
                    orphans.append(ox.Quad(q.subject, q.predicate, q.object))
        for q in orphans:
            store.remove(q)
    for g in graphs:
        store.remove_graph(g)


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def is_store(path: Path) -> bool:
    """Whether ``path`` is a kg store folder (it has a ``kg-store.json`` pointer)."""
    return (Path(path) / POINTER).is_file()


def _read_pointer(path: Path) -> dict:
    try:
        data = json.loads((Path(path) / POINTER).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise GraphError(f"{path}: unreadable {POINTER} ({_first_line(e)})") from None
    if not isinstance(data, dict) or data.get("format") != STORE_FORMAT:
        raise GraphError(f"{path}: {POINTER} is not a kg store pointer")
    if data.get("version", 0) > STORE_VERSION:
        raise GraphError(f"{path}: store format version {data.get('version')} is newer than this kg "
                         f"supports ({STORE_VERSION}); upgrade kg")
    if not _VERSION_DIR.match(str(data.get("current", ""))):
        raise GraphError(f"{path}: {POINTER} names no current version")
    return data


def current_version(path: Path) -> Path:
    """The folder of the store's current version (``DIR/vNNNNNN``)."""
    path = Path(path)
    version = path / _read_pointer(path)["current"]
    if not (version / "oxigraph").is_dir():
        raise GraphError(f"{path}: the current version {version.name} is missing")
    return version


def open_store(path: Path) -> ox.Store:
    """The current version of the kg store at ``path``, opened read-only.

    Several processes may read a store while ``kg add`` writes a new version; a reader
    keeps the version it opened (re-open to see later additions).
    """
    version = current_version(path)
    try:
        return ox.Store.read_only(str(version / "oxigraph"))
    except OSError as e:
        raise GraphError(f"{path}: cannot open the store ({_first_line(e)})") from None


@dataclass
class StoreState:
    """What ``meta.json`` records about a store version.

    ``articles`` maps an article id to ``{"digest": ..., "graph": ...}`` in the order
    the articles were added; ``resolver`` is the entity resolver's state
    (``{"known": {key: [label, class, generic]}, "aliases": {folded: key}}``).
    """

    articles: dict[str, dict] = field(default_factory=dict)
    resolver: dict = field(default_factory=lambda: {"known": {}, "aliases": {}})
    created: str | None = None
    updated: str | None = None
    triples: int = 0
    quads: int = 0

    def to_json(self) -> dict:
        return {"format": STORE_FORMAT, "version": STORE_VERSION, "created": self.created,
                "updated": self.updated, "triples": self.triples, "quads": self.quads,
                "articles": self.articles, "resolver": self.resolver}


def read_state(path: Path) -> StoreState:
    """The bookkeeping of the store at ``path`` (its current version)."""
    meta = current_version(path) / "meta.json"
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise GraphError(f"{path}: unreadable {meta.name} ({_first_line(e)})") from None
    return StoreState(articles=data.get("articles", {}), resolver=data.get("resolver", {"known": {}, "aliases": {}}),
                      created=data.get("created"), updated=data.get("updated"),
                      triples=data.get("triples", 0), quads=data.get("quads", 0))


# ----------------------------------------------------------------------------- bookkeeping
def article_digest(article: Article) -> str:
    """A digest of everything in an article that the build reads (not where it came from).

    >>> from kg.model import Article
    >>> a = Article(id="x", text="Hello.", origin="a.txt")
    >>> article_digest(a) == article_digest(Article(id="x", text="Hello.", origin="b.txt"))
    True
    >>> article_digest(a) == article_digest(Article(id="x", text="Hello!"))
    False
    """
    fields = [article.id, article.title, article.text, article.date, article.source, article.url, article.dateline]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode("utf-8")).hexdigest()


def resolver_state(resolver: Resolver) -> dict:
    """The resolver's state as JSON-able data (see :class:`StoreState`)."""
    return {"known": {k: [v.label, v.cls, v.generic] for k, v in resolver.known.items()},
            "aliases": dict(resolver.aliases)}


def restore_resolver(state: dict, drop: Iterable[str] = ()) -> Resolver:
    """A :class:`~kg.resolve.Resolver` in the state a previous build left it, without the
    entity keys in ``drop`` (entities that no longer occur in the store)."""
    from kg.resolve import Resolver

    drop = set(drop)
    resolver = Resolver()
    # The alias table first, exactly as it was (first-come order matters), then the
    # known entities through the public seeding API.
    for folded, key in state.get("aliases", {}).items():
        if key not in drop:
            resolver.aliases[folded] = key
    for key, (label, cls, generic) in state.get("known", {}).items():
        if key not in drop:
            resolver.seed(key, label, cls, generic=bool(generic))
    return resolver


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# ----------------------------------------------------------------------------- versions
@contextmanager
def _write_lock(path: Path) -> Iterator[None]:
    """One writer at a time (a lock file in the store folder)."""
    path.mkdir(parents=True, exist_ok=True)
    fd = os.open(path / ".kg-store.lock", os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno in (errno.EAGAIN, errno.EACCES):
                raise StoreError(f"{path}: another kg process is writing to this store") from None
            raise
        yield
    finally:
        os.close(fd)


def _versions(path: Path) -> list[tuple[int, Path]]:
    out = []
    for p in path.iterdir():
        m = _VERSION_DIR.match(p.name)
        if m and p.is_dir():
            out.append((int(m.group(1)), p))
    return sorted(out)


def _copy_database(src: Path, dst: Path) -> None:
    """Copy a closed RocksDB folder: immutable ``.sst`` files as hard links, the rest as copies."""
    dst.mkdir(parents=True)
    for f in src.iterdir():
        if f.name == "LOCK" or f.name.startswith("LOG"):
            continue
        target = dst / f.name
        if f.suffix == ".sst":
            try:
                os.link(f, target)
                continue
            except OSError:
                pass
        shutil.copy2(f, target)


def _cleanup(path: Path, keep: str) -> None:
    """Remove interrupted writes and every version but ``keep`` and the one before it."""
    for p in path.glob(".tmp-*"):
        shutil.rmtree(p, ignore_errors=True)
    versions = _versions(path)
    names = [p.name for _, p in versions]
    keep_set = {keep}
    if keep in names and names.index(keep) > 0:
        keep_set.add(names[names.index(keep) - 1])
    for _, p in versions:
        if p.name not in keep_set:
            shutil.rmtree(p, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write_pointer(path: Path, pointer: dict) -> None:
    """Replace the pointer file atomically (temporary file, fsync, rename)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{POINTER}.", dir=path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(json.dumps(pointer, indent=2) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path / POINTER)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_version(path: Path, copy_current: bool, fill: Callable[[Path, ox.Store], None]) -> str:
    """Write a new version of the store and make it current; return its name.

    ``fill(folder, store)`` changes a writable copy of the current database (or an
    empty one) and writes ``meta.json`` into ``folder``. The database is closed before
    the version is published by replacing the pointer file; if anything fails, the
    copy is removed and the store is as it was.
    """
    path = Path(path)
    existing = is_store(path)
    if not existing and path.exists() and any(p for p in path.iterdir() if p.name != ".kg-store.lock"):
        raise StoreError(f"{path}: folder exists and is not a kg store; choose an empty or new folder")
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=path))
    try:
        os.chmod(tmp, 0o777 & ~_umask())
        db = tmp / "oxigraph"
        if copy_current and existing:
            _copy_database(current_version(path) / "oxigraph", db)
        else:
            db.mkdir()
        store = ox.Store(str(db))
        try:
            fill(tmp, store)
            store.flush()
        except BaseException as e:
            # Close the database before its folder is removed: the traceback's frames
            # (fill's among them) hold references to it, and an open RocksDB keeps
            # writing files from background threads while the folder is deleted.
            store = None
            traceback.clear_frames(e.__traceback__)
            raise
        del store  # closes the database (fill must not keep a reference)
        numbers = [n for n, _ in _versions(path)]
        name = f"v{(max(numbers) + 1 if numbers else 1):06d}"
        os.replace(tmp, path / name)
        pointer = {"format": STORE_FORMAT, "version": STORE_VERSION, "current": name, "updated": _now()}
        _write_pointer(path, pointer)
        _cleanup(path, name)
        return name
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _write_meta(folder: Path, state: StoreState) -> None:
    (folder / "meta.json").write_text(json.dumps(state.to_json(), indent=1, ensure_ascii=False), encoding="utf-8")


def _count(store: ox.Store) -> tuple[int, int]:
    """(triples of the merged graph, quads of the named graphs)."""
    q = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    quads = int(next(iter(store.query(q)))["n"].value)
    triples = int(next(iter(store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))["n"].value)
    return triples, quads


def _refresh_ontology(store: ox.Store) -> None:
    """Replace the ontology graph with the description of the terms the articles use."""
    from kg.rdf import ONTOLOGY_GRAPH, nquad, ontology_triples
    from rdflib import URIRef

    onto = ox.NamedNode(str(ONTOLOGY_GRAPH))
    q = f"""SELECT DISTINCT ?t WHERE {{ GRAPH ?g {{
              {{ ?s a ?t }} UNION {{ ?s ?t ?o FILTER(?t != <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>) }}
            }} FILTER(?g != <{onto.value}>) }}"""
    used = sorted(URIRef(row["t"].value) for row in store.query(q) if isinstance(row["t"], ox.NamedNode))
    text = "".join(nquad(s, p, o, ONTOLOGY_GRAPH) for s, p, o in ontology_triples(used))
    drop_graphs(store, [onto])
    _load_quads(store, text.encode("utf-8"))


def _load_quads(store: ox.Store, data: bytes) -> None:
    """Add N-Quads to their named graphs and to the merged graph."""
    store.load(input=data, format=ox.RdfFormat.N_QUADS)
    store.extend(ox.Quad(q.subject, q.predicate, q.object) for q in ox.parse(input=data, format=ox.RdfFormat.N_QUADS))


# ----------------------------------------------------------------------------- writing
def write_build_store(path: Path, dataset: Path, merged: Path, articles: Iterable[Article],
                      resolver: Resolver) -> StoreState:
    """Make the store at ``path`` hold exactly the dataset of a build (``kg build --store``).

    ``dataset`` is the build's dataset file (``graph.trig``: named graphs per article
    and the ontology graph) and ``merged`` its merged graph (``graph.ttl``), loaded into
    the default graph; ``articles`` are the articles built and ``resolver`` the build's
    resolver. The store is replaced as a whole, atomically; the folder is created if
    needed.
    """
    from kg.rdf import graph_iri

    path = Path(path)
    now = _now()
    state = StoreState(
        articles={a.id: {"digest": article_digest(a), "graph": str(graph_iri(a.id)), "added": now} for a in articles},
        resolver=resolver_state(resolver), created=now, updated=now)

    def fill(folder: Path, store: ox.Store) -> None:
        store.bulk_load(path=str(dataset), format=FORMATS[Path(dataset).suffix.lower()])
        store.bulk_load(path=str(merged), format=FORMATS[Path(merged).suffix.lower()], to_graph=ox.DefaultGraph())
        state.triples, state.quads = _count(store)
        _write_meta(folder, state)

    from kg.build import BuildError

    try:
        with _write_lock(path):
            _write_version(path, False, fill)
    except (StoreError, OSError) as e:
        raise BuildError(f"{path}: cannot write the store ({_first_line(e)})") from None
    return state


@dataclass
class AddResult:
    """What ``kg add`` did."""

    store: Path
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list = field(default_factory=list)
    triples_before: int = 0
    triples: int = 0
    quads: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.replaced)

    def to_json(self) -> dict:
        return {"store": str(self.store), "added": self.added, "replaced": self.replaced,
                "unchanged": self.unchanged, "skipped": [str(p) for p in self.problems],
                "triples_before": self.triples_before, "triples": self.triples, "quads": self.quads,
                "timings_s": {k: round(v, 3) for k, v in self.timings.items()}}


def _orphans(store: ox.Store, graphs: list[str]) -> set[str]:
    """Entity IRIs described in ``graphs`` and in no other graph (they go with them)."""
    if not graphs:
        return set()
    from kg.vocab import ID_NS

    terms = [str(ox.NamedNode(g)) for g in graphs]  # validated IRIs, N-Triples syntax
    label = "<http://www.w3.org/2000/01/rdf-schema#label>"
    q = f"""SELECT DISTINCT ?e WHERE {{
              VALUES ?g {{ {" ".join(terms)} }}
              GRAPH ?g {{ ?e {label} ?l }}
              FILTER(STRSTARTS(STR(?e), "{ID_NS}entity/"))
              FILTER NOT EXISTS {{ GRAPH ?h {{ ?e {label} ?l2 }} FILTER(?h NOT IN ({", ".join(terms)})) }}
            }}"""
    return {row["e"].value for row in store.query(q)}


def add_articles(path: Path, inputs: Iterable[Path], options: BuildOptions | None = None,
                 progress: Callable[[int, int], None] | None = None) -> AddResult:
    """Add the articles of ``inputs`` to the store at ``path`` (created if missing).

    New articles are extracted and added; an article whose id is in the store with the
    same content is skipped; one with the same id and new content replaces its named
    graph. Nothing changes in the store unless the whole add succeeds.

    Returns
    -------
    AddResult
        Article ids added, replaced and unchanged, input problems, triple counts.
    """
    from kg.build import BuildError, BuildOptions

    options = options or BuildOptions()
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise BuildError(f"{path}: not a folder")
    try:
        with _write_lock(path):
            return _add_locked(path, inputs, options, progress)
    except (StoreError, GraphError) as e:
        raise BuildError(str(e)) from None
    except OSError as e:
        raise BuildError(f"{path}: cannot write the store ({_first_line(e)}); the store is unchanged") from None


def _add_locked(path: Path, inputs: Iterable[Path], options: BuildOptions,
                progress: Callable[[int, int], None] | None) -> AddResult:
    from kg.build import BuildResult, load_articles
    from kg.rdf import article_nquads, entity_iri, graph_iri

    result = AddResult(store=path)
    t0 = time.perf_counter()
    state = read_state(path) if is_store(path) else StoreState()
    result.triples_before = state.triples
    built = BuildResult(out_dir=path)
    articles = load_articles(inputs, options, built)
    result.problems = built.problems
    todo: list[Article] = []
    for art in articles:
        known = state.articles.get(art.id)
        if known is None:
            result.added.append(art.id)
            todo.append(art)
        elif known.get("digest") != article_digest(art):
            result.replaced.append(art.id)
            todo.append(art)
        else:
            result.unchanged.append(art.id)
    result.timings["ingest"] = time.perf_counter() - t0
    result.triples, result.quads = state.triples, state.quads
    if not todo:
        return result

    # Entities only the replaced articles supported are forgotten, so that a changed
    # article introduces them afresh, as a fresh build would.
    replaced_graphs = [str(graph_iri(a)) for a in result.replaced]
    drop: set[str] = set()
    if replaced_graphs:
        orphans = _orphans(open_store(path), replaced_graphs)
        drop = {k for k in state.resolver.get("known", {}) if str(entity_iri(k)) in orphans}
    resolver = restore_resolver(state.resolver, drop)

    t = time.perf_counter()
    lines: list[str] = []
    for n, facts in enumerate(_extract(todo, options, resolver), 1):
        lines.append(article_nquads(facts))
        if progress:
            progress(n, len(todo))
    result.timings["extraction"] = time.perf_counter() - t

    def fill(folder: Path, store: ox.Store) -> None:
        if not has_default_triples(store):  # a store written before the merged graph was kept
            add_merged_graph(store)
        drop_graphs(store, [ox.NamedNode(g) for g in replaced_graphs])
        _load_quads(store, "".join(lines).encode("utf-8"))
        _refresh_ontology(store)
        now = _now()
        for art in todo:
            entry = state.articles.pop(art.id, {})
            state.articles[art.id] = {"digest": article_digest(art), "graph": str(graph_iri(art.id)),
                                      "added": entry.get("added", now), **({"updated": now} if entry else {})}
        state.resolver = resolver_state(resolver)
        state.created = state.created or now
        state.updated = now
        state.triples, state.quads = _count(store)
        _write_meta(folder, state)

    t = time.perf_counter()
    _write_version(path, True, fill)
    result.timings["store"] = time.perf_counter() - t
    result.triples, result.quads = state.triples, state.quads
    return result


def _extract(articles: list[Article], options: BuildOptions, resolver: Resolver):
    """NLP, extraction and resolution of ``articles``, in order (as ``kg build`` does)."""
    from kg.extract import extract_facts, load_rules
    from kg.gazetteer import load_gazetteer
    from kg.nlp import build_pipeline

    gaz = load_gazetteer(extra=options.gazetteer_extra)
    rules = load_rules()
    nlp = build_pipeline(gaz)
    docs = nlp.pipe(((a.document, a) for a in articles), as_tuples=True,
                    n_process=max(1, options.jobs), batch_size=16)
    for doc, article in docs:
        yield resolver.resolve(extract_facts(doc, article, gaz, rules))
