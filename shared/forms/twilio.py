"""Twilio's Messages API on httpx: Basic auth with the account SID and auth token (Secrets Manager).

The base URL is configurable so that the local runtime's sink can stand in for api.twilio.com.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from shared.core.circuit import CircuitOpen, through_circuit
from shared.core.models import TwilioCredentials

if TYPE_CHECKING:
    import httpx

REQUEST_TIMEOUT_S = 10.0
#: answers worth another try: throttling, timeouts and Twilio's own failures
RETRYABLE = frozenset({408, 429, 500, 502, 503, 504})


class TwilioError(Exception):
    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class TextSender(Protocol):
    """Sends one SMS and returns its id (`TwilioClient`); raises `TwilioError`."""

    def send(self, *, from_: str, to: str, body: str, timeout: float = ...) -> str: ...


@dataclass
class TwilioClient:
    base_url: str
    #: read when needed (an operator may rotate the token)
    credentials: Callable[[], TwilioCredentials]
    http: httpx.Client | None = None
    #: after Twilio hangs, how long the other sends fail at once (their callers back off or answer)
    circuit_reset_s: float = 30.0

    def _http(self) -> httpx.Client:
        if self.http is None:
            import httpx  # here, not at the top: only a request needs it, not the cold start

            self.http = httpx.Client(timeout=REQUEST_TIMEOUT_S)
        return self.http

    def send(self, *, from_: str, to: str, body: str, timeout: float = REQUEST_TIMEOUT_S) -> str:
        """Send one SMS within `timeout`; returns Twilio's message SID."""
        creds = self.credentials()
        sid, token = creds.account_sid or "", creds.auth_token or ""
        if not sid or not token:
            raise TwilioError("the Twilio secret has no account_sid / auth_token", retryable=False)
        url = f"{self.base_url.rstrip('/')}/2010-04-01/Accounts/{sid}/Messages.json"
        form = {"From": from_, "To": to, "Body": body}
        import httpx  # here, not at the top: only a request needs it, not the cold start

        try:
            response = through_circuit(
                f"twilio {self.base_url}",
                self.circuit_reset_s,
                lambda: self._http().post(url, data=form, auth=(sid, token), timeout=timeout),
            )
        except CircuitOpen as exc:
            raise TwilioError(str(exc), retryable=True) from None
        except httpx.HTTPError as exc:
            raise TwilioError(f"Twilio unreachable: {exc.__class__.__name__}", retryable=True) from None
        if response.status_code >= 300:
            raise TwilioError(
                f"Twilio answered {response.status_code}: {response.text[:200]}",
                retryable=response.status_code in RETRYABLE,
            )
        return str(response.json()["sid"])
