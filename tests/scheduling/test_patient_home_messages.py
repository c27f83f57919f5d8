"""The messages on a patient's own page are shown in the words the patient received,
kept when each was sent: a visit moved since does not rewrite an older message."""

import pytest

from scheduling.models import MessageTemplate, Reminder
from scheduling.patient_home import patient_home
from scheduling.services.patient_moves import appointment_move_by_patient, move_options
from tests.builders import at
from tests.reminders.journey import deliver_until, received

pytestmark = pytest.mark.django_db


def _said(home) -> list[str]:
    return [" ".join([m.subject, *m.lines]) for m in home.messages]


def test_an_older_message_keeps_its_words_after_the_visit_moves(world, django_capture_on_commit_callbacks):
    patient, series = world["patient"], world["series"]
    deliver_until(world["clock"], at(2, 11, 5), django_capture_on_commit_callbacks)
    assert received(patient), "the series confirmation went out"
    sent = Reminder.objects.filter(patient=patient, status="sent").first()
    assert sent.payload.get("seen", {}).get("lines"), "what the patient saw is kept on the row"
    before = _said(patient_home(patient))
    assert any("Your treatment plan is booked" in said for said in before), before
    # The clinic rewords the message afterwards, and the patient moves a session.
    MessageTemplate.objects.filter(kind=sent.kind).update(email_subject="Reworded since")
    two = series.appointments.get(kind="session", session_number=2)
    option = max(move_options(appointment=two), key=lambda o: o.starts_at)
    appointment_move_by_patient(patient=patient, appointment=two, new_start=option.starts_at,
                                expected=option.fingerprint, provider_id=option.provider.pk)
    after = _said(patient_home(patient))
    assert after[-len(before):] == before, "the old message reads as it did when it arrived"
