"""What every `leadflow` subcommand shares: how it is declared, its common options, and how it prints.

`leaf()` declares a subcommand with its help and description and the `--debug` flag (so it works
after the subcommand too); `api_options()` adds the connection options of REST commands;
`json_option()` and `emit()` give every command that prints data a `--json` that prints exactly one
JSON document on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from typing import Any

from leadflow.cli_errors import UsageError
from leadflow.client import DEFAULT_TIMEOUT, LeadflowClient, open_client

Command = Callable[[argparse.Namespace], int]


def leaf(sub: Any, name: str, help: str, func: Command) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help, description=help)
    # SUPPRESS keeps a `--debug` given before the subcommand from being reset to False here
    parser.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="print the traceback of an error too"
    )
    parser.set_defaults(func=func)
    return parser


def group(sub: Any, name: str, help: str, dest: str) -> Any:
    """A subcommand that only holds subcommands (`leadflow jobs show|cancel`)."""
    parser = sub.add_parser(name, help=help, description=help)
    return parser.add_subparsers(dest=dest, required=True, metavar="COMMAND", title="commands")


def json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout instead of text")


def timeout_option(parser: argparse.ArgumentParser, what: str = "the API") -> None:
    parser.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help=f"give up when {what} does not connect or answer a request within this long "
        f"(default: LEADFLOW_TIMEOUT or {DEFAULT_TIMEOUT:.0f})",
    )


def api_options(parser: argparse.ArgumentParser, *, token: bool = True) -> None:
    parser.add_argument("--api", metavar="URL", help="REST API base URL (default: LEADFLOW_API or the local runtime)")
    if token:
        parser.add_argument("--token", help="bearer token (default: LEADFLOW_TOKEN or the local admin token)")
    timeout_option(parser)


def timeout(args: argparse.Namespace) -> float:
    if getattr(args, "timeout", None) is not None:
        value = float(args.timeout)
    else:
        raw = os.environ.get("LEADFLOW_TIMEOUT")
        try:
            value = float(raw) if raw else DEFAULT_TIMEOUT
        except ValueError:
            raise UsageError(f"LEADFLOW_TIMEOUT is not a number of seconds: {raw!r}") from None
    if value <= 0:
        raise UsageError("the timeout must be more than 0 seconds")
    return value


def client(args: argparse.Namespace) -> LeadflowClient:
    return open_client(args.api, args.token, timeout=timeout(args))


def emit(args: argparse.Namespace, data: Any, human: Callable[[], None]) -> None:
    """One JSON document with `--json`, else the command's own text."""
    if getattr(args, "json", False):
        print(json.dumps(data, indent=2, default=str))
    else:
        human()
