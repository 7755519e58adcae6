"""``kg serve``: a read-only SPARQL 1.1 Protocol endpoint over a kg store or graph file.

The HTTP side is the standard library's :class:`~http.server.ThreadingHTTPServer`;
queries run in a small pool of worker *processes*, each with the store opened
read-only, so that a query running past the timeout can be stopped for real (the
worker is killed and replaced) — pyoxigraph has no query timeout of its own.

Protocol (https://www.w3.org/TR/sparql11-protocol/):

* ``GET /sparql?query=...``, ``POST /sparql`` with a form (``query=...``) or an
  ``application/sparql-query`` body; ``default-graph-uri`` and ``named-graph-uri`` are
  honoured. Without them the default graph is the merged graph of all graphs (each
  triple once; see :func:`kg.store.query_options`).
* Content negotiation (``Accept``, or a ``format=`` parameter): SELECT/ASK results as
  ``application/sparql-results+json`` (default), ``+xml``, ``text/csv``,
  ``text/tab-separated-values``; CONSTRUCT/DESCRIBE graphs as ``text/turtle``
  (default), ``application/n-triples``, ``application/rdf+xml``, ``application/ld+json``.
* Read-only: ``update=`` and ``application/sparql-update`` are refused with 403.
  Federated queries (``SERVICE``) are refused with 403 unless ``allow_service`` is set:
  they would make the server fetch other URLs on a client's behalf.
* Limits: 400 for a malformed query (with the parser's message), 403 for updates,
  406 when no acceptable format exists, 411/413/414 for requests without a length or
  too large, 503 when a query runs past the timeout or every worker stays busy, and
  400 when a result is larger than the result limit.
* ``GET /sparql`` with no query returns the SPARQL service description (Turtle);
  ``GET /`` from a browser returns a query page (no external resources).
"""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import queue
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

RESULT_TYPES = {  # media type -> kg.query format name
    "application/sparql-results+json": "json", "application/json": "json",
    "application/sparql-results+xml": "xml", "application/xml": "xml", "text/xml": "xml",
    "text/csv": "csv", "text/tab-separated-values": "tsv",
}
GRAPH_TYPES = {
    "text/turtle": "turtle", "application/x-turtle": "turtle", "application/n-triples": "nt",
    "text/plain": "nt", "application/rdf+xml": "rdfxml", "application/ld+json": "jsonld",
}
CONTENT_TYPES = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
                 "csv": "text/csv; charset=utf-8", "tsv": "text/tab-separated-values; charset=utf-8",
                 "turtle": "text/turtle; charset=utf-8", "nt": "application/n-triples",
                 "rdfxml": "application/rdf+xml", "jsonld": "application/ld+json"}
FORMAT_ALIASES = {"json": "json", "xml": "xml", "csv": "csv", "tsv": "tsv", "turtle": "turtle", "ttl": "turtle",
                  "nt": "nt", "ntriples": "nt", "n-triples": "nt", "rdfxml": "rdfxml", "rdf": "rdfxml",
                  "jsonld": "jsonld", "json-ld": "jsonld"}


class ServeError(RuntimeError):
    """The endpoint cannot start (one-line message)."""


# The lexemes that may hide the word SERVICE, matched in one left-to-right pass so that
# each is read as the parser reads it (a quote inside a comment, a '#' inside a string,
# an escaped '\#' in a prefixed name): IRIs, strings, comments and backslash escapes.
_LEXEMES = re.compile("|".join((
    r"""<[^<>"{}|^`\\\s]*>""",
    r'''"""(?:[^"\\]|\\.|"(?!""))*"""''',
    r"""'''(?:[^'\\]|\\.|'(?!''))*'''""",
    r'''"(?:[^"\\\n]|\\.)*"''',
    r"""'(?:[^'\\\n]|\\.)*'""",
    r"#[^\n]*",
    r"\\.",
)), re.DOTALL)


