"""The `leadflow` command's exit codes, and the one line it prints for each way a command can fail.

Every failure ends as one line on stderr (`leadflow: error: ...`) and one of a few documented exit
codes, so that scripts can tell "try again later" (3) from "fix the token" (4) from "the request
was refused" (1). The traceback is printed too only when asked for (`--debug` or `LEADFLOW_DEBUG=1`).
Libraries are recognised by their exception types (httpx for the REST API, botocore for direct
AWS calls, websockets for the agent); botocore and websockets are imported only when one of their
exceptions is being described, so a plain command does not pay for them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import httpx

from leadflow.client import ApiError, MissingApi, MissingToken
from leadflow.config import ConfigError


class ExitCode(IntEnum):
    OK = 0
    #: the API (or AWS) answered and refused the request, or the job ended failed or cancelled
    REFUSED = 1
    #: a bad argument, a missing file, no API configured (argparse uses 2 for its own errors too)
    USAGE = 2
    #: the API (or AWS) could not be reached, or did not answer in time
    UNREACHABLE = 3
    #: no token, or the token was refused (401: unknown or expired; 403: not allowed), or no AWS credentials
    AUTH = 4
    #: anything else: a bug; `--debug` shows where
    INTERNAL = 5
    #: stopped with Ctrl-C
    INTERRUPTED = 130
    #: the reader of stdout went away (`leadflow leads list | head`), as a tool killed by SIGPIPE reports
    BROKEN_PIPE = 141


#: for `leadflow --help` and the README: the same table in both
EXIT_CODES_TABLE = """exit codes:
  0    done
  1    the API or AWS refused the request, or the job failed or was cancelled
  2    usage: a bad argument, a missing file, no API configured
  3    the API or AWS could not be reached, or did not answer in time (--timeout)
  4    auth: no token, the token was refused (401 unknown or expired, 403 not allowed), no AWS credentials
  5    an unexpected error (a bug): rerun with --debug for the traceback
  130  interrupted (Ctrl-C)
  141  the reader of stdout went away (| head)"""
EXIT_CODES_HELP = (
    EXIT_CODES_TABLE + "\n\nErrors are one line on stderr; --debug (or LEADFLOW_DEBUG=1) adds the traceback."
)

#: AWS error codes that mean "who you are" rather than "what you asked"
_AWS_AUTH_CODES = {
    "AccessDenied",
    "AccessDeniedException",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "AuthFailure",
    "MissingAuthenticationToken",
}


class Refused(Exception):
    """A server refused our credentials (401/403) and retrying would not help: exit code AUTH.

    Modules that must keep their heavy imports off the CLI's path (the agent's websockets) raise a
    subclass of this one, so `describe` needs no import of theirs to recognise it."""


class UsageError(Exception):
    """A command's own check of its input failed (exit 2)."""


@dataclass(frozen=True)
class Failure:
    code: ExitCode
    message: str


def debug_requested(flag: bool) -> bool:
    return flag or os.environ.get("LEADFLOW_DEBUG", "").lower() in {"1", "true", "yes"}


def _origin(exc: httpx.RequestError) -> str:
    try:
        url = exc.request.url
    except RuntimeError:  # an error raised before a request was attached
        return "the API"
    return f"{url.scheme}://{url.netloc.decode()}"


def _api_error(exc: ApiError) -> Failure:
    if isinstance(exc, MissingToken):
        return Failure(ExitCode.AUTH, exc.message)
    if isinstance(exc, MissingApi):
        return Failure(ExitCode.USAGE, exc.message)
    if exc.status == 401:
        return Failure(
            ExitCode.AUTH,
            f"401: the API refused the token ({exc.message}); it may have expired or been revoked: "
            "pass a valid one with --token or LEADFLOW_TOKEN",
        )
    if exc.status == 403:
        return Failure(ExitCode.AUTH, f"403: the token may not do this ({exc.message})")
    if exc.status == 0:
        return Failure(ExitCode.REFUSED, exc.message)
    return Failure(ExitCode.REFUSED, f"{exc.status}: {exc.message}")


