"""Small builders for planner tests: clinics, protocols and requests with sane defaults."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduling.planner import (
    Interval,
    LocationDiary,
    Preferences,
    ProviderDiary,
    RoomDiary,
    SeriesRequest,
    SeriesRules,
    VisitShape,
    WeeklyHours,
)

SESSION = VisitShape(prep_minutes=30, provider_minutes=30, turnover_minutes=10)
PHONE_CHECK = VisitShape(prep_minutes=0, provider_minutes=15, turnover_minutes=0, needs_room=False)
REVIEW = VisitShape(prep_minutes=0, provider_minutes=20, turnover_minutes=10)
WEEKDAYS = range(5)


def local(tz: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0, fold: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(tz), fold=fold)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def span(start: datetime, end: datetime) -> Interval:
    return Interval(start.astimezone(UTC), end.astimezone(UTC))


def whole_days(tz: str, first: date, last: date) -> Interval:
    """The local dates first..last inclusive, as one interval."""
    zone = ZoneInfo(tz)
    start = datetime.combine(first, time(0), zone)
    end = datetime.combine(last + timedelta(days=1), time(0), zone)
    return span(start, end)


def rules(
    session_count: int = 3,
    min_days: int = 28,
    target_days: int = 28,
    max_days: int = 42,
    session: VisitShape = SESSION,
    healing_check: VisitShape | None = PHONE_CHECK,
    healing_days: tuple[int, int] = (3, 7),
    review: VisitShape | None = REVIEW,
    review_days: tuple[int, int] = (28, 42),
    maintenance: VisitShape = SESSION,
    maintenance_days: tuple[int, int] = (60, 90),
) -> SeriesRules:
    return SeriesRules(session_count, min_days, target_days, max_days, session, healing_check,
                       healing_days[0], healing_days[1], review, review_days[0], review_days[1],
                       maintenance, maintenance_days[0], maintenance_days[1])


def provider(id: int, hours: WeeklyHours | None = None, time_off: Sequence[Interval] = (),
             busy: Sequence[Interval] = (), name: str | None = None) -> ProviderDiary:
    return ProviderDiary(id, name or f"Dr {chr(64 + id)}", hours or WeeklyHours.on(WEEKDAYS, ("09:00", "17:00")),
                            tuple(time_off), tuple(busy))


def room(id: int, busy: Sequence[Interval] = ()) -> RoomDiary:
    return RoomDiary(id, f"Room {id}", tuple(busy))


def clinic(
    tz: str = "Europe/London",
    opening: WeeklyHours | None = None,
    providers: Sequence[ProviderDiary] | int = 2,
    rooms: Sequence[RoomDiary] | int = 2,
    closures: Sequence[Interval] = (),
    slot_minutes: int = 15,
) -> LocationDiary:
    if isinstance(providers, int):
        providers = [provider(i) for i in range(1, providers + 1)]
    if isinstance(rooms, int):
        rooms = [room(i) for i in range(1, rooms + 1)]
    return LocationDiary(tz, opening or WeeklyHours.on(range(6), ("08:00", "18:00")), tuple(closures),
                            tuple(providers), tuple(rooms), slot_minutes)


def request(
    location: LocationDiary,
    protocol: SeriesRules | None = None,
    earliest: datetime | None = None,
    horizon: datetime | None = None,
    patient_busy: Sequence[Interval] = (),
    preferences: Preferences | None = None,
    alternatives: int = 3,
) -> SeriesRequest:
    earliest = earliest or utc(2027, 3, 1)
    return SeriesRequest(location, protocol or rules(), tuple(patient_busy), earliest,
                         horizon or earliest + timedelta(days=365), preferences or Preferences(), alternatives)


def local_dates(visits, tz: str) -> list[date]:
    zone = ZoneInfo(tz)
    return [v.start.astimezone(zone).date() for v in visits]


def local_times(visits, tz: str) -> list[time]:
    zone = ZoneInfo(tz)
    return [v.start.astimezone(zone).time() for v in visits]
