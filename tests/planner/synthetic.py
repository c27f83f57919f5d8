"""A synthetic busy clinic like the product benchmark's, for tests and timing.

20 providers, 8 rooms, open Monday to Saturday, about 70% of provider and room time
booked for 12 months. Run `python -m tests.planner.synthetic` from the project root
to time plan_series on it (median and p99 over random earliest starts).
"""

from __future__ import annotations

import random
import statistics
import sys
import time as clock
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduling.planner import (
    Interval,
    LocationDiary,
    ProviderDiary,
    RoomDiary,
    SeriesRequest,
    WeeklyHours,
    plan_series,
)

from .builders import UTC, rules

TZ = "Europe/London"


def _at(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    return (datetime.combine(day, time(0), zone) + timedelta(minutes=minutes)).astimezone(UTC)


def busy_location(seed: int = 1, first: date = date(2027, 1, 4), days: int = 365, providers: int = 20,
                  rooms: int = 8, booked: float = 0.7) -> LocationDiary:
    """Appointments fill about `booked` of each provider's and room's time; every
    provider has a week off; the clinic closes on a few bank holidays."""
    rng = random.Random(seed)
    zone = ZoneInfo(TZ)
    opening = WeeklyHours.on(range(6), ("08:00", "19:00"))
    dates = [first + timedelta(days=i) for i in range(days)]
    holidays = {first + timedelta(days=d) for d in (0, 87, 88, 146, 237, 355, 356)}
    closures = tuple(Interval(_at(d, 0, zone), _at(d, 24 * 60, zone)) for d in sorted(holidays))
    # Provider phase blocks of 30 minutes: busy with probability `booked`.
    provider_list = []
    for pid in range(1, providers + 1):
        day_off = pid % 6  # each works five of the six opening days
        start_hour = 8 + pid % 3  # 08:00-16:00, 09:00-17:00 or 10:00-18:00
        weekdays = [w for w in range(6) if w != day_off]
        hours = WeeklyHours.on(weekdays, (time(start_hour), time(start_hour + 8)))
        busy = []
        for d in dates:
            if d.weekday() not in weekdays or d in holidays:
                continue
            for block in range(16):
                if rng.random() < booked:
                    lo = start_hour * 60 + block * 30
                    busy.append(Interval(_at(d, lo, zone), _at(d, lo + 30, zone)))
        off_start = first + timedelta(days=rng.randrange(days - 7))
        time_off = (Interval(_at(off_start, 0, zone), _at(off_start + timedelta(days=7), 0, zone)),)
        provider_list.append(ProviderDiary(pid, f"Dr {pid:02d}", hours, time_off, tuple(busy)))
    # Room occupations of 70 minutes (prep, treatment, turnover) with 30-minute gaps:
    # half the blocks booked makes about 70% of the opening time busy.
    room_list = []
    share = booked * 30 / (70 - booked * 40)
    for rid in range(1, rooms + 1):
        busy = []
        for d in dates:
            if d.weekday() == 6 or d in holidays:
                continue
            t = 8 * 60
            while t + 70 <= 19 * 60:
                if rng.random() < share:
                    busy.append(Interval(_at(d, t, zone), _at(d, t + 70, zone)))
                    t += 70
                else:
                    t += 30
        room_list.append(RoomDiary(rid, f"Room {rid}", tuple(busy)))
    return LocationDiary(TZ, opening, closures, tuple(provider_list), tuple(room_list), 15)


def series_request(location: LocationDiary, rng: random.Random, first: date = date(2027, 1, 4),
                   sessions: int = 6) -> SeriesRequest:
    """A 6-session request starting at a random moment in the first three months."""
    earliest = datetime.combine(first, time(0), UTC) + timedelta(minutes=rng.randrange(90 * 24 * 60))
    patient_busy = tuple(
        Interval(earliest + timedelta(days=d, hours=h), earliest + timedelta(days=d, hours=h + 2))
        for d, h in ((rng.randrange(200), rng.randrange(24)) for _ in range(5))
    )
    return SeriesRequest(location, rules(session_count=sessions), patient_busy, earliest,
                         earliest + timedelta(days=270))


def measure(runs: int = 200, seed: int = 7) -> dict[str, float]:
    """Milliseconds per plan_series call (including turning the calendars into the
    planner's working form) over `runs` random requests."""
    location = busy_location()
    rng = random.Random(seed)
    requests = [series_request(location, rng) for _ in range(runs)]
    plan_series(requests[0])  # warm the imports
    wall, cpu = [], []
    found = 0
    for req in requests:
        w0, c0 = clock.perf_counter(), clock.process_time()
        result = plan_series(req)
        cpu.append((clock.process_time() - c0) * 1000)
        wall.append((clock.perf_counter() - w0) * 1000)
        found += result.best is not None

    def p99(values: list[float]) -> float:
        values = sorted(values)
        return values[min(len(values) - 1, int(len(values) * 0.99))]

    # CPU time too: on a shared machine wall-clock time also measures the neighbours.
    return {
        "runs": runs,
        "found": found,
        "median_ms": round(statistics.median(wall), 2),
        "p99_ms": round(p99(wall), 2),
        "cpu_median_ms": round(statistics.median(cpu), 2),
        "cpu_p99_ms": round(p99(cpu), 2),
        "busy_intervals": sum(len(p.busy) for p in location.providers) + sum(len(r.busy) for r in location.rooms),
    }


if __name__ == "__main__":
    print(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
