"""`leadflow secrets list` and `leadflow secrets set NAME`: the stage's Secrets Manager secrets.

The stacks create each declared secret (`wiring.SECRETS`) as a JSON object whose fields start empty;
an operator fills them in after the first deploy. The LLM key is the one secret the stacks do not
create: the stage names it in `llm_secret_arn` (cdk.json), and `set llm` creates
`leadflow-<stage>-llm` when the stage names none yet.

A value is read from stdin when it is piped, else prompted for without echo (getpass); never from
the command line (it would stay in the shell's history and the process list), and never printed.
`list` shows whether each field is set, not what it holds. The region is the stage's (cdk.json)
unless `--region`; `--endpoint` points at another AWS (`local`: the local runtime's).
"""

from __future__ import annotations

import argparse
import getpass
import json
import re
import sys
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from leadflow import wiring
from leadflow.cli_common import emit, group, json_option, leaf, timeout, timeout_option
from leadflow.cli_errors import ExitCode, UsageError
from leadflow.config import StageConfig, load_stage

#: the secret the stacks do not create: the LLM provider's key, named by `llm_secret_arn`
LLM = "llm"
LLM_FIELD = "api_key"
#: loopback hosts may be plain http (the local runtime's sinks); anything else must be https
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_CHECKS: dict[str, tuple[re.Pattern[str], str]] = {
    "account_sid": (re.compile(r"AC[0-9a-fA-F]{32}"), "a Twilio account SID is AC and 32 hex digits"),
    "auth_token": (re.compile(r"[0-9a-fA-F]{32}"), "a Twilio auth token is 32 hex digits"),
}


@dataclass(frozen=True)
class Target:
    """A secret an operator may set: where it is and which of its fields `set NAME` asks for."""

    name: str
    secret_id: str | None  # None: the LLM key with no `llm_secret_arn` yet
    fields: tuple[str, ...]  # what `set NAME` asks for
    settable: tuple[str, ...]  # what `set NAME.FIELD` may name (the generated field too)


def targets(config: StageConfig) -> dict[str, Target]:
    found = {
        s.key: Target(
            s.key,
            config.name(s.key),
            s.fields,
            s.fields + ((s.generated,) if s.generated else ()),
        )
        for s in wiring.SECRETS
    }
    found[LLM] = Target(LLM, config.llm_secret_arn, (LLM_FIELD,), (LLM_FIELD,))
    return found


def _client(args: argparse.Namespace, config: StageConfig) -> Any:
    import boto3
    from botocore.config import Config

    from leadflow import dlq

    endpoint = args.endpoint
    if endpoint == "local":
        endpoint = dlq.local_endpoint()
        if not endpoint:
            raise UsageError("no local runtime: start `leadflow dev` first, or pass --endpoint URL")
    limit = timeout(args)
    kwargs: dict[str, Any] = {
        "region_name": args.region or config.region,
        "config": Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=limit, read_timeout=limit),
    }
    if endpoint:
        kwargs.update(endpoint_url=endpoint, aws_access_key_id="local", aws_secret_access_key="local")
    return boto3.client("secretsmanager", **kwargs)


def _not_found(exc: Exception) -> bool:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", "")) == "ResourceNotFoundException"


def _read(sm: Any, secret_id: str) -> dict[str, Any] | None:
    """The secret's JSON object (a plain string is an LLM key), or None when there is no such secret."""
    try:
        raw = sm.get_secret_value(SecretId=secret_id).get("SecretString") or ""
    except Exception as exc:
        if _not_found(exc):
            return None
        raise
    text = raw.strip()
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if isinstance(value, dict):
            return value
    return {LLM_FIELD: text} if text else {}


def _where(config: StageConfig, args: argparse.Namespace) -> str:
    return f"{args.region or config.region}{' at ' + args.endpoint if args.endpoint else ''}"


# ---------------------------------------------------------------------- list


def cmd_list(args: argparse.Namespace) -> int:
    config = load_stage(args.stage)
    sm = _client(args, config)
    rows = []
    for target in targets(config).values():
        row: dict[str, Any] = {"name": target.name, "secret": target.secret_id}
        made = _read(sm, config.name(LLM)) if target.secret_id is None else None
        if target.secret_id is None and made is None:
            row.update(state="not configured", fields={})
        elif target.secret_id is None and made is not None:
            # made by `set llm`, but the stage does not name it yet: the functions cannot read it
            row.update(
                secret=config.name(LLM),
                state="not wired",
                fields={LLM_FIELD: bool(str(made.get(LLM_FIELD) or "").strip())},
            )
        else:
            value = _read(sm, target.secret_id)
            if value is None:
                row.update(state="missing", fields={})
            else:
                fields = {f: bool(str(value.get(f) or "").strip()) for f in target.settable}
                asked = [fields[f] for f in target.fields]
                row.update(
                    state="set" if all(asked) else "partly set" if any(asked) else "not set",
                    fields=fields,
                )
        rows.append(row)

    def human() -> None:
        print(f"stage {config.stage}, {_where(config, args)}")
        for row in rows:
            fields = ", ".join(f"{f} {'set' if ok else 'empty'}" for f, ok in row["fields"].items())
            print(f"  {row['name']:<14} {row['state']:<15} {fields}")
        if any(r["state"] == "missing" for r in rows):
            print(f"missing: no such secret in {_where(config, args)}; is the stage deployed there?")
        states = {r["name"]: r["state"] for r in rows}
        if states[LLM] == "not configured":
            print(
                f"llm: stages.{config.stage}.llm_secret_arn is not set (enrichment runs rules only); "
                f"`leadflow secrets set llm --stage {config.stage}` creates one"
            )
        if states[LLM] == "not wired":
            print(
                f"llm: {config.name(LLM)} exists but stages.{config.stage}.llm_secret_arn does not name it: "
                "put its ARN there and deploy again (until then enrichment runs rules only)"
            )

    emit(args, rows, human)
    return ExitCode.OK


