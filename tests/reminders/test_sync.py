"""The outbox follows the visit: written with the booking, moved with it, cancelled with it."""

from datetime import timedelta

import pytest
import time_machine

from scheduling.models import Reminder, TreatmentSeries
from scheduling.reminders.events import reminders_series_booked
from scheduling.reminders.maintenance_prompts import reminders_series_completed
from scheduling.reminders.outbox import reminders_sync_for_appointments
from tests.conftest import london
from tests.factories import SeriesFactory

from .conftest import book, first_session, move, set_status, visit_spec

pytestmark = pytest.mark.django_db

NOW = london(2027, 3, 1, 9)
VISIT = london(2027, 3, 10, 10)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def rows(appointment, **filters):
    return list(Reminder.objects.filter(appointment=appointment, **filters).order_by("due_at"))


def test_booking_writes_a_confirmation_and_reminders_at_the_protocols_lead_times(clinic, email_patient):
    visit = book(clinic=clinic, patient=email_patient, starts_at=VISIT)
    pending = rows(visit, status="pending")
    assert [(r.kind, r.due_at) for r in pending] == [
        ("confirmation", NOW),
        ("pre_visit", VISIT - timedelta(hours=72)),
        ("pre_visit", VISIT - timedelta(hours=24)),
    ]
    assert {r.channel for r in pending} == {"email"}


def test_lead_times_come_from_the_protocol(clinic, email_patient, protocol):
    protocol.reminder_lead_hours = [48, 2]
    protocol.save()
    visit = book(clinic=clinic, patient=email_patient, starts_at=VISIT)
    assert [r.due_at for r in rows(visit, kind="pre_visit")] == [
        VISIT - timedelta(hours=48),
        VISIT - timedelta(hours=2),
    ]


def test_a_lead_time_already_passed_at_booking_is_not_written(clinic, email_patient):
    visit = book(clinic=clinic, patient=email_patient, starts_at=NOW + timedelta(hours=30))
    assert [r.payload["lead_hours"] for r in rows(visit, kind="pre_visit")] == [24]


def test_syncing_twice_changes_nothing(clinic, email_patient):
    visit = book(clinic=clinic, patient=email_patient, starts_at=VISIT)
    before = list(Reminder.objects.values_list("pk", "key", "status", "due_at", "updated_at").order_by("pk"))
    reminders_sync_for_appointments(appointments=[visit])
    assert list(Reminder.objects.values_list("pk", "key", "status", "due_at", "updated_at").order_by("pk")) == before


def test_cancelled_visit_has_no_pending_reminder(clinic, email_patient):
    visit = book(clinic=clinic, patient=email_patient, starts_at=VISIT)
    set_status(visit, "cancelled")
    assert rows(visit, status="pending") == []
    assert len(rows(visit, status="cancelled")) == 3


@pytest.mark.parametrize("status", ["no_show", "checked_in"])
def test_no_show_or_check_in_cancels_what_is_still_pending(clinic, email_patient, status):
    visit = book(clinic=clinic, patient=email_patient, starts_at=VISIT)
    set_status(visit, status)
    assert rows(visit, status="pending") == []


def test_moved_visit_moves_its_pending_reminders(clinic, email_patient):
    visit = book(clinic=clinic, patient=email_patient, starts_at=VISIT)
    ids = sorted(r.pk for r in rows(visit, kind="pre_visit"))
    later = VISIT + timedelta(days=7)
    move(visit, later)
    moved = rows(visit, kind="pre_visit", status="pending")
    assert sorted(r.pk for r in moved) == ids  # the same rows, moved rather than replaced
    assert [r.due_at for r in moved] == [later - timedelta(hours=72), later - timedelta(hours=24)]
    assert all(r.visit_starts_at == later for r in moved)


def test_sent_reminders_are_history_and_a_moved_visit_gets_new_ones(clinic, email_patient):
    visit = book(clinic=clinic, patient=email_patient, starts_at=VISIT)
    Reminder.objects.filter(appointment=visit, kind__in=["confirmation", "pre_visit"], payload__lead_hours=72).update(
        status="sent", sent_at=NOW
    )
    Reminder.objects.filter(appointment=visit, kind="confirmation").update(status="sent", sent_at=NOW)
    later = VISIT + timedelta(days=7)
    move(visit, later)
    sent = rows(visit, status="sent")
    assert {(r.kind, r.visit_starts_at) for r in sent} == {("confirmation", VISIT), ("pre_visit", VISIT)}
    pending = rows(visit, status="pending")
    assert [(r.kind, r.due_at) for r in pending] == [
        ("confirmation", NOW),
        ("pre_visit", later - timedelta(hours=72)),
        ("pre_visit", later - timedelta(hours=24)),
    ]
    assert pending[0].payload.get("moved") is True


