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

from spacy.matcher import DependencyMatcher
from spacy.symbols import IDS

_POS_NAMES = {v: k for k, v in IDS.items()}


def _signed(v: int) -> int:
    """A relative HEAD offset from ``Doc.to_array`` (unsigned 64-bit) as an int."""
    return v - (1 << 64) if v >= 1 << 63 else v


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
        self.indexed = True

    def add(self, key, patterns, *, on_match=None) -> None:
        norm = self._normalize_key(key)
        offset = len(self._patterns.get(norm, ()))
        super().add(key, patterns, on_match=on_match)
        for i, pattern in enumerate(patterns, start=offset):
            for j, node in enumerate(pattern):
                tests = _node_test(node.get("RIGHT_ATTRS", {}))
                if tests is None:
                    self.indexed = False
                self.node_tests[self._get_matcher_key(norm, i, j)] = tests

    def remove(self, key) -> None:  # pragma: no cover - not used by kg
        super().remove(key)
        self.indexed = False

    def _get_keys_to_position_maps(self, doc):
        if not self.indexed:
            return super()._get_keys_to_position_maps(doc)
        n = len(doc)
        needed = sorted({attr for tests in self.node_tests.values() for attr, _, _ in tests})
        columns = doc.to_array([*needed, "HEAD"]).tolist() if n else []
        strings = doc.vocab.strings
        index: dict[str, dict[str, list[int]]] = {}
        for k, attr in enumerate(needed):
            ids: dict[int, list[int]] = defaultdict(list)
            for i, row in enumerate(columns):
                ids[row[k]].append(i)
            # ids (hashes, or symbol ids for POS) back to the strings the patterns use
            index[attr] = {(_POS_NAMES.get(v, "") if attr == "POS" else strings[v]): pos
                           for v, pos in ids.items()}
        # the root of each token's tree, as spaCy computes it (the last ancestor)
        heads = [i + _signed(row[-1]) for i, row in enumerate(columns)]
        root_of: list[int] = [-1] * n
        for i in range(n):
            path = []
            j = i
            while root_of[j] < 0 and heads[j] != j:
                path.append(j)
                j = heads[j]
            r = root_of[j] if root_of[j] >= 0 else j
            root_of[j] = r
            for k in path:
                root_of[k] = r
        tree_tokens: dict[int, list[int]] = defaultdict(list)  # root -> its tokens, in order
        for i in range(n):
            tree_tokens[root_of[i]].append(i)
        maps: dict = defaultdict(lambda: defaultdict(list))
        first: dict[int, int] = {}  # root -> its first token that is a candidate of some node
        for node_key, tests in self.node_tests.items():
            if not tests:  # any token: every tree holds all its tokens (lists shared, only read)
                for root, tokens in tree_tokens.items():
                    maps[root][node_key] = tokens
                    if tokens[0] < first.get(root, n):
                        first[root] = tokens[0]
                continue
            candidates: set[int] | None = None
            for attr, op, values in tests:
                by_value = index[attr]
                found = {i for v in values for i in by_value.get(v, ())}
                if op == "NOT_IN":
                    found = set(range(n)) - found
                candidates = found if candidates is None else candidates & found
                if not candidates:
                    break
            for i in sorted(candidates):
                root = root_of[i]
                maps[root][node_key].append(i)
                if i < first.get(root, n):
                    first[root] = i
        # trees in the order spaCy's token matcher would meet them (by first candidate)
        ordered = defaultdict(lambda: defaultdict(list))
        for root in sorted(maps, key=first.__getitem__):
            ordered[root] = maps[root]
        return ordered
