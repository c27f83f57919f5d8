"""Turns the database into the planner's inputs, in a fixed number of queries.

However many appointments the clinic has, loading a location for a horizon costs the
same queries: hours, closures, providers with their working hours, time off, rooms,
busy time, held slots and the patient's visits. On PostgreSQL the busy time comes
already merged per provider and per room and week (the `scheduling_busyweek` table that
triggers keep, migration 0010), so a horizon costs a few packed rows per owner instead
of every visit in it, and all of it comes in one round trip."""

from __future__ import annotations

import math
import sys
from array import array
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from clinic.models import Closure, Location, OpeningHours, Room, TimeOff, WorkingHours
from patients.models import Patient

from .models import Appointment, HeldVisit, SeriesHold, TreatmentProtocol, statuses_sql
from .planner import (
    BusySpans,
    LocationDiary,
    ProviderDiary,
    RoomDiary,
    SeriesRules,
    VisitShape,
    WeeklyHours,
)
from .planner.intervals import merge

ACTIVE = tuple(Appointment.ACTIVE_STATUSES)


# --- Protocol -------------------------------------------------------------------------
def session_shape(protocol: TreatmentProtocol, areas: Iterable[str]) -> VisitShape:
    return VisitShape(
        protocol.numbing_minutes, protocol.treatment_minutes(list(areas) or ["face"]), protocol.turnover_minutes
    )


def visit_shape(protocol: TreatmentProtocol, kind: str, areas: Iterable[str] = ("face",)) -> VisitShape:
    """How a visit of this kind occupies people and rooms, from the protocol's numbers."""
    if kind in ("session", "maintenance"):
        return session_shape(protocol, areas)
    if kind == "healing_check":
        return VisitShape(0, protocol.healing_check_minutes, 0, needs_room=not protocol.healing_check_by_phone)
    if kind == "review":
        return VisitShape(0, protocol.review_minutes, 0)
    if kind == "consultation":
        return VisitShape(0, protocol.consultation_minutes, 0)
    raise ValueError(f"unknown visit kind {kind!r}")


def series_rules(
    protocol: TreatmentProtocol, *, session_count: int, areas: Iterable[str], target_interval_days: int | None = None
) -> SeriesRules:
    areas = list(areas)
    return SeriesRules(
        session_count=session_count,
        min_interval_days=protocol.min_interval_days,
        target_interval_days=target_interval_days or protocol.target_interval_days,
        max_interval_days=protocol.max_interval_days,
        session=session_shape(protocol, areas),
        healing_check=visit_shape(protocol, "healing_check"),
        healing_check_min_days=protocol.healing_check_min_days,
        healing_check_max_days=protocol.healing_check_max_days,
        review=visit_shape(protocol, "review"),
        review_min_days=protocol.review_min_days,
        review_max_days=protocol.review_max_days,
        maintenance=session_shape(protocol, areas),
        maintenance_min_days=protocol.maintenance_min_days,
        maintenance_max_days=protocol.maintenance_max_days,
    )


# --- Busy time ------------------------------------------------------------------------
# No visit lasts a day (a check constraint says so), so every visit that touches a
# window starts at most a day before it.
LONGEST_VISIT = timedelta(days=1)

Spans = list[tuple[int, int]]


class Busy:
    """One provider's or room's busy time as sorted, disjoint [start, end) epoch seconds,
    in two parallel sequences (lists, or arrays straight from the database): the shape
    the planner's BusySpans takes without conversion."""

    __slots__ = ("starts", "ends")

    def __init__(self, starts: Sequence[int] = (), ends: Sequence[int] = ()) -> None:
        self.starts = starts
        self.ends = ends

    @classmethod
    def from_spans(cls, spans: Spans) -> Busy:
        merged = merge(spans)
        return cls([lo for lo, _ in merged], [hi for _, hi in merged])

    @classmethod
    def from_pairs(cls, pairs: array) -> Busy:
        """From interleaved start, end numbers."""
        return cls(pairs[0::2], pairs[1::2])

    def add(self, spans: Spans) -> Busy:
        return Busy.from_spans(list(zip(self.starts, self.ends, strict=True)) + spans) if spans else self

    def remove(self, lo: int, hi: int) -> None:
        """Free [lo, hi): the time of a visit being planned again. Live visits of one
        provider or room never overlap (the exclusion constraints), so what remains is
        exactly the others' time."""
        first = bisect_right(self.ends, lo)
        last = bisect_left(self.starts, hi)
        if first >= last:
            return
        pieces_starts, pieces_ends = [], []
        if self.starts[first] < lo:
            pieces_starts.append(self.starts[first])
            pieces_ends.append(lo)
        if self.ends[last - 1] > hi:
            pieces_starts.append(hi)
            pieces_ends.append(self.ends[last - 1])
        self.starts = [*self.starts[:first], *pieces_starts, *self.starts[last:]]
        self.ends = [*self.ends[:first], *pieces_ends, *self.ends[last:]]

    def spans(self) -> BusySpans:
        return BusySpans.merged(self.starts, self.ends)


