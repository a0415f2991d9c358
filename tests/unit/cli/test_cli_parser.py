"""The `leadflow` parser: help on every argument and subcommand, `--json` on every data command, `--version`."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from cli_fake_api import FakeApi

from leadflow.cli import build_parser, main
from leadflow.cli_errors import EXIT_CODES_TABLE, ExitCode
from leadflow.config import REPO_ROOT

#: commands that print no data: `agent` is an interactive terminal client
NO_JSON = {"leadflow agent"}


def _leaves(parser: argparse.ArgumentParser, path: str = "leadflow") -> Iterator[tuple[str, argparse.ArgumentParser]]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
    for action in subs:
        for name, child in action.choices.items():
            yield from _leaves(child, f"{path} {name}")


def _missing_help(parser: argparse.ArgumentParser, path: str = "leadflow") -> list[str]:
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helped = {choice.dest: choice.help for choice in action._choices_actions}
            for name, child in action.choices.items():
                if not helped.get(name):
                    missing.append(f"{path} {name} (subcommand)")
                missing += _missing_help(child, f"{path} {name}")
        elif not action.help or action.help == argparse.SUPPRESS:
            missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
    return missing


def test_every_argument_and_subcommand_has_help() -> None:
    assert _missing_help(build_parser()) == []


def test_the_help_walk_finds_an_argument_without_help() -> None:
    """The walk itself can fail: an argument added without help is reported by name."""
    parser = build_parser()
    leaf = dict(_leaves(parser))["leadflow leads list"]
    leaf.add_argument("--undocumented")
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sub.add_parser("hidden")
    assert _missing_help(parser) == ["leadflow leads list --undocumented", "leadflow hidden (subcommand)"]


def test_every_command_that_prints_data_has_json_and_every_command_has_debug() -> None:
    leaves = dict(_leaves(build_parser()))
    assert len(leaves) >= 18
    options = {path: {s for a in p._actions for s in a.option_strings} for path, p in leaves.items()}
    assert [path for path, opts in options.items() if "--json" not in opts] == sorted(NO_JSON)
    assert [path for path, opts in options.items() if "--debug" not in opts] == []


def test_version_is_the_installed_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"leadflow {metadata.version('leadflow')}"


def test_help_and_readme_document_every_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    readme = (REPO_ROOT / "README.md").read_text()
    for code in ExitCode:
        assert f"\n  {code.value:<4} " in text, f"exit code {code.value} ({code.name}) is not in --help"
    assert EXIT_CODES_TABLE in text
    for line in EXIT_CODES_TABLE.splitlines():
        assert line in readme, f"README's exit codes differ from --help: {line!r}"


def test_usage_errors_are_argparse_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["upload"])
    assert done.value.code == ExitCode.USAGE
    assert "Traceback" not in capsys.readouterr().err


def _data_commands(tmp: Path) -> dict[str, list[str]]:
    upload = tmp / "leads.csv"
    upload.write_text("Email\nada@example.com\n")
    return {
        "upload": ["upload", str(upload)],
        "upload --wait": ["upload", str(upload), "--wait"],
        "jobs show": ["jobs", "show", "job-1"],
        "jobs cancel": ["jobs", "cancel", "job-1"],
        "leads list": ["leads", "list"],
        "leads export": ["leads", "export", "-o", str(tmp / "out.csv")],
        "tokens create": ["tokens", "create", "--role", "agent", "--user", "ada", "--expires", "12h"],
        "tokens list": ["tokens", "list"],
        "tokens revoke": ["tokens", "revoke", "tok_0123456789abcdef0123"],
        "callers": ["callers"],
        "ask": ["ask", "who?"],
        "inflight": ["inflight"],
    }


@pytest.mark.parametrize("command", list(_data_commands(Path("/tmp")).keys()))
def test_json_prints_one_document_and_text_is_not_json(
    command: str, fake_api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [*_data_commands(tmp_path)[command], "--api", fake_api.url, "--token", "t"]
    assert main([*argv, "--json"]) == 0
    document: Any = json.loads(capsys.readouterr().out)
    assert document
    assert main(argv) == 0
    text = capsys.readouterr().out
    with pytest.raises(ValueError):
        json.loads(text)


def test_json_of_local_commands(fake_api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["vanity", "+18003569377", "--json"]) == 0
    assert "1-800-FLOWERS" in [v["text"] for v in json.loads(capsys.readouterr().out)]
    assert main(["sink", "--url", fake_api.url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
