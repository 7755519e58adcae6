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
                           html=html, gazetteer_extra=tuple(gazetteer or ()))
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
        store = load_graph(source)
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


def run() -> None:  # pragma: no cover - console entry for `python -m kg`
    app(prog_name="kg")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
