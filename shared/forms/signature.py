"""Twilio's request signature (`X-Twilio-Signature`), as documented in "Webhooks security".

The signed text is the full URL Twilio requested (scheme, host, path and query string), followed
by every POST parameter sorted by name (a repeated name's values sorted, duplicates once), each as name then value, with
nothing between. The signature is base64(HMAC-SHA1(auth token, text)).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping

SIGNATURE_HEADER = "X-Twilio-Signature"

Params = Mapping[str, str] | Iterable[tuple[str, str]]


def _pairs(params: Params) -> list[tuple[str, str]]:
    items = params.items() if isinstance(params, Mapping) else params
    # twilio-python's RequestValidator: names sorted, a name's values sorted and de-duplicated
    return sorted({(str(k), str(v)) for k, v in items})


def signature(auth_token: str, url: str, params: Params) -> str:
    text = url + "".join(k + v for k, v in _pairs(params))
    digest = hmac.new(auth_token.encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def is_valid(auth_token: str, url: str, params: Params, provided: str | None) -> bool:
    """True when `provided` is the signature of this request (constant-time comparison)."""
    if not provided or not auth_token:
        return False
    return hmac.compare_digest(signature(auth_token, url, params).encode(), provided.encode())