def uses_service(query: str) -> bool:
    """Whether a query has a ``SERVICE`` clause (federation: the server would fetch
    from other URLs). IRIs, strings and comments are ignored.

    >>> uses_service('SELECT * { SERVICE <http://x/sparql> { ?s ?p ?o } }')
    True
    >>> uses_service('SELECT * { ?s ?p "SERVICE" } # service')
    False
    >>> uses_service("SELECT * { ?s ?p ?o # '''\\nSERVICE <http://x/q> { ?a ?b ?c }\\n# '''\\n}")
    True
    >>> uses_service("PREFIX e: <http://x/> SELECT * { ?s ?p e:a\\\\# . SERVICE e:q { ?a ?b ?c } }")
    True
    """
    text = _LEXEMES.sub(" ", query)
    return re.search(r"\bSERVICE\b", text, re.IGNORECASE) is not None


# ----------------------------------------------------------------------------- negotiation
def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """Media ranges of an ``Accept`` header, best first.

    >>> parse_accept("text/csv;q=0.5, application/sparql-results+json")
    [('application/sparql-results+json', 1.0), ('text/csv', 0.5)]
    """
    if not header:
        return [("*/*", 1.0)]
    ranges = []
    for i, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for f in fields[1:]:
            if f.lower().startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        ranges.append((media, q, i))
    ranges.sort(key=lambda r: (-r[1], r[2]))
    return [(m, q) for m, q, _ in ranges if q > 0]


def negotiate(accept: list[tuple[str, float]], graph: bool) -> str | None:
    """The kg format name for a result kind (``graph`` or not) given Accept ranges."""
    table = GRAPH_TYPES if graph else RESULT_TYPES
    default = "turtle" if graph else "json"
    for media, _ in accept:
        if media in table:
            return table[media]
        if media in ("*/*", "*"):
            return default
        if media.endswith("/*") and any(t.startswith(media[:-1]) for t in table):
            return next(f for t, f in table.items() if t.startswith(media[:-1]))
    return None


# ----------------------------------------------------------------------------- workers
class ResultTooLarge(Exception):
    pass


class _Bounded:
    """A write-only buffer that refuses to grow past ``limit`` bytes."""

    def __init__(self, limit: int):
        self.limit = limit
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data) -> int:
        self.size += len(data)
        if self.size > self.limit:
            raise ResultTooLarge()
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def getvalue(self) -> bytes:
        return b"".join(self.parts)


def _open(path: str):
    from kg.store import is_store, load_graph, open_store
    import pyoxigraph as ox

    p = Path(path)
    if is_store(p):
        return open_store(p)
    if p.is_dir():
        return ox.Store.read_only(str(p))
    return load_graph(p)


def _store_stamp(path: str):
    from kg.store import POINTER

    try:
        st = os.stat(Path(path) / POINTER)
        return (st.st_mtime_ns, st.st_size, st.st_ino)
    except OSError:
        return None


def _worker_main(conn, path: str) -> None:  # pragma: no cover - runs in a child process
    """Answer query requests from ``conn`` until it closes."""
    import pyoxigraph as ox

    from kg.query import QueryError, run_query

    store = _open(path)
    stamp = _store_stamp(path)
    conn.send(("ready",))
    while True:
        try:
            req = conn.recv()
        except (EOFError, OSError):
            return
        try:
            now = _store_stamp(path)
            if now != stamp:  # `kg add` published a new version
                store, stamp = _open(path), now
            default = [ox.NamedNode(u) for u in req["default_graphs"]] or None
            named = [ox.NamedNode(u) for u in req["named_graphs"]] or None
            result = run_query(store, req["query"], default_graph=default, named_graphs=named)
            graph = isinstance(result, ox.QueryTriples)
            fmt = req["format"] or negotiate(req["accept"], graph)
            if fmt is None or (fmt in ("turtle", "nt", "rdfxml", "jsonld")) != graph:
                kind = "a graph (CONSTRUCT/DESCRIBE)" if graph else "a table (SELECT/ASK)"
                offered = ", ".join(GRAPH_TYPES if graph else RESULT_TYPES)
                conn.send(("error", 406, f"the result is {kind}; acceptable types: {offered}"))
                continue
            buf = _Bounded(req["max_bytes"])
            if graph:
                from kg.query import GRAPH_FORMATS, PREFIXES

                kwargs = {"prefixes": PREFIXES} if fmt == "turtle" else {}
                ox.serialize(result, buf, GRAPH_FORMATS[fmt], **kwargs)
            else:
                from kg.query import RESULT_FORMATS

                result.serialize(buf, RESULT_FORMATS[fmt])
            conn.send(("ok", 200, CONTENT_TYPES[fmt], buf.getvalue()))
        except QueryError as e:
            conn.send(("error", 400, str(e)))
        except ResultTooLarge:
            mb = req["max_bytes"] / 1024 / 1024
            conn.send(("error", 400, f"the result is larger than this endpoint's limit ({mb:g} MB); "
                                     "narrow the query or add a LIMIT"))
        except (ValueError, TypeError) as e:
            conn.send(("error", 400, " ".join(str(e).split())))
        except Exception as e:  # noqa: BLE001 - report anything else as a server error
            conn.send(("error", 500, f"{type(e).__name__}: {' '.join(str(e).split())}"))


