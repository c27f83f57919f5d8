"""On PostgreSQL, triggers keep each provider's and room's merged busy time per UTC week
(scheduling_busyweek), and the loader plans from it. Whatever happens to the visits
(booked, moved, cancelled, reassigned, deleted, one by one or in bulk, by two desks at
once), it says exactly what the visits say."""

import math
import random
import threading
import time
from array import array
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import F

from scheduling import loader
from scheduling.models import Appointment
from scheduling.planner.intervals import merge
from tests.factories import LocationFactory, PatientFactory, ProviderFactory, RoomFactory

pytestmark = pytest.mark.postgres

# Sunday evening UTC, so visits run across midnight into the next UTC week.
BASE = datetime(2027, 3, 14, 21, 0, tzinfo=UTC)
LIVE = Appointment.ACTIVE_STATUSES


def _table() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT owner, owner_id, week, spans FROM scheduling_busyweek")
        rows = cursor.fetchall()
    found = {}
    for owner, owner_id, week, packed in rows:
        pairs = array("I")
        loader.unpack_weeks(bytes(packed), 0, 2**32, pairs)
        busy = loader.Busy.from_pairs(pairs)
        if busy.starts:
            found[(owner, owner_id, week)] = list(zip(busy.starts, busy.ends, strict=True))
    return found


def _cut_into_weeks(key, lo: int, hi: int, into: dict) -> None:
    while lo < hi:
        day = datetime.fromtimestamp(lo, UTC).date()
        monday = day - timedelta(days=day.weekday())
        next_monday = int(datetime.combine(monday + timedelta(days=7), datetime.min.time(), UTC).timestamp())
        into[(*key, monday)].append((lo, min(hi, next_monday)))
        lo = next_monday


def _expected() -> dict:
    """The same, worked out here from the visits themselves."""
    spans = defaultdict(list)
    for visit in Appointment.objects.filter(status__in=LIVE):
        _cut_into_weeks(("provider", visit.provider_id), math.floor(visit.provider_starts_at.timestamp()),
                         math.ceil(visit.provider_ends_at.timestamp()), spans)
        if visit.room_id is not None:
            _cut_into_weeks(("room", visit.room_id), math.floor(visit.starts_at.timestamp()),
                             math.ceil(visit.room_ends_at.timestamp()), spans)
    return {key: merge(found) for key, found in spans.items()}


@pytest.fixture
def resources(clinic):
    """What the random visits draw on: the clinic's two providers and a third, its two rooms
    or none, and four patients."""
    location = clinic["location"]
    return {
        "location": location,
        "providers": [clinic["provider"], clinic["other_provider"], ProviderFactory(location=location)],
        "rooms": [*clinic["rooms"], None],
        "patients": [PatientFactory() for _ in range(4)],
    }


def _new_visit(resources, rng: random.Random) -> Appointment:
    start = BASE + timedelta(minutes=15 * rng.randrange(0, 4 * 40))
    prep, treat, turnover = rng.choice([0, 15, 30]), rng.choice([15, 30, 45, 60]), rng.choice([0, 10])
    room = rng.choice(resources["rooms"])
    return Appointment(
        kind="consultation", location=resources["location"], patient=rng.choice(resources["patients"]),
        provider=rng.choice(resources["providers"]), room=room, starts_at=start,
        provider_starts_at=start + timedelta(minutes=prep),
        provider_ends_at=start + timedelta(minutes=prep + treat),
        ends_at=start + timedelta(minutes=prep + treat),
        room_ends_at=start + timedelta(minutes=prep + treat + (turnover if room else 0)),
    )


def _book_some(resources, rng: random.Random, attempts: int) -> None:
    """Random visits; those that would overlap one already booked are refused and skipped."""
    for _ in range(attempts):
        try:
            with transaction.atomic():
                _new_visit(resources, rng).save()
        except DatabaseError:
            pass


def _shift(visit: Appointment, minutes: int) -> None:
    delta = timedelta(minutes=minutes)
    for field in ("starts_at", "provider_starts_at", "provider_ends_at", "ends_at", "room_ends_at"):
        setattr(visit, field, getattr(visit, field) + delta)


def _change(resources, rng: random.Random) -> None:
    """One random change a clinic might make; the database may refuse it (an overlap)."""
    visits = list(Appointment.objects.order_by("id"))
    action = rng.choice(["book", "book", "book", "bulk book", "move", "cancel", "reinstate", "provider", "room",
                         "confirm", "delete", "bulk move"] if visits else ["book", "bulk book"])
    visit = rng.choice(visits) if visits else None
    if action == "book":
        _new_visit(resources, rng).save()
    elif action == "bulk book":
        Appointment.objects.bulk_create([_new_visit(resources, rng) for _ in range(3)])
    elif action == "move":
        _shift(visit, 15 * rng.choice([-8, -3, -1, 1, 2, 5, 96]))
        visit.save()
    elif action == "cancel":
        visit.status, visit.cancel_reason = "cancelled", "Patient unwell"
        visit.save()
    elif action == "reinstate":
        visit.status = "booked"
        visit.save()
    elif action == "provider":
        visit.provider = rng.choice(resources["providers"])
        visit.save()
    elif action == "room":
        visit.room = rng.choice(resources["rooms"])
        visit.room_ends_at = visit.ends_at + (timedelta(minutes=10) if visit.room else timedelta(0))
        visit.save()
    elif action == "confirm":
        Appointment.objects.filter(pk=visit.pk, status="booked").update(status="confirmed")
    elif action == "delete":
        visit.delete()
    else:
        delta = timedelta(minutes=15 * rng.choice([-2, 1, 4]))
        Appointment.objects.filter(pk__in=[v.pk for v in rng.sample(visits, min(3, len(visits)))]).update(
            starts_at=F("starts_at") + delta, provider_starts_at=F("provider_starts_at") + delta,
            provider_ends_at=F("provider_ends_at") + delta, ends_at=F("ends_at") + delta,
            room_ends_at=F("room_ends_at") + delta)


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_busy_weeks_say_what_the_visits_say_after_any_changes(resources, seed):
    rng = random.Random(seed)
    applied = 0
    for _ in range(80):
        try:
            with transaction.atomic():
                _change(resources, rng)
            applied += 1
        except DatabaseError:
            pass  # an overlap the constraints refused: nothing changed
    assert applied > 40
    assert Appointment.objects.filter(status__in=LIVE).count() > 5
    assert _table() == _expected()


