"""Opening graphs: output files or an on-disk Oxigraph store.

:func:`load_graph` is the one place that turns a path into a queryable
``pyoxigraph.Store``: a ``.trig``/``.nq`` dataset, a ``.ttl``/``.nt``/``.rdf`` graph
(loaded into the default graph), or a folder holding an Oxigraph store.
"""
from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

FORMATS = {".trig": ox.RdfFormat.TRIG, ".nq": ox.RdfFormat.N_QUADS, ".ttl": ox.RdfFormat.TURTLE,
           ".nt": ox.RdfFormat.N_TRIPLES, ".rdf": ox.RdfFormat.RDF_XML, ".owl": ox.RdfFormat.RDF_XML,
           ".jsonld": ox.RdfFormat.JSON_LD}


class GraphError(ValueError):
    """A graph file or store that cannot be opened (one-line message)."""


def load_graph(path: Path) -> ox.Store:
    """A store with the contents of ``path`` (file) or the store at ``path`` (folder).

    Named graphs of a dataset stay named; query with ``GRAPH ?g`` or rely on
    ``use_default_graph_as_union=True`` in ``Store.query``.
    """
    path = Path(path)
    if path.is_dir():
        try:
            return ox.Store(str(path))
        except OSError as e:
            raise GraphError(f"{path}: cannot open the store ({e})") from None
    if not path.exists():
        raise GraphError(f"{path}: no such file or folder")
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise GraphError(f"{path}: unknown RDF format {path.suffix!r} (use .trig, .nq, .ttl, .nt, .rdf, .jsonld)")
    store = ox.Store()
    try:
        store.bulk_load(path=str(path), format=fmt)
    except (SyntaxError, ValueError, OSError) as e:
        raise GraphError(f"{path}: not valid {path.suffix[1:]} ({str(e).splitlines()[0]})") from None
    return store
