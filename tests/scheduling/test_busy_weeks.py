"""Triggers keep each provider's and room's merged busy time per UTC week
(scheduling_busyweek: migration 0010 on PostgreSQL, 0011 on SQLite), and the loader plans
from it. Whatever happens to the visits (booked, moved, cancelled, reassigned, deleted,
one by one or in bulk), it says exactly what the visits say, and the planner gets the
same answer as from merging the visits themselves. These tests run on either database;
those that need PostgreSQL are marked, SQLite's own are in test_busy_weeks_sqlite.py."""

import random
import threading
import time
from datetime import datetime, timedelta

import pytest
from django.db import connection, connections, transaction

from clinic.models import Closure, TimeOff
from scheduling import loader
from scheduling.loader.plain import rows_orm
from scheduling.models import Appointment, HeldVisit, SeriesHold
from scheduling.planner import find_slots
from scheduling.planner.intervals import merge
from tests.factories import LocationFactory, PatientFactory, ProviderFactory, RoomFactory

from .busy_diaries import BASE, LIVE, book_some, busy_table, change_at_random, expected_table, new_visit, within


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_busy_weeks_say_what_the_visits_say_after_any_changes(resources, seed):
    applied = change_at_random(resources, random.Random(seed), 80)
    assert applied > 40
    assert Appointment.objects.filter(status__in=LIVE).count() > 5
    assert busy_table() == expected_table()


@pytest.mark.django_db
def test_a_visit_across_monday_midnight_is_cut_in_the_table_and_read_back_whole(resources):
    provider, room = resources["providers"][0], resources["rooms"][0]
    start = BASE.replace(hour=23, minute=30)  # Sunday
    end = start + timedelta(hours=1)
    Appointment.objects.create(kind="consultation", location=resources["location"], patient=resources["patients"][0],
                               provider=provider, room=room, starts_at=start, provider_starts_at=start,
                               provider_ends_at=end, ends_at=end, room_ends_at=end)
    midnight = int(datetime(2027, 3, 15, tzinfo=BASE.tzinfo).timestamp())
    table = busy_table()
    assert table[("provider", provider.pk, BASE.date() - timedelta(days=6))] == [(int(start.timestamp()), midnight)]
    assert table[("provider", provider.pk, BASE.date() + timedelta(days=1))] == [(midnight, int(end.timestamp()))]
    diary = loader.diary_load(location=resources["location"], start=BASE, end=BASE + timedelta(days=2))
    busy = next(p.busy for p in diary.location.providers if p.id == provider.pk)
    # Two spans that touch at midnight: the same busy time as one.
    whole = [(int(start.timestamp()), int(end.timestamp()))]
    assert merge(list(zip(busy.starts, busy.ends, strict=True))) == whole


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [4, 5, 6])
def test_the_planner_gets_the_same_answer_from_busy_weeks_as_from_merging_the_visits(
    resources, protocol, monkeypatch, seed
):
    rng = random.Random(seed)
    book_some(resources, rng, 80)
    live = list(Appointment.objects.filter(status__in=LIVE).values_list("id", flat=True))
    ignore = rng.sample(live, 3)
    start, end = BASE - timedelta(hours=2), BASE + timedelta(days=3)
    # The last two share a week, which the loader must read once.
    windows = [(BASE - timedelta(hours=1), BASE + timedelta(hours=5)),
               (BASE + timedelta(hours=20), BASE + timedelta(hours=30)), (BASE + timedelta(hours=40), end)]
    arguments = dict(location=resources["location"], start=start, end=end, windows=windows,
                     ignore_appointment_ids=ignore, patient=resources["patients"][0])
    weeks = loader.diary_load(**arguments)
    monkeypatch.setattr(loader, "READERS", {})  # any other database: the plain path
    plain = loader.diary_load(**arguments)

    assert any(within(calendar.busy, windows) for calendar in weeks.location.providers)
    for fast, slow in zip(weeks.location.providers, plain.location.providers, strict=True):
        assert fast.id == slow.id and within(fast.busy, windows) == within(slow.busy, windows), fast.name
    for fast, slow in zip(weeks.location.rooms, plain.location.rooms, strict=True):
        assert fast.id == slow.id and within(fast.busy, windows) == within(slow.busy, windows), fast.name
    for kind in ("session", "consultation", "healing_check"):
        shape = loader.visit_shape(protocol, kind)
        answers = [find_slots(diary.location, shape, start, end, patient_busy=diary.patient_busy, limit=500,
                              kind=kind) for diary in (weeks, plain)]
        assert answers[0] == answers[1], kind
    assert answers[0], "the diary leaves free time to find"


