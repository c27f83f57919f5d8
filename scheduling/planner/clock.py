"""Local calendar days of a location and their wall-clock to UTC conversion.

All daylight-saving handling of the planner lives here. Inside the planner an
instant is an int of seconds since the Unix epoch (UTC), so durations are real
elapsed time by construction; a local date is a `date.toordinal()` int.

The rules, applied everywhere:
- Wall-clock times are converted with zoneinfo for the local date they belong to,
  so "10:00 four weeks later" is 10:00 on that date whatever the offset is then.
- An ambiguous wall-clock time (the repeated hour when clocks go back) means its
  FIRST occurrence (fold=0). Candidate start times are offered only once, at that
  first occurrence; the repeated hour's second pass is never offered.
- A wall-clock time that does not exist (the hour skipped when clocks go forward)
  is never offered as a start. Used as the bound of opening or working hours it
  means the moment the clocks jump, so "open until 02:30" on that night in New
  York closes at 03:00 EDT (= 02:00 EST), and "open from 02:30" opens then.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

DAY = 86400


def utc_seconds(value: datetime, *, round_up: bool = False) -> int:
    """An aware datetime as whole epoch seconds (sub-second parts rounded down, or up)."""
    delta = value - datetime(1970, 1, 1, tzinfo=UTC)
    seconds = delta.days * DAY + delta.seconds
    if round_up and delta.microseconds:
        seconds += 1
    return seconds


def to_datetime(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _offset_at(tz: ZoneInfo, seconds: int) -> int:
    offset = datetime.fromtimestamp(seconds, UTC).astimezone(tz).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


def wall_to_utc(tz: ZoneInfo, day: date, wall: int) -> tuple[int, bool]:
    """UTC seconds for `wall` seconds after local midnight of `day` (86400 = next midnight),
    and whether that wall-clock time exists."""
    if wall >= DAY:
        day = day + timedelta(days=wall // DAY)
        wall %= DAY
    naive = datetime(day.year, day.month, day.day) + timedelta(seconds=wall)
    # fold=0: an ambiguous time (clocks going back) resolves to its first occurrence.
    first = naive.replace(tzinfo=tz)
    seconds = utc_seconds(first)
    if datetime.fromtimestamp(seconds, UTC).astimezone(tz).replace(tzinfo=None) == naive:
        return seconds, True
    # Spring-forward gap: the time does not exist. fold=1 applies the offset after the
    # jump (an earlier instant), fold=0 the offset before it (a later instant); the jump
    # lies between them. Find it: the first instant with the later offset.
    lo = utc_seconds(naive.replace(tzinfo=tz, fold=1))
    hi = seconds
    after = _offset_at(tz, hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _offset_at(tz, mid) == after:
            hi = mid
        else:
            lo = mid
    return hi, False


class LocalDay:
    """One local calendar date at a location: its UTC bounds and wall-clock conversion."""

    __slots__ = ("ordinal", "date", "weekday", "start", "end", "uniform", "_tz")

    def __init__(self, tz: ZoneInfo, ordinal: int) -> None:
        self._tz = tz
        self.ordinal = ordinal
        self.date = date.fromordinal(ordinal)
        self.weekday = self.date.weekday()
        self.start, _ = wall_to_utc(tz, self.date, 0)
        self.end, _ = wall_to_utc(tz, self.date, DAY)
        # Most days have one offset all day: then wall-clock arithmetic is plain
        # addition. A day with a daylight-saving change (23 or 25 hours long, or with
        # a change that moves midnight) takes the careful path in `at`.
        self.uniform = (
            self.end - self.start == DAY
            and _offset_at(tz, self.start) == _offset_at(tz, self.end - 1)
        )

    def at(self, wall: int) -> int:
        """UTC seconds of a wall-clock time (seconds after local midnight, 0..86400) on this date."""
        if self.uniform:
            return self.start + wall
        return wall_to_utc(self._tz, self.date, wall)[0]


class Clock:
    """Memoised local days and slot grids for one time zone."""

    def __init__(self, tz_name: str) -> None:
        self.tz = ZoneInfo(tz_name)
        self._days: dict[int, LocalDay] = {}
        self._grids: dict[tuple[int, int], tuple[list[int], list[int]]] = {}

    def day(self, ordinal: int) -> LocalDay:
        found = self._days.get(ordinal)
        if found is None:
            found = self._days[ordinal] = LocalDay(self.tz, ordinal)
        return found

    def grid(self, ordinal: int, slot: int) -> tuple[list[int], list[int]]:
        """Candidate starts on a local date: every `slot` seconds of wall-clock time from
        midnight, as parallel lists (UTC seconds, wall seconds), ascending in both.

        Wall times inside a spring-forward gap are left out; a repeated (fall-back)
        time appears once, at its first occurrence, which keeps both lists ascending.
        """
        key = (ordinal, slot)
        found = self._grids.get(key)
        if found is not None:
            return found
        day = self.day(ordinal)
        walls = list(range(0, DAY, slot))
        if day.uniform:
            utcs = [day.start + wall for wall in walls]
        else:
            utcs, kept = [], []
            for wall in walls:
                seconds, exists = wall_to_utc(self.tz, day.date, wall)
                if exists:
                    utcs.append(seconds)
                    kept.append(wall)
            walls = kept
        found = self._grids[key] = (utcs, walls)
        return found

    def local(self, seconds: int) -> tuple[int, int]:
        """(local ordinal, wall seconds after local midnight) of a UTC instant."""
        local = datetime.fromtimestamp(seconds, UTC).astimezone(self.tz)
        return local.date().toordinal(), local.hour * 3600 + local.minute * 60 + local.second

    def ordinal(self, seconds: int) -> int:
        return self.local(seconds)[0]


def ordinal_to_date(ordinal: int) -> date:
    return date.fromordinal(ordinal)
