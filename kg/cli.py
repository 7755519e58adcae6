"""The ``kg`` command line: a thin Typer shell over the library.

Every command has ``--help``. Errors are one line on standard error, naming the file
and the problem, with a non-zero exit code.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from kg import __version__

app = typer.Typer(
    name="kg",
    help="Turn news articles into a knowledge graph: entities, events, relations and attributed "
         "claims as RDF with sentence-level provenance.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
out = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> None:
    """Print a one-line error and exit."""
    err.print(f"kg: error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@app.callback(invoke_without_command=True)
def main(version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False) -> None:
    if version:
        out.print(f"kg {__version__}")
        raise typer.Exit()


@app.command()
def build(
    inputs: Annotated[Optional[list[Path]], typer.Argument(
        help="Files (.txt, .jsonl, .html) and folders of articles. Default: the bundled sample articles.",
        show_default=False)] = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="Output folder.")] = Path("out"),
    split: Annotated[str, typer.Option(
        help="How a .txt file is split into articles: auto (at blank lines when paragraphs are "
             "separated by single newlines), none (one article a file), blank-lines.")] = "auto",
    jobs: Annotated[int, typer.Option("-j", "--jobs", min=1, help=(
        "Processes for the NLP and extraction stages (the output is the same for any number)."))] = 1,
    on_error: Annotated[str, typer.Option(
        help="What to do with a bad file or line: skip it (reported, exit code 3) or fail the build.")] = "skip",
    strict: Annotated[bool, typer.Option(help="Fail the build when the graph violates a SHACL shape.")] = False,
    validate: Annotated[bool, typer.Option(help="Validate the graph with the SHACL shapes.")] = True,
    html: Annotated[bool, typer.Option(help="Write the interactive view graph.html.")] = True,
    gazetteer: Annotated[Optional[list[Path]], typer.Option(
        help="Extra gazetteer JSONL file(s) with your own entities (repeatable).")] = None,
    gold: Annotated[Optional[Path], typer.Option(
        help="Gold annotations (JSONL); score the new graph against them after the build.")] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="No progress bar or summary.")] = False,
    cache_dir: Annotated[Optional[Path], typer.Option(
        "--cache", help="Folder of the build cache (extraction results of unchanged articles are "
                        "reused). Default: OUTPUT/.kg-cache.", show_default=False)] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Neither read nor write the build cache.")] = False,
    engine: Annotated[str, typer.Option(
        help="Where NLP and extraction run: local (this machine, -j processes) or dask (a Dask "
             "cluster; needs the 'dask' extra).")] = "local",
    scheduler: Annotated[Optional[str], typer.Option(
        help="Dask scheduler address (tcp://host:8786) for --engine dask. Default: a local cluster "
             "of -j worker processes.", show_default=False)] = None,
    validate_max_triples: Annotated[int, typer.Option(
        min=0, help="Validate the whole graph up to this many triples; above, article graph by article "
                    "graph, about this many triples per build, new articles first, verdicts kept in the "
                    "cache (coverage in report.json). 0: always the whole graph.")] = 10_000,
    html_max_nodes: Annotated[int, typer.Option(
        min=0, help="graph.html shows at most this many nodes (the most connected); 0: no limit.")] = 3_000,
    views_max_triples: Annotated[int, typer.Option(
        min=0, help="Write graph.graphml and graph.html only for graphs up to this many triples (they are "
                    "rebuilt from the whole graph at every build); above, make them with `kg export` and "
                    "`kg view`. 0: always.")] = 1_000_000,
    store: Annotated[Optional[Path], typer.Option(
        "--store", help="Also keep the dataset in this kg store folder (replacing its contents); "
                        "grow it later with `kg add`, query it with `kg query --store`.")] = None,
) -> None:
    """Build the knowledge graph of INPUTS into OUTPUT (graph.trig, graph.ttl, graph.graphml,
    graph.html, report.json). Previous outputs stay untouched unless the build succeeds."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from kg.build import BuildError, BuildOptions, build as run_build
    from kg.gazetteer import GazetteerError
    from kg.extract.rules import RuleError

    if split not in ("auto", "none", "blank-lines"):
        fail(f"--split must be auto, none or blank-lines, not {split!r}", 2)
    if on_error not in ("skip", "fail"):
        fail(f"--on-error must be skip or fail, not {on_error!r}", 2)
    if engine not in ("local", "dask"):
        fail(f"--engine must be local or dask, not {engine!r}", 2)
    if scheduler is not None and engine != "dask":
        fail("--scheduler needs --engine dask", 2)
    if no_cache and cache_dir is not None:
        fail("--cache and --no-cache exclude each other", 2)
    options = BuildOptions(split=split, jobs=jobs, on_error=on_error, validate=validate, strict=strict,
                           html=html, gazetteer_extra=tuple(gazetteer or ()), cache=not no_cache,
                           cache_dir=cache_dir, engine=engine, scheduler=scheduler,
                           validate_max_triples=validate_max_triples or None,
                           html_max_nodes=html_max_nodes or None, views_max_triples=views_max_triples or None,
                           store_dir=store)
    progress = Progress(TextColumn("[bold]building"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("articles"), TimeElapsedColumn(), console=err,
                        disable=quiet or not err.is_terminal, transient=True)
    task = None

    def tick(done: int, total: int) -> None:
        # the bar (and its refresh thread) starts with the first article: the build may
        # fork its workers before, which it only does while no other thread runs
        nonlocal task
        if task is None:
            progress.start()
            task = progress.add_task("build", total=None)
        progress.update(task, completed=done, total=total)

    try:
        try:
            result = run_build(inputs or [], output, options, progress=tick)
        finally:
            progress.stop()
    except (BuildError, GazetteerError, RuleError) as e:
        fail(str(e))
    except ImportError as e:  # --engine dask without the extra
        fail(f"{e}; install the extra: pip install 'kg-news[dask]'")
    except KeyboardInterrupt:
        fail(f"interrupted; previous outputs in {output} are unchanged", 130)
    for p in result.problems:
        err.print(f"kg: skipped: {p}", markup=False, highlight=False, soft_wrap=True)
    if not quiet:
        _summary(result)
    if gold is not None:
        from kg.evaluate import evaluate_paths, print_scores

        print_scores(evaluate_paths(output / "graph.trig", gold), out)
    if result.problems:
        raise typer.Exit(3)


@app.command()
def validate(
    graph: Annotated[Path, typer.Argument(help="An RDF file (.trig, .ttl, .nq, .nt, .rdf, .jsonld).")],
    shapes: Annotated[Optional[Path], typer.Option(help="SHACL shapes (default: the kg shapes).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
    per_graph: Annotated[bool, typer.Option(help="Validate each named graph separately (large datasets).")] = False,
) -> None:
    """Validate GRAPH against the kg SHACL shapes; exit code 1 when it does not conform."""
    from kg.validate import validate_file

    if not graph.exists():
        fail(f"{graph}: no such file")
    try:
        result = validate_file(graph, shapes_path=shapes, per_graph=per_graph)
    except Exception as e:  # noqa: BLE001 - any parse error becomes a one-line message
        fail(f"{graph}: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
    if json_out:
        out.print_json(result.to_json_text())
    else:
        out.print(f"{graph}: {result.summary()}", markup=False, highlight=False)
        for v in result.violations[:50]:
            out.print(f"  {v}", markup=False, highlight=False, soft_wrap=True)
        if len(result.violations) > 50:
            out.print(f"  ... and {len(result.violations) - 50} more (use --json)")
    if not result.conforms:
        raise typer.Exit(1)


@app.command()
def evaluate(
    gold: Annotated[Path, typer.Argument(help="Gold annotations: JSONL, one article a line (see kg.evaluate).")],
    graph: Annotated[Path, typer.Option("--graph", "-g", help="The graph to score (.trig, .nq, .ttl...).")] = Path("out/graph.trig"),
    json_out: Annotated[bool, typer.Option("--json", help="Print every measure and list as JSON.")] = False,
    show_missed: Annotated[bool, typer.Option("--missed", help="List the gold facts not found.")] = False,
) -> None:
    """Score GRAPH against GOLD: fact precision/recall/F1, entity and casualty recall,
    false assertions and provenance coverage."""
    import json as _json

    from kg.evaluate import evaluate_paths, print_scores

    for path in (gold, graph):
        if not path.exists():
            fail(f"{path}: no such file")
    try:
        result = evaluate_paths(graph, gold)
    except (ValueError, KeyError) as e:
        fail(str(e).splitlines()[0])
    except Exception as e:  # noqa: BLE001 - a graph that does not parse
        fail(f"{graph}: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
    if json_out:
        out.print_json(_json.dumps(result))
        return
    print_scores(result, out)
    if show_missed:
        for item in result["facts_missed"]:
            out.print(f"  missed: {item}", markup=False, highlight=False)
    for item in result["false_assertions"]:
        out.print(f"  false assertion: {item}", markup=False, highlight=False)


def _summary(result) -> None:
    table = Table(title=f"kg build → {result.out_dir}", show_header=True, header_style="bold")
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("articles", str(result.articles))
    table.add_row("words", f"{result.words:,}")
    table.add_row("entities", str(result.entities))
    for cls, n in result.entities_by_class.most_common():
        table.add_row(f"  {cls}", str(n))
    table.add_row("events", str(sum(result.events_by_class.values())))
    table.add_row("relations", str(sum(result.relations_by_property.values())))
    table.add_row("casualty reports", str(result.casualty_reports))
    table.add_row("claims (not asserted)", str(result.claims))
    table.add_row("triples", f"{result.triples:,}")
    if result.validation is not None:
        v = result.validation
        verdict = "conforms" if v.get("conforms") else f"{v.get('violation_count', '?')} violation(s)"
        if v.get("sample"):
            verdict += f" ({v['sample']['article_graphs']:,} of {v['sample']['of_article_graphs']:,} article graphs)"
        table.add_row("SHACL", verdict)
    if result.cache and result.parsed < result.articles:
        table.add_row("parsed (the rest from the cache)", f"{result.parsed:,}")
    table.add_row("time", f"{sum(result.timings.values()):.1f} s")
    out.print(table)
    out.print("outputs: " + ", ".join(str(result.out_dir / f) for f in result.outputs), soft_wrap=True, highlight=False)
    unwritten: dict[str, list[str]] = {}
    for name, info in sorted(result.bounded.items()):
        if info.get("written") is False:
            unwritten.setdefault(info["note"], []).append(name)
    for note, names in unwritten.items():
        out.print(f"not written: {', '.join(names)}: {note}", soft_wrap=True, highlight=False, markup=False)


# --- analytics commands ---
@app.command()
def stats(
    graph: Annotated[Path, typer.Argument(
        help="The graph: an output file (graph.trig, graph.ttl, .nq...) or an Oxigraph store folder.",
        show_default=False)],
    top_n: Annotated[int, typer.Option("--top", "-n", min=1, help="Rows to print per measure.")] = 10,
    out_dir: Annotated[Optional[Path], typer.Option(
        "--out", help="Folder to write every measure to, in full, as CSV files and one stats.json.")] = None,
    view: Annotated[str, typer.Option(
        help="Graph the centrality measures and communities run on: entities (events collapsed into "
             "weighted entity-entity edges) or full (entities and events).")] = "entities",
    kind: Annotated[str, typer.Option(
        help="Casualty kind ranked in the actors-by-casualties table (killed, injured, abducted...).")] = "killed",
    seed: Annotated[int, typer.Option(help="Random seed of the Louvain community detection.")] = 42,
    timeline: Annotated[Optional[str], typer.Option(
        help="Also list the dated events of this actor or place (label, alias or IRI; a place includes "
             "the places inside it).", show_default=False)] = None,
) -> None:
    """Print the most central entities of GRAPH (degree, PageRank, betweenness), its communities,
    the actors ranked by events and by casualties, and optionally the timeline of one actor or
    place; with --out, write them all in full as CSV files and stats.json."""
    import csv
    import dataclasses
    import json

    from rich.markup import escape

    from kg import analytics as A
    from kg.store import GraphError

    if view not in ("entities", "full"):
        fail(f"--view must be entities or full, not {view!r}", 2)
    try:
        store = A.open_store(graph)
        full = A.graph_to_networkx(store)
        reports = A.casualty_reports(store)
    except GraphError as e:
        fail(str(e))
    g = A.entity_projection(full) if view == "entities" else full
    weight = "weight" if view == "entities" else None
    parts = A.communities(g, seed=seed, weight=weight)
    member_of = A.community_of(parts)
    ranked = {
        "degree": A.top(g, A.degrees(g, weight=weight), None),
        "pagerank": A.top(g, A.pagerank_scores(g, weight=weight), None),
        "betweenness": A.top(g, A.betweenness_scores(g), None),
    }
    tables: dict[str, list[dict]] = {k: [dataclasses.asdict(r) for r in rows] for k, rows in ranked.items()}
    for rows in tables.values():
        for row in rows:
            row["community"] = member_of.get(row["node"])
    tables["communities"] = [
        {"community": i, "size": len(part), "node": n, "label": g.nodes[n].get("label", n),
         "cls": g.nodes[n].get("cls", "")}
        for i, part in enumerate(parts) for n in sorted(part, key=lambda n: g.nodes[n].get("label", n))]
    tables["actors_by_events"] = [dataclasses.asdict(r) for r in A.actors_by_events(full)]
    tables["actors_by_casualties"] = [dataclasses.asdict(r) for r in A.actors_by_casualties(full, reports, kind)]
    if timeline is not None:
        try:
            tables["timeline"] = [dataclasses.asdict(r) for r in A.event_timeline(full, timeline)]
        except KeyError as e:
            fail(f"--timeline: {e.args[0]}", 2)

    out.print(f"[bold]{escape(str(graph))}[/bold]: {full.number_of_nodes()} nodes "
              f"({sum(1 for _, d in full.nodes(data=True) if d['kind'] == 'event')} events), "
              f"{full.number_of_edges()} relations, {len(reports)} casualty reports; "
              f"measures on the {view} view ({g.number_of_nodes()} nodes, {g.number_of_edges()} edges)",
              soft_wrap=True)

    def show(title: str, rows: list[dict], columns: list[tuple[str, str]]) -> None:
        table = Table(title=title, header_style="bold", title_justify="left")
        first = rows[0] if rows else {}
        for key, header in columns:
            numeric = isinstance(first.get(key), (int, float)) and not isinstance(first.get(key), bool)
            table.add_column(header, justify="right" if numeric else "left")
        for row in rows[:top_n]:
            cells = []
            for key, _ in columns:
                value = row.get(key)
                cells.append(f"{value:.4f}" if isinstance(value, float) else escape(str(value)))
            table.add_row(*cells)
        if not rows:
            table.add_row(*(["-"] + [""] * (len(columns) - 1)))
        out.print(table)

    ranking = [("rank", "#"), ("label", "entity"), ("cls", "class"), ("value", "value"), ("community", "community")]
    show("degree" + (" (shared events + relations)" if view == "entities" else ""), tables["degree"], ranking)
    show("PageRank", tables["pagerank"], ranking)
    show("betweenness", tables["betweenness"], ranking)
    groups = [{"community": i, "size": len(p), "members": ", ".join(
        r.label for r in A.top(g, {n: A.degrees(g).get(n, 0) for n in p}, 6))}
        for i, p in enumerate(parts) if len(p) > 1]
    show(f"communities (Louvain, seed {seed}; {len(groups)} with 2+ members)", groups,
         [("community", "#"), ("size", "size"), ("members", "largest members")])
    show("actors by events", tables["actors_by_events"],
         [("label", "actor"), ("cls", "class"), ("events", "events"), ("carried_out", "carried out"),
          ("claimed", "claimed"), ("targeted", "targeted"), ("other", "other")])
    show(f"actors by casualties ({kind}; low-high over sources)", tables["actors_by_casualties"],
         [("label", "actor"), ("cls", "class"), ("events", "events"), ("reports", "reports"), ("low", "low"),
          ("high", "high")])
    if timeline is not None:
        show(f"timeline: {timeline}", tables["timeline"],
             [("date", "date"), ("cls", "event"), ("actors", "actors"), ("targets", "targets"),
              ("places", "places"), ("article", "article")])

    if out_dir is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            for name, rows in tables.items():
                columns = list(rows[0]) if rows else ["node"]
                with (out_dir / f"{name}.csv").open("w", encoding="utf-8", newline="") as f:
                    writer = csv.DictWriter(f, fieldnames=columns)
                    writer.writeheader()
                    writer.writerows(rows)
            summary = {"graph": str(graph), "view": view, "nodes": full.number_of_nodes(),
                       "relations": full.number_of_edges(), "casualty_reports": len(reports),
                       "casualty_kind": kind, "seed": seed, "timeline_of": timeline, **tables}
            (out_dir / "stats.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False), encoding="utf-8")
        except OSError as e:
            fail(f"{out_dir}: cannot write ({e.strerror or e})")
        out.print(f"wrote {', '.join(f'{n}.csv' for n in tables)} and stats.json to {out_dir}",
                  highlight=False, soft_wrap=True)


@app.command()
def export(
    graph: Annotated[Path, typer.Argument(
        help="The graph: an output file (graph.trig, graph.ttl, .nq...) or an Oxigraph store folder.",
        show_default=False)],
    output: Annotated[Path, typer.Option(
        "-o", "--output", help="File to write (a folder for csv: nodes.csv and edges.csv).",
        show_default=False)],
    fmt: Annotated[Optional[str], typer.Option(
        "--format", "-f", help="graphml, gexf (Gephi, coloured by class), json (networkx node-link), csv, "
                               "trig, ttl or nq. Default: from the suffix of --output.",
        show_default=False)] = None,
    view: Annotated[str, typer.Option(
        help="For network formats: full (entities, events, relations), entities (events collapsed into "
             "entity-entity edges weighted by shared events) or bipartite (actors and events).")] = "full",
) -> None:
    """Export GRAPH for Gephi, networkx, pandas or other RDF tools."""
    from kg.export import ExportError, export as run_export
    from kg.store import GraphError

    try:
        used = run_export(graph, output, fmt, view)
    except (ExportError, GraphError) as e:
        fail(str(e), 2 if isinstance(e, ExportError) else 1)
    except OSError as e:
        fail(f"{output}: cannot write ({e.strerror or e})")
    out.print(f"wrote {output} ({used})", highlight=False, soft_wrap=True)


# --- view commands ---
def _split_list(values: Optional[list[str]]) -> tuple[str, ...]:
    """``--types A,B --types C`` → ``("A", "B", "C")``."""
    return tuple(v.strip() for value in values or () for v in value.split(",") if v.strip())


@app.command()
def view(
    graph: Annotated[Path, typer.Argument(
        help="A graph file (graph.trig, graph.ttl, .nq, .nt, .rdf, .jsonld) or a folder holding an Oxigraph "
             "store; a kg build output folder works too (its graph.trig is used).", show_default=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="The HTML page to write.")] = Path("view.html"),
    focus: Annotated[Optional[str], typer.Option(
        help="Show only the neighbourhood of this entity or event: its label or an alias (any case), "
             "or its IRI.", show_default=False)] = None,
    hops: Annotated[int, typer.Option(help="With --focus: how many edges away from it to go (either direction).",
                                      min=0)] = 1,
    types: Annotated[Optional[list[str]], typer.Option(
        "--types", help="Only nodes of these classes and their subclasses, e.g. ArmedGroup,Attack or "
                        "Organization (comma-separated or repeated).", show_default=False)] = None,
    relations: Annotated[Optional[list[str]], typer.Option(
        "--relations", help="Only edges with these relations, e.g. claimed,carried-out (comma-separated or "
                            "repeated); nodes left without an edge are dropped.", show_default=False)] = None,
    article: Annotated[Optional[str], typer.Option(
        help="Only what one article says: its id (dcterms:identifier).", show_default=False)] = None,
    since: Annotated[Optional[str], typer.Option(
        help="Only events on or after DATE (YYYY, YYYY-MM or YYYY-MM-DD; the event date, else its article's "
             "date) and the nodes linked to them.", show_default=False)] = None,
    until: Annotated[Optional[str], typer.Option(
        help="Only events on or before DATE (as --since).", show_default=False)] = None,
    min_degree: Annotated[int, typer.Option(help="Drop nodes with fewer edges than this.", min=0)] = 0,
    max_nodes: Annotated[Optional[int], typer.Option(
        help="Keep at most N nodes, the most central ones (by --size-by); the page says so.",
        min=1, show_default=False)] = None,
    size_by: Annotated[str, typer.Option(
        help="What node size (and --max-nodes) measures: degree, pagerank or betweenness.")] = "degree",
    title: Annotated[Optional[str], typer.Option(help="Page title. Default: the graph's file name.",
                                                 show_default=False)] = None,
    png: Annotated[Optional[Path], typer.Option(
        help="Also save a PNG snapshot of the page, rendered with headless Chromium.", show_default=False)] = None,
    png_size: Annotated[str, typer.Option(help="Size of the PNG snapshot, WIDTHxHEIGHT.")] = "1600x1000",
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Print nothing on success.")] = False,
) -> None:
    """Write an interactive network view of GRAPH: a single HTML page that opens in any browser with no
    network. Nodes are coloured and shaped by class and sized by centrality; events are nodes joining
    actor, place and target; hovering an edge shows its evidence sentences and articles, an event its
    casualty figures. The page has a search box and class/relation toggles.

    Examples: kg view out/ -o view.html; kg view out/graph.trig --focus "Baloch Liberation Army" --hops 2;
    kg view out/graph.ttl --types ArmedGroup,Attack --since 2026-01 --png view.png"""
    from kg.store import GraphError, load_graph
    from kg.view import SIZE_MEASURES, ViewError, ViewFilter, apply_filters, view_graph
    from kg.visualise import SnapshotError, find_chromium, snapshot_png, write_html

    if size_by not in SIZE_MEASURES:
        fail(f"--size-by must be one of {', '.join(SIZE_MEASURES)}, not {size_by!r}", 2)
    try:
        width, height = (int(x) for x in png_size.lower().split("x"))
        if width < 100 or height < 100:
            raise ValueError
    except ValueError:
        fail(f"--png-size must be WIDTHxHEIGHT (at least 100x100), not {png_size!r}", 2)
    if png is not None and find_chromium() is None:
        fail("--png needs Chromium, which was not found (install the Debian package 'chromium', "
             "or set KG_CHROMIUM to a Chromium binary)")
    source = graph
    if graph.is_dir():
        if (graph / "graph.trig").exists():
            source = graph / "graph.trig"
        elif not (graph / "CURRENT").exists():  # opening any folder as a store would create one there
            fail(f"{graph}: neither a kg build output (no graph.trig) nor an Oxigraph store")
    try:
        store = load_graph(source, merged=True)
    except GraphError as e:
        fail(str(e))
    options = ViewFilter(focus=focus, hops=hops, types=_split_list(types), relations=_split_list(relations),
                         article=article, since=since, until=until, min_degree=min_degree, max_nodes=max_nodes,
                         size_by=size_by)
    try:
        full = view_graph(store)
        result = apply_filters(full, options)
    except ViewError as e:
        fail(str(e))
    if len(result.graph) == 0:
        fail("no node is left after filtering" + (f" ({'; '.join(result.notes)})" if result.notes else ""))
    try:
        stats = write_html(result.graph, output, title=title or f"kg view of {source.name}", notes=result.notes,
                           total=(result.total_nodes, result.total_edges), size_by=size_by)
    except OSError as e:
        fail(f"{output}: cannot write ({e.strerror or e})")
    if png is not None:
        try:
            snapshot_png(output, png, width=width, height=height)
        except SnapshotError as e:
            fail(str(e))
    if not quiet:
        out.print(f"{output}: {stats.nodes:,} of {stats.total_nodes:,} nodes, {stats.edges:,} of "
                  f"{stats.total_edges:,} edges" + (f"; snapshot {png}" if png else ""),
                  highlight=False, soft_wrap=True)
        for note in result.notes:
            out.print(f"  {note}", highlight=False, markup=False, soft_wrap=True)


# --- sparql commands ---
def _open_target(graph: Optional[Path], store: Optional[Path]):
    """The store to query: --graph FILE or --store DIR (exactly one)."""
    from kg.store import GraphError, load_graph

    if (graph is None) == (store is None):
        fail("give exactly one of --graph FILE (an output file such as out/graph.trig) or --store DIR", 2)
    target = graph if graph is not None else store
    if store is not None and not store.is_dir():
        fail(f"{store}: no such store folder (create one with `kg build --store` or `kg add`)")
    try:
        return load_graph(target)
    except GraphError as e:
        fail(str(e))


def _query_source(query: str):
    """SPARQL text, a saved query (by name) or a query file, from the QUERY argument."""
    from kg.query import get_saved, parse_query_file, saved_queries

    if query == "-":
        return sys.stdin.read()
    path = Path(query)
    if "\n" not in query and len(query) < 4096 and path.suffix in (".rq", ".sparql") and not path.is_file():
        fail(f"{query}: no such query file")
    if "\n" not in query and len(query) < 4096 and path.is_file():
        try:
            return parse_query_file(path.read_text(encoding="utf-8"), path)
        except (OSError, UnicodeDecodeError) as e:
            fail(f"{path}: cannot read the query ({e})")
    if query in saved_queries():
        return get_saved(query)
    if " " not in query.strip() and "{" not in query:
        fail(f"{query!r} is neither a saved query (see `kg queries`), a query file nor SPARQL text")
    return query


@app.command("query")
def query_command(
    query: Annotated[str, typer.Argument(
        help="SPARQL text, a .rq file, the name of a saved query (see `kg queries`), or - to read standard input.",
        show_default=False)],
    graph: Annotated[Optional[Path], typer.Option(
        "--graph", "-g", help="Query this graph file (.trig, .nq, .ttl, .nt, .rdf, .jsonld).")] = None,
    store: Annotated[Optional[Path], typer.Option("--store", "-s", help="Query this kg store folder.")] = None,
    param: Annotated[Optional[list[str]], typer.Option(
        "--param", "-p", help="A parameter, name=value (repeatable). Saved queries declare typed parameters "
                              "(entity: label or IRI; date: YYYY-MM-DD, YYYY-MM or YYYY; iri: IRI or kg:Name); "
                              "other queries take name=value (string), name=<iri> or name:type=value.")] = None,
    format: Annotated[str, typer.Option(
        "--format", "-f", help="table, csv, tsv, json (SPARQL 1.1 Query Results JSON), xml; for CONSTRUCT and "
                               "DESCRIBE: turtle, nt, rdfxml, jsonld.")] = "table",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the result to this file.")] = None,
) -> None:
    """Run a SPARQL query against a graph file or a kg store and print the result.

    The default graph is the merged graph (every triple of every article's named graph
    and of the ontology, once), so plain triple patterns see everything; GRAPH ?g
    patterns say which articles state a triple. Parameters are bound as RDF terms, never
    pasted as text.

    Examples: kg query who-claimed --store kgstore -p actor=BLA;
    kg query events -g out/graph.trig -p place=Balochistan -p from=2026-01-01 -f csv;
    kg query 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }' -g out/graph.trig
    """
    from kg.query import FORMATS, QueryError, is_graph_result, prepare, serialize

    if format not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}, not {format!r}", 2)
    source = _query_source(query)
    target = _open_target(graph, store)
    try:
        result = prepare(target, source, param or []).run(target)
        if format == "table":
            if is_graph_result(result):
                data = serialize(result, "turtle")
            else:
                _print_table(result, output)
                return
        else:
            data = serialize(result, format)
    except QueryError as e:
        fail(str(e))
    except OSError as e:
        fail(f"query failed: {e}")
    if output is not None:
        from kg.query import write_bytes

        write_bytes(output, data)
    else:
        sys.stdout.buffer.write(data)
        if data and not data.endswith(b"\n"):
            sys.stdout.buffer.write(b"\n")
        sys.stdout.flush()


def _print_table(result, output: Optional[Path]) -> None:
    """A rich table; rows as name/value records when the table would not fit the width."""
    from kg.query import compact, rows

    names, table = rows(result)
    cells = [[compact(v) for v in row] for row in table]
    console = Console(file=output.open("w", encoding="utf-8"), width=160) if output is not None else out
    cap = 60
    natural = sum(max([len(n)] + [min(len(r[i]), cap) for r in cells]) + 3 for i, n in enumerate(names)) + 1
    caption = f"{len(cells)} row{'s' if len(cells) != 1 else ''}"
    try:
        if natural <= console.width or len(names) <= 2:
            view = Table(show_header=True, header_style="bold", caption=caption)
            for name in names:
                view.add_column(name, overflow="fold")
            for row in cells:
                view.add_row(*row)
            console.print(view)
            return
        for n, row in enumerate(cells, 1):  # expanded display, one record per row
            view = Table(show_header=False, box=None, padding=(0, 1), title=f"row {n}", title_justify="left",
                         title_style="bold")
            view.add_column(style="bold", no_wrap=True)
            view.add_column(overflow="fold")
            for name, value in zip(names, row):
                view.add_row(name, value)
            console.print(view)
        console.print(caption)
    finally:
        if output is not None:
            console.file.close()


@app.command("queries")
def queries_command(
    name: Annotated[Optional[str], typer.Argument(
        help="Show this saved query in full (parameters and SPARQL text).", show_default=False)] = None,
) -> None:
    """List the saved queries shipped with kg, or show one. Run them with
    `kg query NAME --store DIR -p param=value`."""
    from kg.query import QueryError, get_saved, saved_queries

    if name is not None:
        try:
            q = get_saved(name)
        except QueryError as e:
            fail(str(e))
        out.print(f"[bold]{q.name}[/bold]: {q.description}", highlight=False)
        for p in q.params:
            out.print(f"  --param {p.name}=…  {p.type}{' (required)' if p.required else ''}"
                      f"{f' default {p.default}' if p.default else ''}  {p.description}", markup=False, highlight=False)
        out.print("")
        sys.stdout.write(q.text if q.text.endswith("\n") else q.text + "\n")
        return
    view = Table(show_header=True, header_style="bold", title="saved queries (kg query NAME ...)")
    view.add_column("name", no_wrap=True)
    view.add_column("description", overflow="fold")
    view.add_column("parameters", overflow="fold")
    for q in saved_queries().values():
        view.add_row(q.name, q.description, ", ".join(p.usage() for p in q.params) or "-")
    out.print(view)


@app.command("add")
def add_command(
    inputs: Annotated[list[Path], typer.Argument(
        help="Files (.txt, .jsonl, .html) and folders of articles to add.", show_default=False)],
    store: Annotated[Path, typer.Option("--store", "-s", help="The kg store folder (created if missing).")],
    split: Annotated[str, typer.Option(
        help="How a .txt file is split into articles: auto, none, blank-lines (as in kg build).")] = "auto",
    jobs: Annotated[int, typer.Option("-j", "--jobs", min=1, help="Processes for the NLP stage.")] = 1,
    on_error: Annotated[str, typer.Option(
        help="What to do with a bad file or line: skip it (reported, exit code 3) or fail.")] = "skip",
    gazetteer: Annotated[Optional[list[Path]], typer.Option(
        help="Extra gazetteer JSONL file(s) with your own entities (repeatable); use the same as for the build.")] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="No progress bar or summary.")] = False,
) -> None:
    """Add articles to a kg store without rebuilding it.

    New articles are extracted and added; an article already in the store with the same
    content changes nothing; an article with a known id and new content replaces its
    named graph (and the entities only it supported). Entities keep the IRIs and labels
    a fresh build of all the articles would give them. The store changes all at once or
    not at all (an interrupted add leaves it as it was).
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from kg.build import BuildError, BuildOptions
    from kg.extract.rules import RuleError
    from kg.gazetteer import GazetteerError
    from kg.store import add_articles

    if split not in ("auto", "none", "blank-lines"):
        fail(f"--split must be auto, none or blank-lines, not {split!r}", 2)
    if on_error not in ("skip", "fail"):
        fail(f"--on-error must be skip or fail, not {on_error!r}", 2)
    options = BuildOptions(split=split, jobs=jobs, on_error=on_error, gazetteer_extra=tuple(gazetteer or ()))
    progress = Progress(TextColumn("[bold]adding"), BarColumn(), MofNCompleteColumn(), TextColumn("articles"),
                        TimeElapsedColumn(), console=err, disable=quiet or not err.is_terminal, transient=True)
    try:
        with progress:
            task = progress.add_task("add", total=None)
            result = add_articles(store, inputs, options,
                                  progress=lambda done, total: progress.update(task, completed=done, total=total))
    except (BuildError, GazetteerError, RuleError) as e:
        fail(str(e))
    except KeyboardInterrupt:
        fail(f"interrupted; the store {store} is unchanged", 130)
    for p in result.problems:
        err.print(f"kg: skipped: {p}", markup=False, highlight=False, soft_wrap=True)
    if not quiet:
        view = Table(title=f"kg add → {store}", show_header=True, header_style="bold")
        view.add_column("what")
        view.add_column("count", justify="right")
        view.add_row("articles added", str(len(result.added)))
        view.add_row("articles replaced (changed)", str(len(result.replaced)))
        view.add_row("articles unchanged", str(len(result.unchanged)))
        view.add_row("triples before", f"{result.triples_before:,}")
        view.add_row("triples now", f"{result.triples:,}")
        view.add_row("time", f"{sum(result.timings.values()):.1f} s")
        out.print(view)
    if result.problems:
        raise typer.Exit(3)


@app.command("serve")
def serve_command(
    store: Annotated[Optional[Path], typer.Option("--store", "-s", help="Serve this kg store folder.")] = None,
    graph: Annotated[Optional[Path], typer.Option("--graph", "-g", help="Serve this graph file.")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default; anything else exposes "
                                            "the graph to the network).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port (0 picks a free one).")] = 7878,
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds a query may run before it is stopped (503).")] = 30.0,
    workers: Annotated[int, typer.Option(min=1, help="Query worker processes (queries run in parallel).")] = 2,
    max_result_mb: Annotated[float, typer.Option(help="Largest result, in MB, before the query is refused.")] = 50.0,
    max_request_kb: Annotated[float, typer.Option(help="Largest request body, in KB (413 above).")] = 1024.0,
    allow_service: Annotated[bool, typer.Option(
        help="Allow federated queries (SERVICE), which make the server fetch other endpoints.")] = False,
) -> None:
    """Serve the graph as a read-only SPARQL 1.1 Protocol endpoint at /sparql.

    GET and POST queries (query= parameter or application/sparql-query body), results
    as JSON, XML, CSV or TSV and graphs as Turtle, N-Triples, RDF/XML or JSON-LD by
    content negotiation; updates are refused (403); a query running past --timeout is
    stopped (503). GET /sparql without a query gives the SPARQL service description;
    open http://HOST:PORT/ in a browser for a query page.
    """
    from kg.serve import ServeError, serve

    if (graph is None) == (store is None):
        fail("give exactly one of --store DIR or --graph FILE", 2)
    try:
        serve(store=store, graph=graph, host=host, port=port, timeout=timeout, workers=workers,
              max_result_bytes=int(max_result_mb * 1024 * 1024), max_request_bytes=int(max_request_kb * 1024),
              log=lambda msg: err.print(msg, markup=False, highlight=False, soft_wrap=True),
              allow_service=allow_service)
    except ServeError as e:
        fail(str(e))
    except KeyboardInterrupt:
        pass


def run() -> None:  # pragma: no cover - console entry for `python -m kg`
    app(prog_name="kg")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
