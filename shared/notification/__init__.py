"""Notification domain: telling people about leads (Slack, SES fallback, digests) and the durable
downstream sync, with a delivery record per lead, notice and channel.

`deliveries_for(lead_id)` is what the lead endpoint shows as the lead's deliveries.
"""

from shared.notification.deliveries import deliveries_for

__all__ = ["deliveries_for"]
