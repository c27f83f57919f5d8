"""A reviewer's scenarios beyond the first tests: what each patient receives, counted
where it arrives, and read as the patient would read it."""


import pytest
import time_machine

from scheduling import services
from tests.builders import at, booked_series, sessions

from .journey import deliver_until, received

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(at(2, 11), tick=False) as traveller:
        yield traveller


@pytest.fixture
def booked(clinic, consultation, desk_user, clock):
    clock.move_to(at(2, 11))
    return booked_series(clinic=clinic, consultation=consultation, user=desk_user, earliest_start=at(3, 9))


def test_the_clinic_cancelling_the_rest_of_a_series_sends_one_notice_naming_every_visit_after_the_first(
    booked, clock, desk_user, django_capture_on_commit_callbacks
):
    patient = booked.patient
    deliver_until(clock, at(2, 11, 5), django_capture_on_commit_callbacks)
    two = sessions(booked)[1]
    clock.move_to(at(10, 11))  # session 1 and its check are behind her
    cancelled = services.series_cancel_remainder(
        series=booked, reason="Dr Patel is leaving the clinic", cancelled_by=desk_user
    )
    assert len(cancelled) == 5 and cancelled[0].pk == two.pk
    deliver_until(clock, at(10, 11, 5), django_capture_on_commit_callbacks)
    notices = [r for r in received(patient) if "cancel" in r.subject.lower()]
    [notice] = notices
    assert notice.subject == (
        "Your visit on Wednesday 31 March 2027 at 09:00 BST and every visit after it is cancelled"
    )
    assert "cancel your treatment session 2 of 3 at Riverside Clinic Marylebone on Wednesday 31 March 2027 " \
        "at 09:00 BST and every visit after it." in notice.body
    assert "The reason: Dr Patel is leaving the clinic" in notice.body
    assert "To book again, call us on +44 20 7946 0000" in notice.body


def test_cancelling_the_rest_of_a_series_texts_an_sms_patient_once(
    booked, clock, desk_user, sms_dir, django_capture_on_commit_callbacks
):
    patient = booked.patient
    patient.preferred_channel, patient.consent_email = "sms", False
    patient.save(update_fields=["preferred_channel", "consent_email"])
    clock.move_to(at(10, 11))
    services.series_cancel_remainder(series=booked, reason="Dr Patel is leaving the clinic", cancelled_by=desk_user)
    deliver_until(clock, at(10, 11, 5), django_capture_on_commit_callbacks)
    [text] = [r for r in received(patient, sms_dir) if "cancel" in r.body]
    assert text.channel == "sms"
    assert "cancel your visit on Wednesday 31 March 2027 at 09:00 BST and every visit after it" in text.body
