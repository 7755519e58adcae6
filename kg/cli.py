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
        table.add_row("SHACL", "conforms" if v.get("conforms") else f"{v.get('violation_count', '?')} violation(s)")
    table.add_row("time", f"{sum(result.timings.values()):.1f} s")
    out.print(table)
    out.print("outputs: " + ", ".join(str(result.out_dir / f) for f in
                                     ("graph.trig", "graph.ttl", "graph.graphml", "graph.html", "report.json")),
              soft_wrap=True, highlight=False)


def run() -> None:  # pragma: no cover - console entry for `python -m kg`
    app(prog_name="kg")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