def _botocore(exc: Exception) -> Failure | None:
    from botocore import exceptions as bx

    if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError | bx.NoRegionError):
        return Failure(ExitCode.AUTH, f"AWS: {exc} (configure credentials, or pass --endpoint for the local runtime)")
    if isinstance(exc, bx.ConnectTimeoutError | bx.ReadTimeoutError):
        return Failure(ExitCode.UNREACHABLE, f"AWS did not answer in time: {exc}")
    if isinstance(exc, bx.EndpointConnectionError | bx.ConnectionClosedError | bx.ConnectionError):
        return Failure(ExitCode.UNREACHABLE, f"cannot reach AWS: {exc}")
    if isinstance(exc, bx.ClientError):
        error: dict[str, Any] = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        text = f"AWS {code}: {error.get('Message') or exc}"
        return Failure(ExitCode.AUTH if code in _AWS_AUTH_CODES else ExitCode.REFUSED, text)
    return None


def _websockets(exc: Exception) -> Failure | None:
    from websockets import exceptions as wx

    if isinstance(exc, wx.InvalidStatus):
        status = exc.response.status_code
        code = ExitCode.AUTH if status in (401, 403) else ExitCode.REFUSED
        return Failure(code, f"{status}: the WebSocket API refused the connection")
    if isinstance(exc, wx.InvalidURI):
        return Failure(ExitCode.USAGE, f"not a WebSocket URL: {exc.uri}")
    if isinstance(exc, wx.WebSocketException):
        return Failure(ExitCode.UNREACHABLE, f"the WebSocket connection failed: {exc}")
    return None


def describe(exc: BaseException) -> Failure:
    """The exit code and the one line for `exc`."""
    if isinstance(exc, KeyboardInterrupt):
        return Failure(ExitCode.INTERRUPTED, "interrupted")
    if isinstance(exc, ApiError):
        return _api_error(exc)
    if isinstance(exc, UsageError | ConfigError):
        return Failure(ExitCode.USAGE, str(exc))
    if isinstance(exc, httpx.TimeoutException):
        return Failure(
            ExitCode.UNREACHABLE,
            f"{_origin(exc)} did not answer in time ({type(exc).__name__}; --timeout sets the limit)",
        )
    if isinstance(exc, httpx.RequestError):
        return Failure(ExitCode.UNREACHABLE, f"cannot reach {_origin(exc)}: {exc or type(exc).__name__}")
    if isinstance(exc, httpx.HTTPStatusError):
        return Failure(ExitCode.REFUSED, f"{exc.response.status_code}: {exc.request.url} refused the request")
    module = type(exc).__module__
    if isinstance(exc, Exception) and module.startswith("botocore"):
        failure = _botocore(exc)
        if failure:
            return failure
    if isinstance(exc, Refused):
        return Failure(ExitCode.AUTH, str(exc))
    if isinstance(exc, Exception) and module.startswith("websockets"):
        failure = _websockets(exc)
        if failure:
            return failure
    if isinstance(exc, TimeoutError):
        # our own deadlines (a job still running after --wait-timeout) and socket timeouts alike
        return Failure(ExitCode.UNREACHABLE, f"timed out: {exc or 'no answer in time'}")
    if isinstance(exc, ConnectionError):
        return Failure(ExitCode.UNREACHABLE, f"cannot connect: {exc}")
    if isinstance(exc, OSError) and exc.filename:
        # a file named on the command line: missing, a directory, not writable
        return Failure(ExitCode.USAGE, f"{exc.strerror or exc}: {exc.filename}")
    return Failure(
        ExitCode.INTERNAL, f"unexpected {type(exc).__name__}: {exc} (a bug? rerun with --debug for the traceback)"
    )
