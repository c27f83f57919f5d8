"""A reviewer's scenarios beyond the first tests: what each patient receives, counted
where it arrives, and read as the patient would read it."""


from datetime import timedelta

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


@pytest.fixture
def texting(booked):
    """The booked patient takes texts only."""
    patient = booked.patient
    patient.preferred_channel, patient.consent_email = "sms", False
    patient.save(update_fields=["preferred_channel", "consent_email"])
    return patient


@pytest.fixture
def texting_series(clinic, consultation, desk_user, clock, sms_dir):
    """The same series booked for a patient who takes texts only."""
    patient = consultation.patient
    patient.preferred_channel, patient.consent_email = "sms", False
    patient.save(update_fields=["preferred_channel", "consent_email"])
    return booked_series(clinic=clinic, consultation=consultation, user=desk_user, earliest_start=at(3, 9))


def test_a_series_booked_for_an_sms_patient_is_one_text_then_one_per_reminder_none_by_email(
    texting_series, clock, sms_dir, django_capture_on_commit_callbacks
):
    patient = texting_series.patient
    review = texting_series.appointments.get(kind="review")
    deliver_until(clock, at(2, 11, 5), django_capture_on_commit_callbacks)
    [confirmation] = received(patient, sms_dir)
    assert confirmation.channel == "sms"
    assert "your visits at Riverside Clinic Marylebone are booked, the first on Wednesday 3 March 2027 at 09:00 GMT" \
        in confirmation.body
    deliver_until(clock, review.starts_at + timedelta(minutes=1), django_capture_on_commit_callbacks)
    got = received(patient, sms_dir)
    assert {r.channel for r in got} == {"sms"}
    # The confirmation; 72 h and 24 h before sessions 2 and 3 (session 1 was the next
    # morning); one before each of the three phone checks; 72 h and 24 h before the review.
    assert len(got) == 1 + 4 + 3 + 2


def test_the_text_before_an_in_person_review_does_not_say_the_clinic_will_be_in_touch(
    texting_series, clock, sms_dir, django_capture_on_commit_callbacks
):
    patient = texting_series.patient
    review = texting_series.appointments.get(kind="review")
    assert review.room_id is not None  # she comes in for it
    deliver_until(clock, review.starts_at + timedelta(minutes=1), django_capture_on_commit_callbacks)
    about_review = [r.body for r in received(patient, sms_dir) if "26 May 2027" in r.body]
    assert len(about_review) == 2
    for text in about_review:
        assert "will be in touch" not in text
        assert "reminder of your follow-up with Riverside Clinic Marylebone on Wednesday 26 May 2027 at 09:00 BST" \
            in text


def test_a_phone_check_reminder_gives_the_time_once_and_says_the_call_comes_then(
    booked, clock, django_capture_on_commit_callbacks
):
    patient = booked.patient
    check = booked.appointments.filter(kind="healing_check").order_by("starts_at").first()
    deliver_until(clock, check.starts_at + timedelta(minutes=1), django_capture_on_commit_callbacks)
    [reminder] = [r for r in received(patient) if "healing check" in r.subject.lower()]
    assert "at Saturday" not in reminder.body  # not "we will call you ... at Saturday 6 March ... at 09:00"
    assert reminder.body.count("Saturday 6 March 2027 at 09:00 GMT") == 1
    assert "we will call you on " in reminder.body and " then, from +44 20 7946 0000." in reminder.body
    html = reminder.email.alternatives[0][0]
    assert "at <strong>Saturday" not in html and " then, from +44 20 7946 0000." in html


def test_the_template_migration_replaces_the_old_default_words_but_keeps_a_clinics_edit(templates):
    import importlib

    from django.apps import apps

    from scheduling.models import MessageTemplate
    from scheduling.reminders.defaults import DEFAULT_TEMPLATES

    migration = importlib.import_module("scheduling.migrations.0014_message_templates_call_then")
    old_sms = "Hi {{ first_name }}, {{ clinic }} will be in touch on {{ time }} for your follow-up. Details: {{ link }}"
    edited = "Hi {{ first_name }}, see you on {{ time }} at {{ clinic }}: {{ link }}"
    MessageTemplate.objects.filter(kind="follow_up").update(sms_body=old_sms)
    MessageTemplate.objects.filter(kind="pre_visit").update(sms_body=edited)
    migration.forwards(apps, None)
    assert MessageTemplate.objects.get(kind="follow_up").sms_body == DEFAULT_TEMPLATES["follow_up"]["sms_body"]
    assert MessageTemplate.objects.get(kind="pre_visit").sms_body == edited


