"""One message per event, counted where the patient receives it: a series booked, a
cascade reschedule, a clinic cancellation, a phone check, a booking in quiet hours and
a moved visit's old link. (The waitlist race: test_waitlist_claims.py.)"""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from scheduling import services
from scheduling.models import Appointment, Reminder
from scheduling.patient_links import patient_link_url
from tests.builders import at, booked_series, sessions
from tests.factories import PatientFactory

from .conftest import book
from .journey import deliver_until, received

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(at(2, 11), tick=False) as traveller:
        yield traveller


@pytest.fixture
def booked(clinic, consultation, desk_user, clock):
    """The patient's three sessions, their healing checks (by phone) and review, booked at
    11:00 on Tuesday 2 March by the desk; the patient takes email and texts, email first."""
    clock.move_to(at(2, 11))
    return booked_series(clinic=clinic, consultation=consultation, user=desk_user, earliest_start=at(3, 9))


def test_a_series_booked_sends_one_confirmation_listing_every_visit_with_one_calendar_file(
    booked, clock, django_capture_on_commit_callbacks
):
    patient = booked.patient
    visits = list(booked.appointments.order_by("starts_at"))
    deliver_until(clock, at(2, 11, 5), django_capture_on_commit_callbacks)
    [message] = received(patient)
    assert message.subject.startswith(f"Your treatment plan is booked: {len(visits)} visits")
    for visit in visits:
        local = visit.starts_at.astimezone(visit.starts_at.tzinfo)
        assert f"{local:%H:%M}" in message.body
    assert message.body.count("\n- ") >= len(visits)
    [(name, calendar, _)] = message.email.attachments
    assert name == "visit.ics" and calendar.count("BEGIN:VEVENT") == len(visits)


def test_a_cascade_reschedule_sends_one_message_old_time_to_new_for_each_visit_that_moved(
    booked, clock, desk_user, django_capture_on_commit_callbacks
):
    patient = booked.patient
    deliver_until(clock, at(2, 11, 5), django_capture_on_commit_callbacks)
    before = {a.pk: a.starts_at for a in booked.appointments.all()}
    two = sessions(booked)[1]
    clock.move_to(at(2, 12))
    moved = services.appointment_reschedule(
        appointment=two, new_start=two.starts_at + timedelta(days=14), changed_by=desk_user
    )
    changed = [a for a in moved if before.get(a.pk) != a.starts_at]
    assert len(changed) >= 3  # session 2, its check, session 3 ... : a cascade
    deliver_until(clock, at(2, 12, 5), django_capture_on_commit_callbacks)
    [_, message] = received(patient)
    assert message.subject == "Your visits have moved: Riverside Clinic Marylebone"
    assert message.body.count(", now ") == len(changed)
    assert "Your visit is booked" not in " ".join(r.subject for r in received(patient))
    [(_, calendar, _)] = message.email.attachments
    assert calendar.count("BEGIN:VEVENT") == len(changed)


def test_a_clinic_cancellation_sends_a_notice_with_the_reason_and_how_to_rebook(
    booked, clock, desk_user, django_capture_on_commit_callbacks
):
    patient = booked.patient
    deliver_until(clock, at(2, 11, 5), django_capture_on_commit_callbacks)
    three = sessions(booked)[2]
    services.appointment_cancel(appointment=three, reason="Dr Patel is unwell that day", cancelled_by=desk_user)
    deliver_until(clock, at(2, 11, 10), django_capture_on_commit_callbacks)
    [_, notice] = received(patient)
    assert notice.subject.startswith("Your visit on ") and "is cancelled" in notice.subject
    assert "The reason: Dr Patel is unwell that day" in notice.body
    assert "To book again, call us on +44 20 7946 0000" in notice.body


def test_a_patient_cancelling_from_their_own_link_gets_no_notice(
    booked, clock, django_capture_on_commit_callbacks
):
    patient = booked.patient
    deliver_until(clock, at(2, 11, 5), django_capture_on_commit_callbacks)
    three = sessions(booked)[2]
    response = Client().post(patient_link_url(three), {"action": "cancel"})
    assert response.status_code == 200
    deliver_until(clock, at(2, 11, 10), django_capture_on_commit_callbacks)
    assert len(received(patient)) == 1


def test_a_phone_check_gets_one_reminder_saying_the_clinic_will_call_from_its_number(
    booked, clock, django_capture_on_commit_callbacks
):
    patient = booked.patient
    check = booked.appointments.filter(kind="healing_check").order_by("starts_at").first()
    assert check.room_id is None  # the protocol's checks are by phone
    deliver_until(clock, check.starts_at + timedelta(minutes=1), django_capture_on_commit_callbacks)
    about_check = [r for r in received(patient) if "healing check" in r.subject.lower()]
    [reminder] = about_check
    assert "we will call you on" in reminder.body and "from +44 20 7946 0000" in reminder.body
    assert "arrive" not in reminder.body.lower()


@pytest.fixture
def night(clinic, sms_dir):
    with time_machine.travel(at(2, 23), tick=False) as traveller:
        yield traveller


def test_a_booking_made_in_quiet_hours_texts_the_patient_in_the_morning_not_at_night(
    clinic, sms_patient, night, sms_dir, django_capture_on_commit_callbacks
):
    book(clinic=clinic, patient=sms_patient, starts_at=at(3, 14))
    deliver_until(night, at(3, 7, 59), django_capture_on_commit_callbacks)
    assert received(sms_patient, sms_dir) == []
    deliver_until(night, at(3, 8, 1), django_capture_on_commit_callbacks)
    [text] = received(sms_patient, sms_dir)
    assert text.channel == "sms" and "you're booked at Riverside Clinic Marylebone" in text.body


