"""kg: news articles to a knowledge graph with sentence-level provenance."""
from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
