"""Series nudges (patient and front desk) and waitlist offers when a slot frees up."""

from datetime import date, timedelta

import pytest
import time_machine
from django.db import transaction

from scheduling.models import Reminder, WaitlistEntry
from scheduling.reminders.dispatch import reminders_dispatch_due, reminders_send_batch
from scheduling.reminders.nudges import reminders_schedule_series_nudges
from scheduling.reminders.selectors import series_needing_next_session
from scheduling.services.booking import appointments_book
from scheduling.waitlist import waitlist_entry_add
from tests.conftest import london
from tests.factories import PatientFactory, SeriesFactory

from .conftest import book, set_status, visit_spec

pytestmark = pytest.mark.django_db

NOW = london(2027, 3, 1, 9)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def series_with_gap(location, provider, room, email_patient, protocol, clock):
    """Session 1 on 22 January; session 2 was cancelled and not rebooked; session 3 booked."""
    series = SeriesFactory(patient=email_patient, consultation__patient=email_patient, location=location)
    first = london(2027, 1, 22, 10)
    with time_machine.travel(first - timedelta(days=1), tick=False):
        visits = appointments_book(
            location=location,
            patient=email_patient,
            series=series,
            visits=[
                visit_spec(provider=provider, room=room, starts_at=first, kind="session", numbing=30, session_number=1),
                visit_spec(
                    provider=provider,
                    room=room,
                    starts_at=first + timedelta(weeks=5),
                    kind="session",
                    numbing=30,
                    session_number=2,
                ),
                visit_spec(
                    provider=provider,
                    room=room,
                    starts_at=first + timedelta(weeks=10),
                    kind="session",
                    numbing=30,
                    session_number=3,
                ),
            ],
        )
    set_status(visits[1], "cancelled")
    return series


def test_front_desk_list_shows_series_whose_next_window_closes_within_a_week(series_with_gap, protocol):
    [gap] = series_needing_next_session(now=NOW, within_days=7)
    assert gap.series == series_with_gap and gap.next_session_number == 2
    # Six weeks after 10:00 on 22 January, in London's calendar.
    assert gap.window_closes_at == london(2027, 1, 22, 10) + timedelta(days=protocol.max_interval_days)
    assert series_needing_next_session(now=NOW - timedelta(days=10), within_days=7) == []


def test_nudge_is_written_once_however_often_it_runs(series_with_gap):
    assert reminders_schedule_series_nudges(now=NOW) == 1
    reminders_schedule_series_nudges(now=NOW)
    [nudge] = Reminder.objects.filter(kind="series_nudge")
    assert nudge.payload["session_number"] == 2 and nudge.series == series_with_gap


def test_nudge_is_skipped_if_the_session_was_booked_meanwhile(
    series_with_gap, location, provider, room, django_capture_on_commit_callbacks
):
    reminders_schedule_series_nudges(now=NOW)
    appointments_book(
        location=location,
        patient=series_with_gap.patient,
        series=series_with_gap,
        visits=[
            visit_spec(
                provider=provider,
                room=room,
                starts_at=london(2027, 3, 4, 10),
                kind="session",
                numbing=30,
                session_number=2,
            )
        ],
    )
    tokens = []
    with django_capture_on_commit_callbacks(execute=True):
        reminders_dispatch_due(enqueue=tokens.append)
    for token in tokens:
        reminders_send_batch(token=token)
    assert Reminder.objects.get(kind="series_nudge").status == "skipped"


def test_cancellation_offers_the_slot_to_patients_waiting_for_one_like_it(clinic, location, email_patient, clock):
    visit = book(clinic=clinic, patient=email_patient, starts_at=london(2027, 3, 10, 10))
    waiting = [PatientFactory(first_name=name, preferred_channel="email") for name in ("Bea", "Cy", "Di", "Ed", "Flo")]
    day = date(2027, 3, 10)
    for patient in waiting[:4]:
        waitlist_entry_add(
            patient=patient,
            location=location,
            kind="consultation",
            earliest_date=day - timedelta(days=3),
            latest_date=day + timedelta(days=3),
            preferred_times=["morning"],
        )
    waitlist_entry_add(
        patient=waiting[4],
        location=location,
        kind="consultation",
        earliest_date=day,
        latest_date=day,
        preferred_times=["evening"],
    )
    with transaction.atomic():
        set_status(visit, "cancelled")
    offers = Reminder.objects.filter(kind="waitlist_offer").order_by("pk")
    assert [o.patient.first_name for o in offers] == ["Bea", "Cy", "Di"]  # the longest waiting, up to three
    assert all(o.visit_starts_at == visit.starts_at for o in offers)
    assert WaitlistEntry.objects.filter(status="offered").count() == 3
    set_status(visit, "cancelled")
    assert Reminder.objects.filter(kind="waitlist_offer").count() == 3


def test_a_waitlist_offer_for_a_slot_taken_meanwhile_is_not_sent(
    clinic, location, email_patient, clock, django_capture_on_commit_callbacks
):
    from django.core import mail

    visit = book(clinic=clinic, patient=email_patient, starts_at=london(2027, 3, 10, 10))
    waitlist_entry_add(
        patient=PatientFactory(preferred_channel="email"),
        location=location,
        kind="consultation",
        earliest_date=date(2027, 3, 9),
        latest_date=date(2027, 3, 11),
    )
    set_status(visit, "cancelled")
    book(clinic=clinic, patient=PatientFactory(), starts_at=london(2027, 3, 10, 10))
    Reminder.objects.exclude(kind="waitlist_offer").update(status="cancelled")
    tokens = []
    with django_capture_on_commit_callbacks(execute=True):
        reminders_dispatch_due(enqueue=tokens.append)
    for token in tokens:
        reminders_send_batch(token=token)
    assert mail.outbox == []
    assert Reminder.objects.get(kind="waitlist_offer").last_error == "The offered slot was taken."
