"""The embedded local runtime: the whole system on one machine with no AWS account.

It starts the local AWS (moto, 127.0.0.1), provisions what `wiring` declares under the stage's
names, puts the functions' environment in place, starts the SQS event source mappings and the
REST gateway, and can mint development tokens. One runtime per process: handlers cache their
settings and clients for the life of the process, as they do for the life of a Lambda instance.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from leadflow import wiring
from leadflow.config import StageConfig, load_stage
from leadflow.local import forms as local_forms
from leadflow.local import notify as local_notify
from leadflow.local.aws import ACCOUNT, CREDENTIALS, MotoServer, Resources, clients, provision
from leadflow.local.claims import PROCESS_CLAIMS
from leadflow.local.console import ConsoleServer, console_config
from leadflow.local.lambda_runtime import EventSourceMapping, Invoker
from leadflow.local.notify import LocalNotification
from leadflow.local.registry import LocalFunction, local_functions, process_env
from leadflow.local.rest import LocalRoute, RestGateway
from leadflow.local.throttle import TokenBucket, method_throttles
from leadflow.local.websocket import WebSocketGateway, gateway_for
from shared.assignment import build as assignment_build

#: locally, a consumer runs at most this many invocations at once (2 cores)
LOCAL_MAX_CONCURRENCY = 2
_started = False


class LocalRuntime:
    def __init__(
        self,
        stage: str = "dev",
        *,
        config: StageConfig | None = None,
        rest_port: int = 0,
        log_level: str = "WARNING",
        visibility_timeout_s: int | None = None,
    ) -> None:
        self.config = config or load_stage(stage)
        self.rest_port = rest_port
        self.log_level = log_level
        self.visibility_timeout_s = visibility_timeout_s
        self.moto = MotoServer()
        self.resources = Resources()
        self.functions: dict[str, LocalFunction] = local_functions(self.config)
        self.invokers: dict[str, Invoker] = {}
        self.mappings: dict[str, EventSourceMapping] = {}
        self.gateway: RestGateway | None = None
        self.errors: list[BaseException] = []
        self.notification: LocalNotification | None = None
        self.forms: local_forms.LocalForms | None = None
        self.websocket: WebSocketGateway | None = None
        self.console: ConsoleServer | None = None
        self._aws: dict[str, Any] = {}

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> LocalRuntime:
        global _started
        if _started:
            raise RuntimeError("one local runtime per process: handlers keep their settings for the process")
        _started = True
        self.moto.start()
        region = self.config.region
        os.environ.update(
            {
                **CREDENTIALS,
                "AWS_ENDPOINT_URL": self.moto.url,
                "AWS_DEFAULT_REGION": region,
                "AWS_REGION": region,
                "LEADFLOW_LOCAL_RUNTIME": "1",
            }
        )
        os.environ.pop("AWS_PROFILE", None)
        self.resources = provision(self.config, self.moto.url, visibility_timeout_s=self.visibility_timeout_s)
        # the WebSocket gateway's @connections endpoint goes into the functions' environment
        self.websocket = gateway_for(
            self.config,
            lambda key: Invoker(self.functions[key], region, ACCOUNT, serialize=False),
            account=ACCOUNT,
            on_error=self.errors.append,
        )
        if self.websocket:
            self.resources.websocket_endpoint = self.websocket.management_endpoint
        env = process_env(self.config, self.resources)
        env["LOG_LEVEL"] = self.log_level
        os.environ.update(env)
        logging.getLogger("botocore").setLevel(logging.WARNING)
        # the handlers' logger may have been built before LOG_LEVEL was set (one logger per process)
        from shared.core.observability import logger

        logger.setLevel(self.log_level)
        # many events run at once in this process (on Lambda, one per instance): the assignment
        # engine's concurrent picks keep off each other's candidates
        assignment_build.use_claims(PROCESS_CLAIMS)
        self._aws = clients(self.moto.url, region)
        # the sink, SES sender, secrets and alarm evaluator, before any handler runs
        self.notification = local_notify.start(self.config, self.resources, self._aws, self.moto.url)
        # the Twilio and marketing sinks and the Twilio secret (web-form leads)
        self.forms = local_forms.start(self.resources, self._aws)
        for fn in wiring.FUNCTIONS:
            local = self.functions[fn.key]
            self.invokers[fn.key] = Invoker(local, region, ACCOUNT, serialize=not fn.sqs_sources)
        for fn in wiring.FUNCTIONS:
            for source in fn.sqs_sources:
                url = self.resources.queues[source.queue]
                arn = f"arn:aws:sqs:{region}:{ACCOUNT}:{self.config.name(source.queue)}"
                mapping = EventSourceMapping(
                    sqs=self._aws["sqs"],
                    queue_url=url,
                    queue_arn=arn,
                    invoke=self.invokers[fn.key],
                    batch_size=source.batch_size,
                    batching_window_s=source.max_batching_window_s,
                    region=region,
                    concurrency=min(source.max_concurrency or LOCAL_MAX_CONCURRENCY, LOCAL_MAX_CONCURRENCY),
                    on_error=self.errors.append,
                )
                mapping.start()
                self.mappings[source.queue] = mapping
        auth_fn = wiring.authorizer()
        auth_trigger = next(t for t in auth_fn.triggers if isinstance(t, wiring.RestAuthorizer))
        # API Gateway's throttle per method: the route's own limits, else the stage's (cdk.json)
        throttles = method_throttles(self.config)
        routes = [
            LocalRoute(
                r.method,
                r.path,
                self.invokers[fn.key],
                r.auth,
                bucket=TokenBucket(throttles[(r.method, r.path)].rate, throttles[(r.method, r.path)].burst),
            )
            for r, fn in wiring.rest_routes()
        ]
        self.gateway = RestGateway(
            routes=routes,
            authorizer=self.invokers[auth_fn.key],
            stage=self.config.stage,
            account=ACCOUNT,
            region=region,
            cache_ttl_s=auth_trigger.cache_ttl_s,
            port=self.rest_port,
        )
        self.gateway.start()
        if self.websocket:
            self.websocket.start()
        # the browser console's static files, with a config.json naming the URLs above; the page
        # posts presigned upload forms to the local S3
        self.console = ConsoleServer(
            console_config(self.rest_url, self.websocket_url), extra_origins=(self.moto.url,)
        ).start()
        return self

    def stop(self) -> None:
        if self.console:
            self.console.stop()
        if self.websocket:
            self.websocket.stop()
        for mapping in self.mappings.values():
            mapping._stop.set()
        if self.gateway:
            self.gateway.stop()
        for mapping in self.mappings.values():
            mapping.stop()
        if self.notification:
            self.notification.stop()
        if self.forms:
            self.forms.stop()
        self.moto.stop()
        os.environ.pop("LEADFLOW_LOCAL_RUNTIME", None)

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ helpers

    @property
    def rest_url(self) -> str:
        assert self.gateway is not None, "start the runtime first"
        return self.gateway.url

    @property
    def websocket_url(self) -> str | None:
        """`ws://127.0.0.1:<port>/<stage>` (connect with `?token=...`), or None without WebSocket routes."""
        return self.websocket.url if self.websocket else None

    @property
    def console_url(self) -> str:
        """The browser console (`web/`), e.g. `http://127.0.0.1:<port>/`."""
        assert self.console is not None, "start the runtime first"
        return self.console.url

    def aws(self, service: str) -> Any:
        """A client on the local AWS (s3, sqs, dynamodb, sns)."""
        return self._aws[service]

    def create_token(self, role: str = "admin", user: str = "dev-admin") -> str:
        """Mint a development token straight into the tokens table (how an admin is bootstrapped)."""
        from shared.core.auth import TokenStore, parse_role

        return TokenStore(self.resources.tables["tokens"]).create(
            role=parse_role(role), user=user, created_by="local", default_days=self.config.token_expiry_days
        )

    def queue_depths(self) -> dict[str, dict[str, int]]:
        out = {}
        for key, url in {**self.resources.queues, **{f"{k}-dlq": v for k, v in self.resources.dlqs.items()}}.items():
            attrs = self.aws("sqs").get_queue_attributes(
                QueueUrl=url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            out[key] = {
                "visible": int(attrs["ApproximateNumberOfMessages"]),
                "in_flight": int(attrs["ApproximateNumberOfMessagesNotVisible"]),
            }
        return out

    def wait_idle(self, timeout_s: float = 60.0) -> bool:
        """True once no main queue holds a message and no consumer is busy."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            depths = self.queue_depths()
            queues_empty = all(
                v["visible"] == 0 and v["in_flight"] == 0 for k, v in depths.items() if not k.endswith("-dlq")
            )
            if queues_empty and not any(m.busy for m in self.mappings.values()):
                return True
            time.sleep(0.2)
        return False
