"""Every message one patient receives for a whole series, booking to review, in order,
with its channel and local time: the list docs/messages.md shows, checked against it."""

from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from scheduling import services
from scheduling.models import Reminder
from tests.builders import at, booked_series

from .journey import deliver_until

pytestmark = pytest.mark.django_db
DOC = Path(__file__).resolve().parents[2] / "docs" / "messages.md"


def series_messages(clinic, consultation, desk_user, capture) -> list[str]:
    """The series booked at 11:00 on Tuesday 2 March 2027; each visit attended, each
    treatment completed; the messages delivered as beat and the workers would."""
    patient = consultation.patient
    with time_machine.travel(at(2, 11), tick=False) as clock:
        mail.outbox.clear()
        Reminder.objects.filter(patient=patient).delete()  # the consultation's own, already past
        series = booked_series(clinic=clinic, consultation=consultation, user=desk_user, earliest_start=at(3, 9))
        for visit in series.appointments.order_by("starts_at"):
            deliver_until(clock, visit.starts_at, capture)
            if visit.kind in ("session", "maintenance"):
                clock.move_to(visit.ends_at)
                services.appointment_complete(
                    appointment=visit, areas={"face": Decimal("1.00")}, device="pen", side_effects=[], notes="",
                    completed_by=clinic["provider"].user,
                )
        deliver_until(clock, series.appointments.order_by("-ends_at").first().ends_at, capture)
    zone = ZoneInfo(patient.time_zone)
    sent = Reminder.objects.filter(patient=patient, status="sent").order_by("sent_at", "pk")
    assert sent.count() == len([m for m in mail.outbox if patient.email in m.to])
    subjects = {m.extra_headers["Message-ID"]: m.subject for m in mail.outbox}
    return [
        f"| {row.sent_at.astimezone(zone):%a %d %b %Y %H:%M %Z} | {row.channel} | {row.get_kind_display()} | "
        f"{subjects[row.provider_message_id]} |"
        for row in sent
    ]


def test_docs_messages_lists_every_message_of_a_whole_series(
    clinic, consultation, desk_user, django_capture_on_commit_callbacks
):
    rows = series_messages(clinic, consultation, desk_user, django_capture_on_commit_callbacks)
    kinds = [row.split(" | ")[2] for row in rows]
    assert kinds.count("Series booking confirmation") == 1
    assert kinds.count("Booking confirmation") == 0  # the series confirmation gave every time
    assert kinds.count("Aftercare") == 3
    documented = [line for line in DOC.read_text().splitlines() if line.startswith("| ") and "2027" in line]
    assert documented == rows, "\n" + "\n".join(rows)