class _Worker:
    def __init__(self, ctx, path: str, start_timeout: float):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, path), daemon=True, name="kg-serve-worker")
        self.proc.start()
        child.close()
        if not self.conn.poll(start_timeout):
            self.kill()
            raise ServeError(f"a query worker did not start within {start_timeout:g} s")
        try:
            msg = self.conn.recv()
        except EOFError:
            self.kill()
            raise ServeError(f"{path}: a query worker could not open the graph") from None
        if msg != ("ready",):
            self.kill()
            raise ServeError("a query worker failed to start")

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)
        self.conn.close()


class WorkerPool:
    """Worker processes, each with the store open; a query past ``timeout`` kills its
    worker and a fresh one takes its place."""

    def __init__(self, path: str, size: int, start_timeout: float = 120.0):
        self.path = path
        self.ctx = mp.get_context("spawn")
        self.start_timeout = start_timeout
        self.idle: queue.Queue[_Worker] = queue.Queue()
        self.lock = threading.Lock()
        self.closed = False
        self.all: list[_Worker] = []
        for _ in range(size):
            w = _Worker(self.ctx, path, start_timeout)
            self.all.append(w)
            self.idle.put(w)

    def run(self, request: dict, timeout: float) -> tuple:
        deadline = time.monotonic() + timeout
        try:
            worker = self.idle.get(timeout=timeout)
        except queue.Empty:
            return ("error", 503, f"every query worker stayed busy for {timeout:g} s; try again later")
        replace = False
        try:
            worker.conn.send(request)
            if worker.conn.poll(max(0.0, deadline - time.monotonic())):
                return worker.conn.recv()
            replace = True
            return ("error", 503, f"the query was stopped after {timeout:g} s (this endpoint's timeout); "
                                  "narrow it or add a LIMIT")
        except (EOFError, OSError, BrokenPipeError):
            replace = True
            return ("error", 500, "the query worker died; the query was not answered")
        finally:
            if replace:
                worker.kill()
                self._replace(worker)
            else:
                self.idle.put(worker)

    def _replace(self, dead: _Worker) -> None:
        with self.lock:
            if self.closed:
                return
            try:
                fresh = _Worker(self.ctx, self.path, self.start_timeout)
            except ServeError:
                return
            self.all = [w for w in self.all if w is not dead] + [fresh]
        self.idle.put(fresh)

    def close(self) -> None:
        with self.lock:
            self.closed = True
            for w in self.all:
                w.kill()


# ----------------------------------------------------------------------------- HTTP
@dataclass
class Settings:
    pool: WorkerPool
    timeout: float
    max_result_bytes: int
    max_request_bytes: int
    description: Callable[[str], bytes]
    log: Callable[[str], None] | None = None
    allow_service: bool = False