def test_healing_checks_and_reviews_get_follow_up_reminders(clinic, email_patient):
    visit = book(clinic=clinic, patient=email_patient, starts_at=VISIT, kind="healing_check")
    assert {r.kind for r in rows(visit)} == {"confirmation", "follow_up"}


def test_completed_session_gets_aftercare_once(clinic, email_patient, protocol):
    visit = first_session(clinic=clinic, patient=email_patient, starts_at=NOW + timedelta(hours=1))
    set_status(visit, "completed")
    reminders_sync_for_appointments(appointments=[visit])
    aftercare = rows(visit, kind="aftercare")
    assert len(aftercare) == 1 and aftercare[0].status == "pending" and aftercare[0].due_at == NOW


def test_completed_consultation_gets_no_aftercare(clinic, email_patient):
    visit = book(clinic=clinic, patient=email_patient, starts_at=NOW + timedelta(hours=1))
    set_status(visit, "completed")
    assert rows(visit, kind="aftercare") == []


def _book_series(clinic, patient, starts):
    from django.db import transaction

    from scheduling.services.booking import appointments_book

    location, provider, room = clinic["location"], clinic["provider"], clinic["rooms"][0]
    series = SeriesFactory(patient=patient, consultation__patient=patient, location=location)
    with transaction.atomic():
        visits = appointments_book(
            location=location,
            patient=patient,
            series=series,
            visits=[
                visit_spec(provider=provider, room=room, starts_at=start, kind="session", numbing=30, session_number=n)
                for n, start in enumerate(starts, 1)
            ],
        )
        reminders_sync_for_appointments(appointments=visits)  # the booking service may sync first
        reminders_series_booked(series=series, appointments=visits)
    return series, visits


def test_series_gets_one_confirmation_for_all_its_visits(clinic, email_patient):
    starts = [VISIT, VISIT + timedelta(weeks=4), VISIT + timedelta(weeks=8)]
    series, visits = _book_series(clinic, email_patient, starts)
    live = Reminder.objects.exclude(status="cancelled")
    assert live.filter(kind="series_confirmation").count() == 1
    assert live.filter(kind="confirmation").count() == 0
    assert live.filter(kind="pre_visit").count() == 6
    reminders_series_booked(series=series, appointments=visits)
    assert Reminder.objects.filter(kind="series_confirmation").count() == 1


def test_a_moved_series_session_gets_its_own_confirmation(clinic, email_patient):
    starts = [VISIT, VISIT + timedelta(weeks=4), VISIT + timedelta(weeks=8)]
    _, visits = _book_series(clinic, email_patient, starts)
    move(visits[1], starts[1] + timedelta(days=2))
    confirmations = Reminder.objects.filter(kind="confirmation", status="pending")
    assert [r.appointment_id for r in confirmations] == [visits[1].pk]


def test_series_completed_schedules_a_maintenance_prompt_at_the_protocols_interval(clinic, email_patient, protocol):
    series, visits = _book_series(
        clinic, email_patient, [NOW + timedelta(hours=1)] + [VISIT + timedelta(weeks=w) for w in (4, 8)]
    )
    for visit in visits:
        set_status(visit, "completed", completed_at=NOW)
    TreatmentSeries.objects.filter(pk=series.pk).update(status="completed")
    reminders_series_completed(series=series)
    reminders_series_completed(series=series)
    [prompt] = Reminder.objects.filter(kind="maintenance")
    assert prompt.due_at == london(2027, 3, 1 + 0, 10) + timedelta(days=protocol.maintenance_min_days)
    assert prompt.payload["sequence"] == 1


def test_sms_reminder_due_in_quiet_hours_is_written_for_the_morning(clinic, sms_patient):
    visit = book(clinic=clinic, patient=sms_patient, starts_at=london(2027, 3, 10, 22, 30) - timedelta(minutes=30))
    # 22:00 visit: the 24 h reminder would fall at 22:00 the night before.
    [day_before] = [r for r in rows(visit, kind="pre_visit") if r.payload["lead_hours"] == 24]
    assert day_before.due_at == london(2027, 3, 10, 8)
    assert day_before.deferred_for_quiet_hours


def test_a_series_on_hold_gets_no_reminders_until_released(clinic, email_patient):
    starts = [VISIT, VISIT + timedelta(weeks=4), VISIT + timedelta(weeks=8)]
    series, visits = _book_series(clinic, email_patient, starts)
    TreatmentSeries.objects.filter(pk=series.pk).update(status="on_hold")
    reminders_sync_for_appointments(appointments=visits)
    assert Reminder.objects.filter(kind="pre_visit", status="pending").count() == 0
    TreatmentSeries.objects.filter(pk=series.pk).update(status="active")
    reminders_sync_for_appointments(appointments=visits)
    assert Reminder.objects.filter(kind="pre_visit", status="pending").count() == 6
