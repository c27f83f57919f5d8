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
from functools import lru_cache
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
    offset = datetime.fromtimestamp(seconds, tz).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _midnight(tz: ZoneInfo, ordinal: int) -> tuple[int, int]:
    """UTC seconds of the start of a local date (as `wall_to_utc(tz, day, 0)`) and the
    UTC offset in force at that instant.

    The usual case costs two zoneinfo look-ups: midnight with its fold=0 offset,
    confirmed by the offset at the instant found (the wall-clock time exists exactly
    when they agree). A midnight inside a spring-forward gap takes `wall_to_utc`."""
    day = date.fromordinal(ordinal)
    offset = datetime(day.year, day.month, day.day, tzinfo=tz).utcoffset()
    assert offset is not None
    naive = (ordinal - EPOCH_ORDINAL) * DAY
    seconds = naive - int(offset.total_seconds())
    actual = _offset_at(tz, seconds)
    if seconds + actual != naive:
        seconds, _ = wall_to_utc(tz, day, 0)
        actual = _offset_at(tz, seconds)
    return seconds, actual


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

    def __init__(self, tz: ZoneInfo, ordinal: int, start: tuple[int, int] | None = None,
                 end: tuple[int, int] | None = None) -> None:
        """`start` and `end` are `_midnight` of this date and the next, if known."""
        self._tz = tz
        self.ordinal = ordinal
        self.date = date.fromordinal(ordinal)
        self.weekday = self.date.weekday()
        self.start, start_offset = start or _midnight(tz, ordinal)
        self.end, _ = end or _midnight(tz, ordinal + 1)
        # Most days have one offset all day: then wall-clock arithmetic is plain
        # addition. A day with a daylight-saving change (23 or 25 hours long, or with
        # a change that moves midnight) takes the careful path in `at`.
        self.uniform = (
            self.end - self.start == DAY
            and start_offset == _offset_at(tz, self.end - 1)
        )

    def at(self, wall: int) -> int:
        """UTC seconds of a wall-clock time (seconds after local midnight, 0..86400) on this date."""
        if self.uniform:
            return self.start + wall
        return wall_to_utc(self._tz, self.date, wall)[0]


@lru_cache(maxsize=16384)
def _local_day(tz: ZoneInfo, ordinal: int) -> LocalDay:
    """A local date, worked out once per process: a date's bounds and offsets never
    change (tzdata is loaded once), and planning asks for the same months again and
    again. Neighbouring dates share a midnight."""
    return LocalDay(tz, ordinal, _cached_midnight(tz, ordinal), _cached_midnight(tz, ordinal + 1))


@lru_cache(maxsize=16384)
def _cached_midnight(tz: ZoneInfo, ordinal: int) -> tuple[int, int]:
    return _midnight(tz, ordinal)


class Clock:
    """Memoised local days and slot grids for one time zone."""

    def __init__(self, tz_name: str) -> None:
        self.tz = ZoneInfo(tz_name)
        self._days: dict[int, LocalDay] = {}
        self._grids: dict[tuple[int, int], tuple[list[int], list[int]]] = {}
        self._walls: dict[int, list[int]] = {}

    def midnight(self, ordinal: int) -> tuple[int, int]:
        return _cached_midnight(self.tz, ordinal)

    def day(self, ordinal: int) -> LocalDay:
        found = self._days.get(ordinal)
        if found is None:
            found = self._days[ordinal] = _local_day(self.tz, ordinal)
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
        if day.uniform:
            # Every wall-clock time of such a day exists once: one list of them serves all.
            walls = self._walls.get(slot)
            if walls is None:
                walls = self._walls[slot] = list(range(0, DAY, slot))
            utcs = list(range(day.start, day.start + DAY, slot))
        else:
            walls = list(range(0, DAY, slot))
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