class Handler(BaseHTTPRequestHandler):
    server_version = "kg-sparql"
    protocol_version = "HTTP/1.1"
    settings: Settings  # set on the subclass made by make_server

    # -- plumbing
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - BaseHTTPRequestHandler API
        if self.settings.log:
            self.settings.log(f"{self.address_string()} {format % args}")

    def _send(self, status: int, body: bytes, content_type: str, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Vary", "Accept")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-store")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, message: str, extra: dict | None = None) -> None:
        text = f"{status} {HTTPStatus(status).phrase}: {message}\n"
        self._send(status, text.encode("utf-8"), "text/plain; charset=utf-8", extra)

    def _wants_html(self) -> bool:
        accept = parse_accept(self.headers.get("Accept"))
        return bool(accept) and accept[0][0] in ("text/html", "application/xhtml+xml")

    # -- methods
    def do_OPTIONS(self) -> None:  # noqa: N802 - http.server naming
        self._send(204, b"", "text/plain", {"Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                                            "Access-Control-Allow-Headers": "Content-Type, Accept",
                                            "Access-Control-Max-Age": "600", "Allow": "GET, POST, OPTIONS"})

    def do_HEAD(self) -> None:  # noqa: N802
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        if len(url.query) > self.settings.max_request_bytes:
            return self._error(414, "the query string is too long; POST the query instead")
        if url.path in ("/query.js",):
            return self._send(200, QUERY_JS.encode("utf-8"), "text/javascript; charset=utf-8")
        if url.path == "/queries.json":
            return self._send(200, _saved_json(), "application/json")
        if url.path not in ("/", "/sparql"):
            return self._error(404, f"no such page {url.path!r}; the endpoint is /sparql")
        try:
            params = parse_qs(url.query, keep_blank_values=True, strict_parsing=False, max_num_fields=1000)
        except ValueError as e:
            return self._error(400, f"bad query string ({e})")
        if "update" in params:
            return self._refuse_update()
        if "query" not in params:
            if self._wants_html():
                return self._send(200, QUERY_PAGE.encode("utf-8"), "text/html; charset=utf-8",
                                  {"Content-Security-Policy": _CSP})
            base = f"http://{self.headers.get('Host') or 'localhost'}/sparql"
            return self._send(200, self.settings.description(base), "text/turtle; charset=utf-8")
        self._answer(params)

    def do_POST(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        if url.path not in ("/", "/sparql"):
            return self._error(404, f"no such endpoint {url.path!r}; POST to /sparql")
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype == "application/sparql-update":
            return self._refuse_update(drain=True)
        length = self.headers.get("Content-Length")
        if length is None:
            self.close_connection = True
            return self._error(411, "a POST needs a Content-Length")
        try:
            size = int(length)
        except ValueError:
            self.close_connection = True
            return self._error(400, "bad Content-Length")
        if size > self.settings.max_request_bytes:
            self.close_connection = True
            self._discard(size)
            return self._error(413, f"the request is larger than this endpoint's limit "
                                    f"({self.settings.max_request_bytes // 1024} KB)")
        body = self.rfile.read(size) if size > 0 else b""
        try:
            params = parse_qs(url.query, keep_blank_values=True, max_num_fields=1000)
            if ctype == "application/x-www-form-urlencoded":
                for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=1000).items():
                    params.setdefault(k, []).extend(v)
            elif ctype == "application/sparql-query":
                params["query"] = [body.decode("utf-8")]
            else:
                return self._error(415, "POST a form (application/x-www-form-urlencoded, query=...) or "
                                        "an application/sparql-query body")
        except (UnicodeDecodeError, ValueError) as e:
            return self._error(400, f"the request is not valid UTF-8 form data ({e})")
        if "update" in params:
            return self._refuse_update()
        if "query" not in params:
            return self._error(400, "no query (give query=... or an application/sparql-query body)")
        self._answer(params)

    def _discard(self, size: int, cap: int = 64 * 1024 * 1024) -> None:
        """Read and drop a refused body (up to ``cap`` bytes), so that the client, still
        sending it, gets the error answer instead of a reset connection."""
        left = min(size, cap)
        while left > 0:
            chunk = self.rfile.read(min(left, 65536))
            if not chunk:
                break
            left -= len(chunk)

    def _refuse_update(self, drain: bool = False) -> None:
        if drain:
            try:
                size = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                size = 0
            if 0 < size <= self.settings.max_request_bytes:
                self.rfile.read(size)
            else:
                self.close_connection = True
        self._error(403, "this endpoint is read-only: SPARQL updates are refused "
                         "(change the graph with `kg add` or `kg build`)")

    def _answer(self, params: dict[str, list[str]]) -> None:
        queries = params.get("query", [])
        if len(queries) != 1 or not queries[0].strip():
            return self._error(400, "give exactly one non-empty query")
        fmt = None
        for key in ("format", "output"):
            if key in params:
                fmt = FORMAT_ALIASES.get(params[key][0].strip().lower())
                if fmt is None:
                    return self._error(400, f"unknown {key}={params[key][0]!r} (use {', '.join(FORMAT_ALIASES)})")
        for key in ("default-graph-uri", "named-graph-uri"):
            for uri in params.get(key, []):
                if not uri.strip() or any(c in uri for c in '<>" {}|\\^`'):
                    return self._error(400, f"{key}: not an IRI: {uri!r}")
        if not self.settings.allow_service and uses_service(queries[0]):
            return self._error(403, "federated queries (SERVICE) are disabled on this endpoint; "
                                    "start kg serve with --allow-service to allow them")
        request = {"query": queries[0], "accept": parse_accept(self.headers.get("Accept")), "format": fmt,
                   "default_graphs": params.get("default-graph-uri", []),
                   "named_graphs": params.get("named-graph-uri", []),
                   "max_bytes": self.settings.max_result_bytes}
        reply = self.settings.pool.run(request, self.settings.timeout)
        if reply[0] == "ok":
            _, status, ctype, body = reply
            return self._send(status, body, ctype)
        _, status, message = reply
        extra = {"Retry-After": "5"} if status == 503 else None
        self._error(status, message, extra)


