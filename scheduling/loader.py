"""Turns the database into the planner's inputs, in a fixed number of queries.

However many appointments the clinic has, loading a location for a horizon costs the
same queries: hours, closures, providers with their working hours, time off, rooms,
provider busy time, room busy time, held slots and the patient's visits. On PostgreSQL
the busy time is merged per provider and per room in SQL (range_agg over the same
partial GiST indexes the exclusion constraints use), so only the merged intervals of
the horizon cross the wire."""

from collections import defaultdict
import math
from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta

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
# window starts at most a day before it: a plain range on starts_at, which the partial
# covering indexes answer without reading the table.
LONGEST_VISIT = timedelta(days=1)

Spans = list[tuple[int, int]]


def _merge(spans: list[tuple[int, int]]) -> Spans:
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


_MERGED_BUSY_SQL = """
    SELECT owner, floor(extract(epoch FROM lower(span)))::bigint, ceil(extract(epoch FROM upper(span)))::bigint
    FROM (
        SELECT a.{owner} AS owner, unnest(range_agg(tstzrange(a.{start}, a.{end}, '[)'))) AS span
        FROM unnest(%(lows)s::timestamptz[], %(highs)s::timestamptz[]) AS w(lo, hi)
        JOIN scheduling_appointment a
          ON a.{owner} = ANY(%(owners)s)
         AND a.status IN ('booked', 'confirmed', 'checked_in', 'completed') {extra}
         AND a.starts_at >= w.lo - interval '1 day' AND a.starts_at < w.hi AND a.{end} > w.lo
        WHERE NOT (a.id = ANY(%(ignore)s))
        GROUP BY a.{owner}
    ) merged
"""


def _busy_by_owner(
    *, owner: str, start_field: str, end_field: str, owners: list[int], windows: list[tuple[datetime, datetime]],
    ignore_ids: list[int],
) -> dict[int, Spans]:
    """Active appointments' spans per provider or room within the windows, merged, as
    epoch seconds. On PostgreSQL the merging happens in SQL (range_agg)."""
    found: dict[int, Spans] = defaultdict(list)
    if not owners or not windows:
        return found
    if connection.vendor == "postgresql":
        sql = _MERGED_BUSY_SQL.format(owner=owner, start=start_field, end=end_field,
                                      extra="AND a.room_id IS NOT NULL" if owner == "room_id" else "")
        with connection.cursor() as cursor:
            cursor.execute(sql, {"owners": owners, "lows": [w[0] for w in windows], "highs": [w[1] for w in windows],
                                 "ignore": ignore_ids})
            # range_agg yields each owner's spans merged and in order.
            for owner_id, lo, hi in cursor.fetchall():
                found[owner_id].append((lo, hi))
        return found
    touching = Q()
    for lo, hi in windows:
        touching |= Q(starts_at__gte=lo - LONGEST_VISIT, starts_at__lt=hi, **{f"{end_field}__gt": lo})
    rows = (
        Appointment.objects.filter(touching, **{f"{owner}__in": owners}, status__in=ACTIVE)
        .exclude(id__in=ignore_ids)
        .values_list(owner, start_field, end_field)
    )
    for owner_id, span_start, span_end in rows:
        found[owner_id].append(_seconds(span_start, span_end))
    return {owner_id: _merge(spans) for owner_id, spans in found.items()}


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


