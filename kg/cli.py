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
    jobs: Annotated[int, typer.Option("-j", "--jobs", min=1, help="Processes for the NLP stage.")] = 1,
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
    options = BuildOptions(split=split, jobs=jobs, on_error=on_error, validate=validate, strict=strict,
                           html=html, gazetteer_extra=tuple(gazetteer or ()), store_dir=store)
    progress = Progress(TextColumn("[bold]building"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("articles"), TimeElapsedColumn(), console=err,
                        disable=quiet or not err.is_terminal, transient=True)
    try:
        with progress:
            task = progress.add_task("build", total=None)

            def tick(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            result = run_build(inputs or [], output, options, progress=tick)
    except (BuildError, GazetteerError, RuleError) as e:
        fail(str(e))
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
        table.add_row("SHACL", "conforms" if v.get("conforms") else f"{v.get('violations', '?')} violation(s)")
    table.add_row("time", f"{sum(result.timings.values()):.1f} s")
    out.print(table)
    out.print("outputs: " + ", ".join(str(result.out_dir / f) for f in
                                     ("graph.trig", "graph.ttl", "graph.graphml", "graph.html", "report.json")),
              soft_wrap=True, highlight=False)


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

    The default graph is the union of all graphs (every article's named graph and the
    ontology), so plain triple patterns see everything; use DISTINCT to merge triples
    that several articles state. Parameters are bound as RDF terms, never pasted as text.

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