_CSP = ("default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def _saved_json() -> bytes:
    from kg.query import saved_queries

    return json.dumps([{"name": q.name, "description": q.description, "text": q.text}
                       for q in saved_queries().values()]).encode("utf-8")


def service_description(store_path: str, federation: bool = False) -> Callable[[str], bytes]:
    """A function giving the SPARQL 1.1 Service Description (Turtle) for an endpoint URL."""
    import pyoxigraph as ox

    def describe(endpoint: str) -> bytes:
        e = ox.NamedNode(endpoint)
        results = " , ".join(f"<http://www.w3.org/ns/formats/{n}>" for n in
                             ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
                              "SPARQL_Results_TSV", "Turtle", "N-Triples", "RDF_XML", "JSON-LD"))
        text = f"""@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix dcterms: <http://purl.org/dc/terms/> .

[] a sd:Service ;
   sd:endpoint {e} ;
   sd:supportedLanguage sd:SPARQL11Query ;
   sd:resultFormat {results} ;
   sd:feature sd:UnionDefaultGraph{" , sd:BasicFederatedQuery" if federation else ""} ;
   dcterms:description {ox.Literal("kg knowledge graph (read-only): " + Path(store_path).name)} ;
   sd:defaultDataset [ a sd:Dataset ; sd:defaultGraph [ a sd:Graph ] ] .
"""
        return text.encode("utf-8")

    return describe


def make_server(path: str, host: str = "127.0.0.1", port: int = 7878, *, timeout: float = 30.0,
                workers: int = 2, max_result_bytes: int = 50 * 1024 * 1024, max_request_bytes: int = 1024 * 1024,
                log: Callable[[str], None] | None = None,
                allow_service: bool = False) -> tuple[ThreadingHTTPServer, WorkerPool]:
    """An HTTP server (not yet serving) and its worker pool for the graph at ``path``."""
    pool = WorkerPool(path, workers)
    settings = Settings(pool=pool, timeout=timeout, max_result_bytes=max_result_bytes,
                        max_request_bytes=max_request_bytes, description=service_description(path, allow_service),
                        log=log, allow_service=allow_service)
    handler = type("KgHandler", (Handler,), {"settings": settings})
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError as e:
        pool.close()
        raise ServeError(f"cannot listen on {host}:{port} ({e.strerror or e})") from None
    server.daemon_threads = True
    return server, pool


