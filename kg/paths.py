"""Where the package's data lives: the ontology folder, rules and saved queries.

In a wheel the top-level ``ontology/`` folder is installed as ``kg/ontology``; in a
source checkout (editable install) it is read from the repository.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


@cache
def ontology_dir() -> Path:
    """The folder with ``kg.ttl``, ``shapes.ttl`` and ``gazetteer/``."""
    for candidate in (PACKAGE / "ontology", PACKAGE.parent / "ontology"):
        if (candidate / "kg.ttl").exists():
            return candidate
    raise FileNotFoundError("the kg ontology folder is missing from this installation")


def rules_dir() -> Path:
    """The folder with the extraction rules (YAML and JSONL)."""
    return PACKAGE / "rules"


def queries_dir() -> Path:
    """The folder with the saved SPARQL queries (``.rq``)."""
    return PACKAGE / "queries"
