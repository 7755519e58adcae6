"""The command line: help for every command, a build, one-line errors."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from kg.cli import app

runner = CliRunner()


def test_top_level_help_lists_commands():
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0
    assert "build" in res.output


def test_every_command_and_option_has_help():
    import typer.main

    cmd = typer.main.get_command(app)
    assert cmd.commands, "no commands"
    for name, sub in cmd.commands.items():
        assert sub.help, f"command {name} has no help"
        res = runner.invoke(app, [name, "--help"])
        assert res.exit_code == 0, name
        for param in sub.params:
            if param.param_type_name == "option" and param.name not in ("help",):
                assert param.help, f"{name} --{param.name} has no help"


def test_build_command_writes_outputs(tmp_path):
    src = tmp_path / "a.txt"
    src.write_text("The Baloch Liberation Army (BLA) claimed responsibility for the attack in Quetta.\n")
    res = runner.invoke(app, ["build", str(src), "-o", str(tmp_path / "out"), "--no-validate"])
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["articles"] == 1


def test_missing_input_is_a_one_line_error(tmp_path):
    res = runner.invoke(app, ["build", str(tmp_path / "nope.txt"), "-o", str(tmp_path / "out")])
    assert res.exit_code == 1
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "nope.txt" in lines[0] and lines[0].startswith("kg: error:")


def test_skipped_input_gives_exit_code_3(tmp_path):
    (tmp_path / "ok.txt").write_text("Militants attacked a checkpoint in Quetta.\n")
    (tmp_path / "bad.jsonl").write_text("{broken\n")
    res = runner.invoke(app, ["build", str(tmp_path), "-o", str(tmp_path / "out"), "-q", "--no-validate"])
    assert res.exit_code == 3
    assert "bad.jsonl:1" in res.output


@pytest.mark.parametrize("args", [["--split", "weird"], ["--on-error", "maybe"]])
def test_bad_option_values(tmp_path, args):
    res = runner.invoke(app, ["build", "-o", str(tmp_path / "o"), *args])
    assert res.exit_code == 2


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="workers are forked on Linux only")
def test_build_command_forks_its_workers_before_the_progress_bar_starts(tmp_path, monkeypatch):
    """The progress bar refreshes from a thread of its own, and a build forks its
    workers only while no other thread runs: the bar must start after the fork."""
    import io
    import threading

    from rich.console import Console

    import kg.cli
    import kg.engine

    forked = []
    real = kg.engine.fork_pool

    def recording(*args, **kwargs):
        forked.append(threading.active_count())
        return real(*args, **kwargs)

    monkeypatch.setattr(kg.engine, "fork_pool", recording)
    screen = io.StringIO()
    monkeypatch.setattr(kg.cli, "err", Console(file=screen, force_terminal=True, width=100))
    corpus = tmp_path / "corpus.jsonl"  # more articles than a build parses without workers
    corpus.write_text("".join(json.dumps({"id": f"a{i}", "text": f"Gunmen attacked a bus near Turbat on day {i}, "
                                                              "killing four passengers, police said."}) + "\n"
                              for i in range(40)))
    res = runner.invoke(app, ["build", str(corpus), "-o", str(tmp_path / "out"), "-j", "2", "--no-validate",
                              "--no-html"])
    assert res.exit_code == 0, res.output
    assert forked == [1]  # forked, with no other thread running
    assert "building" in screen.getvalue()  # and the bar was shown
