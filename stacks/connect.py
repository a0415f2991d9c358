"""Amazon Connect wiring: the vanity-number contact flow, when the stage names a Connect instance.

The flow greets the caller, invokes the connect-vanity function, reads three vanity numbers
back ($.External.speech1..3) and says goodbye; the function's error branch apologises and hangs up.
Without an instance ARN nothing is provisioned and synth says so.
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Annotations
from aws_cdk import aws_connect as connect
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

GREETING = "Thank you for calling. Let us find a few vanity numbers for the number you are calling from."
APOLOGY = "Sorry, we could not find vanity numbers for your number this time. Goodbye."


def flow_content(function_arn: str) -> dict[str, Any]:
    """The flow in Amazon Connect's Flow language (version 2019-10-30)."""

    def say(identifier: str, text: str, next_action: str) -> dict[str, Any]:
        return {
            "Identifier": identifier,
            "Type": "MessageParticipant",
            "Parameters": {"Text": text},
            "Transitions": {
                "NextAction": next_action,
                "Errors": [{"NextAction": next_action, "ErrorType": "NoMatchingError"}],
            },
        }

    results = (
        "Your best vanity numbers are: $.External.speech1. Then, $.External.speech2. And, $.External.speech3. Goodbye."
    )
    return {
        "Version": "2019-10-30",
        "StartAction": "greet",
        "Metadata": {"Description": "Leadflow vanity numbers"},
        "Actions": [
            say("greet", GREETING, "vanity"),
            {
                "Identifier": "vanity",
                "Type": "InvokeLambdaFunction",
                "Parameters": {
                    "LambdaFunctionARN": function_arn,
                    "InvocationTimeLimitSeconds": "8",
                    "ResponseValidation": {"ResponseType": "STRING_MAP"},
                },
                "Transitions": {
                    "NextAction": "check",
                    "Errors": [{"NextAction": "sorry", "ErrorType": "NoMatchingError"}],
                },
            },
            {
                "Identifier": "check",
                "Type": "Compare",
                "Parameters": {"ComparisonValue": "$.External.status"},
                "Transitions": {
                    "NextAction": "sorry",
                    "Conditions": [{"NextAction": "results", "Condition": {"Operator": "Equals", "Operands": ["ok"]}}],
                    "Errors": [{"NextAction": "sorry", "ErrorType": "NoMatchingCondition"}],
                },
            },
            say("results", results, "hangup"),
            say("sorry", APOLOGY, "hangup"),
            {"Identifier": "hangup", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}},
        ],
    }


class VanityContactFlow(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        instance_arn: str | None,
        function: lambda_.IFunction,
        flow_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.flow: connect.CfnContactFlow | None = None
        if not instance_arn:
            Annotations.of(self).add_info(
                "Amazon Connect: no connect_instance_arn in this stage's settings, so the vanity contact flow "
                "is skipped; the connect-vanity function is deployed and may be associated by hand."
            )
            return
        connect.CfnIntegrationAssociation(
            self,
            "LambdaAssociation",
            instance_id=instance_arn,
            integration_type="LAMBDA_FUNCTION",
            integration_arn=function.function_arn,
        )
        self.flow = connect.CfnContactFlow(
            self,
            "Flow",
            instance_arn=instance_arn,
            name=flow_name,
            type="CONTACT_FLOW",
            description="Greets the caller, finds vanity numbers for their number and reads three back",
            content=json.dumps(flow_content(function.function_arn)),
        )
