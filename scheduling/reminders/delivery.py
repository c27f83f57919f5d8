"""What the providers report after they took a message: delivered, bounced, marked as
spam, not delivered, opened. Email events come through django-anymail's webhooks (any
provider it supports), text events through the SMS provider's status callback; both
name the message by the provider's own id, which the send recorded on the row."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from patients.services import patient_email_bounce_record

from ..models import Reminder

Delivery = Reminder.Delivery
# A later event never hides a worse one: an "opened" after a bounce stays a bounce.
_RANK = {Delivery.DELIVERED: 1, Delivery.OPENED: 2, Delivery.UNDELIVERED: 3, Delivery.BOUNCED: 4,
         Delivery.COMPLAINED: 5}

# anymail's normalised event types, and Twilio's MessageStatus values.
EMAIL_EVENTS = {
    "delivered": Delivery.DELIVERED,
    "opened": Delivery.OPENED,
    "clicked": Delivery.OPENED,
    "bounced": Delivery.BOUNCED,
    "rejected": Delivery.BOUNCED,
    "complained": Delivery.COMPLAINED,
    "failed": Delivery.UNDELIVERED,
}
SMS_EVENTS = {
    "delivered": Delivery.DELIVERED,
    "read": Delivery.OPENED,
    "undelivered": Delivery.UNDELIVERED,
    "failed": Delivery.UNDELIVERED,
}


def _spellings(message_id: str) -> list[str]:
    bare = message_id.strip().strip("<>")
    return [bare, f"<{bare}>"]


@transaction.atomic
def reminder_delivery_record(
    *, provider_message_id: str, delivery: str, detail: str = "", recipient: str = "", at: datetime | None = None
) -> int:
    """Note on the message what its provider reported; a bounce or complaint for an email
    also marks the patient's address. Repeated or out-of-order events change nothing
    worse into better. Returns how many messages matched (0 for an id we never sent)."""
    at = at or timezone.now()
    rows = list(
        Reminder.objects.select_for_update(of=("self",))
        .select_related("patient")
        # Some providers quote the id with the angle brackets of a Message-ID, some without.
        .filter(provider_message_id__in=_spellings(provider_message_id))
        .exclude(provider_message_id="")
    )
    for row in rows:
        if _RANK.get(row.delivery, 0) > _RANK[delivery]:
            continue
        row.delivery, row.delivery_detail, row.delivery_at = delivery, detail[:300], at
        row.save(update_fields=["delivery", "delivery_detail", "delivery_at", "updated_at"])
        if row.channel == "email" and delivery in (Delivery.BOUNCED, Delivery.COMPLAINED):
            reason = "Marked as spam" if delivery == Delivery.COMPLAINED else f"Bounced: {detail}".strip(": ")
            patient_email_bounce_record(email=recipient or row.patient.email, reason=reason, at=at)
    return len(rows)
