"""Turns the database into the planner's inputs, in a fixed number of queries.

However many appointments the clinic has, loading a location for a horizon costs the
same queries: hours, closures, providers with their working hours, time off, rooms,
busy time, held slots and the patient's visits. On PostgreSQL the busy time comes
already merged per provider and per room and day (the `scheduling_busyday` table that
triggers keep, migration 0010), so a horizon costs one short row per owner and day
instead of every visit in it."""

from __future__ import annotations

import math
import sys
from array import array
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from clinic.models import Closure, Location, OpeningHours, Room, TimeOff, WorkingHours
from patients.models import Patient

from .models import Appointment, HeldVisit, SeriesHold, TreatmentProtocol
from .planner import (
    BusySpans,
    LocationCalendar,
    ProviderCalendar,
    RoomCalendar,
    SeriesRules,
    VisitShape,
    WeeklyHours,
)

ACTIVE = tuple(Appointment.ACTIVE_STATUSES)


# --- Protocol -------------------------------------------------------------------------
def session_shape(protocol: TreatmentProtocol, areas: Iterable[str]) -> VisitShape:
    return VisitShape(protocol.numbing_minutes, protocol.treatment_minutes(list(areas) or ["face"]), protocol.turnover_minutes)


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
    in two parallel lists: the shape the planner's BusySpans takes without conversion."""

    __slots__ = ("starts", "ends")

    def __init__(self, starts: list[int] | None = None, ends: list[int] | None = None) -> None:
        self.starts = starts if starts is not None else []
        self.ends = ends if ends is not None else []

    @classmethod
    def from_spans(cls, spans: Spans) -> Busy:
        merged = _merge(spans)
        return cls([lo for lo, _ in merged], [hi for _, hi in merged])

    @classmethod
    def unpack(cls, packed: bytes) -> Busy:
        """Days of scheduling_busyday laid end to end: big-endian int64 start, end pairs."""
        numbers = array("q", packed)
        if sys.byteorder == "little":
            numbers.byteswap()
        return cls(numbers[0::2].tolist(), numbers[1::2].tolist())

    def add(self, spans: Spans) -> Busy:
        return Busy.from_spans(list(zip(self.starts, self.ends)) + spans) if spans else self

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
        self.starts[first:last] = pieces_starts
        self.ends[first:last] = pieces_ends

    def spans(self) -> BusySpans:
        return BusySpans(self.starts, self.ends)


def _merge(spans: Spans) -> Spans:
    spans.sort()
    merged: Spans = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1]:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def _seconds(lo: datetime, hi: datetime) -> tuple[int, int]:
    """Outwards to whole seconds, so nothing busy is lost."""
    return math.floor(lo.timestamp()), math.ceil(hi.timestamp())


def _inner_seconds(lo: datetime, hi: datetime) -> tuple[int, int]:
    """Inwards to whole seconds, so freeing a visit's time never frees a neighbour's."""
    return math.ceil(lo.timestamp()), math.floor(hi.timestamp())


# Merged busy time per provider and room and UTC day, kept by triggers (migration
# scheduling 0010), laid end to end per owner: the location's active providers and rooms,
# one index range per window (OFFSET 0 keeps the planner from flattening the lateral
# into one scan of every day).
_BUSY_DAYS_SQL = """
    SELECT b.owner, b.owner_id, string_agg(b.spans, ''::bytea ORDER BY b.day)
      FROM unnest(%s::date[], %s::date[]) AS w(lo, hi)
     CROSS JOIN LATERAL (
           SELECT * FROM scheduling_busyday b
            WHERE b.owner = 'provider' AND b.day BETWEEN w.lo AND w.hi
              AND b.owner_id IN (SELECT h.provider_id FROM clinic_workinghours h
                                   JOIN clinic_provider p ON p.id = h.provider_id
                                  WHERE h.location_id = %s AND p.is_active)
           OFFSET 0) AS b
     GROUP BY b.owner, b.owner_id
    UNION ALL
    SELECT b.owner, b.owner_id, string_agg(b.spans, ''::bytea ORDER BY b.day)
      FROM unnest(%s::date[], %s::date[]) AS w(lo, hi)
     CROSS JOIN LATERAL (
           SELECT * FROM scheduling_busyday b
            WHERE b.owner = 'room' AND b.day BETWEEN w.lo AND w.hi
              AND b.owner_id IN (SELECT r.id FROM clinic_room r WHERE r.location_id = %s AND r.is_active)
           OFFSET 0) AS b
     GROUP BY b.owner, b.owner_id
"""