def test_when_the_morning_is_too_late_a_text_goes_by_email_if_the_patient_takes_email(
    clinic, night, sms_dir, django_capture_on_commit_callbacks
):
    patient = PatientFactory(first_name="Lin", preferred_channel="sms", consent_sms=True, consent_email=True)
    book(clinic=clinic, patient=patient, starts_at=at(3, 8))  # 08:00: the morning's end of quiet hours
    deliver_until(night, at(3, 7, 59), django_capture_on_commit_callbacks)
    [message] = received(patient, sms_dir)
    assert message.channel == "email" and message.subject.startswith("Your visit is booked")


def test_with_no_email_and_no_time_before_the_visit_no_text_goes_in_quiet_hours(
    clinic, sms_patient, night, sms_dir, django_capture_on_commit_callbacks
):
    visit = book(clinic=clinic, patient=sms_patient, starts_at=at(3, 8))
    deliver_until(night, at(3, 8), django_capture_on_commit_callbacks)
    assert received(sms_patient, sms_dir) == []
    confirmation = Reminder.objects.get(appointment=visit, kind="confirmation")
    assert confirmation.status == "skipped" and "no text is sent" in confirmation.last_error


def test_a_moved_visits_old_link_stops_working_and_the_message_about_the_move_carries_a_new_one(
    booked, clock, desk_user, django_capture_on_commit_callbacks
):
    patient = booked.patient
    two = sessions(booked)[1]
    old_link = patient_link_url(two)
    assert Client().get(old_link).status_code == 200
    deliver_until(clock, at(2, 11, 5), django_capture_on_commit_callbacks)  # she has heard of the first times
    services.appointment_reschedule(appointment=two, new_start=two.starts_at + timedelta(days=1), changed_by=desk_user)
    page = Client().get(old_link)
    assert page.status_code == 410 and b"This visit has moved" in page.content
    deliver_until(clock, at(2, 11, 10), django_capture_on_commit_callbacks)
    message = received(patient)[-1]
    assert message.subject == "Your visits have moved: Riverside Clinic Marylebone"
    [new_link] = re.findall(rf"https?://[^/\s]+(/visit/{two.pk}/[^\s]+)", message.body)
    assert new_link != old_link
    assert Client().get(new_link).status_code == 200


def test_a_cancelled_visits_link_stops_working(booked, desk_user):
    three = sessions(booked)[2]
    link = patient_link_url(three)
    services.appointment_cancel(appointment=three, reason="Clinic closed", cancelled_by=desk_user)
    page = Client().get(link)
    assert page.status_code == 410 and b"This visit was cancelled" in page.content
    assert Appointment.objects.get(pk=three.pk).status == "cancelled"


def test_moved_twice_before_sending_the_patient_gets_one_message_with_the_latest_times(
    booked, clock, desk_user, django_capture_on_commit_callbacks
):
    patient = booked.patient
    deliver_until(clock, at(2, 11, 5), django_capture_on_commit_callbacks)
    three = sessions(booked)[2]
    services.appointment_reschedule(appointment=three, new_start=three.starts_at + timedelta(days=1),
                                    changed_by=desk_user)
    services.appointment_reschedule(appointment=three, new_start=three.starts_at + timedelta(days=2),
                                    changed_by=desk_user)
    deliver_until(clock, at(2, 11, 10), django_capture_on_commit_callbacks)
    moved = [r for r in received(patient) if r.subject.startswith(("Your visit has moved", "Your visits have moved"))]
    [message] = moved
    # From the time she knew (Wednesday) straight to the latest (Friday).
    assert "was Wednesday 28 April 2027 at 09:00 BST, now Friday 30 April 2027 at 09:00 BST" in message.body
    assert "Thursday 29 April" not in message.body


def test_two_moves_of_different_visits_before_sending_make_one_message_naming_both(
    booked, clock, desk_user, django_capture_on_commit_callbacks
):
    patient = booked.patient
    deliver_until(clock, at(2, 11, 5), django_capture_on_commit_callbacks)
    review = booked.appointments.get(kind="review")
    three = sessions(booked)[2]
    services.appointment_reschedule(appointment=review, new_start=review.starts_at + timedelta(days=1),
                                    changed_by=desk_user)
    services.appointment_reschedule(appointment=three, new_start=three.starts_at + timedelta(days=3),
                                    changed_by=desk_user)
    deliver_until(clock, at(2, 11, 10), django_capture_on_commit_callbacks)
    [message] = [r for r in received(patient) if r.subject.startswith("Your visits have moved")]
    assert "Series review" in message.body and "Treatment session 3 of 3" in message.body


def test_a_message_about_moved_visits_is_not_sent_once_they_are_cancelled(
    booked, clock, desk_user, django_capture_on_commit_callbacks
):
    patient = booked.patient
    deliver_until(clock, at(2, 11, 5), django_capture_on_commit_callbacks)
    three = sessions(booked)[2]
    services.appointment_reschedule(appointment=three, new_start=three.starts_at + timedelta(days=1),
                                    changed_by=desk_user)
    services.series_cancel_remainder(series=booked, reason="The patient is moving away", cancelled_by=desk_user)
    deliver_until(clock, at(2, 11, 10), django_capture_on_commit_callbacks)
    assert [r.subject for r in received(patient) if "moved" in r.subject] == []
    assert Reminder.objects.get(kind="reschedule").status == "cancelled"
