"""Web-form leads on the local runtime: the Twilio and marketing sinks, and the development secret.

The Twilio secret gets a generated account SID and auth token (never in the repo); the forward and
inbound functions are pointed at the sinks through their settings (TWILIO_BASE_URL, MARKETING_URL),
before any handler has read its environment.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from typing import Any

from leadflow.local.aws import Resources
from leadflow.local.twilio_sink import MarketingSink, TwilioSink


@dataclass
class LocalForms:
    account_sid: str = field(default_factory=lambda: "AC" + secrets.token_hex(16))
    auth_token: str = field(default_factory=lambda: secrets.token_hex(16))
    twilio: TwilioSink | None = None
    marketing: MarketingSink | None = None

    def start(self, resources: Resources, aws: dict[str, Any]) -> LocalForms:
        self.twilio = TwilioSink(self.account_sid, self.auth_token)
        self.marketing = MarketingSink()
        self.twilio.start()
        self.marketing.start()
        aws["secretsmanager"].put_secret_value(
            SecretId=resources.secrets["twilio"],
            SecretString=json.dumps({"account_sid": self.account_sid, "auth_token": self.auth_token}),
        )
        os.environ["TWILIO_BASE_URL"] = self.twilio.url
        os.environ["MARKETING_URL"] = f"{self.marketing.url}/leads"
        return self

    def stop(self) -> None:
        for sink in (self.twilio, self.marketing):
            if sink:
                sink.stop()


def start(resources: Resources, aws: dict[str, Any]) -> LocalForms | None:
    return LocalForms().start(resources, aws) if "twilio" in resources.secrets else None
