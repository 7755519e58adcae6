"""kg: news articles to a knowledge graph with sentence-level provenance."""
from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__", "open"]


def open(path_or_store):  # noqa: A001 - kg.open(...) mirrors the built-in's role for graphs
    """Open a graph for querying: a graph file (``.trig``, ``.ttl``, ...), a kg store
    folder, or a ``pyoxigraph.Store``.

    Returns a :class:`kg.query.KnowledgeGraph` with ``query()`` (a pandas DataFrame),
    ``to_networkx()`` and ``export()``. Nothing is imported until it is called.

    Examples
    --------
    >>> import kg, pyoxigraph
    >>> g = kg.open(pyoxigraph.Store())
    >>> g.query("ASK { ?s ?p ?o }")
    False
    """
    from kg.query import KnowledgeGraph

    return KnowledgeGraph(path_or_store)
