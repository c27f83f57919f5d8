"""Turns the database into the planner's inputs, in a fixed number of queries.

However many appointments the clinic has, loading a location for a horizon costs the
same queries: hours, closures, providers with their working hours, time off, rooms,
busy time, held slots and the patient's visits. Busy time comes already merged per
provider and per room and UTC week (the `scheduling_busyweek` table that triggers keep:
migration 0010 on PostgreSQL, 0011 on SQLite), read only for the weeks the planning
windows touch, so a horizon costs a few packed rows per provider and room instead of
every visit in it, however full the diary. On PostgreSQL all of it comes in one round
trip (`rows.rows_postgres`); SQLite runs in this process and takes the statements one
by one (`rows.rows_sqlite`); any other database reads through the ORM and merges the
visits in Python (`plain.rows_orm`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from functools import lru_cache

from django.db import connection
from django.utils import timezone

from clinic.closures import occurrences
from clinic.models import Location, WorkingHours
from patients.models import Patient

from ..models import TreatmentProtocol
from ..planner import (
    BusySpans,
    LocationDiary,
    ProviderDiary,
    RoomDiary,
    SeriesRules,
    VisitShape,
    WeeklyHours,
)
from ..planner.intervals import merge
from .busy import Spans, seconds
from .plain import rows_orm
from .rows import DiaryRows, rows_postgres, rows_sqlite

READERS = {"postgresql": rows_postgres, "sqlite": rows_sqlite}


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
    read = READERS.get(connection.vendor, rows_orm)
    rows = read(location=location, start=start, end=end, windows=windows, patient=patient,
                ignore_ids=list(ignore_appointment_ids), ignore_hold_ids=list(ignore_hold_ids),
                now=now or timezone.now())
    return Diary(location=_location_diary(location, rows, start=start, end=end, windows=windows),
                 patient_busy=_intervals(merge([seconds(a, b) for a, b in rows.patient])))


def location_provider_ids(location: Location) -> list[int]:
    """The active providers with working hours at the location: the diary's providers."""
    staff = WorkingHours.objects.filter(location=location, provider__is_active=True)
    return list(staff.values_list("provider_id", flat=True).distinct())


def _location_diary(location: Location, rows: DiaryRows, *, start: datetime, end: datetime, windows) -> LocationDiary:
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
        held_providers[provider_id].append(seconds(a, b))
        if room_id is not None:
            held_rooms[room_id].append(seconds(c, d))
    for key, spans in held_providers.items():
        provider_busy[key] = provider_busy[key].add(spans)
    # A room out of service is as good as taken.
    for room_id, a, b in rows.out_of_service:
        held_rooms[room_id].append(seconds(a, b))
    for key, spans in held_rooms.items():
        room_busy[key] = room_busy[key].add(spans)
    closed = [
        seconds(a, b)
        for first, last, yearly in rows.closures
        for a, b in occurrences(first, last, location.time_zone, repeats_yearly=yearly, start=start, end=end)
    ]
    edges = [start] + [edge for window in windows for edge in window] + [end]
    closed += [seconds(lo, hi) for lo, hi in zip(edges[::2], edges[1::2], strict=True) if lo < hi]  # between windows
    time_off: dict[int, Spans] = defaultdict(list)
    for provider_id, a, b in rows.time_off:
        time_off[provider_id].append(seconds(a, b))
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
