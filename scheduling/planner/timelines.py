"""Busy time made searchable only when first asked about, so a big diary costs little until used."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timezone
from math import ceil, floor
from operator import attrgetter, le, lt

from .intervals import Span, Spans, Timeline, starts_inside_of, subtract
from .types import BusySpans, Interval, ProviderDiary, RoomDiary


def interval_spans(intervals: Iterable[Interval] | BusySpans) -> list[Span]:
    """Busy intervals as seconds, rounded outwards so nothing busy is lost.

    `timestamp()` is exact to the microsecond for aware datetimes of this era and
    several times faster than datetime arithmetic, which matters for big diaries."""
    if isinstance(intervals, BusySpans):
        return list(zip(intervals.starts, intervals.ends, strict=True))
    return [(floor(i.start.timestamp()), ceil(i.end.timestamp())) for i in intervals]


class WindowedTimeline:
    """Sorted, disjoint busy intervals kept as the loader gave them (aware datetimes);
    a query converts only the few it meets. Same interface as `Timeline`."""

    __slots__ = ("starts", "ends")

    def __init__(self, starts: list[datetime], ends: list[datetime]) -> None:
        self.starts = starts
        self.ends = ends

    def __bool__(self) -> bool:
        return bool(self.starts)

    def overlaps(self, lo: int, hi: int) -> bool:
        i = bisect_left(self.starts, datetime.fromtimestamp(hi, UTC))
        return i > 0 and self.ends[i - 1] > datetime.fromtimestamp(lo, UTC)

    def within(self, lo: int, hi: int) -> Spans:
        i = bisect_right(self.ends, datetime.fromtimestamp(lo, UTC))
        j = bisect_left(self.starts, datetime.fromtimestamp(hi, UTC))
        return [(floor(a.timestamp()), ceil(b.timestamp()))
                for a, b in zip(self.starts[i:j], self.ends[i:j], strict=True)]

    def cut(self, spans: Sequence[Span]) -> Spans:
        """The parts of sorted, disjoint `spans` that nothing busy meets."""
        if not spans:
            return []
        busy = self.within(spans[0][0], spans[-1][1])
        return subtract(spans, busy) if busy else list(spans)

    def free_in(self, lo: int, hi: int) -> Spans:
        return self.cut([(lo, hi)])

    def starts_between(self, spans: Sequence[Span], offset: int, length: int, allowed: Sequence[Span]) -> Spans:
        return starts_inside_of(self.cut(spans), offset, length, allowed)


class LazyTimeline:
    """Busy intervals made searchable on first use, so a request naming one provider
    never pays for the others' bookings.

    A loader ordering bookings by start usually hands sorted, disjoint intervals in
    UTC; those are checked with C-level passes and then searched as they are, which is
    several times cheaper than converting tens of thousands of them. Anything else
    (unsorted, overlapping, or in a zone with repeated wall-clock hours, where equal-
    zone comparisons ignore `fold`) is converted and merged in full."""

    __slots__ = ("_intervals", "_timeline")

    def __init__(self, intervals: Sequence[Interval]) -> None:
        self._intervals = intervals
        self._timeline: Timeline | WindowedTimeline | None = None

    def get(self) -> Timeline | WindowedTimeline:
        if self._timeline is None and isinstance(self._intervals, BusySpans):
            self._timeline = Timeline.from_sorted(self._intervals.starts, self._intervals.ends)
        if self._timeline is None:
            intervals = self._intervals
            starts = list(map(_START, intervals))
            ends = list(map(_END, intervals))
            # Non-empty and each ending by the next one's start: sorted and disjoint.
            # Every comparison made here or in a search has a start (or a UTC bound) on
            # one side, so fixed-offset starts are enough to rule out the fold problem.
            if (all(isinstance(zone, timezone) for zone in set(map(_TZINFO, starts)))
                    and all(map(lt, starts, ends)) and all(map(le, ends, starts[1:]))):
                self._timeline = WindowedTimeline(starts, ends)
            else:
                self._timeline = Timeline(interval_spans(intervals))
        return self._timeline


_START = attrgetter("start")
_END = attrgetter("end")
_TZINFO = attrgetter("tzinfo")


class Provider:
    """A provider's weekly working hours, with their time off and bookings searchable on first use."""

    __slots__ = ("id", "name", "hours", "_time_off", "_busy")

    def __init__(self, diary: ProviderDiary) -> None:
        self.id = diary.id
        self.name = diary.name
        self.hours = diary.hours.seconds
        self._time_off = LazyTimeline(diary.time_off)
        self._busy = LazyTimeline(diary.busy)

    @property
    def time_off(self) -> Timeline | WindowedTimeline:
        return self._time_off.get()

    @property
    def busy(self) -> Timeline | WindowedTimeline:
        return self._busy.get()


class Room:
    """A room, with its occupation searchable on first use."""

    __slots__ = ("id", "_busy")

    def __init__(self, diary: RoomDiary) -> None:
        self.id = diary.id
        self._busy = LazyTimeline(diary.busy)

    @property
    def busy(self) -> Timeline | WindowedTimeline:
        return self._busy.get()
