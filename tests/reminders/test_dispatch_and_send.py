"""The dispatcher claims due rows; the send step delivers each at most once and records why not."""

from datetime import timedelta
from email import message_from_bytes

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from scheduling.models import Reminder
from scheduling.reminders.dispatch import reminders_dispatch_due, reminders_send_batch
from scheduling.reminders.maintenance_prompts import reminders_series_completed
from scheduling.reminders.opt_out import reminders_opt_out
from scheduling.reminders.selectors import reminders_failed
from tests.conftest import london
from tests.factories import SeriesFactory

from .backends import FailingSmsBackend
from .conftest import book, first_session, set_status, texts

pytestmark = pytest.mark.django_db

NOW = london(2027, 3, 1, 9)
VISIT = london(2027, 3, 10, 10)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def dispatch(django_capture_on_commit_callbacks, **kwargs) -> list[str]:
    tokens: list[str] = []
    with django_capture_on_commit_callbacks(execute=True):
        reminders_dispatch_due(enqueue=tokens.append, **kwargs)
    return tokens


def run(django_capture_on_commit_callbacks, **kwargs):
    for token in dispatch(django_capture_on_commit_callbacks, **kwargs):
        reminders_send_batch(token=token)


def test_dispatcher_claims_only_what_is_due(clinic, email_patient, django_capture_on_commit_callbacks):
    book(clinic=clinic, patient=email_patient, starts_at=VISIT)
    tokens = dispatch(django_capture_on_commit_callbacks)
    assert len(tokens) == 1
    assert list(Reminder.objects.filter(status="queued").values_list("kind", flat=True)) == ["confirmation"]
    assert Reminder.objects.filter(status="pending").count() == 2


