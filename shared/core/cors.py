"""The REST API's CORS policy, declared once: the functions' answers (`shared.core.api`), API
Gateway's preflights and own refusals (`stacks/rest_api.py`) and the local REST gateway all read it.

Plain data with no imports, so that the stacks and the local runtime read it without loading
Powertools or boto3.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CorsPolicy:
    #: the bearer token is a header, never a cookie, so any origin may read the answers
    allow_origin: str
    #: what a browser may send: a preflight that leaves one out makes the browser refuse the call
    allow_headers: tuple[str, ...]
    #: what the console reads from an answer (the export's file name and lead count, whether the
    #: answer is a link to itself: `shared.core.responses`)
    expose_headers: tuple[str, ...]
    #: how long a browser may reuse a preflight's answer
    max_age_s: int


CORS = CorsPolicy(
    allow_origin="*",
    # X-Filename names a direct upload's file (the console sends ?filename=, other callers the header)
    allow_headers=("Authorization", "Content-Type", "X-Filename"),
    expose_headers=("Content-Disposition", "X-Lead-Count", "X-Body-Link"),
    max_age_s=3600,
)