def test_session_one_moved_with_its_cascade_then_moved_again_before_sending_is_one_message_from_the_first_times(
    booked, clock, desk_user, django_capture_on_commit_callbacks
):
    patient = booked.patient
    deliver_until(clock, at(2, 11, 5), django_capture_on_commit_callbacks)
    first_times = {a.pk: a.starts_at for a in booked.appointments.all()}
    one = sessions(booked)[0]
    clock.move_to(at(2, 12))
    moved = services.appointment_reschedule(appointment=one, new_start=at(8, 9), changed_by=desk_user)
    assert len([a for a in moved if first_times[a.pk] != a.starts_at]) >= 4  # session 1 and 3 later visits, at least
    one.refresh_from_db()
    services.appointment_reschedule(appointment=one, new_start=at(9, 9), changed_by=desk_user)
    deliver_until(clock, at(2, 12, 5), django_capture_on_commit_callbacks)
    got = received(patient)
    assert [r.subject for r in got] == [got[0].subject, "Your visits have moved: Riverside Clinic Marylebone"]
    message = got[1]
    assert "Treatment session 1 of 3: was Wednesday 3 March 2027 at 09:00 GMT, now Tuesday 9 March 2027 at 09:00 GMT" \
        in message.body
    assert "Monday 8 March" not in message.body
    changed = [a for a in booked.appointments.all() if first_times[a.pk] != a.starts_at]
    assert message.body.count(", now ") == len(changed)
    [(_, calendar, _)] = message.email.attachments
    assert calendar.count("BEGIN:VEVENT") == len(changed)


@pytest.fixture
def new_yorker_by_text(db):
    from tests.factories import PatientFactory

    return PatientFactory(
        first_name="Nia", time_zone="America/New_York", preferred_channel="sms", consent_email=False, consent_sms=True
    )


def test_a_booking_at_2230_in_new_york_for_a_london_clinic_texts_at_0800_new_york_time(
    clinic, new_yorker_by_text, sms_dir, django_capture_on_commit_callbacks
):
    from .conftest import book

    patient = new_yorker_by_text
    with time_machine.travel(at(3, 3, 30), tick=False) as night:  # 22:30 on Tuesday in New York
        book(clinic=clinic, patient=patient, starts_at=at(3, 15))  # 10:00 on Wednesday in New York
        deliver_until(night, at(3, 12, 59), django_capture_on_commit_callbacks)
        assert received(patient, sms_dir) == []
        deliver_until(night, at(3, 13, 1), django_capture_on_commit_callbacks)  # 08:00 in New York
        [text] = received(patient, sms_dir)
        assert "you're booked at Riverside Clinic Marylebone on Wednesday 3 March 2027 at 10:00 EST" in text.body


def test_a_booking_at_2230_in_new_york_for_0800_tomorrow_sends_no_text_at_night(
    clinic, new_yorker_by_text, sms_dir, django_capture_on_commit_callbacks
):
    from scheduling.models import Reminder

    from .conftest import book

    patient = new_yorker_by_text
    with time_machine.travel(at(3, 3, 30), tick=False) as night:
        visit = book(clinic=clinic, patient=patient, starts_at=at(3, 13))  # 08:00 in New York
        deliver_until(night, at(3, 13, 1), django_capture_on_commit_callbacks)
        assert received(patient, sms_dir) == []
        assert Reminder.objects.get(appointment=visit, kind="confirmation").status == "skipped"


def test_aftercare_says_each_warning_once_and_does_not_say_today_when_recorded_the_next_day(
    booked, clock, desk_user, clinic, sms_dir, django_capture_on_commit_callbacks
):
    patient = booked.patient
    one = sessions(booked)[0]
    clock.move_to(at(3, 9, 30))
    services.appointment_check_in(appointment=one, checked_in_by=desk_user)
    clock.move_to(at(4, 9))  # the provider records it the next morning
    services.appointment_complete(
        appointment=one, completed_by=clinic["provider"].user, areas={"face": "1.00"}, device="pen",
        side_effects=[], notes="",
    )
    deliver_until(clock, at(4, 9, 5), django_capture_on_commit_callbacks)
    [aftercare] = [r for r in received(patient) if r.subject.startswith("Aftercare")]
    assert "today" not in aftercare.body
    assert aftercare.body.lower().count("swelling") == 1  # the protocol's own line says it; the closing line does not
    assert "pus or crusting" in aftercare.body and "call us on +44 20 7946 0000" in aftercare.body.lower()
    html = aftercare.email.alternatives[0][0]
    assert "today" not in html and html.lower().count("swelling") == 1