def test_confirmation_email_has_calendar_file_and_unsubscribe_link(
    clinic, email_patient, django_capture_on_commit_callbacks
):
    book(clinic=clinic, patient=email_patient, starts_at=VISIT)
    run(django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert message.to == [email_patient.email]
    assert "Wednesday 10 March 2027 at 10:00" in message.subject
    assert "/reminders/unsubscribe/" in message.body and "/reminders/unsubscribe/" in message.alternatives[0][0]
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    [(name, calendar, mimetype)] = message.attachments
    assert name == "visit.ics" and mimetype.startswith("text/calendar")
    assert "DTSTART:20270310T100000Z" in calendar  # 10:00 in London in March is 10:00 UTC
    parsed = message_from_bytes(message.message().as_bytes())
    assert parsed["Message-ID"].startswith("<reminder.confirmation")
    assert Reminder.objects.get(kind="confirmation").status == "sent"


def test_email_shows_the_time_in_the_patients_own_zone(clinic, email_patient, django_capture_on_commit_callbacks):
    email_patient.time_zone = "America/New_York"
    email_patient.save()
    book(clinic=clinic, patient=email_patient, starts_at=VISIT)
    run(django_capture_on_commit_callbacks)
    assert "Wednesday 10 March 2027 at 05:00" in mail.outbox[0].subject


def test_treatment_reminder_says_what_happens_at_the_booked_time_and_carries_pre_care(
    clinic, email_patient, protocol, django_capture_on_commit_callbacks, clock
):
    """The booked time already includes the numbing: arrive then, numbing first, the
    treatment after it, done when the visit ends; never "arrive 30 minutes early"."""
    protocol.pre_care_text = "No retinoids for three days before.\nCome without make-up."
    protocol.save()
    first_session(clinic=clinic, patient=email_patient, starts_at=VISIT)  # 10:00, 30 min numbing, 30 min treatment
    Reminder.objects.filter(kind="confirmation").update(status="cancelled")
    clock.move_to(VISIT - timedelta(hours=24))
    run(django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert "minutes early" not in message.body
    assert "Please arrive at 10:00. Numbing cream comes first and takes about 30 minutes" in message.body
    assert "your treatment starts at about 10:30 and you should be done by about 11:00" in message.body
    assert "- No retinoids for three days before.\n- Come without make-up." in message.body


def test_a_second_run_of_the_same_batch_sends_nothing(clinic, email_patient, django_capture_on_commit_callbacks):
    book(clinic=clinic, patient=email_patient, starts_at=VISIT)
    [token] = dispatch(django_capture_on_commit_callbacks)
    reminders_send_batch(token=token)
    again = reminders_send_batch(token=token)
    assert len(mail.outbox) == 1 and again.sent == 0


def test_sms_carries_only_first_name_time_clinic_and_link(
    clinic, sms_patient, sms_dir, protocol, django_capture_on_commit_callbacks, clock
):
    visit = first_session(clinic=clinic, patient=sms_patient, starts_at=VISIT)
    set_status(visit, "completed", completed_at=NOW)  # aftercare too: its text must not carry the advice
    run(django_capture_on_commit_callbacks)
    bodies = [message["body"] for message in texts(sms_dir)]
    assert len(bodies) == 1
    [body] = bodies
    assert body.startswith("Hi Grace,") and "Riverside Clinic" in body and "/reminders/m/" in body
    for word in ("sunscreen", "numbing", "microneedling", "session", "redness", "treatment", sms_patient.last_name):
        assert word.lower() not in body.lower()


def test_edited_sms_template_cannot_reach_health_detail(
    clinic, sms_patient, sms_dir, templates, django_capture_on_commit_callbacks
):
    template = templates["confirmation"]
    template.sms_body = "Hi {{ first_name }} {{ visit }} {{ numbing_minutes }} {{ provider }} {{ patient.last_name }}"
    template.save()
    book(clinic=clinic, patient=sms_patient, starts_at=VISIT)
    run(django_capture_on_commit_callbacks)
    [message] = texts(sms_dir)
    assert message["body"] == "Hi Grace"


def test_withdrawn_consent_skips_the_message(clinic, email_patient, django_capture_on_commit_callbacks):
    book(clinic=clinic, patient=email_patient, starts_at=VISIT)
    reminders_opt_out(patient=email_patient, channels=["email"])
    run(django_capture_on_commit_callbacks)
    assert mail.outbox == []
    row = Reminder.objects.get(kind="confirmation")
    assert row.status == "skipped" and "consent" in row.last_error


def test_a_patient_who_stops_email_but_accepts_sms_gets_a_text(
    clinic, email_patient, sms_dir, django_capture_on_commit_callbacks
):
    book(clinic=clinic, patient=email_patient, starts_at=VISIT)
    email_patient.consent_sms = True
    email_patient.save()
    reminders_opt_out(patient=email_patient, channels=["email"])
    run(django_capture_on_commit_callbacks)
    assert mail.outbox == [] and len(texts(sms_dir)) == 1
    assert Reminder.objects.get(kind="confirmation").channel == "sms"


def test_sms_due_in_quiet_hours_waits_for_the_morning(
    clinic, sms_patient, sms_dir, django_capture_on_commit_callbacks, clock
):
    book(clinic=clinic, patient=sms_patient, starts_at=VISIT)
    clock.move_to(london(2027, 3, 1, 22, 30))
    run(django_capture_on_commit_callbacks)
    assert texts(sms_dir) == []
    row = Reminder.objects.get(kind="confirmation")
    assert row.status == "pending" and row.due_at == london(2027, 3, 2, 8) and row.deferred_for_quiet_hours
    clock.move_to(london(2027, 3, 2, 8, 1))
    run(django_capture_on_commit_callbacks)
    assert len(texts(sms_dir)) == 1


def test_quiet_hours_do_not_hold_email(clinic, email_patient, django_capture_on_commit_callbacks, clock):
    book(clinic=clinic, patient=email_patient, starts_at=VISIT)
    clock.move_to(london(2027, 3, 1, 23))
    run(django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1


def test_failing_channel_retries_with_backoff_then_fails_visibly(
    clinic, sms_patient, settings, django_capture_on_commit_callbacks, clock
):
    settings.REMINDERS_SMS_BACKEND = "tests.reminders.backends.FailingSmsBackend"
    settings.REMINDERS_MAX_ATTEMPTS = 3
    FailingSmsBackend.calls, FailingSmsBackend.permanent = [], False
    book(clinic=clinic, patient=sms_patient, starts_at=VISIT)
    Reminder.objects.exclude(kind="confirmation").delete()
    gaps = []
    for _ in range(3):
        run(django_capture_on_commit_callbacks)
        row = Reminder.objects.get()
        if row.status == "pending":
            gaps.append(row.due_at - timezone.now())
            clock.move_to(row.due_at)
    assert gaps == [timedelta(seconds=60), timedelta(seconds=120)]
    assert len(FailingSmsBackend.calls) == 3
    row = Reminder.objects.get()
    assert row.status == "failed" and row.attempts == 3 and "503" in row.last_error
    assert list(reminders_failed()) == [row]
    run(django_capture_on_commit_callbacks)
    assert len(FailingSmsBackend.calls) == 3


def test_refused_message_fails_at_once(clinic, sms_patient, settings, django_capture_on_commit_callbacks):
    settings.REMINDERS_SMS_BACKEND = "tests.reminders.backends.FailingSmsBackend"
    FailingSmsBackend.calls, FailingSmsBackend.permanent = [], True
    book(clinic=clinic, patient=sms_patient, starts_at=VISIT)
    run(django_capture_on_commit_callbacks)
    row = Reminder.objects.get(kind="confirmation")
    assert row.status == "failed" and row.attempts == 1 and "not a valid phone number" in row.last_error
    FailingSmsBackend.permanent = False


def test_visit_cancelled_after_its_reminder_was_queued_sends_nothing(
    clinic, email_patient, django_capture_on_commit_callbacks
):
    visit = book(clinic=clinic, patient=email_patient, starts_at=VISIT)
    [token] = dispatch(django_capture_on_commit_callbacks)
    set_status(visit, "cancelled")
    reminders_send_batch(token=token)
    assert mail.outbox == []
    assert Reminder.objects.get(kind="confirmation").status == "cancelled"


def test_a_lost_batch_is_handed_out_again_after_its_lease_and_the_old_task_does_nothing(
    clinic, email_patient, settings, django_capture_on_commit_callbacks, clock
):
    settings.REMINDERS_CLAIM_LEASE_SECONDS = 120
    book(clinic=clinic, patient=email_patient, starts_at=VISIT)
    [lost] = dispatch(django_capture_on_commit_callbacks)
    clock.move_to(NOW + timedelta(seconds=60))
    assert dispatch(django_capture_on_commit_callbacks) == []  # still within its lease
    clock.move_to(NOW + timedelta(seconds=121))
    [again] = dispatch(django_capture_on_commit_callbacks)
    assert again != lost
    assert reminders_send_batch(token=lost).sent == 0
    assert reminders_send_batch(token=again).sent == 1
    assert len(mail.outbox) == 1


def test_send_interrupted_on_a_channel_that_can_confirm_is_finished_without_sending_twice(
    clinic, sms_patient, sms_dir, settings, django_capture_on_commit_callbacks, clock
):
    from scheduling.reminders.sms import sms_backend

    settings.REMINDERS_SEND_LEASE_SECONDS = 60
    book(clinic=clinic, patient=sms_patient, starts_at=VISIT)
    book(clinic=clinic, patient=sms_patient, starts_at=VISIT + timedelta(days=1))
    dispatch(django_capture_on_commit_callbacks)
    # A worker took both rows, sent one and died before recording anything.
    first, second = Reminder.objects.filter(status="queued").order_by("pk")
    Reminder.objects.filter(status="queued").update(status="sending", lease_until=NOW + timedelta(seconds=60))
    sms_backend().send(to=str(sms_patient.phone), body="Hi", key=first.key)
    clock.move_to(NOW + timedelta(seconds=61))
    run(django_capture_on_commit_callbacks)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "sent" and second.status == "sent"
    assert sorted(m["key"] for m in texts(sms_dir)) == sorted([first.key, second.key])


def test_send_interrupted_on_a_channel_that_cannot_confirm_fails_visibly_rather_than_guess(
    clinic, email_patient, settings, django_capture_on_commit_callbacks, clock
):
    settings.REMINDERS_SEND_LEASE_SECONDS = 60
    book(clinic=clinic, patient=email_patient, starts_at=VISIT)
    dispatch(django_capture_on_commit_callbacks)
    Reminder.objects.filter(status="queued").update(status="sending", lease_until=NOW + timedelta(seconds=60))
    clock.move_to(NOW + timedelta(seconds=61))
    run(django_capture_on_commit_callbacks)
    row = Reminder.objects.get(kind="confirmation")
    assert row.status == "failed" and "may or may not have gone out" in row.last_error
    assert mail.outbox == []


def test_dispatcher_keeps_only_a_few_batches_waiting_for_workers(
    clinic, email_patient, settings, django_capture_on_commit_callbacks
):
    settings.REMINDERS_DISPATCH_MAX_QUEUED_BATCHES = 2
    for day in range(5):
        book(clinic=clinic, patient=email_patient, starts_at=VISIT + timedelta(days=day))
    tokens = dispatch(django_capture_on_commit_callbacks, batch_size=1)
    assert len(tokens) == 2 and Reminder.objects.filter(kind="confirmation", status="queued").count() == 2
    assert dispatch(django_capture_on_commit_callbacks, batch_size=1) == []  # the workers have enough
    reminders_send_batch(token=tokens[0])
    assert len(dispatch(django_capture_on_commit_callbacks, batch_size=1)) == 1  # one taken, one more handed out


def test_a_batch_of_emails_shares_one_connection_to_the_mail_server(
    clinic, email_patient, settings, django_capture_on_commit_callbacks
):
    from .backends import CountingEmailBackend

    settings.EMAIL_BACKEND = "tests.reminders.backends.CountingEmailBackend"
    CountingEmailBackend.connections = 0
    for day in range(3):
        book(clinic=clinic, patient=email_patient, starts_at=VISIT + timedelta(days=day))
    run(django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 3 and CountingEmailBackend.connections == 1


def test_a_batch_is_read_in_a_fixed_number_of_queries(
    clinic, sms_patient, sms_dir, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    for day in range(10):
        book(clinic=clinic, patient=sms_patient, starts_at=VISIT + timedelta(days=day))
    [token] = dispatch(django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(6):
        assert reminders_send_batch(token=token).sent == 10


def test_series_confirmation_lists_every_visit_and_carries_them_all_in_one_calendar_file(
    clinic, email_patient, django_capture_on_commit_callbacks
):
    from .test_sync import _book_series

    starts = [VISIT, VISIT + timedelta(weeks=4), VISIT + timedelta(weeks=8)]
    _book_series(clinic, email_patient, starts)
    run(django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert "3 visits" in message.subject
    for label in ("Treatment session 1 of 3", "Treatment session 2 of 3", "Treatment session 3 of 3"):
        assert label in message.body
    [(_, calendar, _)] = message.attachments
    assert calendar.count("BEGIN:VEVENT") == 3


def test_aftercare_gives_the_advice_and_when_to_call_the_clinic(
    clinic, email_patient, protocol, django_capture_on_commit_callbacks
):
    visit = first_session(clinic=clinic, patient=email_patient, starts_at=NOW + timedelta(hours=1))
    Reminder.objects.all().update(status="cancelled")
    set_status(visit, "completed")
    run(django_capture_on_commit_callbacks)
    [message] = mail.outbox
    for advice in (
        "sunscreen",
        "gentle cleanser",
        "non-comedogenic moisturiser",
        "No harsh or abrasive products",
        "mild sunburn",
        "Call us on +44 20 7946 0000",
    ):
        assert advice in message.body


def test_a_patient_who_opts_out_gets_no_more_maintenance_prompts(
    clinic, email_patient, protocol, django_capture_on_commit_callbacks, clock
):
    series = SeriesFactory(patient=email_patient, consultation__patient=email_patient, location=clinic["location"])
    reminders_series_completed(series=series)
    reminders_opt_out(patient=email_patient, channels=["email", "sms"])
    clock.move_to(NOW + timedelta(days=protocol.maintenance_min_days + 1))
    run(django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert list(Reminder.objects.filter(kind="maintenance").values_list("status", flat=True)) == ["skipped"]


def test_visit_reminders_carry_the_patients_link_to_confirm_or_cancel_that_visit(
    clinic, email_patient, sms_patient, sms_dir, django_capture_on_commit_callbacks
):
    import re

    from scheduling.patient_links import patient_link_appointment

    by_email = book(clinic=clinic, patient=email_patient, starts_at=VISIT)
    by_text = book(clinic=clinic, patient=sms_patient, starts_at=VISIT + timedelta(hours=2))
    run(django_capture_on_commit_callbacks)
    [message] = mail.outbox
    [text] = [m["body"] for m in texts(sms_dir)]
    for body, visit in ((message.body, by_email), (message.alternatives[0][0], by_email), (text, by_text)):
        appointment_id, token = re.search(r"/visit/(\d+)/([^/\s\"]+)/", body).groups()
        assert int(appointment_id) == visit.pk
        assert patient_link_appointment(appointment_id=visit.pk, token=token) == visit


def test_aftercare_carries_no_confirm_or_cancel_link(
    clinic, email_patient, protocol, django_capture_on_commit_callbacks
):
    visit = first_session(clinic=clinic, patient=email_patient, starts_at=VISIT)
    Reminder.objects.filter(appointment=visit).update(status="sent", sent_at=NOW)
    set_status(visit, "completed", completed_at=NOW)
    run(django_capture_on_commit_callbacks)
    [aftercare] = mail.outbox
    assert "sunscreen" in aftercare.body.lower() and "/visit/" not in aftercare.body
