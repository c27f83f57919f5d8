"""Local days: the quick midnight look-up agrees with converting wall-clock times."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.planner.clock import DAY, Clock, LocalDay, _offset_at, wall_to_utc

# Zones whose clocks change at or across midnight, by half an hour, or skip a whole date.
ZONES = [
    "Europe/London", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe", "America/Santiago",
    "America/Asuncion", "America/Havana", "Asia/Beirut", "Africa/Cairo", "America/Sao_Paulo", "Asia/Tehran",
    "Pacific/Apia", "America/Godthab", "UTC",
]


def _reference(tz: ZoneInfo, ordinal: int) -> tuple[int, int, bool]:
    day = date.fromordinal(ordinal)
    start, _ = wall_to_utc(tz, day, 0)
    end, _ = wall_to_utc(tz, day, DAY)
    return start, end, end - start == DAY and _offset_at(tz, start) == _offset_at(tz, end - 1)


@pytest.mark.parametrize("name", ZONES)
def test_local_days_match_wall_clock_conversion(name):
    tz = ZoneInfo(name)
    clock = Clock(name)
    first = date(2010, 1, 1).toordinal()
    # Out of order, so neighbouring dates are not always worked out together.
    ordinals = list(range(first, first + 10 * 366))
    ordinals = ordinals[::-1][::2] + ordinals[::2]
    for ordinal in ordinals:
        day = clock.day(ordinal)
        alone = LocalDay(tz, ordinal)
        expected = _reference(tz, ordinal)
        assert (day.start, day.end, day.uniform) == expected, date.fromordinal(ordinal)
        assert (alone.start, alone.end, alone.uniform) == expected, date.fromordinal(ordinal)


@pytest.mark.parametrize("name", ["Europe/London", "America/Santiago", "Pacific/Apia"])
def test_grids_match_wall_clock_conversion(name):
    tz = ZoneInfo(name)
    clock = Clock(name)
    first = date(2011, 1, 1).toordinal()
    for ordinal in range(first, first + 2 * 366):
        for slot in (900, 1800, 3600 * 5):
            utcs, walls = clock.grid(ordinal, slot)
            expected = [(wall_to_utc(tz, date.fromordinal(ordinal), w)[0], w) for w in range(0, DAY, slot)
                        if wall_to_utc(tz, date.fromordinal(ordinal), w)[1]]
            assert list(zip(utcs, walls, strict=True)) == expected, (date.fromordinal(ordinal) + timedelta(0), slot)