def unpack_weeks(packed: bytes, lo: int, hi: int, into: array) -> None:
    """Append to `into` the spans of weeks of scheduling_busyweek laid end to end
    (big-endian uint32 start, end pairs) that meet [lo, hi), interleaved as they came."""
    numbers = array("I", packed)
    if sys.byteorder == "little":
        numbers.byteswap()
    pairs = memoryview(numbers)
    first, last = bisect_right(pairs[1::2], lo), bisect_left(pairs[0::2], hi)
    into.extend(numbers[2 * first:2 * last])


def _seconds(lo: datetime, hi: datetime) -> tuple[int, int]:
    """Outwards to whole seconds, so nothing busy is lost."""
    return math.floor(lo.timestamp()), math.ceil(hi.timestamp())


def _inner_seconds(lo: datetime, hi: datetime) -> tuple[int, int]:
    """Inwards to whole seconds, so freeing a visit's time never frees a neighbour's."""
    return math.ceil(lo.timestamp()), math.floor(hi.timestamp())


# --- Reading the database -------------------------------------------------------------
class _Rows(NamedTuple):
    """What the database says about a location and a patient, before it is shaped for
    the planner. Read in one round trip of plain SQL on PostgreSQL (`_rows_postgres`),
    through the ORM elsewhere (`_rows_orm`); a test holds the two to the same answer."""

    opening: list  # (weekday, opens, closes)
    closures: list  # (starts_at, ends_at)
    staff: list  # (provider_id, display_name, weekday, starts, ends): active providers' hours here
    time_off: list  # (provider_id, starts_at, ends_at)
    rooms: list  # (id, name), active, by id
    held: list  # (provider_id, room_id, provider_starts_at, provider_ends_at, starts_at, room_ends_at)
    patient: list  # (starts_at, ends_at) of the patient's live visits anywhere
    provider_busy: dict[int, Busy]
    room_busy: dict[int, Busy]


_LIVE = statuses_sql(ACTIVE)
_STAFF_IDS = """SELECT h.provider_id FROM clinic_workinghours h JOIN clinic_provider p ON p.id = h.provider_id
                WHERE h.location_id = %s AND p.is_active"""

# The planner is called for every proposal, so the statements are written out once here
# rather than built by the ORM on each call (building them cost more than running them).
_OPENING_SQL = "SELECT weekday, opens, closes FROM clinic_openinghours WHERE location_id = %s"
_CLOSURES_SQL = """
    SELECT starts_at, ends_at FROM clinic_closure WHERE location_id = %s AND starts_at < %s AND ends_at > %s"""
_STAFF_SQL = """
    SELECT h.provider_id, p.display_name, h.weekday, h.starts, h.ends
      FROM clinic_workinghours h JOIN clinic_provider p ON p.id = h.provider_id
     WHERE h.location_id = %s AND p.is_active"""
_TIME_OFF_SQL = f"""
    SELECT provider_id, starts_at, ends_at FROM clinic_timeoff
     WHERE provider_id IN ({_STAFF_IDS}) AND starts_at < %s AND ends_at > %s"""
_ROOMS_SQL = "SELECT id, name FROM clinic_room WHERE location_id = %s AND is_active ORDER BY id"
_HELD_SQL = """
    SELECT v.provider_id, v.room_id, v.provider_starts_at, v.provider_ends_at, v.starts_at, v.room_ends_at
      FROM scheduling_heldvisit v JOIN scheduling_serieshold h ON h.id = v.hold_id
     WHERE h.status = 'held' AND h.expires_at > %s AND v.starts_at < %s AND v.room_ends_at > %s
       AND NOT (h.id = ANY(%s))"""
