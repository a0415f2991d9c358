"""What GET /callers leaves out of its cold start: listing callers never answers a call."""

from __future__ import annotations

from tests.unit.core.test_cold_imports import _fresh_python


def test_callers_starts_without_the_vanity_engine_or_the_lead_queue() -> None:
    code = (
        "import sys, lambdas.phone.callers.handler; "
        "print(sorted(m for m in sys.modules if m.startswith(('shared.phone', 'shared.core.batching'))))"
    )
    assert _fresh_python(code) == "['shared.phone', 'shared.phone.callers']"


def test_connect_vanity_still_loads_the_engine_and_its_index_at_init() -> None:
    # every call needs them, and Connect gives the contact flow 8 seconds
    code = (
        "import sys, lambdas.phone.connect_vanity.handler; "
        "from shared.phone.vanity.index import VanityIndex; "
        "print('shared.phone.vanity.engine' in sys.modules, VanityIndex._packaged is not None)"
    )
    assert _fresh_python(code) == "True True"
