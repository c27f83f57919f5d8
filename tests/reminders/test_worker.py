"""End to end with a real Redis broker and a real Celery worker (not eager mode).

The worker runs in threads of this process against the test database, so these tests
use committed data (transactional) and the clock moved with time_machine is the worker's
clock too. Each "beat tick" enqueues the dispatcher through Redis, as beat does, and waits
until the worker has drained what it handed out."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.core import mail
from django.db import connections, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from clinic.celery import app
from scheduling.models import Appointment, Reminder, TreatmentSeries
from scheduling.reminders.dispatch import reminders_dispatch_due
from scheduling.reminders.maintenance_prompts import reminders_series_completed
from scheduling.reminders.selectors import reminders_failed
from scheduling.reminders.tokens import unsubscribe_token
from tests.conftest import london

from .backends import FailingSmsBackend
from .conftest import book, first_session, move, set_status, texts

# serialized_rollback: the project puts back the rows data migrations made after a flush.
pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NOW = london(2027, 3, 1, 9)
VISIT = london(2027, 3, 10, 10)


def _close_connections(**kwargs) -> None:
    # Worker threads open their own connections; close them so the test database can be
    # flushed and dropped.
    connections.close_all()


_dispatch_done: dict[str, threading.Event] = {}


def _note_dispatch_done(sender=None, task_id=None, **kwargs) -> None:
    event = _dispatch_done.get(task_id)
    if event is not None:
        event.set()


@pytest.fixture
def clock(transactional_db):
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def worker(clock, settings):
    """A real worker consuming from the test Redis database. The solo pool: the threads
    pool with late acknowledgement sometimes leaves a message waiting ~10 s in Redis, too
    slow for a suite; concurrency is exercised by dispatchers run alongside it."""
    from scheduling import tasks  # noqa: F401 - registers the tasks with the app

    app.loader.import_default_modules()
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(app.conf.task_default_queue)
    saved_options = dict(app.conf.broker_transport_options or {})
    # Poll Redis every 50 ms rather than every second, so the tests wait less.
    app.conf.broker_transport_options = {**saved_options, "polling_interval": 0.05}
    task_postrun.connect(_close_connections, weak=False)
    task_postrun.connect(_note_dispatch_done, weak=False)
    try:
        with start_worker(
            app, pool="solo", concurrency=1, perform_ping_check=False, loglevel="WARNING", shutdown_timeout=5
        ):
            yield
    finally:
        task_postrun.disconnect(_close_connections)
        task_postrun.disconnect(_note_dispatch_done)
        app.conf.broker_transport_options = saved_options


def wait_until(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the worker did not finish in time")
        time.sleep(0.05)


def beat_tick() -> None:
    """What beat does every minute, then wait for the worker to finish the work."""
    from scheduling.tasks import reminders_dispatch

    started = timezone.now()
    task_id = str(uuid.uuid4())
    done = _dispatch_done[task_id] = threading.Event()
    reminders_dispatch.apply_async(expires=55, task_id=task_id)
    wait_until(done.is_set)
    del _dispatch_done[task_id]
    wait_until(
        lambda: (
            not Reminder.objects.filter(
                Q(status="pending", due_at__lte=started) | Q(status__in=["queued", "sending"])
            ).exists()
        )
    )


def sent(**filters) -> list[Reminder]:
    return list(Reminder.objects.filter(status="sent", **filters).order_by("sent_at"))


def test_booking_reminders_are_sent_once_at_the_right_times(clinic, email_patient, clock):
    book(clinic=clinic, patient=email_patient, starts_at=VISIT)
    beat_tick()
    assert [m.subject.split(":")[0] for m in mail.outbox] == ["Your visit is booked"]
    clock.move_to(VISIT - timedelta(hours=72, minutes=1))
    beat_tick()
    assert len(mail.outbox) == 1  # not yet
    clock.move_to(VISIT - timedelta(hours=72) + timedelta(seconds=30))
    beat_tick()
    clock.move_to(VISIT - timedelta(hours=24) + timedelta(seconds=30))
    beat_tick()
    beat_tick()
    clock.move_to(VISIT + timedelta(hours=1))
    beat_tick()
    assert len(mail.outbox) == 3
    reminders = sent(kind="pre_visit")
    assert [r.payload["lead_hours"] for r in reminders] == [72, 24]
    for reminder in reminders:
        assert timedelta(0) <= reminder.sent_at - reminder.due_at < timedelta(minutes=1)
    assert Reminder.objects.exclude(status="sent").count() == 0


def test_cancellation_sends_nothing_more(clinic, email_patient, clock):
    visit = book(clinic=clinic, patient=email_patient, starts_at=VISIT)
    beat_tick()
    set_status(visit, "cancelled")
    for moment in (VISIT - timedelta(hours=72), VISIT - timedelta(hours=24), VISIT):
        clock.move_to(moment + timedelta(seconds=30))
        beat_tick()
    assert len(mail.outbox) == 1
    assert Reminder.objects.filter(appointment=visit, status="cancelled").count() == 2


def test_reschedule_moves_the_reminders(clinic, email_patient, clock):
    visit = book(clinic=clinic, patient=email_patient, starts_at=VISIT)
    beat_tick()
    later = VISIT + timedelta(days=3)
    move(visit, later)
    clock.move_to(VISIT - timedelta(hours=24) + timedelta(seconds=30))
    beat_tick()
    assert [m.subject.split(":")[0] for m in mail.outbox] == ["Your visit is booked", "Your visit has moved"]
    clock.move_to(later - timedelta(hours=72) + timedelta(seconds=30))
    beat_tick()
    clock.move_to(later - timedelta(hours=24) + timedelta(seconds=30))
    beat_tick()
    assert [r.visit_starts_at for r in sent(kind="pre_visit")] == [later, later]
    assert "Saturday 13 March 2027 at 10:00" in mail.outbox[-1].subject


def test_quiet_hours_defer_sms_to_the_morning(clinic, sms_patient, sms_dir, clock):
    book(clinic=clinic, patient=sms_patient, starts_at=VISIT)
    clock.move_to(london(2027, 3, 1, 21, 30))
    beat_tick()
    assert texts(sms_dir) == []
    clock.move_to(london(2027, 3, 2, 7, 59))
    beat_tick()
    assert texts(sms_dir) == []
    clock.move_to(
        london(
            2027,
            3,
            2,
            8,
            0,
        )
        + timedelta(seconds=20)
    )
    beat_tick()
    [confirmation] = sent(kind="confirmation")
    assert confirmation.sent_at >= london(2027, 3, 2, 8)
    assert len(texts(sms_dir)) == 1


def test_opt_out_from_the_email_link_stops_them(clinic, email_patient, client, clock):
    book(clinic=clinic, patient=email_patient, starts_at=VISIT)
    beat_tick()
    token = unsubscribe_token(patient_id=email_patient.pk, channel="email")
    response = client.post(reverse("reminders:unsubscribe", kwargs={"token": token}), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    for moment in (VISIT - timedelta(hours=72), VISIT - timedelta(hours=24)):
        clock.move_to(moment + timedelta(seconds=30))
        beat_tick()
    assert len(mail.outbox) == 1
    assert Reminder.objects.filter(kind="pre_visit", status="skipped").count() == 2


def test_failing_channel_retries_then_fails_visibly(clinic, sms_patient, settings, clock):
    settings.REMINDERS_SMS_BACKEND = "tests.reminders.backends.FailingSmsBackend"
    settings.REMINDERS_MAX_ATTEMPTS = 3
    FailingSmsBackend.calls, FailingSmsBackend.permanent = [], False
    book(clinic=clinic, patient=sms_patient, starts_at=VISIT)
    Reminder.objects.exclude(kind="confirmation").delete()
    for _ in range(4):
        beat_tick()
        row = Reminder.objects.get()
        if row.status == "pending":
            clock.move_to(row.due_at + timedelta(seconds=1))
    assert len(FailingSmsBackend.calls) == 3
    [failed] = reminders_failed()
    assert failed.attempts == 3 and "503" in failed.last_error


def test_two_dispatchers_at_once_send_each_reminder_once(clinic, sms_patient, sms_dir, settings, clock):
    from scheduling.tasks import _enqueue_send, reminders_dispatch

    settings.REMINDERS_DISPATCH_BATCH_SIZE = 20
    visit = book(clinic=clinic, patient=sms_patient, starts_at=VISIT)
    Reminder.objects.all().delete()
    now = timezone.now()
    Reminder.objects.bulk_create(
        [
            Reminder(
                key=f"load:{n}",
                kind="confirmation",
                slot="confirmation",
                channel="sms",
                patient=sms_patient,
                appointment=visit,
                due_at=now - timedelta(seconds=n),
                visit_starts_at=VISIT,
                payload={},
            )
            for n in range(400)
        ]
    )
    # Beat's dispatcher in the worker, and two more (a second beat, an admin) at the same moment.
    start = threading.Barrier(3)

    def dispatcher() -> None:
        start.wait()
        reminders_dispatch_due(enqueue=_enqueue_send)
        connections.close_all()

    others = [threading.Thread(target=dispatcher) for _ in range(2)]
    for thread in others:
        thread.start()
    start.wait()
    reminders_dispatch.apply_async(expires=55)
    for thread in others:
        thread.join()
    wait_until(lambda: Reminder.objects.filter(status="sent").count() == 400)
    time.sleep(0.3)  # anything sent twice would have landed by now
    assert Reminder.objects.exclude(status="sent").count() == 0
    keys = [message["key"] for message in texts(sms_dir)]
    assert sorted(keys) == sorted(f"load:{n}" for n in range(400))  # each once, none twice


def test_maintenance_prompts_repeat_every_interval_until_booked(clinic, email_patient, protocol, clock):
    last = first_session(clinic=clinic, patient=email_patient, starts_at=NOW + timedelta(hours=1))
    series = last.series
    with transaction.atomic():
        set_status(last, "completed", completed_at=NOW + timedelta(hours=2))
        TreatmentSeries.objects.filter(pk=series.pk).update(status="completed")
        reminders_series_completed(series=series)
    beat_tick()  # the confirmation and aftercare go now
    interval = timedelta(days=protocol.maintenance_min_days)
    first = london(2027, 3, 1, 10) + interval
    for number in (1, 2):
        due = first + interval * (number - 1)
        clock.move_to(due - timedelta(minutes=5))
        beat_tick()
        assert len(sent(kind="maintenance")) == number - 1
        clock.move_to(due + timedelta(seconds=30))
        beat_tick()
        assert len(sent(kind="maintenance")) == number
    booked = book(
        clinic=clinic, patient=email_patient, starts_at=first + interval * 2 + timedelta(days=10), kind="maintenance"
    )
    clock.move_to(first + interval * 2 + timedelta(seconds=30))
    beat_tick()
    assert len(sent(kind="maintenance")) == 2
    [waiting] = Reminder.objects.filter(kind="maintenance", status="pending")
    assert waiting.due_at > booked.starts_at + interval - timedelta(days=1)
    assert Appointment.objects.filter(kind="maintenance").count() == 1