def location_calendar(
    *,
    location: Location,
    start: datetime,
    end: datetime,
    windows: Sequence[tuple[datetime, datetime]] | None = None,
    ignore_appointment_ids: Iterable[int] = (),
    ignore_hold_ids: Iterable = (),
    now: datetime | None = None,
) -> LocationCalendar:
    """Everything the planner needs to know about a location between start and end.

    With `windows`, only the time inside them is loaded, and the time between them is
    handed to the planner as closed, so it can never place a visit where it knows
    nothing. `ignore_appointment_ids` leaves out visits being re-planned (a series' own
    visits when one of them moves); `ignore_hold_ids` leaves out the caller's own hold."""
    now = now or timezone.now()
    ignore_ids = list(ignore_appointment_ids)
    windows = _merge_windows(windows if windows is not None else [(start, end)], start, end)
    opening = _weekly(OpeningHours.objects.filter(location=location).values_list("weekday", "opens", "closes"))
    closed = [
        _seconds(a, b)
        for a, b in Closure.objects.filter(location=location, starts_at__lt=end, ends_at__gt=start)
        .values_list("starts_at", "ends_at")
    ]
    edges = [start] + [edge for window in windows for edge in window] + [end]
    closed += [_seconds(lo, hi) for lo, hi in zip(edges[::2], edges[1::2]) if lo < hi]  # between the windows
    hours_rows: dict[int, list] = defaultdict(list)
    names: dict[int, str] = {}
    for provider_id, name, weekday, starts, ends in WorkingHours.objects.filter(
        location=location, provider__is_active=True
    ).values_list("provider_id", "provider__display_name", "weekday", "starts", "ends"):
        hours_rows[provider_id].append((weekday, starts, ends))
        names[provider_id] = name
    provider_ids = sorted(hours_rows)
    time_off: dict[int, Spans] = defaultdict(list)
    for provider_id, a, b in TimeOff.objects.filter(
        provider_id__in=provider_ids, starts_at__lt=end, ends_at__gt=start
    ).values_list("provider_id", "starts_at", "ends_at"):
        time_off[provider_id].append(_seconds(a, b))
    rooms = list(Room.objects.filter(location=location, is_active=True).order_by("id").values_list("id", "name"))
    room_ids = [room_id for room_id, _ in rooms]

    provider_busy = _busy_by_owner(owner="provider_id", start_field="provider_starts_at", end_field="provider_ends_at",
                                   owners=provider_ids, windows=windows, ignore_ids=ignore_ids)
    room_busy = _busy_by_owner(owner="room_id", start_field="starts_at", end_field="room_ends_at",
                               owners=room_ids, windows=windows, ignore_ids=ignore_ids)
    # Slots another desk holds count as taken until the hold expires.
    held = False
    for provider_id, room_id, a, b, c, d in (
        HeldVisit.objects.filter(hold__status=SeriesHold.Status.HELD, hold__expires_at__gt=now,
                                 starts_at__lt=end, room_ends_at__gt=start)
        .exclude(hold_id__in=list(ignore_hold_ids))
        .values_list("provider_id", "room_id", "provider_starts_at", "provider_ends_at", "starts_at", "room_ends_at")
    ):
        held = True
        provider_busy.setdefault(provider_id, []).append(_seconds(a, b))
        if room_id is not None:
            room_busy.setdefault(room_id, []).append(_seconds(c, d))
    if held:
        provider_busy = {key: _merge(spans) for key, spans in provider_busy.items()}
        room_busy = {key: _merge(spans) for key, spans in room_busy.items()}

    return LocationCalendar(
        tz=location.time_zone,
        opening_hours=opening,
        closures=_intervals(_merge(closed)),
        providers=tuple(
            ProviderCalendar(
                id=provider_id,
                name=names[provider_id],
                hours=_weekly(hours_rows[provider_id]),
                time_off=_intervals(_merge(time_off[provider_id])),
                busy=_intervals(provider_busy.get(provider_id, [])),
            )
            for provider_id in provider_ids
        ),
        rooms=tuple(RoomCalendar(id=room_id, name=name, busy=_intervals(room_busy.get(room_id, [])))
                    for room_id, name in rooms),
        slot_minutes=location.slot_minutes,
    )


def patient_busy(
    *, patient: Patient, start: datetime, end: datetime, ignore_appointment_ids: Iterable[int] = ()
) -> BusySpans:
    """The patient's own active visits anywhere, so a plan never double-books them."""
    spans = [
        _seconds(a, b)
        for a, b in Appointment.objects.filter(patient=patient, status__in=ACTIVE, starts_at__gte=start - LONGEST_VISIT,
                                               starts_at__lt=end, ends_at__gt=start)
        .exclude(id__in=list(ignore_appointment_ids))
        .values_list("starts_at", "ends_at")
    ]
    return _intervals(_merge(spans))
