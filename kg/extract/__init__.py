"""Extraction: pure functions from a parsed article to :class:`~kg.model.ArticleFacts`.

The rule families run in a fixed order over one :class:`DocContext`:
entities (in the context) → roles → events → entity relations → event relations →
casualty figures → assembling events (dropping those nothing refers to).

Importing the package is cheap: ``extract_facts``, ``DocContext`` and ``load_rules``
are loaded on first use, so a process that only needs the rule files or
:class:`~kg.extract.rules.RuleError` (the command line, or a build's parent process,
which leaves parsing to its workers) does not import spaCy.
"""
from __future__ import annotations

import importlib

__all__ = ["extract_facts", "DocContext", "load_rules"]

_WHERE = {"extract_facts": "kg.extract.facts", "DocContext": "kg.extract.context",
          "load_rules": "kg.extract.rules"}


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'kg.extract' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
