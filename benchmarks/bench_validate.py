"""SHACL validation of a build's graph: kg's validator against rdflib + pyshacl as written.

For every corpus size (``--sizes``, in articles of ``benchmarks/corpus.py``) this builds
the corpus once (no validation, no views), then validates its ``graph.ttl`` two ways,
each ``--repeat`` times, and prints the best time of each part:

* **baseline**: rdflib's Turtle parser, the ontology added, and ``pyshacl.validate``
  with ``ontology/shapes.ttl`` as written (pyshacl validates a property shape listed
  with ``sh:property`` once per focus node of its node shape), on a graph that parses
  each SHACL-SPARQL query once, as kg's did before: only the parser and the shapes
  differ;
* **kg**: :func:`kg.validate.validate_file`: pyoxigraph's parser, and pyshacl with
  :func:`kg.validate.flatten_shapes` (each property shape carries its node shape's
  targets and is validated once for all of them).

Both give the same results (checked here: the same violations, field by field, blank
node ids aside); the script prints parse and validation times, their ratio and the
triples per second.
Figures only: nothing fails on time. Example::

    PYTHONPATH=. python benchmarks/bench_validate.py --sizes 20,100 --repeat 3
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

from corpus import make_corpus  # noqa: E402


def build_graph(n: int, work: Path) -> tuple[Path, int]:
    """Build a corpus of ``n`` articles without validation; return graph.ttl and its triples."""
    from kg.build import BuildOptions, build

    corpus = work / f"corpus-{n}.jsonl"
    make_corpus(n, corpus)
    out = work / f"out-{n}"
    result = build([corpus], out, BuildOptions(validate=False, html=False, cache=False, jobs=2))
    return out / "graph.ttl", result.triples


def baseline(path: Path) -> tuple[float, float, list]:
    """rdflib parse + pyshacl with the shapes as written: (parse s, validate s, violations)."""
    from pyshacl import validate as shacl_validate
    from rdflib import Graph

    from kg.validate import _default_path, _load, _PreparedQueryGraph, _results, sorted_violations

    t = time.perf_counter()
    parsed = Graph().parse(path, format="turtle")
    t_parse = time.perf_counter() - t
    t = time.perf_counter()
    g = _PreparedQueryGraph()  # kg's query-parsing cache, so that only the shapes differ
    for triple in parsed:
        g.add(triple)
    g += _load(_default_path("kg.ttl"))
    _conforms, report, _text = shacl_validate(
        g, shacl_graph=_load(_default_path("shapes.ttl")), inference="none", advanced=True,
        allow_warnings=True, allow_infos=True, inplace=True)
    violations = sorted_violations(_results(report, None))
    return t_parse, time.perf_counter() - t, violations


def with_kg(path: Path) -> tuple[float, float, list]:
    """kg.validate: (parse s, validate s, violations)."""
    from kg.validate import _parse_into, _Scratch, validate_graph

    t = time.perf_counter()
    g = _Scratch()
    _parse_into(g, "TURTLE", path=path)
    t_parse = time.perf_counter() - t
    t = time.perf_counter()
    result = validate_graph(g)
    return t_parse, time.perf_counter() - t, result.violations


def comparable(violations: list) -> list[tuple]:
    """Violations as sorted tuples, blank node ids (which differ from parse to parse;
    an IRI always has a colon) replaced by ``_:``."""
    def node(text):
        return "" if text is None else text if ":" in text else "_:"

    return sorted((v.severity, v.shape, node(v.focus), v.path or "", node(v.value), v.message,
                   v.constraint or "") for v in violations)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="20,100", help="corpus sizes in articles (comma-separated)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each (the best is printed)")
    ap.add_argument("--graph", type=Path, default=None, help="validate this Turtle file instead of building corpora")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="kg-bench-validate-") as tmp:
        if args.graph is not None:
            from rdflib import Graph

            graphs = [(args.graph, len(Graph().parse(args.graph, format="turtle")))]
        else:
            graphs = [build_graph(int(n), Path(tmp)) for n in args.sizes.split(",")]
        rows = []
        for path, triples in graphs:
            best = {}
            for name, fn in (("baseline", baseline), ("kg", with_kg)):
                runs = [fn(path) for _ in range(max(1, args.repeat))]
                best[name] = (min(r[0] for r in runs), min(r[1] for r in runs), runs[0][2])
            same = comparable(best["baseline"][2]) == comparable(best["kg"][2])
            rows.append((triples, best, same))
            print(f"{triples:,} triples: baseline parse {best['baseline'][0]:.2f} s + validate "
                  f"{best['baseline'][1]:.2f} s; kg parse {best['kg'][0]:.2f} s + validate {best['kg'][1]:.2f} s; "
                  f"{len(best['kg'][2])} results, same as baseline: {same}", flush=True)
        print("\nsummary (best of each):")
        print(f"{'triples':>9} {'base parse':>10} {'base valid.':>11} {'kg parse':>9} {'kg valid.':>9} "
              f"{'speed-up':>8} {'kg triples/s':>12}")
        for triples, best, same in rows:
            base = best["baseline"][0] + best["baseline"][1]
            ours = best["kg"][0] + best["kg"][1]
            print(f"{triples:>9,} {best['baseline'][0]:>10.2f} {best['baseline'][1]:>11.2f} {best['kg'][0]:>9.2f} "
                  f"{best['kg'][1]:>9.2f} {base / ours:>7.1f}x {triples / ours:>12,.0f}"
                  + ("" if same else "  RESULTS DIFFER"))


if __name__ == "__main__":
    main()
