"""A faster drop-in for spaCy's ``DependencyMatcher`` with the same results.

spaCy's ``DependencyMatcher`` first finds, for every node of every pattern, the tokens
that satisfy the node's attributes, by running a token ``Matcher`` over the whole
document. Attribute sets (``{"LOWER": {"IN": [...]}}``) are Python predicates that the
``Matcher`` calls once per token and pattern, which made this step about two thirds of
the extraction time of a build. :class:`IndexedDependencyMatcher` answers the same
question from a per-document index (attribute value → token positions) with set
operations, and leaves the tree matching (``_get_matches``) to spaCy, so the matches,
and their order, are the same.

spaCy then tries every combination of the nodes' candidates in a sentence (a cartesian
product) and checks the relations of each. Before handing the candidates over, this
matcher drops those that cannot be part of any match through a ``>`` relation (a head
and its dependant): a candidate for the head must have a candidate for the dependant
among its children, and the other way round, until nothing changes. The matches are the
same, in the same order (a product over shorter lists, without the tuples that would
have failed), and spaCy has about half as much to check.

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
        self.pattern_edges: list[list[tuple[int, int]]] = []  # (head, dependant) node indexes of its ">"
        self._ids: dict = {}
        self._plan: tuple | None = None
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
            index = {node["RIGHT_ID"]: j for j, node in enumerate(pattern)}
            self.pattern_edges.append([(index[node["LEFT_ID"]], j) for j, node in enumerate(pattern)
                                       if node.get("REL_OP") == ">"])
        self._plan = None

    def remove(self, key) -> None:  # pragma: no cover - not used by kg
        super().remove(key)
        self.indexed = False

    def _value_ids(self, attr: str, values: frozenset[str]) -> frozenset[int]:
        """The ids ``Doc.to_array`` gives the ``values`` of ``attr`` (memoised)."""
        key = (attr, values)
        ids = self._ids.get(key)
        if ids is None:
            if attr == "POS":
                ids = frozenset(IDS[v] for v in values if v in IDS)
            else:
                ids = frozenset(get_string_id(v) for v in values)
            self._ids[key] = ids
        return ids

    def _tests_plan(self) -> tuple:
        """``(attributes, {(attr, values): ids}, [(node key, [(attr, op, (attr, values))])])``."""
        if self._plan is None:
            attrs = sorted({attr for tests in self.node_tests.values() for attr, _, _ in tests})
            tests: dict = {}
            nodes = []
            for node_key, node in self.node_tests.items():
                for attr, _, values in node:
                    tests.setdefault((attr, values), self._value_ids(attr, values))
                nodes.append((node_key, [(attr, op, (attr, values)) for attr, op, values in node]))
            self._plan = (attrs, tests, nodes)
        return self._plan

    def _get_keys_to_position_maps(self, doc):
        if not self.indexed:
            return super()._get_keys_to_position_maps(doc)
        n = len(doc)
        attrs, tests, nodes = self._tests_plan()
        array = doc.to_array([*attrs, "HEAD"]).reshape(n, len(attrs) + 1) if n else \
            np.zeros((0, len(attrs) + 1), dtype=np.uint64)
        columns = array[:, :-1].T.tolist()
        # the index: attribute -> value -> positions
        index = {}
        for attr, column in zip(attrs, columns):
            positions: dict[int, list[int]] = {}
            for i, v in enumerate(column):
                found = positions.get(v)
                if found is None:
                    positions[v] = [i]
                else:
                    found.append(i)
            index[attr] = positions
        having: dict = {}  # (attr, values) -> tokens with one of the values
        for key, ids in tests.items():
            positions = index[key[0]]
            found = set()
            for v in ids & positions.keys():
                found.update(positions[v])
            having[key] = found
        everything = None
        candidates: dict[int, set[int]] = {}  # node key -> tokens that satisfy its tests
        for node_key, node in nodes:
            kept = None
            for _, op, key in node:
                found = having[key]
                if op == "NOT_IN":
                    if everything is None:
                        everything = set(range(n))
                    found = everything - found
                kept = found if kept is None else kept & found
            candidates[node_key] = set(range(n)) if kept is None else kept
        # the root of each token's tree, as spaCy computes it (the last ancestor)
        heads = (np.arange(n, dtype=np.int64) + array[:, -1].view(np.int64)).tolist()
        roots = heads
        while True:
            up = [roots[r] for r in roots]
            if up == roots:
                break
            roots = up
        maps: dict = defaultdict(lambda: defaultdict(list))
        first: dict[int, int] = {}  # root -> its first candidate kept
        for keys, edges in zip(self.pattern_nodes, self.pattern_edges):
            sets = [candidates[k] for k in keys]
            # a head needs a dependant among its children and the dependant that head
            changed = bool(edges)
            while changed and all(sets):
                changed = False
                for h, d in edges:
                    deps = {i for i in sets[d] if heads[i] in sets[h] and heads[i] != i}
                    hs = sets[h] & {heads[i] for i in deps}
                    if len(deps) != len(sets[d]) or len(hs) != len(sets[h]):
                        sets[h], sets[d] = hs, deps
                        changed = True
            if not all(sets):
                continue
            # and a match lies in one tree, holding a candidate for each node
            trees = set.intersection(*({roots[i] for i in s} for s in sets))
            if not trees:
                continue
            for node_key, s in zip(keys, sets):
                for i in sorted(s):  # in order
                    root = roots[i]
                    if root in trees:
                        maps[root][node_key].append(i)
                        if i < first.get(root, n):
                            first[root] = i
        # trees in document order (spaCy's token matcher meets them by first candidate;
        # a tree is a sentence, so any of its tokens gives the same order)
        ordered = defaultdict(lambda: defaultdict(list))
        for root in sorted(maps, key=first.__getitem__):
            ordered[root] = maps[root]
        return ordered