def test_the_series_confirmation_link_in_a_text_says_the_visits_are_cancelled_once_they_are(
    texting_series, clock, desk_user, sms_dir, django_capture_on_commit_callbacks
):
    import re

    from django.test import Client

    patient = texting_series.patient
    deliver_until(clock, at(2, 11, 5), django_capture_on_commit_callbacks)
    [confirmation] = received(patient, sms_dir)
    link = re.search(r"https?://[^/\s]+(/reminders/m/[^\s]+)", confirmation.body).group(1)
    assert b"Treatment session 1 of 3" in Client().get(link).content
    services.series_cancel_remainder(series=texting_series, reason="Dr Patel is leaving", cancelled_by=desk_user)
    page = Client().get(link)
    assert page.status_code == 410
    assert b"are booked" not in page.content
    assert b"The visits this message listed are no longer booked" in page.content
    assert b"Riverside Clinic Marylebone" in page.content


def test_a_treatment_with_no_numbing_does_not_say_numbing_takes_0_minutes(
    clinic, email_patient, django_capture_on_commit_callbacks
):
    from django.db import transaction

    from scheduling.reminders.outbox import reminders_sync_for_appointments
    from scheduling.services.booking import appointments_book

    from .conftest import visit_spec

    with time_machine.travel(at(2, 11), tick=False) as clock:
        with transaction.atomic():
            visits = appointments_book(
                location=clinic["location"],
                patient=email_patient,
                series=None,
                visits=[
                    visit_spec(provider=clinic["provider"], room=clinic["rooms"][0], starts_at=at(9, 14),
                               kind="maintenance", minutes=45, numbing=0)
                ],
            )
            reminders_sync_for_appointments(appointments=visits)
        deliver_until(clock, at(2, 11, 5), django_capture_on_commit_callbacks)
    [confirmation] = received(email_patient)
    assert "0 minutes" not in confirmation.body and "Numbing" not in confirmation.body
    assert "Please arrive at 14:00. Your treatment starts at about 14:00 and you should be done by about 14:45." \
        in confirmation.body
    html = confirmation.email.alternatives[0][0]
    assert "Numbing" not in html and "Your treatment starts at about 14:00" in html


def test_a_clinic_cancellation_inside_the_late_cancel_window_sends_one_notice_at_once(
    clinic, email_patient, desk_user, django_capture_on_commit_callbacks
):
    from .conftest import book

    with time_machine.travel(at(2, 14), tick=False) as clock:
        visit = book(clinic=clinic, patient=email_patient, starts_at=at(3, 10), kind="maintenance")
        deliver_until(clock, at(2, 14, 5), django_capture_on_commit_callbacks)
        cancelled = services.appointment_cancel(
            appointment=visit, reason="The laser needs repair", cancelled_by=desk_user
        )
        assert cancelled.late_cancellation  # inside the location's 24 hours
        deliver_until(clock, at(3, 10, 1), django_capture_on_commit_callbacks)
    got = received(email_patient)
    assert [r.subject for r in got] == [
        "Your visit is booked: Wednesday 3 March 2027 at 10:00 GMT",
        "Your visit on Wednesday 3 March 2027 at 10:00 GMT is cancelled",
    ]
    assert "late" not in got[1].body.lower() and "fee" not in got[1].body.lower()


def test_a_series_moved_before_its_confirmation_went_out_is_one_message_with_the_new_times(
    clinic, consultation, desk_user, sms_dir, django_capture_on_commit_callbacks
):
    patient = consultation.patient
    patient.preferred_channel, patient.consent_email = "sms", False
    patient.save(update_fields=["preferred_channel", "consent_email"])
    with time_machine.travel(at(2, 23), tick=False) as night:  # quiet hours: the texts wait for 08:00
        series = booked_series(clinic=clinic, consultation=consultation, user=desk_user, earliest_start=at(3, 9))
        two = sessions(series)[1]
        night.move_to(at(2, 23, 30))
        services.appointment_reschedule(appointment=two, new_start=two.starts_at + timedelta(days=7),
                                        changed_by=desk_user)
        deliver_until(night, at(3, 8, 1), django_capture_on_commit_callbacks)
    got = received(patient, sms_dir)
    assert len(got) == 1, [r.body for r in got]
    assert "are booked" in got[0].body


def test_a_visit_booked_and_moved_in_quiet_hours_gets_one_confirmation_with_its_new_time(
    clinic, sms_patient, sms_dir, desk_user, django_capture_on_commit_callbacks
):
    from .conftest import book

    with time_machine.travel(at(2, 23), tick=False) as night:
        visit = book(clinic=clinic, patient=sms_patient, starts_at=at(3, 14))
        services.appointment_reschedule(appointment=visit, new_start=at(3, 16), changed_by=desk_user)
        deliver_until(night, at(3, 8, 1), django_capture_on_commit_callbacks)
    [text] = received(sms_patient, sms_dir)
    assert "you're booked at Riverside Clinic Marylebone on Wednesday 3 March 2027 at 16:00 GMT" in text.body


