"""Random diaries for the busy-week tests: visits booked, moved, cancelled, reassigned
and deleted one by one and in bulk, and what the busy-week table should then hold,
worked out here from the visits themselves. The same on PostgreSQL and SQLite."""

import math
import random
from array import array
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q

from scheduling.loader.busy import Busy, unpack_weeks
from scheduling.models import Appointment
from scheduling.planner.intervals import merge

# Sunday evening UTC, so visits run across midnight into the next UTC week.
BASE = datetime(2027, 3, 14, 21, 0, tzinfo=UTC)
LIVE = Appointment.ACTIVE_STATUSES


def busy_table() -> dict:
    """scheduling_busyweek as {(owner, id, Monday): [(start, end), ...]}, rows with busy
    time only (PostgreSQL keeps packed bytes, SQLite the same bytes in hex)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT owner, owner_id, week, spans FROM scheduling_busyweek")
        rows = cursor.fetchall()
    found = {}
    for owner, owner_id, week, packed in rows:
        pairs = array("I")
        unpack_weeks(bytes.fromhex(packed) if isinstance(packed, str) else bytes(packed), 0, 2**32, pairs)
        busy = Busy.from_pairs(pairs)
        if busy.starts:
            week = date.fromisoformat(week) if isinstance(week, str) else week
            found[(owner, owner_id, week)] = list(zip(busy.starts, busy.ends, strict=True))
    return found


def _cut_into_weeks(key, lo: int, hi: int, into: dict) -> None:
    while lo < hi:
        day = datetime.fromtimestamp(lo, UTC).date()
        monday = day - timedelta(days=day.weekday())
        next_monday = int(datetime.combine(monday + timedelta(days=7), datetime.min.time(), UTC).timestamp())
        into[(*key, monday)].append((lo, min(hi, next_monday)))
        lo = next_monday


def expected_table() -> dict:
    """The same, worked out here from the visits themselves."""
    spans = defaultdict(list)
    for visit in Appointment.objects.filter(status__in=LIVE):
        _cut_into_weeks(("provider", visit.provider_id), math.floor(visit.provider_starts_at.timestamp()),
                        math.ceil(visit.provider_ends_at.timestamp()), spans)
        if visit.room_id is not None:
            _cut_into_weeks(("room", visit.room_id), math.floor(visit.starts_at.timestamp()),
                            math.ceil(visit.room_ends_at.timestamp()), spans)
    return {key: merge(found) for key, found in spans.items()}


def new_visit(resources, rng: random.Random) -> Appointment:
    """A visit somewhere in the 40 hours from BASE, some of them to the microsecond."""
    start = BASE + timedelta(minutes=15 * rng.randrange(0, 4 * 40), microseconds=rng.choice([0, 0, 0, 250_000]))
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


def overlaps_a_live_visit(visit: Appointment) -> bool:
    """What the exclusion constraints refuse on PostgreSQL and the booking services on
    SQLite: the same provider, room or patient busy at the same time."""
    same = Q(provider_id=visit.provider_id, provider_starts_at__lt=visit.provider_ends_at,
             provider_ends_at__gt=visit.provider_starts_at)
    same |= Q(patient_id=visit.patient_id, starts_at__lt=visit.ends_at, ends_at__gt=visit.starts_at)
    if visit.room_id is not None:
        same |= Q(room_id=visit.room_id, starts_at__lt=visit.room_ends_at, room_ends_at__gt=visit.starts_at)
    return Appointment.objects.filter(same, status__in=LIVE).exists()


def book_some(resources, rng: random.Random, attempts: int) -> None:
    """Random visits; those that would overlap one already booked are skipped."""
    for _ in range(attempts):
        visit = new_visit(resources, rng)
        if not overlaps_a_live_visit(visit):
            visit.save()


def _shift(visit: Appointment, minutes: int) -> None:
    delta = timedelta(minutes=minutes)
    for field in ("starts_at", "provider_starts_at", "provider_ends_at", "ends_at", "room_ends_at"):
        setattr(visit, field, getattr(visit, field) + delta)


def _change(resources, rng: random.Random) -> None:
    """One random change a clinic might make; PostgreSQL may refuse it (an overlap)."""
    visits = list(Appointment.objects.order_by("id"))
    action = rng.choice(["book", "book", "book", "bulk book", "move", "cancel", "reinstate", "provider", "room",
                         "confirm", "notes", "delete", "bulk move", "bulk cancel"] if visits else ["book", "bulk book"])
    visit = rng.choice(visits) if visits else None
    if action == "book":
        new_visit(resources, rng).save()
    elif action == "bulk book":
        Appointment.objects.bulk_create([new_visit(resources, rng) for _ in range(3)])
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
    elif action == "notes":
        Appointment.objects.filter(pk=visit.pk).update(notes="Prefers the window seat")
    elif action == "delete":
        visit.delete()
    elif action == "bulk cancel":
        chosen = [v.pk for v in rng.sample(visits, min(3, len(visits)))]
        Appointment.objects.filter(pk__in=chosen).update(status="no_show")
    else:
        delta = timedelta(minutes=15 * rng.choice([-2, 1, 4]))
        Appointment.objects.filter(pk__in=[v.pk for v in rng.sample(visits, min(3, len(visits)))]).update(
            starts_at=F("starts_at") + delta, provider_starts_at=F("provider_starts_at") + delta,
            provider_ends_at=F("provider_ends_at") + delta, ends_at=F("ends_at") + delta,
            room_ends_at=F("room_ends_at") + delta)


def change_at_random(resources, rng: random.Random, changes: int) -> int:
    """`changes` random changes, each in its own transaction; how many were kept."""
    applied = 0
    for _ in range(changes):
        try:
            with transaction.atomic():
                _change(resources, rng)
            applied += 1
        except DatabaseError:
            pass  # an overlap the constraints refused: nothing changed
    return applied


def within(busy, windows) -> list[tuple[int, int]]:
    """Busy time (starts, ends) inside the windows, merged: what a planner can see."""
    spans = []
    for lo, hi in zip(busy.starts, busy.ends, strict=True):
        for w_lo, w_hi in windows:
            a, b = max(lo, math.ceil(w_lo.timestamp())), min(hi, math.floor(w_hi.timestamp()))
            if a < b:
                spans.append((a, b))
    return merge(spans)
