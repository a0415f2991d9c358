"""GET /agents: every agent with status, open connections, current email and last assignment (admin).

`grace_until` is set while an agent has no connection but keeps status and email until then.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.assignment.repository import AssignmentRepository
from shared.assignment.settings import UsersEnv
from shared.core.api import make_resolver, require_route_role
from shared.core.models import Agents, AgentView
from shared.core.observability import logger
from shared.core.settings import load

app = make_resolver()


@cache
def repository() -> AssignmentRepository:
    return AssignmentRepository(users_table=load(UsersEnv).USERS_TABLE, emails_table="")


@app.get("/agents")
def agents() -> Agents:
    require_route_role(app)
    return Agents(agents=[AgentView.of(a) for a in repository().list_agents()])


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