@pytest.mark.django_db
def test_a_visit_across_monday_midnight_is_cut_in_the_table_and_read_back_whole(resources):
    provider, room = resources["providers"][0], resources["rooms"][0]
    start = BASE.replace(hour=23, minute=30)  # Sunday
    end = start + timedelta(hours=1)
    Appointment.objects.create(kind="consultation", location=resources["location"], patient=resources["patients"][0],
                               provider=provider, room=room, starts_at=start, provider_starts_at=start,
                               provider_ends_at=end, ends_at=end, room_ends_at=end)
    midnight = int(datetime(2027, 3, 15, tzinfo=UTC).timestamp())
    table = _table()
    assert table[("provider", provider.pk, BASE.date() - timedelta(days=6))] == [(int(start.timestamp()), midnight)]
    assert table[("provider", provider.pk, BASE.date() + timedelta(days=1))] == [(midnight, int(end.timestamp()))]
    diary = loader.diary_load(location=resources["location"], start=BASE, end=BASE + timedelta(days=2))
    busy = next(p.busy for p in diary.location.providers if p.id == provider.pk)
    # Two spans that touch at midnight: the same busy time as one.
    whole = [(int(start.timestamp()), int(end.timestamp()))]
    assert merge(list(zip(busy.starts, busy.ends, strict=True))) == whole


@pytest.mark.django_db
def test_emptying_the_visits_empties_busy_weeks(resources):
    _new_visit(resources, random.Random(1)).save()
    assert _table()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # a truncate waits for no foreign-key checks
        cursor.execute("TRUNCATE scheduling_appointment CASCADE")
    assert _table() == {}


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
    table = _table()
    monday = BASE.date() - timedelta(days=BASE.weekday())
    assert len(table[("provider", provider.pk, monday)]) == 3
    assert table == _expected()


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [4, 5])
def test_the_loader_reads_the_same_busy_time_as_merging_the_visits(resources, seed):
    rng = random.Random(seed)
    _book_some(resources, rng, 60)
    live = list(Appointment.objects.filter(status__in=LIVE).values_list("id", flat=True))
    ignore = rng.sample(live, 3)
    start, end = BASE - timedelta(hours=2), BASE + timedelta(days=3)
    # The last two share a week, which the loader must read once.
    windows = [(BASE - timedelta(hours=1), BASE + timedelta(hours=5)),
               (BASE + timedelta(hours=20), BASE + timedelta(hours=30)), (BASE + timedelta(hours=40), end)]
    diary = loader.diary_load(location=resources["location"], start=start, end=end, windows=windows,
                              ignore_appointment_ids=ignore)
    providers = [p.pk for p in resources["providers"]]
    rooms = [r.pk for r in resources["rooms"] if r]
    merged_providers, merged_rooms = loader._busy_merged_here(provider_ids=providers, room_ids=rooms,
                                                             windows=windows, ignore_ids=ignore)

    def within(busy) -> list[tuple[int, int]]:
        spans = []
        for lo, hi in zip(busy.starts, busy.ends, strict=True):
            for w_lo, w_hi in windows:
                a, b = max(lo, int(w_lo.timestamp())), min(hi, int(w_hi.timestamp()))
                if a < b:
                    spans.append((a, b))
        return merge(spans)

    assert any(within(calendar.busy) for calendar in diary.location.providers)
    for calendar in diary.location.providers:
        assert within(calendar.busy) == within(merged_providers[calendar.id]), calendar.name
    for calendar in diary.location.rooms:
        assert within(calendar.busy) == within(merged_rooms[calendar.id]), calendar.name


@pytest.mark.django_db
def test_reading_in_one_round_trip_gives_what_the_orm_gives(resources, protocol):
    """The loader's plain SQL on PostgreSQL and its ORM queries elsewhere read the same
    hours, closures, time off, rooms, holds and patient visits."""
    from clinic.models import Closure, TimeOff
    from scheduling.models import HeldVisit, SeriesHold

    location, providers, patient = resources["location"], resources["providers"], resources["patients"][0]
    _book_some(resources, random.Random(7), 40)
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
    fast, plain = loader._rows_postgres(**arguments), loader._rows_orm(**arguments)
    for name in ("opening", "closures", "staff", "time_off", "rooms", "held", "patient"):
        assert sorted(getattr(fast, name)) == sorted(getattr(plain, name)), name
    assert len(fast.held) == 1 and len(fast.closures) == 1 and len(fast.time_off) == 1
    assert len(fast.patient) == len(mine) - 1
    assert {row[0] for row in fast.staff} == {p.pk for p in providers}