_PATIENT_SQL = f"""
    SELECT starts_at, ends_at FROM scheduling_appointment
     WHERE patient_id = %s AND status IN {_LIVE} AND starts_at >= %s AND starts_at < %s AND ends_at > %s
       AND NOT (id = ANY(%s))"""
_IGNORED_SQL = f"""
    SELECT provider_id, room_id, provider_starts_at, provider_ends_at, starts_at, room_ends_at
      FROM scheduling_appointment WHERE id = ANY(%s) AND status IN {_LIVE}"""
# Merged busy time per provider and room and UTC week, kept by triggers (migration
# scheduling 0010): for each of the location's active providers and rooms and each range
# of weeks, the weeks laid end to end (one index range each).
_BUSY_WEEKS_SQL = f"""
    SELECT o.owner, o.id, w.lo,
           (SELECT string_agg(b.spans, ''::bytea ORDER BY b.week) FROM scheduling_busyweek b
             WHERE b.owner = o.owner AND b.owner_id = o.id AND b.week BETWEEN w.lo AND w.hi)
      FROM (SELECT DISTINCT 'provider' AS owner, s.provider_id AS id FROM ({_STAFF_IDS}) AS s
            UNION ALL
            SELECT 'room', r.id FROM clinic_room r WHERE r.location_id = %s AND r.is_active) AS o
     CROSS JOIN unnest(%s::date[], %s::date[]) AS w(lo, hi)
     ORDER BY o.owner, o.id, w.lo"""
assert array("I").itemsize == 4, "busy time is packed as 4-byte integers"


def _week_ranges(windows: list[tuple[datetime, datetime]]) -> list[tuple[date, date, int, int]]:
    """The Mondays of the UTC weeks the (sorted, disjoint) windows touch, as ranges that
    share no week (a week read twice would repeat its spans), each with the time its
    windows cover (epoch seconds) so the rest of its weeks can be left out."""
    weeks: list[tuple[date, date, int, int]] = []
    for lo, hi in windows:
        first, last = lo.astimezone(UTC).date(), (hi - timedelta(microseconds=1)).astimezone(UTC).date()
        first, last = first - timedelta(days=first.weekday()), last - timedelta(days=last.weekday())
        if weeks and first <= weeks[-1][1]:
            weeks[-1] = (weeks[-1][0], last, weeks[-1][2], math.ceil(hi.timestamp()))
        else:
            weeks.append((first, last, math.floor(lo.timestamp()), math.ceil(hi.timestamp())))
    return weeks


def _rows_postgres(*, location: Location, start: datetime, end: datetime, windows, patient: Patient | None,
                   ignore_ids: list[int], ignore_hold_ids: list, now: datetime) -> _Rows:
    """Every statement in one round trip (one string of statements, each result read
    with nextset), busy time from the busy-week table."""
    here = location.pk
    weeks = _week_ranges(windows)
    statements = [
        (_OPENING_SQL, [here]),
        (_CLOSURES_SQL, [here, end, start]),
        (_STAFF_SQL, [here]),
        (_TIME_OFF_SQL, [here, end, start]),
        (_ROOMS_SQL, [here]),
        (_HELD_SQL, [now, end, start, ignore_hold_ids]),
        (_PATIENT_SQL, [patient.pk if patient else None, start - LONGEST_VISIT, end, start, ignore_ids]),
        (_BUSY_WEEKS_SQL, [here, here, [week[0] for week in weeks], [week[1] for week in weeks]]),
        (_IGNORED_SQL, [ignore_ids]),
    ]
    with connection.cursor() as cursor:
        cursor.execute(";\n".join(sql for sql, _ in statements),
                       [value for _, params in statements for value in params])
        results = [cursor.fetchall()]
        while cursor.nextset():
            results.append(cursor.fetchall())
    opening, closures, staff, time_off, rooms, held, patient_rows, busy, ignored = results
    provider_busy: dict[int, Busy] = defaultdict(Busy)
    room_busy: dict[int, Busy] = defaultdict(Busy)
    owners = {"provider": provider_busy, "room": room_busy}
    covered = {week[0]: (week[2], week[3]) for week in weeks}
    pairs: dict[tuple[str, int], array] = defaultdict(lambda: array("I"))
    for owner, owner_id, first_week, packed in busy:  # by owner, then in week order
        if packed:
            unpack_weeks(packed, *covered[first_week], pairs[(owner, owner_id)])
    for (owner, owner_id), found in pairs.items():
        owners[owner][owner_id] = Busy.from_pairs(found)
    for provider_id, room_id, a, b, c, d in ignored:  # visits being planned again
        if provider_id in provider_busy:
            provider_busy[provider_id].remove(*_inner_seconds(a, b))
        if room_id in room_busy:
            room_busy[room_id].remove(*_inner_seconds(c, d))
    return _Rows(opening, closures, staff, time_off, rooms, held, patient_rows, provider_busy, room_busy)


