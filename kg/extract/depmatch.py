"""A faster drop-in for spaCy's ``DependencyMatcher`` with the same results.

spaCy's ``DependencyMatcher`` first finds, for every node of every pattern, the tokens
that satisfy the node's attributes, by running a token ``Matcher`` over the whole
document. Attribute sets (``{"LOWER": {"IN": [...]}}``) are Python predicates that the
``Matcher`` calls once per token and pattern, which made this step about two thirds of
the extraction time of a build. :class:`IndexedDependencyMatcher` answers the same
question from a per-document index (attribute value → token positions) with set
operations, and leaves the tree matching (``_get_matches``) to spaCy, so the matches,
and their order, are the same.

Only plain string attributes (``ORTH``, ``TEXT``, ``LOWER``, ``LEMMA``, ``NORM``,
``SHAPE``, ``POS``, ``TAG``, ``DEP``, ``ENT_TYPE``) with a string value or ``IN`` /
``NOT_IN`` lists are indexed; a pattern using anything else (regular expressions,
numeric comparisons, extension attributes...) makes the matcher fall back to spaCy's
own method for the whole document.

>>> import spacy
>>> nlp = spacy.blank("en")
>>> m = IndexedDependencyMatcher(nlp.vocab)
>>> m.add("r", [[{"RIGHT_ID": "x", "RIGHT_ATTRS": {"LOWER": {"IN": ["cat", "dog"]}}}]])
>>> m.indexed
True
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
from spacy.matcher import DependencyMatcher
from spacy.strings import get_string_id
from spacy.symbols import IDS


ATTRS = {"ORTH": "ORTH", "TEXT": "ORTH", "LOWER": "LOWER", "LEMMA": "LEMMA", "NORM": "NORM",
         "SHAPE": "SHAPE", "POS": "POS", "TAG": "TAG", "DEP": "DEP", "ENT_TYPE": "ENT_TYPE"}


def _node_test(attrs: dict) -> list[tuple[str, str, frozenset[str]]] | None:
    """``[(token attribute, "IN" | "NOT_IN", values)]`` for one node, or None when the
    node uses something this matcher does not index."""
    tests = []
    for name, value in attrs.items():
        attr = ATTRS.get(name)
        if attr is None:
            return None
        if isinstance(value, str):
            tests.append((attr, "IN", frozenset((value,))))
        elif isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("IN", "NOT_IN"):
            op, items = next(iter(value.items()))
            if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
                return None
            tests.append((attr, op, frozenset(items)))
        else:
            return None
    return tests


class IndexedDependencyMatcher(DependencyMatcher):
    """``DependencyMatcher`` whose node candidates come from a per-document index."""

    def __init__(self, vocab, *, validate: bool = False):
        super().__init__(vocab, validate=validate)
        self.node_tests: dict[int, list] = {}  # matcher key of a node -> its tests
        self.pattern_nodes: list[list[int]] = []  # the node keys of each pattern
        self._ids: dict = {}
        self.indexed = True

    def add(self, key, patterns, *, on_match=None) -> None:
        norm = self._normalize_key(key)
        offset = len(self._patterns.get(norm, ()))
        super().add(key, patterns, on_match=on_match)
        for i, pattern in enumerate(patterns, start=offset):
            nodes = []
            for j, node in enumerate(pattern):
                tests = _node_test(node.get("RIGHT_ATTRS", {}))
                if tests is None:
                    self.indexed = False
                nodes.append(self._get_matcher_key(norm, i, j))
                self.node_tests[nodes[-1]] = tests
            self.pattern_nodes.append(nodes)

    def remove(self, key) -> None:  # pragma: no cover - not used by kg
        super().remove(key)
        self.indexed = False

    def _value_ids(self, attr: str, values: frozenset[str]) -> np.ndarray:
        """The ids ``Doc.to_array`` gives the ``values`` of ``attr`` (memoised)."""
        key = (attr, values)
        ids = self._ids.get(key)
        if ids is None:
            if attr == "POS":
                ids = [IDS[v] for v in values if v in IDS]
            else:
                ids = [get_string_id(v) for v in values]
            ids = self._ids[key] = np.array(sorted(ids), dtype=np.uint64)
        return ids

    def _get_keys_to_position_maps(self, doc):
        if not self.indexed:
            return super()._get_keys_to_position_maps(doc)
        n = len(doc)
        needed = sorted({attr for tests in self.node_tests.values() for attr, _, _ in tests})
        array = doc.to_array([*needed, "HEAD"]).reshape(n, len(needed) + 1) if n else \
            np.zeros((0, len(needed) + 1), dtype=np.uint64)
        column = {attr: array[:, k] for k, attr in enumerate(needed)}
        masks: dict = {}  # (attr, values) -> tokens with one of the values
        candidates: dict[int, np.ndarray] = {}  # node key -> tokens that satisfy its tests
        for node_key, tests in self.node_tests.items():
            mask = None
            for attr, op, values in tests:
                found = masks.get((attr, values))
                if found is None:
                    ids, col = self._value_ids(attr, values), column[attr]
                    if len(ids) <= 8:  # a few comparisons beat np.isin's set-up on short columns
                        found = np.zeros(n, dtype=bool)
                        for v in ids:
                            found |= col == v
                    else:
                        found = np.isin(col, ids)
                    masks[(attr, values)] = found
                if op == "NOT_IN":
                    found = ~found
                mask = found if mask is None else mask & found
            candidates[node_key] = np.arange(n) if mask is None else np.flatnonzero(mask)
        # the root of each token's tree, as spaCy computes it (the last ancestor):
        # follow the heads until nothing moves (as many steps as the deepest tree)
        heads = np.arange(n, dtype=np.int64) + array[:, -1].view(np.int64)
        roots = heads
        while True:
            up = heads[roots]
            if np.array_equal(up, roots):
                break
            roots = up
        # a pattern can only match in a tree holding a candidate for each of its nodes:
        # its nodes' candidates elsewhere are left out (spaCy would try and drop them)
        maps: dict = defaultdict(lambda: defaultdict(list))
        first: dict[int, int] = {}  # root -> its first candidate kept
        for nodes in self.pattern_nodes:
            trees = None
            for node_key in nodes:
                found = set(roots[candidates[node_key]].tolist())
                trees = found if trees is None else trees & found
                if not trees:
                    break
            if not trees:
                continue
            allowed = np.zeros(n, dtype=bool)
            allowed[list(trees)] = True
            for node_key in nodes:
                cand = candidates[node_key]
                for i in cand[allowed[roots[cand]]].tolist():  # in order
                    root = int(roots[i])
                    maps[root][node_key].append(i)
                    if i < first.get(root, n):
                        first[root] = i
        # trees in document order (spaCy's token matcher meets them by first candidate;
        # a tree is a sentence, so any of its tokens gives the same order)
        ordered = defaultdict(lambda: defaultdict(list))
        for root in sorted(maps, key=first.__getitem__):
            ordered[root] = maps[root]
        return ordered
