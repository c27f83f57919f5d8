"""What a patient actually receives: the dispatcher run at each moment a message falls
due, and the messages counted where they arrive (the email outbox, the text file)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core import mail
from django.utils import timezone

from scheduling.models import Reminder
from scheduling.reminders.dispatch import reminders_dispatch_due, reminders_send_batch
from scheduling.reminders.reach import patient_phone

from .conftest import texts


@dataclass(frozen=True)
class Received:
    channel: str
    subject: str  # the email's subject, or the text itself
    body: str
    email: object | None = None


def deliver_until(clock, end: datetime, capture) -> None:
    """Move the clock to each moment a pending message falls due, up to `end`, and run
    the dispatcher and the send tasks there, as beat and the workers would."""
    for _ in range(500):
        due = (
            Reminder.objects.filter(status="pending", due_at__lte=end)
            .order_by("due_at")
            .values_list("due_at", flat=True)
            .first()
        )
        if due is None:
            break
        if due > timezone.now():
            clock.move_to(due)
        tokens: list[str] = []
        with capture(execute=True):
            reminders_dispatch_due(enqueue=tokens.append)
        for token in tokens:
            reminders_send_batch(token=token)
    if end > timezone.now():
        clock.move_to(end)


def received(patient, sms_dir=None) -> list[Received]:
    """Every email and text the patient received, emails first then texts, each in order."""
    emails = [
        Received("email", m.subject, m.body, m) for m in mail.outbox if patient.email and patient.email in m.to
    ]
    phone = patient_phone(patient)
    sent = sorted(texts(sms_dir) if sms_dir else [], key=lambda t: t["at"])
    sms = [Received("sms", t["body"], t["body"]) for t in sent if t["to"] == phone]
    return emails + sms