def _rows_orm(*, location: Location, start: datetime, end: datetime, windows, patient: Patient | None,
              ignore_ids: list[int], ignore_hold_ids: list, now: datetime) -> _Rows:
    """The same through the ORM, one query each, busy time merged here."""
    staff = WorkingHours.objects.filter(location=location, provider__is_active=True)
    hours = list(staff.values_list("provider_id", "provider__display_name", "weekday", "starts", "ends"))
    rooms = list(Room.objects.filter(location=location, is_active=True).order_by("id").values_list("id", "name"))
    provider_busy, room_busy = _busy_merged_here(
        provider_ids=sorted({row[0] for row in hours}), room_ids=[room_id for room_id, _ in rooms], windows=windows,
        ignore_ids=ignore_ids)
    patient_rows = []
    if patient is not None:
        patient_rows = list(
            Appointment.objects.filter(patient=patient, status__in=ACTIVE, starts_at__gte=start - LONGEST_VISIT,
                                       starts_at__lt=end, ends_at__gt=start)
            .exclude(id__in=ignore_ids)
            .values_list("starts_at", "ends_at"))
    return _Rows(
        opening=list(OpeningHours.objects.filter(location=location).values_list("weekday", "opens", "closes")),
        closures=list(Closure.objects.filter(location=location, starts_at__lt=end, ends_at__gt=start)
                      .values_list("starts_at", "ends_at")),
        staff=hours,
        time_off=list(TimeOff.objects.filter(provider_id__in=staff.values("provider_id"), starts_at__lt=end,
                                             ends_at__gt=start).values_list("provider_id", "starts_at", "ends_at")),
        rooms=rooms,
        held=list(HeldVisit.objects.filter(hold__status=SeriesHold.Status.HELD, hold__expires_at__gt=now,
                                           starts_at__lt=end, room_ends_at__gt=start)
                  .exclude(hold_id__in=ignore_hold_ids)
                  .values_list("provider_id", "room_id", "provider_starts_at", "provider_ends_at", "starts_at",
                               "room_ends_at")),
        patient=patient_rows,
        provider_busy=provider_busy,
        room_busy=room_busy,
    )


def _busy_merged_here(
    *, provider_ids: list[int], room_ids: list[int], windows: list[tuple[datetime, datetime]], ignore_ids: list[int]
) -> tuple[dict[int, Busy], dict[int, Busy]]:
    """Live visits' time per provider and per room within the windows, merged here."""
    providers: dict[int, Busy] = defaultdict(Busy)
    rooms: dict[int, Busy] = defaultdict(Busy)
    if not windows or not (provider_ids or room_ids):
        return providers, rooms
    touching = Q()
    for lo, hi in windows:
        touching |= Q(starts_at__gte=lo - LONGEST_VISIT, starts_at__lt=hi, room_ends_at__gt=lo)
    provider_spans: dict[int, Spans] = defaultdict(list)
    room_spans: dict[int, Spans] = defaultdict(list)
    for provider_id, room_id, a, b, c, d in (
        Appointment.objects.filter(touching, Q(provider_id__in=provider_ids) | Q(room_id__in=room_ids),
                                   status__in=ACTIVE)
        .exclude(id__in=ignore_ids)
        .values_list("provider_id", "room_id", "provider_starts_at", "provider_ends_at", "starts_at", "room_ends_at")
    ):
        if provider_id in provider_ids:
            provider_spans[provider_id].append(_seconds(a, b))
        if room_id in room_ids:
            room_spans[room_id].append(_seconds(c, d))
    providers.update((key, Busy.from_spans(spans)) for key, spans in provider_spans.items())
    rooms.update((key, Busy.from_spans(spans)) for key, spans in room_spans.items())
    return providers, rooms


def _intervals(spans: Spans) -> BusySpans:
    """Merged spans in seconds go to the planner as they are: no datetimes to build."""
    return BusySpans.from_pairs(spans)