def serve(store: Path | None = None, graph: Path | None = None, host: str = "127.0.0.1", port: int = 7878, *,
          timeout: float = 30.0, workers: int = 2, max_result_bytes: int = 50 * 1024 * 1024,
          max_request_bytes: int = 1024 * 1024, log: Callable[[str], None] | None = None,
          allow_service: bool = False) -> None:
    """Serve a store or graph file until interrupted (see the module docstring)."""
    import pyoxigraph as ox

    from kg.store import FORMATS, GraphError, is_store, load_dataset

    say = log or (lambda _msg: None)
    tmp = None
    try:
        if store is not None:
            store = Path(store)
            if not store.is_dir():
                raise ServeError(f"{store}: no such store folder")
            if not is_store(store) and not any(store.iterdir()):
                raise ServeError(f"{store}: empty folder, not a store")
            path = str(store)
        else:
            graph = Path(graph)
            if not graph.is_file():
                raise ServeError(f"{graph}: no such file")
            fmt = FORMATS.get(graph.suffix.lower())
            if fmt is None:
                raise ServeError(f"{graph}: unknown RDF format {graph.suffix!r}")
            # Load the file once into a private on-disk store that every worker opens
            # read-only: workers start at once, also when one is replaced after a timeout.
            tmp = Path(tempfile.mkdtemp(prefix="kg-serve-"))
            t = time.perf_counter()
            db = ox.Store(str(tmp / "db"))
            try:
                load_dataset(db, graph, fmt, on_disk=True)  # with the merged graph, as load_graph
            except (SyntaxError, ValueError, OSError) as e:
                raise ServeError(f"{graph}: not valid {graph.suffix[1:]} ({str(e).splitlines()[0]})") from None
            db.flush()
            del db
            say(f"kg serve: loaded {graph} in {time.perf_counter() - t:.1f} s")
            path = str(tmp / "db")
        try:
            server, pool = make_server(path, host, port, timeout=timeout, workers=workers,
                                       max_result_bytes=max_result_bytes, max_request_bytes=max_request_bytes,
                                       log=log, allow_service=allow_service)
        except GraphError as e:
            raise ServeError(str(e)) from None
        shown = f"[{host}]" if ":" in host else host
        real_port = server.server_address[1]
        if host not in ("127.0.0.1", "localhost", "::1") and not host.startswith("127."):
            say(f"kg serve: warning: listening on {host}, reachable from other machines")
        say(f"kg serve: SPARQL endpoint http://{shown}:{real_port}/sparql  (query page http://{shown}:{real_port}/ ;"
            f" timeout {timeout:g} s; read-only; Ctrl-C to stop)")
        try:
            server.serve_forever(poll_interval=0.25)
        finally:
            server.server_close()
            pool.close()
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


