"""The body of POST /chat, apart from `shared.enrichment.chat`: the route declares it at init, while the LLM
client, its prompts and the rules it grounds on load at the first question.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class ChatQuestion(BaseModel):
    """The body of POST /chat."""

    model_config = ConfigDict(extra="forbid")

    question: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] = Field(
        description="a question about the leads, e.g. 'leads from the website this week'"
    )
