"""The SES fallback: the same notice as a plain-text and HTML email to the stage's recipients."""

from __future__ import annotations

import html

from botocore.exceptions import BotoCoreError, ClientError

from shared.core.aws import client, error_code
from shared.notification.notices import Notice


class EmailFailed(Exception):
    """SES refused or could not be reached; nothing was sent."""


class SesMailer:
    def __init__(self, sender: str, recipients: tuple[str, ...]) -> None:
        self.sender = sender
        self.recipients = recipients

    def send(self, notice: Notice) -> str:
        """Send and return SES's message id."""
        if not self.recipients:
            raise EmailFailed("no recipients configured for the email fallback")
        rows = "".join(
            f"<tr><th align='left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in notice.fields if v
        )
        link = f"<p><a href='{html.escape(notice.link)}'>Open the list</a></p>" if notice.link else ""
        summary = f"<p>{html.escape(notice.summary)}</p>" if notice.summary else ""
        body_html = f"<h2>{html.escape(notice.title)}</h2>{summary}<table>{rows}</table>{link}"
        try:
            response = client("ses").send_email(
                Source=self.sender,
                Destination={"ToAddresses": list(self.recipients)},
                Message={
                    "Subject": {"Data": f"[Leadflow] {notice.title}"[:200], "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": notice.text(), "Charset": "UTF-8"},
                        "Html": {"Data": body_html, "Charset": "UTF-8"},
                    },
                },
            )
        except (BotoCoreError, ClientError) as exc:  # refused, throttled, or unreachable after retries
            raise EmailFailed(f"SES: {error_code(exc) or type(exc).__name__}: {exc}") from exc
        return str(response["MessageId"])