# ----------------------------------------------------------------------------- the query page
QUERY_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>kg SPARQL</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2733;background:#f6f7f9}
header{background:#243447;color:#fff;padding:10px 18px;display:flex;gap:16px;align-items:baseline}
header h1{font-size:17px;margin:0}header span{opacity:.8;font-size:13px}
main{padding:14px 18px}
textarea{width:100%;box-sizing:border-box;height:230px;font:13px/1.45 ui-monospace,Menlo,Consolas,monospace;
 padding:8px;border:1px solid #c3cbd5;border-radius:4px;background:#fff;tab-size:2}
.bar{display:flex;gap:10px;align-items:center;margin:8px 0;flex-wrap:wrap}
button{background:#2f6fb3;color:#fff;border:0;border-radius:4px;padding:7px 16px;font-size:14px;cursor:pointer}
button:disabled{background:#8aa7c6}select{padding:5px;max-width:420px}
#status{color:#4a5868}#status.err{color:#b3261e;white-space:pre-wrap}
table{border-collapse:collapse;background:#fff;margin-top:6px;font-size:13px}
#out{overflow:auto}
th,td{border:1px solid #d5dbe2;padding:4px 8px;text-align:left;vertical-align:top;max-width:380px;word-wrap:break-word}
th{background:#e8edf3;position:sticky;top:0}tr:nth-child(even) td{background:#fafbfc}
pre{background:#fff;border:1px solid #d5dbe2;padding:8px;overflow:auto}
td.iri{color:#1f5c99}td.num{text-align:right}#desc{color:#4a5868;font-size:13px}
</style></head><body>
<header><h1>kg SPARQL</h1><span>read-only endpoint at <code>/sparql</code> &middot; default graph = all articles</span></header>
<main>
<div class="bar"><label>Saved query <select id="saved"><option value="">(choose)</option></select></label>
<span id="desc"></span></div>
<textarea id="query" spellcheck="false">PREFIX kg: <https://w3id.org/kg-news/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

SELECT DISTINCT ?actor ?label ?event ?event_label WHERE {
  ?actor kg:claimed ?event ; rdfs:label ?label .
  OPTIONAL { ?event rdfs:label ?event_label }
} LIMIT 100</textarea>
<div class="bar"><button id="run">Run</button><span>Ctrl+Enter</span>
<label>Download as <select id="dl"><option value="">&ndash;</option><option>json</option><option>csv</option>
<option>tsv</option><option>xml</option><option>turtle</option></select></label>
<span id="status"></span></div>
<div id="out"></div>
</main><script src="/query.js"></script></body></html>
"""

QUERY_JS = r"""'use strict';
const $ = (id) => document.getElementById(id);
const PREFIXES = [['kgid:', 'https://w3id.org/kg-news/id/'], ['kg:', 'https://w3id.org/kg-news/ontology#'],
  ['rdf:', 'http://www.w3.org/1999/02/22-rdf-syntax-ns#'], ['rdfs:', 'http://www.w3.org/2000/01/rdf-schema#'],
  ['xsd:', 'http://www.w3.org/2001/XMLSchema#'], ['skos:', 'http://www.w3.org/2004/02/skos/core#'],
  ['prov:', 'http://www.w3.org/ns/prov#'], ['dcterms:', 'http://purl.org/dc/terms/'], ['wd:', 'http://www.wikidata.org/entity/']];
function short(iri) {
  for (const [p, ns] of PREFIXES) if (iri.startsWith(ns) && iri.length > ns.length) return p + iri.slice(ns.length);
  return iri;
}
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}
function setStatus(text, error) { const s = $('status'); s.textContent = text; s.className = error ? 'err' : ''; }
function showTable(data) {
  const out = $('out'); out.replaceChildren();
  if ('boolean' in data) { out.append(el('pre', String(data.boolean))); return 1; }
  const vars = data.head.vars, rows = data.results.bindings;
  const table = el('table'), head = el('tr');
  for (const v of vars) head.append(el('th', v));
  table.append(el('thead')); table.tHead.append(head);
  const body = el('tbody');
  for (const row of rows) {
    const tr = el('tr');
    for (const v of vars) {
      const b = row[v];
      if (!b) { tr.append(el('td', '')); continue; }
      if (b.type === 'uri') { const td = el('td', short(b.value), 'iri'); td.title = b.value; tr.append(td); }
      else { const num = b.datatype && /#(integer|decimal|double|float|int|long)$/.test(b.datatype);
             tr.append(el('td', b.value, num ? 'num' : undefined)); }
    }
    body.append(tr);
  }
  table.append(body); out.append(table);
  return rows.length;
}
async function run() {
  const query = $('query').value, button = $('run');
  button.disabled = true; setStatus('running\u2026');
  const t0 = performance.now();
  try {
    const resp = await fetch('/sparql', {method: 'POST', body: query, headers: {
      'Content-Type': 'application/sparql-query', 'Accept': 'application/sparql-results+json, text/turtle;q=0.9'}});
    const ms = Math.round(performance.now() - t0);
    const type = resp.headers.get('Content-Type') || '';
    if (!resp.ok) { $('out').replaceChildren(); setStatus(await resp.text(), true); return; }
    if (type.startsWith('application/sparql-results+json')) {
      const n = showTable(await resp.json());
      setStatus(n + ' row' + (n === 1 ? '' : 's') + ' in ' + ms + ' ms');
    } else {
      $('out').replaceChildren(el('pre', await resp.text()));
      setStatus('graph in ' + ms + ' ms');
    }
  } catch (e) { setStatus('request failed: ' + e, true); }
  finally { button.disabled = false; }
}
function download() {
  const fmt = $('dl').value; if (!fmt) return;
  const url = '/sparql?format=' + encodeURIComponent(fmt) + '&query=' + encodeURIComponent($('query').value);
  const a = el('a'); a.href = url; a.download = 'result.' + (fmt === 'turtle' ? 'ttl' : fmt); a.click();
  $('dl').value = '';
}
async function loadSaved() {
  try {
    const list = await (await fetch('/queries.json')).json();
    const sel = $('saved');
    for (const q of list) { const o = el('option', q.name); o.value = q.name; sel.append(o); }
    sel.addEventListener('change', () => {
      const q = list.find((x) => x.name === sel.value);
      if (q) { $('query').value = q.text; $('desc').textContent = q.description; }
    });
  } catch (e) { /* the page works without saved queries */ }
}
$('run').addEventListener('click', run);
$('dl').addEventListener('change', download);
$('query').addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); } });
loadSaved();
"""
