"""Hypothesis strategies: random small clinics, protocols and requests.

Dates sit around the 2027 daylight-saving changes of the zones drawn, clinics are
sometimes open at night, and horizons are short, so that both feasible and
infeasible requests come up often and a brute-force search stays quick.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from scheduling.planner import (
    Interval,
    LocationDiary,
    Preferences,
    ProviderDiary,
    RoomDiary,
    SeriesRequest,
    VisitShape,
    WeeklyHours,
)

from .builders import UTC, rules

ZONES = ["UTC", "America/New_York", "Europe/London", "Australia/Sydney"]
# A few days before each 2027 change, so a short horizon crosses it.
BASE_DATES = [date(2027, 3, 10), date(2027, 3, 25), date(2027, 4, 1), date(2027, 9, 29),
              date(2027, 10, 28), date(2027, 11, 4), date(2027, 6, 7)]


def instant(zone: ZoneInfo, base: date, day: int, minute: int) -> datetime:
    naive = datetime.combine(base + timedelta(days=day), time(0)) + timedelta(minutes=minute)
    return naive.replace(tzinfo=zone).astimezone(UTC)


@st.composite
def spans_of_day(draw, night: bool) -> tuple[tuple[time, time], ...]:
    """Zero to two spans on a half-hour grid, sometimes around 01:00-03:00."""
    count = draw(st.sampled_from([0, 1, 1, 1, 2]))
    out = []
    lo = 0 if night else 12  # in half hours
    for _ in range(count):
        start = draw(st.integers(lo, 40))
        length = draw(st.integers(3, 20))
        end = min(start + length, 48)
        out.append((time(start // 2, 30 * (start % 2)), time(0) if end == 48 else time(end // 2, 30 * (end % 2))))
        lo = end + 1
        if lo > 40:
            break
    return tuple(out)


@st.composite
def weekly(draw, night: bool) -> WeeklyHours:
    return WeeklyHours(tuple(draw(spans_of_day(night)) for _ in range(7)))


@st.composite
def busy_intervals(draw, zone: ZoneInfo, base: date, days: int, max_count: int,
                   max_minutes: int = 240) -> tuple[Interval, ...]:
    out = []
    for _ in range(draw(st.integers(0, max_count))):
        day = draw(st.integers(0, days))
        minute = draw(st.integers(0, 47)) * 30
        length = draw(st.integers(1, max_minutes // 30)) * 30
        start = instant(zone, base, day, minute)
        out.append(Interval(start, start + timedelta(minutes=length)))
    return tuple(out)


@st.composite
def shapes(draw, phone_ok: bool = False) -> VisitShape:
    needs_room = not phone_ok or draw(st.booleans())
    return VisitShape(
        prep_minutes=draw(st.sampled_from([0, 30])),
        provider_minutes=draw(st.sampled_from([15, 30, 60])),
        turnover_minutes=draw(st.sampled_from([0, 15])) if needs_room else 0,
        needs_room=needs_room,
    )


@st.composite
def locations(draw, days: int = 24) -> tuple[LocationDiary, date]:
    tz = draw(st.sampled_from(ZONES))
    zone = ZoneInfo(tz)
    base = draw(st.sampled_from(BASE_DATES))
    night = draw(st.booleans())
    opening = draw(weekly(night))
    providers = []
    for pid in range(1, draw(st.integers(1, 3)) + 1):
        hours = opening if draw(st.booleans()) else draw(weekly(night))
        providers.append(ProviderDiary(
            pid, f"Dr {pid}", hours,
            time_off=draw(busy_intervals(zone, base, days, 1, max_minutes=3 * 24 * 60)),
            busy=draw(busy_intervals(zone, base, days, 6)),
        ))
    rooms = [RoomDiary(rid, f"Room {rid}", draw(busy_intervals(zone, base, days, 5)))
             for rid in range(1, draw(st.integers(1, 2)) + 1)]
    closures = draw(busy_intervals(zone, base, days, 2, max_minutes=2 * 24 * 60))
    slot = draw(st.sampled_from([30, 60]))
    return LocationDiary(tz, opening, closures, tuple(providers), tuple(rooms), slot), base


@st.composite
def protocols(draw):
    min_days = draw(st.integers(2, 4))
    max_days = min_days + draw(st.integers(0, 3))
    target = draw(st.integers(min_days, max_days))
    healing = None
    healing_days = (1, 1)
    if draw(st.booleans()):
        healing = draw(shapes(phone_ok=True))
        low = draw(st.integers(1, min_days - 1))
        healing_days = (low, draw(st.integers(low, min_days - 1)))
    review = None
    review_days = (1, 1)
    if draw(st.booleans()):
        review = draw(shapes(phone_ok=True))
        low = draw(st.integers(1, 3))
        review_days = (low, low + draw(st.integers(0, 2)))
    maintenance_low = draw(st.integers(2, 4))
    return rules(
        session_count=draw(st.integers(3, 4)), min_days=min_days, target_days=target, max_days=max_days,
        session=draw(shapes()), healing_check=healing, healing_days=healing_days,
        review=review, review_days=review_days, maintenance=draw(shapes()),
        maintenance_days=(maintenance_low, maintenance_low + draw(st.integers(0, 3))),
    )


@st.composite
def preferences(draw, providers: int) -> Preferences:
    named = draw(st.one_of(st.none(), st.integers(1, providers))) if draw(st.integers(0, 3)) == 0 else None
    weekdays = draw(st.one_of(st.none(), st.frozensets(st.integers(0, 6), min_size=3, max_size=6)))
    earliest = latest = None
    if draw(st.booleans()):
        earliest = time(draw(st.integers(0, 12)), 0)
        latest = time(draw(st.integers(earliest.hour + 4, 23)), 0)
    return Preferences(provider_id=named, weekdays=weekdays, earliest_time=earliest, latest_time=latest,
                       strict=draw(st.booleans()))


@st.composite
def series_requests(draw) -> SeriesRequest:
    location, base = draw(locations())
    zone = ZoneInfo(location.tz)
    protocol = draw(protocols())
    earliest = instant(zone, base, 0, draw(st.integers(0, 47)) * 30)
    length = draw(st.integers(protocol.min_interval_days * (protocol.session_count - 1) + 1, 22))
    return SeriesRequest(location, protocol, draw(busy_intervals(zone, base, 24, 3)), earliest,
                         earliest + timedelta(days=length), draw(preferences(len(location.providers))),
                         alternatives=draw(st.integers(0, 3)))
