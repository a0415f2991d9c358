"""A local stage for the smoke suite, in its own process: `python -m tests.smoke.local_stage`.

It starts the local runtime (one per process: the end-to-end tests may hold this process's), makes
an admin token, and places one phone call through the Connect function as Amazon Connect would (an
operator phones a deployed stage's number instead). It prints one JSON line with the URLs, token and
caller, then serves until stdin closes or SIGTERM, and prints a second line with the handlers'
errors (none is the only good answer).
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import uuid

from leadflow.local.runtime import LocalRuntime

#: the number the local call comes from (1-800-FLOWERS)
CALLER = "+18003569377"


def connect_event(number: str) -> dict[str, object]:
    """What Amazon Connect sends a Lambda in a contact flow, for one inbound call."""
    return {
        "Name": "ContactFlowEvent",
        "Details": {
            "ContactData": {
                "Attributes": {},
                "Channel": "VOICE",
                "ContactId": str(uuid.uuid4()),
                "CustomerEndpoint": {"Address": number, "Type": "TELEPHONE_NUMBER"},
                "InitialContactId": "smoke",
                "InitiationMethod": "INBOUND",
                "InstanceARN": "arn:aws:connect:us-east-1:123456789012:instance/smoke",
                "SystemEndpoint": {"Address": "+18005550100", "Type": "TELEPHONE_NUMBER"},
            },
            "Parameters": {},
        },
    }


def main() -> int:
    runtime = LocalRuntime("dev").start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        answer = runtime.invokers["connect-vanity"](connect_event(CALLER))
        if answer.get("status") != "ok":
            raise RuntimeError(f"the local call was not answered: {answer}")
        state = {
            "api": runtime.rest_url,
            "ws": runtime.websocket_url,
            "token": runtime.create_token("admin", "smoke-admin"),
            "caller": CALLER,
        }
        print(json.dumps(state), flush=True)
        # the parent closes stdin (or sends SIGTERM) when the suite is done
        threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
        stop.wait()
        print(json.dumps({"errors": [repr(e) for e in runtime.errors]}), flush=True)
    finally:
        runtime.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