def _day_windows(windows: list[tuple[datetime, datetime]]) -> list[tuple[date, date]]:
    """The UTC days the windows touch, as ranges that share no day (a day read twice
    would repeat its spans)."""
    days: list[tuple[date, date]] = []
    for lo, hi in windows:
        first, last = lo.astimezone(UTC).date(), (hi - timedelta(microseconds=1)).astimezone(UTC).date()
        if days and first <= days[-1][1] + timedelta(days=1):
            days[-1] = (days[-1][0], max(days[-1][1], last))
        else:
            days.append((first, last))
    return days


def _busy_merged_here(
    *, provider_ids: list[int], room_ids: list[int], windows: list[tuple[datetime, datetime]], ignore_ids: list[int]
) -> tuple[dict[int, Busy], dict[int, Busy]]:
    """Without the busy-day table (SQLite): live visits' time per provider and per room
    within the windows, merged here."""
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
        Appointment.objects.filter(touching, Q(provider_id__in=provider_ids) | Q(room_id__in=room_ids), status__in=ACTIVE)
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


def _fetch_together(statements: list) -> list[list[tuple]]:
    """The rows of several statements (querysets or (sql, params) pairs) in one round
    trip on PostgreSQL: one string of statements, each result read with nextset()."""
    compiled = []
    for statement in statements:
        if isinstance(statement, tuple):
            compiled.append(statement)
            continue
        try:
            compiled.append(statement.query.sql_with_params())
        except EmptyResultSet:
            compiled.append(("SELECT 1 WHERE false", ()))
    if connection.vendor != "postgresql" or len(compiled) == 1:
        results = []
        with connection.cursor() as cursor:
            for sql, params in compiled:
                cursor.execute(sql, params)
                results.append(cursor.fetchall())
        return results
    sql = ";\n".join(statement_sql for statement_sql, _ in compiled)
    params = [param for _, statement_params in compiled for param in statement_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        results = [cursor.fetchall()]
        while cursor.nextset():
            results.append(cursor.fetchall())
    return results


def _intervals(spans: Spans) -> BusySpans:
    """Merged spans in seconds go to the planner as they are: no datetimes to build."""
    return BusySpans.from_pairs(spans)


def _merge_windows(windows, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    clipped = sorted((max(lo, start), min(hi, end)) for lo, hi in windows if lo < end and hi > start)
    merged: list[tuple[datetime, datetime]] = []
    for lo, hi in clipped:
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _weekly(rows: Iterable[tuple[int, time, time]]) -> WeeklyHours:
    spec: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for weekday, opens, closes in rows:
        spec[weekday].append((opens, closes))
    return WeeklyHours.build(spec)


@dataclass(frozen=True, slots=True)
class Diary:
    """What the planner needs for one request: the location and the patient's own visits."""

    location: LocationCalendar
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
    visits when one of them moves); `ignore_hold_ids` leaves out the caller's own hold.

    On PostgreSQL every statement goes to the server in one round trip; elsewhere one
    query each (and busy time is merged here)."""
    now = now or timezone.now()
    ignore_ids = list(ignore_appointment_ids)
    windows = _merge_windows(windows if windows is not None else [(start, end)], start, end)
    staff = WorkingHours.objects.filter(location=location, provider__is_active=True)
    postgres = connection.vendor == "postgresql"
    statements = [
        OpeningHours.objects.filter(location=location).values_list("weekday", "opens", "closes"),
        Closure.objects.filter(location=location, starts_at__lt=end, ends_at__gt=start).values_list("starts_at", "ends_at"),
        staff.values_list("provider_id", "provider__display_name", "weekday", "starts", "ends"),
        TimeOff.objects.filter(provider_id__in=staff.values("provider_id"), starts_at__lt=end, ends_at__gt=start)
        .values_list("provider_id", "starts_at", "ends_at"),
        Room.objects.filter(location=location, is_active=True).order_by("id").values_list("id", "name"),
        # Slots another desk holds count as taken until the hold expires.
        HeldVisit.objects.filter(hold__status=SeriesHold.Status.HELD, hold__expires_at__gt=now,
                                 starts_at__lt=end, room_ends_at__gt=start)
        .exclude(hold_id__in=list(ignore_hold_ids))
        .values_list("provider_id", "room_id", "provider_starts_at", "provider_ends_at", "starts_at", "room_ends_at"),
    ]
    if patient is not None:
        statements.append(
            Appointment.objects.filter(patient=patient, status__in=ACTIVE, starts_at__gte=start - LONGEST_VISIT,
                                       starts_at__lt=end, ends_at__gt=start)
            .exclude(id__in=ignore_ids)
            .values_list("starts_at", "ends_at")
        )
    if postgres and windows:
        days = _day_windows(windows)
        lows, highs = [lo for lo, _ in days], [hi for _, hi in days]
        statements.append((_BUSY_DAYS_SQL, (lows, highs, location.pk) * 2))
        if ignore_ids:
            statements.append(
                Appointment.objects.filter(id__in=ignore_ids, status__in=ACTIVE)
                .values_list("provider_id", "room_id", "provider_starts_at", "provider_ends_at", "starts_at", "room_ends_at")
            )
    results = iter(_fetch_together(statements))
    opening_rows, closure_rows, hours, time_off_rows, rooms, held = (next(results) for _ in range(6))
    patient_rows = next(results) if patient is not None else []

    hours_rows: dict[int, list] = defaultdict(list)
    names: dict[int, str] = {}
    for provider_id, name, weekday, starts, ends in hours:
        hours_rows[provider_id].append((weekday, starts, ends))
        names[provider_id] = name
    provider_ids = sorted(hours_rows)
    room_ids = [room_id for room_id, _ in rooms]
    if postgres:
        provider_busy: dict[int, Busy] = defaultdict(Busy)
        room_busy: dict[int, Busy] = defaultdict(Busy)
        owners = {"provider": provider_busy, "room": room_busy}
        for owner, owner_id, packed in next(results, []):
            owners[owner][owner_id] = Busy.unpack(packed)
        for provider_id, room_id, a, b, c, d in next(results, []):  # visits being planned again
            if provider_id in provider_busy:
                provider_busy[provider_id].remove(*_inner_seconds(a, b))
            if room_id in room_busy:
                room_busy[room_id].remove(*_inner_seconds(c, d))
    else:
        provider_busy, room_busy = _busy_merged_here(provider_ids=provider_ids, room_ids=room_ids, windows=windows,
                                                     ignore_ids=ignore_ids)
    held_providers: dict[int, Spans] = defaultdict(list)
    held_rooms: dict[int, Spans] = defaultdict(list)
    for provider_id, room_id, a, b, c, d in held:
        held_providers[provider_id].append(_seconds(a, b))
        if room_id is not None:
            held_rooms[room_id].append(_seconds(c, d))
    for key, spans in held_providers.items():
        provider_busy[key] = provider_busy[key].add(spans)
    for key, spans in held_rooms.items():
        room_busy[key] = room_busy[key].add(spans)

    closed = [_seconds(a, b) for a, b in closure_rows]
    edges = [start] + [edge for window in windows for edge in window] + [end]
    closed += [_seconds(lo, hi) for lo, hi in zip(edges[::2], edges[1::2]) if lo < hi]  # between the windows
    time_off: dict[int, Spans] = defaultdict(list)
    for provider_id, a, b in time_off_rows:
        time_off[provider_id].append(_seconds(a, b))
    calendar = LocationCalendar(
        tz=location.time_zone,
        opening_hours=_weekly(opening_rows),
        closures=_intervals(_merge(closed)),
        providers=tuple(
            ProviderCalendar(
                id=provider_id,
                name=names[provider_id],
                hours=_weekly(hours_rows[provider_id]),
                time_off=_intervals(_merge(time_off[provider_id])),
                busy=provider_busy[provider_id].spans(),
            )
            for provider_id in provider_ids
        ),
        rooms=tuple(RoomCalendar(id=room_id, name=name, busy=room_busy[room_id].spans()) for room_id, name in rooms),
        slot_minutes=location.slot_minutes,
    )
    return Diary(location=calendar, patient_busy=_intervals(_merge([_seconds(a, b) for a, b in patient_rows])))
