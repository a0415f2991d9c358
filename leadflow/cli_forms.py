"""`leadflow sms simulate` and `leadflow inflight`: web-form leads and SMS conversations from the CLI."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from leadflow.client import LOCAL_STATE, ApiError, LeadflowClient, resolve_connection


def _local_state() -> dict[str, Any]:
    return json.loads(LOCAL_STATE.read_text()) if LOCAL_STATE.exists() else {}


def _local_auth_token(stage: str) -> str:
    """The local runtime's generated Twilio auth token, read from its local AWS (never from the repo)."""
    from leadflow.config import load_stage
    from leadflow.local.aws import clients

    endpoint = _local_state().get("aws_endpoint")
    if not endpoint:
        raise ApiError(0, "no local runtime: start `leadflow dev`, or pass --auth-token")
    config = load_stage(stage)
    secrets = clients(endpoint, config.region)["secretsmanager"]
    value = json.loads(secrets.get_secret_value(SecretId=config.name("twilio"))["SecretString"])
    return str(value["auth_token"])


def cmd_sms_simulate(args: argparse.Namespace) -> int:
    from leadflow.local.twilio_sink import simulate_inbound

    api = resolve_connection(args.api, "unused").api
    token = args.auth_token or _local_auth_token(args.stage)
    response = simulate_inbound(f"{api}/twilio/sms", token, from_=args.from_, to=args.to, text=args.text)
    print(f"{response.status_code} {response.text}")
    return 0 if response.status_code == 200 else 1


def cmd_inflight(args: argparse.Namespace) -> int:
    conn = resolve_connection(args.api, args.token)
    if not conn.token:
        raise ApiError(0, "no token: pass --token, set LEADFLOW_TOKEN, or run `leadflow dev` for a local one")
    client = LeadflowClient(conn.api, conn.token)
    try:
        data = client._check(client.http.get("/admin/inflight"))
    finally:
        client.close()
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
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
    return 0


def add_commands(sub: Any) -> None:
    sms = sub.add_parser("sms", help="SMS conversations").add_subparsers(dest="sms_command", required=True)
    simulate = sms.add_parser("simulate", help="send a correctly signed inbound SMS webhook to /twilio/sms")
    simulate.add_argument("--from", dest="from_", required=True, help="the sender's number (E.164)")
    simulate.add_argument("--to", required=True, help="the pool number the message is sent to (E.164)")
    simulate.add_argument("text")
    simulate.add_argument("--api", help="REST API base URL (default: LEADFLOW_API or the local runtime)")
    simulate.add_argument("--auth-token", help="Twilio auth token to sign with (default: the local runtime's)")
    simulate.add_argument("--stage", default="dev")
    simulate.set_defaults(func=cmd_sms_simulate)

    inflight = sub.add_parser("inflight", help="form-lead forwards in flight and open SMS conversations (admin)")
    inflight.add_argument("--api", help="REST API base URL (default: LEADFLOW_API or the local runtime)")
    inflight.add_argument("--token", help="bearer token (default: LEADFLOW_TOKEN or the local admin token)")
    inflight.add_argument("--json", action="store_true", help="print JSON")
    inflight.set_defaults(func=cmd_inflight)