@pytest.mark.django_db
def test_the_hand_written_reads_give_what_the_orm_gives(resources, protocol):
    """The loader's plain SQL (one round trip on PostgreSQL, a few statements on SQLite)
    and its ORM queries read the same hours, closures, time off, rooms, holds and
    patient visits."""
    location, providers, patient = resources["location"], resources["providers"], resources["patients"][0]
    book_some(resources, random.Random(7), 40)
    inactive = ProviderFactory(location=location, is_active=False)
    ProviderFactory(location=LocationFactory())  # works elsewhere
    RoomFactory(location=location, is_active=False)
    three_hours = BASE + timedelta(hours=3)
    Closure.objects.create(location=location, starts_at=BASE, ends_at=three_hours, reason="Training")
    Closure.objects.create(location=LocationFactory(), starts_at=BASE, ends_at=three_hours, reason="Other")
    TimeOff.objects.create(provider=providers[0], starts_at=BASE + timedelta(hours=12),
                           ends_at=BASE + timedelta(days=1))
    TimeOff.objects.create(provider=inactive, starts_at=BASE, ends_at=BASE + timedelta(days=1))
    now = BASE - timedelta(days=1)
    holds = [SeriesHold.objects.create(location=location, patient=resources["patients"][1], protocol=protocol,
                                       expires_at=now + timedelta(minutes=minutes)) for minutes in (10, -5, 10)]
    for hold, hour in zip(holds, (2, 4, 6), strict=True):
        start = BASE + timedelta(hours=hour)
        HeldVisit.objects.create(hold=hold, kind="session", provider=providers[1], room=resources["rooms"][0],
                                 starts_at=start, provider_starts_at=start, provider_ends_at=start + timedelta(hours=1),
                                 ends_at=start + timedelta(hours=1), room_ends_at=start + timedelta(hours=1))
    mine = list(Appointment.objects.filter(patient=patient, status__in=LIVE).values_list("id", flat=True))
    assert mine, "the patient has visits to read"
    arguments = dict(location=location, start=BASE - timedelta(hours=2), end=BASE + timedelta(days=3),
                     windows=[(BASE - timedelta(hours=2), BASE + timedelta(days=3))], patient=patient,
                     ignore_ids=mine[:1], ignore_hold_ids=[holds[2].pk], now=now)
    fast, plain = loader.READERS[connection.vendor](**arguments), rows_orm(**arguments)
    for name in ("opening", "closures", "staff", "time_off", "rooms", "held", "patient"):
        assert sorted(getattr(fast, name)) == sorted(getattr(plain, name)), name
    assert len(fast.held) == 1 and len(fast.closures) == 1 and len(fast.time_off) == 1
    assert len(fast.patient) == len(mine) - 1
    assert {row[0] for row in fast.staff} == {p.pk for p in providers}


# --- PostgreSQL ------------------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db
def test_emptying_the_visits_empties_busy_weeks(resources):
    new_visit(resources, random.Random(1)).save()
    assert busy_table()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # a truncate waits for no foreign-key checks
        cursor.execute("TRUNCATE scheduling_appointment CASCADE")
    assert busy_table() == {}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_desks_booking_the_same_week_at_once_both_count():
    """The second desk's trigger waits for the first desk's commit, then recomputes the
    week with both visits: neither is lost (the week already has a row, as a busy one does)."""
    location = LocationFactory()
    provider = ProviderFactory(location=location)
    rooms = [RoomFactory(location=location), RoomFactory(location=location)]
    patients = [PatientFactory(), PatientFactory()]
    first_written, errors = threading.Event(), []

    def visit(hour: int, index: int) -> Appointment:
        start = BASE.replace(hour=hour)
        end = start + timedelta(minutes=30)
        return Appointment(kind="consultation", location=location, patient=patients[index], provider=provider,
                           room=rooms[index], starts_at=start, provider_starts_at=start, provider_ends_at=end,
                           ends_at=end, room_ends_at=end)

    visit(8, 0).save()

    def first_desk():
        try:
            with transaction.atomic():
                visit(10, 0).save()
                first_written.set()
                time.sleep(0.5)  # the second desk writes meanwhile and waits for this commit
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    def second_desk():
        try:
            first_written.wait(5)
            with transaction.atomic():
                visit(14, 1).save()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first_desk), threading.Thread(target=second_desk)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    assert Appointment.objects.count() == 3
    table = busy_table()
    monday = BASE.date() - timedelta(days=BASE.weekday())
    assert len(table[("provider", provider.pk, monday)]) == 3
    assert table == expected_table()