def _merge_windows(windows, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    return merge((max(lo, start), min(hi, end)) for lo, hi in windows if lo < end and hi > start)


def _weekly(rows: Iterable[tuple[int, time, time]]) -> WeeklyHours:
    return _weekly_from(tuple(sorted(rows)))


@lru_cache(maxsize=1024)
def _weekly_from(rows: tuple[tuple[int, time, time], ...]) -> WeeklyHours:
    """WeeklyHours is immutable, and most providers keep the same hours week after week."""
    spec: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for weekday, opens, closes in rows:
        spec[weekday].append((opens, closes))
    return WeeklyHours.build(spec)


@dataclass(frozen=True, slots=True)
class Diary:
    """What the planner needs for one request: the location and the patient's own visits."""

    location: LocationDiary
    patient_busy: BusySpans


def diary_load(
    *,
    location: Location,
    start: datetime,
    end: datetime,
    patient: Patient | None = None,
    windows: Sequence[tuple[datetime, datetime]] | None = None,
    ignore_appointment_ids: Iterable[int] = (),
    ignore_hold_ids: Iterable = (),
    now: datetime | None = None,
) -> Diary:
    """Everything the planner needs to know about a location (and the patient's own
    visits anywhere, so a plan never double-books them) between start and end.

    With `windows`, only the time inside them is loaded, and the time between them is
    handed to the planner as closed, so it can never place a visit where it knows
    nothing. `ignore_appointment_ids` leaves out visits being re-planned (a series' own
    visits when one of them moves); `ignore_hold_ids` leaves out the caller's own hold."""
    windows = _merge_windows(windows if windows is not None else [(start, end)], start, end)
    read = _rows_postgres if connection.vendor == "postgresql" else _rows_orm
    rows = read(location=location, start=start, end=end, windows=windows, patient=patient,
                ignore_ids=list(ignore_appointment_ids), ignore_hold_ids=list(ignore_hold_ids),
                now=now or timezone.now())
    return Diary(location=_location_diary(location, rows, start=start, end=end, windows=windows),
                 patient_busy=_intervals(merge([_seconds(a, b) for a, b in rows.patient])))


def location_provider_ids(location: Location) -> list[int]:
    """The active providers with working hours at the location: the diary's providers."""
    staff = WorkingHours.objects.filter(location=location, provider__is_active=True)
    return list(staff.values_list("provider_id", flat=True).distinct())


def _location_diary(location: Location, rows: _Rows, *, start: datetime, end: datetime, windows) -> LocationDiary:
    hours_rows: dict[int, list] = defaultdict(list)
    names: dict[int, str] = {}
    for provider_id, name, weekday, starts, ends in rows.staff:
        hours_rows[provider_id].append((weekday, starts, ends))
        names[provider_id] = name
    provider_busy, room_busy = rows.provider_busy, rows.room_busy
    # Slots another desk holds count as taken until the hold expires.
    held_providers: dict[int, Spans] = defaultdict(list)
    held_rooms: dict[int, Spans] = defaultdict(list)
    for provider_id, room_id, a, b, c, d in rows.held:
        held_providers[provider_id].append(_seconds(a, b))
        if room_id is not None:
            held_rooms[room_id].append(_seconds(c, d))
    for key, spans in held_providers.items():
        provider_busy[key] = provider_busy[key].add(spans)
    for key, spans in held_rooms.items():
        room_busy[key] = room_busy[key].add(spans)
    closed = [_seconds(a, b) for a, b in rows.closures]
    edges = [start] + [edge for window in windows for edge in window] + [end]
    closed += [_seconds(lo, hi) for lo, hi in zip(edges[::2], edges[1::2], strict=True) if lo < hi]  # between windows
    time_off: dict[int, Spans] = defaultdict(list)
    for provider_id, a, b in rows.time_off:
        time_off[provider_id].append(_seconds(a, b))
    return LocationDiary(
        tz=location.time_zone,
        opening_hours=_weekly(rows.opening),
        closures=_intervals(merge(closed)),
        providers=tuple(
            ProviderDiary(
                id=provider_id,
                name=names[provider_id],
                hours=_weekly(hours_rows[provider_id]),
                time_off=_intervals(merge(time_off[provider_id])),
                busy=provider_busy[provider_id].spans(),
            )
            for provider_id in sorted(hours_rows)
        ),
        rooms=tuple(RoomDiary(id=room_id, name=name, busy=room_busy[room_id].spans())
                    for room_id, name in rows.rooms),
        slot_minutes=location.slot_minutes,
    )
