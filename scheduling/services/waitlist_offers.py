"""The desk booking the slot a waitlist offer named, for the patient it was offered to:
the same claim the patient makes from the offer's link (`waitlist_offer_claim`), so the
first claim wins whoever makes it."""

from django.db import transaction

from clinic.audit import audit_record
from clinic.errors import InvalidRequest

from ..models import Appointment, Reminder, WaitlistEntry
from ..waitlist import waitlist_offer_claim


def waitlist_offer_latest(entry: WaitlistEntry) -> Reminder | None:
    return entry.reminders.filter(kind=Reminder.Kind.WAITLIST_OFFER).order_by("-created_at", "-pk").first()


def waitlist_offer_book(*, entry: WaitlistEntry, booked_by=None) -> Appointment:
    """Claim the slot last offered to this entry's patient on their behalf, or explain why
    not (no offer yet; the slot taken, passed or withdrawn: the claim's own refusal)."""
    offer = waitlist_offer_latest(entry)
    if offer is None or entry.status != WaitlistEntry.Status.OFFERED:
        raise InvalidRequest("No slot has been offered to this patient yet; book from their page instead.")
    with transaction.atomic():
        visit = waitlist_offer_claim(reminder_id=offer.pk)
        audit_record(actor=booked_by, action="waitlist_booked", obj=entry,
                     changes={"status": [WaitlistEntry.Status.OFFERED, WaitlistEntry.Status.BOOKED],
                              "appointment": visit.pk})
    return visit