# ---------------------------------------------------------------------- set


def _check(field: str, value: str) -> None:
    if not value:
        raise UsageError(f"{field}: the value is empty; nothing was written")
    if any(c.isspace() for c in value):
        raise UsageError(f"{field}: the value has spaces or line breaks in it; nothing was written")
    if field == "url":
        parts = urlsplit(value)
        local = parts.scheme == "http" and parts.hostname in _LOOPBACK
        if not parts.hostname or not (parts.scheme == "https" or local):
            raise UsageError("url: not an https:// URL; nothing was written")
    if field in _CHECKS:
        pattern, rule = _CHECKS[field]
        if not pattern.fullmatch(value):
            raise UsageError(f"{field}: {rule}; nothing was written")


def _values(name: str, fields: tuple[str, ...]) -> dict[str, str]:
    """The new values, from a pipe (one value, or a JSON object for several fields) or prompts."""
    if not sys.stdin.isatty():
        text = sys.stdin.read().strip()
        if len(fields) == 1:
            return {fields[0]: text}
        try:
            given = json.loads(text)
        except ValueError:
            given = None
        if not isinstance(given, dict) or set(given) != set(fields):
            raise UsageError(
                f"{name} has {len(fields)} fields ({', '.join(fields)}): pipe a JSON object with exactly "
                f"those, or set one at a time ({name}.{fields[0]}); nothing was written"
            )
        return {f: str(given[f]).strip() for f in fields}
    return {f: getpass.getpass(f"{name} {f} (not echoed): ").strip() for f in fields}


def cmd_set(args: argparse.Namespace) -> int:
    config = load_stage(args.stage)
    known = targets(config)
    name, _, field = args.name.partition(".")
    if name not in known:
        raise UsageError(f"no secret {name!r}; the secrets are {', '.join(known)}")
    target = known[name]
    if field and field not in target.settable:
        raise UsageError(f"{name} has no field {field!r}; its fields are {', '.join(target.settable)}")
    fields = (field,) if field else target.fields
    values = _values(args.name, fields)
    for f, v in values.items():
        _check(f, v)

    sm = _client(args, config)
    created = False
    secret_id = target.secret_id
    if secret_id is None:  # the LLM key, before the stage names one
        secret_id = config.name(LLM)
        if _read(sm, secret_id) is None:
            sm.create_secret(
                Name=secret_id,
                Description="LLM provider API key for enrichment and questions (llm_secret_arn)",
                SecretString=json.dumps(values),
            )
            created = True
    if not created:
        current = _read(sm, secret_id)
        if current is None:
            raise UsageError(
                f"no secret {secret_id} in {_where(config, args)}: deploy the stage first "
                f"(make deploy STAGE={config.stage}), or pass --region"
            )
        # the other fields (a generated signing key, a partner's SID) stay as they are
        sm.put_secret_value(SecretId=secret_id, SecretString=json.dumps({**current, **values}))
    arn = str(sm.describe_secret(SecretId=secret_id)["ARN"])
    result = {"name": name, "fields": sorted(values), "secret": arn, "created": created, "stage": config.stage}

    def human() -> None:
        print(f"{name}: {', '.join(sorted(values))} written to {secret_id} ({_where(config, args)})")
        if name == LLM and target.secret_id is None:
            print(
                f"next: set stages.{config.stage}.llm_secret_arn to {arn} in cdk.json and deploy again "
                "(until then enrichment runs rules only)"
            )
        else:
            print("the functions read it within 5 minutes; no deploy needed")

    emit(args, result, human)
    return ExitCode.OK


def add_commands(sub: Any) -> None:
    secrets = group(sub, "secrets", "the stage's secrets in Secrets Manager (values never printed)", "secrets_command")

    def aws(p: argparse.ArgumentParser) -> None:
        p.add_argument("--stage", default="dev", help="the stage whose secrets and region to use (default: dev)")
        p.add_argument("--region", help="the AWS region (default: the stage's, from cdk.json)")
        p.add_argument(
            "--endpoint", help="a local AWS endpoint URL (moto), or `local` for the local runtime's (default: AWS)"
        )
        timeout_option(p, "AWS")
        json_option(p)

    listing = leaf(secrets, "list", "every secret of the stage and whether it is set", cmd_list)
    aws(listing)
    setting = leaf(
        secrets, "set", "write a secret's value, read from stdin or a prompt without echo (never argv)", cmd_set
    )
    setting.add_argument(
        "name",
        metavar="NAME[.FIELD]",
        help="slack-webhook, downstream, twilio or llm; NAME.FIELD sets one field (twilio.auth_token, "
        "downstream.signing_key)",
    )
    aws(setting)
