"""`leadflow sms simulate` and `leadflow inflight`: web-form leads and SMS conversations from the CLI."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from leadflow.cli_common import api_options, client, emit, group, json_option, leaf
from leadflow.cli_errors import ExitCode
from leadflow.client import LOCAL_STATE, MissingApi, resolve_connection


def _local_state() -> dict[str, Any]:
    return json.loads(LOCAL_STATE.read_text()) if LOCAL_STATE.exists() else {}


def _local_auth_token(stage: str) -> str:
    """The local runtime's generated Twilio auth token, read from its local AWS (never from the repo)."""
    from leadflow.config import load_stage
    from leadflow.local.aws import clients

    endpoint = _local_state().get("aws_endpoint")
    if not endpoint:
        raise MissingApi("no local runtime: start `leadflow dev`, or pass --auth-token")
    config = load_stage(stage)
    secrets = clients(endpoint, config.region)["secretsmanager"]
    value = json.loads(secrets.get_secret_value(SecretId=config.name("twilio"))["SecretString"])
    return str(value["auth_token"])


def cmd_sms_simulate(args: argparse.Namespace) -> int:
    from leadflow.local.twilio_sink import simulate_inbound

    api = resolve_connection(args.api, "unused").api
    token = args.auth_token or _local_auth_token(args.stage)
    response = simulate_inbound(f"{api}/twilio/sms", token, from_=args.from_, to=args.to, text=args.text)
    emit(
        args,
        {"status": response.status_code, "body": response.text},
        lambda: print(f"{response.status_code} {response.text}"),
    )
    return ExitCode.OK if response.status_code == 200 else ExitCode.REFUSED


def cmd_inflight(args: argparse.Namespace) -> int:
    api = client(args)
    try:
        data = api._check(api.http.get("/admin/inflight"))
    finally:
        api.close()

    def human() -> None:
        print(f"forwards in flight: {len(data['forwards'])}")
        for lead in data["forwards"]:
            steps = ", ".join(f"{name} {step['state']}({step['attempts']})" for name, step in lead["steps"].items())
            print(f"  {lead['form_lead_id']}  {lead.get('customer_phone') or '-'}  {steps}")
        print(f"open conversations: {len(data['conversations'])}")
        for conv in data["conversations"]:
            print(
                f"  {conv['conversation_id']}  {conv['customer']} <-> {conv['dealer_phone']} on {conv['pool_number']}"
                f"  leads {len(conv.get('leads') or [])}  last {conv.get('last_message_at') or '-'}"
            )
        sys.stdout.flush()

    emit(args, data, human)
    return ExitCode.OK


def add_commands(sub: Any) -> None:
    sms = group(sub, "sms", "SMS conversations", "sms_command")
    simulate = leaf(sms, "simulate", "send a correctly signed inbound SMS webhook to /twilio/sms", cmd_sms_simulate)
    simulate.add_argument("--from", dest="from_", required=True, help="the sender's number (E.164)")
    simulate.add_argument("--to", required=True, help="the pool number the message is sent to (E.164)")
    simulate.add_argument("text", help="the message's text")
    simulate.add_argument("--api", metavar="URL", help="REST API base URL (default: LEADFLOW_API or the local runtime)")
    simulate.add_argument("--auth-token", help="Twilio auth token to sign with (default: the local runtime's)")
    simulate.add_argument("--stage", default="dev", help="the stage whose names to use (default: dev)")
    json_option(simulate)

    inflight = leaf(sub, "inflight", "form-lead forwards in flight and open SMS conversations (admin)", cmd_inflight)
    api_options(inflight)
    json_option(inflight)