def test_a_visit_outside_a_series_moved_names_its_clinic_and_carries_its_branding(
    clinic, email_patient, desk_user, django_capture_on_commit_callbacks
):
    from .conftest import book

    with time_machine.travel(at(2, 11), tick=False) as clock:
        visit = book(clinic=clinic, patient=email_patient, starts_at=at(9, 14), kind="maintenance")
        deliver_until(clock, at(2, 11, 5), django_capture_on_commit_callbacks)
        services.appointment_reschedule(appointment=visit, new_start=at(9, 16), changed_by=desk_user)
        deliver_until(clock, at(2, 11, 10), django_capture_on_commit_callbacks)
    [_, moved] = received(email_patient)
    assert moved.subject == "Your visit has moved: Riverside Clinic Marylebone"  # one visit: singular
    assert "Your visit at Riverside Clinic Marylebone has moved:" in moved.body
    assert "visits" not in moved.body.split("--")[0].replace("Every other visit", "")
    assert "the clinic" not in moved.body
    assert "Maintenance session: was Tuesday 9 March 2027 at 14:00 GMT, now Tuesday 9 March 2027 at 16:00 GMT" \
        in moved.body
    assert "Phone: +44 20 7946 0000" in moved.body  # the clinic's branding around it


def test_a_waitlist_offer_held_for_the_morning_is_not_sent_once_another_patient_claimed_the_slot(
    clinic, desk_user, sms_dir, django_capture_on_commit_callbacks
):
    import re

    from django.test import Client

    from scheduling.waitlist import waitlist_entry_add
    from tests.factories import PatientFactory

    from .conftest import book

    slot = at(3, 10)
    by_email = PatientFactory(first_name="Eve", preferred_channel="email", consent_email=True)
    by_text = PatientFactory(first_name="Tam", preferred_channel="sms", consent_email=False, consent_sms=True)
    with time_machine.travel(at(2, 23), tick=False) as night:
        for patient in (by_email, by_text):
            waitlist_entry_add(patient=patient, location=clinic["location"], kind="consultation",
                               earliest_date=slot.date(), latest_date=slot.date())
        visit = book(clinic=clinic, patient=PatientFactory(), starts_at=slot)
        services.appointment_cancel(appointment=visit, reason="Moving abroad", cancelled_by=desk_user)
        deliver_until(night, at(2, 23, 1), django_capture_on_commit_callbacks)
        [offer] = received(by_email)
        assert received(by_text, sms_dir) == []  # quiet hours: held for 08:00
        link = re.search(r"https?://[^/\s]+(/reminders/offer/[^\s]+/)", offer.body).group(1)
        assert Client().post(link).status_code == 200
        deliver_until(night, at(3, 10), django_capture_on_commit_callbacks)
    assert received(by_text, sms_dir) == []
    assert [r.subject.split(":")[0] for r in received(by_email)] == [
        "A slot has opened at Riverside Clinic Marylebone", "Your visit is booked"
    ]


def test_a_phone_checks_calendar_entry_is_a_call_not_a_trip_to_the_clinic(
    booked, clock, django_capture_on_commit_callbacks
):
    deliver_until(clock, at(2, 11, 5), django_capture_on_commit_callbacks)
    [message] = received(booked.patient)
    [(_, calendar, _)] = message.email.attachments
    events = calendar.split("BEGIN:VEVENT")[1:]
    checks = [e for e in events if "Healing check" in e]
    sessions_ = [e for e in events if "Treatment session" in e]
    assert len(checks) == 3 and len(sessions_) == 3
    for event in checks:
        unfolded = event.replace("\r\n ", "")
        assert "1 River St" not in unfolded
        assert "LOCATION:Phone call from +44 20 7946 0000" in unfolded
    assert all("LOCATION:1 River St" in e.replace("\r\n ", "") for e in sessions_)


def test_an_expired_message_page_still_gives_the_clinics_name_and_number_to_call(
    clinic, email_patient, settings
):
    from django.test import Client

    from scheduling.models import Reminder
    from scheduling.reminders.tokens import message_url, waitlist_claim_url

    from .conftest import book

    settings.MESSAGE_PAGE_MAX_AGE_DAYS = 60
    with time_machine.travel(at(1, 9), tick=False) as clock:
        visit = book(clinic=clinic, patient=email_patient, starts_at=at(10, 10))
        row = Reminder.objects.get(appointment=visit, kind="confirmation")
        urls = [u.removeprefix(settings.PUBLIC_SITE_URL) for u in (message_url(reminder_id=row.pk),
                                                                    waitlist_claim_url(reminder_id=row.pk))]
        clock.move_to(at(1, 9) + timedelta(days=61))
        for url in urls:
            expired = Client().get(url)
            assert expired.status_code == 410 and b"has expired" in expired.content
            assert b"Riverside Clinic Marylebone" in expired.content and b"tel:+442079460000" in expired.content
