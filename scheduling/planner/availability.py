"""Where one visit can start on one local date: the hard constraints, day by day.

Everything is evaluated lazily per (local date, visit shape, provider) and
memoised, so a plan touches only the days it looks at. For a date the allowed
start instants are built as interval lists (see `intervals`), then intersected
with that date's slot grid:

    clinic open, minus closures           -> whole visit start..room_end inside
    planning period, strict preferences   -> start and end bounds
    patient busy                          -> start..end must not meet it
    some room free                        -> start..room_end (union over rooms)
    provider working, minus time off      -> provider phase inside
    provider busy                         -> provider phase must not meet it

Opening hours bound the patient's time and the room's turnover: start..room_end
must lie inside one opening span of the visit's local date. A phone visit needs
no room and has no turnover, but still happens while the clinic is open.

Whether a provider can take a visit on a date at all is what the chain search asks
most, so it is answered without building their spans: the provider-independent
rules leave a set of grid starts per (date, shape) (`base_points`; on a busy day
the rooms leave a handful), and the provider is checked at each of them, or, when
there are many, along their free time near them.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time, timezone
from math import ceil, floor
from operator import attrgetter, le, lt

from .clock import DAY, EPOCH_ORDINAL, Clock, LocalDay, utc_seconds
from .intervals import (
    Span,
    Spans,
    Timeline,
    clip,
    grid_points,
    has_grid_point,
    intersect,
    merge,
    starts_inside,
    starts_inside_of,
    subtract,
    union,
    union_free_starts,
    union_starts_inside,
)
from .types import BusySpans, Interval, LocationCalendar, Preferences, ProviderCalendar, RoomCalendar, VisitShape

NO_STARTS: tuple[list[int], list[int]] = ([], [])
# Up to this many candidate starts on a date, each is tried in turn for a provider;
# with more, the provider's free time is walked instead.
FEW_POINTS = 8


def interval_spans(intervals: Iterable[Interval] | BusySpans) -> list[Span]:
    """Busy intervals as seconds, rounded outwards so nothing busy is lost.

    `timestamp()` is exact to the microsecond for aware datetimes of this era and
    several times faster than datetime arithmetic, which matters for big calendars."""
    if isinstance(intervals, BusySpans):
        return list(zip(intervals.starts, intervals.ends, strict=True))
    return [(floor(i.start.timestamp()), ceil(i.end.timestamp())) for i in intervals]


class _WindowedTimeline:
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


class _LazyTimeline:
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
        self._timeline: Timeline | _WindowedTimeline | None = None

    def get(self) -> Timeline | _WindowedTimeline:
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
                self._timeline = _WindowedTimeline(starts, ends)
            else:
                self._timeline = Timeline(interval_spans(intervals))
        return self._timeline


_START = attrgetter("start")
_END = attrgetter("end")
_TZINFO = attrgetter("tzinfo")


def _wall(value: time | None) -> int | None:
    if value is None:
        return None
    return value.hour * 3600 + value.minute * 60 + value.second


class Shape:
    """A VisitShape in seconds, with a small key for the memo tables."""

    __slots__ = ("key", "visit", "prep", "prov", "turn", "patient", "room", "needs_room")

    def __init__(self, key: int, visit: VisitShape) -> None:
        self.key = key
        self.visit = visit
        self.prep = visit.prep_minutes * 60
        self.prov = visit.provider_minutes * 60
        self.turn = visit.turnover_minutes * 60 if visit.needs_room else 0
        self.patient = self.prep + self.prov
        self.room = self.patient + self.turn
        self.needs_room = visit.needs_room


class Placement:
    """One chosen visit: date, start, provider and room (None for a phone visit)."""

    __slots__ = ("ordinal", "start", "wall", "provider_id", "room_id", "shape")

    def __init__(self, ordinal: int, start: int, wall: int, provider_id: int,
                 room_id: int | None, shape: Shape) -> None:
        self.ordinal = ordinal
        self.start = start
        self.wall = wall
        self.provider_id = provider_id
        self.room_id = room_id
        self.shape = shape

    @property
    def provider_start(self) -> int:
        return self.start + self.shape.prep

    @property
    def provider_end(self) -> int:
        return self.start + self.shape.patient

    @property
    def end(self) -> int:
        return self.start + self.shape.patient

    @property
    def room_end(self) -> int:
        return self.start + self.shape.room

    def __repr__(self) -> str:
        return f"Placement({self.ordinal}, {self.start}, p={self.provider_id}, r={self.room_id})"


class _Provider:
    __slots__ = ("id", "name", "hours", "_time_off", "_busy")

    def __init__(self, calendar: ProviderCalendar) -> None:
        self.id = calendar.id
        self.name = calendar.name
        self.hours = calendar.hours.seconds
        self._time_off = _LazyTimeline(calendar.time_off)
        self._busy = _LazyTimeline(calendar.busy)

    @property
    def time_off(self) -> Timeline | _WindowedTimeline:
        return self._time_off.get()

    @property
    def busy(self) -> Timeline | _WindowedTimeline:
        return self._busy.get()


class _Room:
    __slots__ = ("id", "_busy")

    def __init__(self, calendar: RoomCalendar) -> None:
        self.id = calendar.id
        self._busy = _LazyTimeline(calendar.busy)

    @property
    def busy(self) -> Timeline | _WindowedTimeline:
        return self._busy.get()


class Availability:
    """The hard constraints of one location for one patient over one planning period."""

    def __init__(self, location: LocationCalendar, patient_busy: Iterable[Interval],
                 lo: datetime | int, hi: datetime | int, preferences: Preferences | None = None) -> None:
        self.location = location
        self.clock = Clock(location.tz)
        self.slot = location.slot_minutes * 60
        self.opening = location.opening_hours.seconds
        self.closures = Timeline(interval_spans(location.closures))
        self.providers = {p.id: _Provider(p) for p in location.providers}
        self.provider_ids: tuple[int, ...] = tuple(sorted(self.providers))
        self.rooms = sorted((_Room(r) for r in location.rooms), key=lambda room: room.id)
        self.patient = Timeline(interval_spans(patient_busy))
        # The planning period: visits start at or after lo and have left the room by hi.
        self.lo = lo if isinstance(lo, int) else utc_seconds(lo, round_up=True)
        self.hi = hi if isinstance(hi, int) else utc_seconds(hi)
        preferences = preferences or Preferences()
        self.preferences = preferences
        self.strict = preferences.strict
        self._earliest = _wall(preferences.earliest_time)
        latest = _wall(preferences.latest_time)
        # A latest time of 00:00 can only mean the end of the day.
        self._latest = DAY if latest == 0 else latest
        self.first_ordinal = self.clock.ordinal(self.lo)
        self.last_ordinal = self.clock.ordinal(self.hi - 1) if self.hi > self.lo else self.first_ordinal - 1
        self._shapes: dict[VisitShape, Shape] = {}
        self._clinic: dict[int, Spans] = {}
        self._base: dict[tuple[int, int], Spans] = {}
        self._patient_free: dict[int, Spans] = {}
        self._rooms_free: dict[int, list[Spans]] = {}
        self._provider_free: dict[tuple[int, int], Spans] = {}
        self._starts: dict[tuple[int, int, int], tuple[list[int], list[int]]] = {}
        self._spans_cache: dict[tuple[int, int, int], Spans] = {}
        self._has: dict[tuple[int, int, int], bool] = {}
        self._points: dict[tuple[int, int], list[int]] = {}
        self._open: dict[int, dict[int, bool]] = {}
        self._phase_cache: dict[tuple[int, int], list[tuple[int, int, int, int]]] = {}

    # -- inputs --------------------------------------------------------------

    def shape(self, visit: VisitShape) -> Shape:
        found = self._shapes.get(visit)
        if found is None:
            found = self._shapes[visit] = Shape(len(self._shapes), visit)
        return found

    def provider_name(self, provider_id: int) -> str:
        return self.providers[provider_id].name

    def day(self, ordinal: int) -> LocalDay:
        return self.clock.day(ordinal)

    # -- soft preferences ------------------------------------------------------

    def weekday_miss(self, ordinal: int) -> bool:
        """Whether a date is outside the preferred weekdays (False when none given)."""
        weekdays = self.preferences.weekdays
        return weekdays is not None and (ordinal + 6) % 7 not in weekdays

    def hours_miss(self, wall: int, shape: Shape) -> bool:
        """Whether a visit starting at this wall-clock time leaves the preferred hours.
        Approximate across a daylight-saving change, which is fine for ranking."""
        if self._earliest is not None and wall < self._earliest:
            return True
        return self._latest is not None and wall + shape.patient > self._latest

    # -- the hard constraints -----------------------------------------------

    def clinic_free(self, ordinal: int) -> Spans:
        """The date's opening spans minus closures, in UTC seconds."""
        found = self._clinic.get(ordinal)
        if found is not None:
            return found
        if not self.opening[(ordinal + 6) % 7] or self._closed_all_day(ordinal):
            spans: Spans = []
        else:
            day = self.clock.day(ordinal)
            # On a daylight-saving date the UTC length of a span differs from its
            # wall-clock length; `at` handles it (and maps gap times to the jump).
            spans = merge((day.at(a), day.at(b)) for a, b in self.opening[day.weekday])
            if spans and self.closures:
                spans = self.closures.cut(spans)
        self._clinic[ordinal] = spans
        return spans

    def _closed_all_day(self, ordinal: int) -> bool:
        """Whether one closure surely covers the whole local date, without working out
        its bounds: UTC offsets are under a day, so the date lies within a day either
        side of its naive midnight (the time between a loader's windows is like that)."""
        starts = self.closures.starts
        naive = (ordinal - EPOCH_ORDINAL) * DAY
        i = bisect_right(starts, naive - DAY) - 1
        return i >= 0 and self.closures.ends[i] >= naive + 2 * DAY

    # Free time per local date, whatever the visit: a visit lies inside its own date's
    # opening hours, so the date's bounds are the only window that matters.

    def _free_in_day(self, day: LocalDay, busy: Timeline | _WindowedTimeline) -> Spans:
        if not busy:
            return [(day.start, day.end)]
        return busy.free_in(day.start, day.end)

    def patient_free(self, ordinal: int) -> Spans:
        found = self._patient_free.get(ordinal)
        if found is None:
            found = self._patient_free[ordinal] = self._free_in_day(self.clock.day(ordinal), self.patient)
        return found

    def rooms_free(self, ordinal: int) -> list[Spans]:
        found = self._rooms_free.get(ordinal)
        if found is None:
            day = self.clock.day(ordinal)
            found = self._rooms_free[ordinal] = [self._free_in_day(day, room.busy) for room in self.rooms]
        return found

    def _work(self, provider: _Provider, day: LocalDay) -> Spans:
        hours = provider.hours[day.weekday]
        if day.uniform:
            # One offset all day: wall-clock spans shift straight to UTC (already merged).
            start = day.start
            return [(start + a, start + b) for a, b in hours]
        return merge((day.at(a), day.at(b)) for a, b in hours)

    def _off(self, provider: _Provider, work: Spans) -> Spans:
        if work and provider.time_off:
            work = provider.time_off.cut(work)
        return work

    def provider_free(self, ordinal: int, provider_id: int) -> Spans:
        """When the provider could treat on this date: working, not off, not booked."""
        key = (ordinal, provider_id)
        found = self._provider_free.get(key)
        if found is None:
            provider = self.providers[provider_id]
            day = self.clock.day(ordinal)
            found = self._off(provider, self._work(provider, day))
            if found and provider.busy:
                found = provider.busy.cut(found)
            self._provider_free[key] = found
        return found

    # -- the hard constraints, per visit shape -----------------------------------

    def _period(self, day: LocalDay, shape: Shape, spans: Spans) -> Spans:
        """Clip start sets to the planning period and, when strict, the preferred hours."""
        spans = clip(spans, self.lo, self.hi - shape.room + 1)
        if self.strict and spans and (self._earliest is not None or self._latest is not None):
            lo = day.at(self._earliest) if self._earliest is not None else day.start
            hi = day.at(self._latest) if self._latest is not None else day.end
            spans = clip(spans, lo, hi - shape.patient + 1)
        return spans

    def _strict_day_miss(self, day: LocalDay) -> bool:
        weekdays = self.preferences.weekdays
        return self.strict and weekdays is not None and day.weekday not in weekdays

    def _patient_starts(self, ordinal: int, shape: Shape, spans: Spans) -> Spans:
        """Starts at which the patient is free from start to end."""
        if not spans:
            return spans
        return intersect(spans, starts_inside(self.patient_free(ordinal), 0, shape.patient))

    def _room_starts(self, ordinal: int, shape: Shape, spans: Spans) -> Spans:
        """Starts at which at least one room is free from start to room_end."""
        if not spans or not shape.needs_room:
            return spans
        frees = self._rooms_free.get(ordinal)
        if frees is None:
            busy = [room.busy for room in self.rooms]
            if all(type(timeline) is Timeline for timeline in busy):
                day = self.clock.day(ordinal)
                return intersect(spans, union_free_starts(busy, day.start, day.end, shape.room))
            frees = self.rooms_free(ordinal)
        return intersect(spans, union_starts_inside(frees, 0, shape.room))

    def base(self, ordinal: int, shape: Shape) -> Spans:
        """Starts on this date that every provider-independent constraint allows."""
        key = (ordinal, shape.key)
        found = self._base.get(key)
        if found is not None:
            return found
        spans: Spans = []
        clinic = self.clinic_free(ordinal)
        if clinic:  # else nothing below could leave a start
            day = self.clock.day(ordinal)
            if not (self._strict_day_miss(day) or day.end <= self.lo or day.start >= self.hi):
                spans = starts_inside(clinic, 0, shape.room)
                spans = self._period(day, shape, spans)
                spans = self._patient_starts(ordinal, shape, spans)
                spans = self._room_starts(ordinal, shape, spans)
        self._base[key] = spans
        return spans

    def _spans(self, ordinal: int, shape: Shape, provider_id: int) -> Spans:
        """Allowed starts of this visit with this provider on this date, as spans that hold
        at least one grid instant (else empty); memoised."""
        key = (ordinal, shape.key, provider_id)
        found = self._spans_cache.get(key)
        if found is not None:
            return found
        found = []
        provider = self.providers[provider_id]
        # The weekday of a date ordinal (date(1, 1, 1) was a Monday), without the LocalDay.
        if provider.hours[(ordinal + 6) % 7]:
            base = self._base.get((ordinal, shape.key))
            if base is None:
                base = self.base(ordinal, shape)
            if base:
                free = self._provider_free.get((ordinal, provider_id))
                if free is not None:
                    found = starts_inside_of(free, shape.prep, shape.prov, base)
                else:
                    # Straight from the bookings: the provider's free spans of the day
                    # are rarely wanted for a second visit shape, so they are not kept.
                    work = self._off(provider, self._work(provider, self.clock.day(ordinal)))
                    if work:
                        busy = provider.busy
                        if busy:
                            found = busy.starts_between(work, shape.prep, shape.prov, base)
                        else:
                            found = starts_inside_of(work, shape.prep, shape.prov, base)
                if found and not self._on_grid(ordinal, found):
                    found = []
        self._spans_cache[key] = found
        return found

    def _on_grid(self, ordinal: int, spans: Spans) -> bool:
        """Whether the spans hold a start on the date's slot grid (`has_grid_point`)."""
        day = self.clock.day(ordinal)
        if not day.uniform:
            return has_grid_point(spans, self.clock.grid(ordinal, self.slot)[0])
        # The grid is day.start + k * slot for k = 0, 1, ... while before day.start + DAY.
        start = day.start
        slot = self.slot
        last = start + (DAY - 1) // slot * slot
        for lo, hi in spans:
            if lo < start:
                lo = start
            point = lo + (start - lo) % slot  # the first grid instant at or after lo
            if point < hi and point <= last:
                return True
        return False

    def _allowed(self, ordinal: int, shape: Shape, provider_id: int) -> Spans:
        """Allowed start instants on this date, on the slot grid or not."""
        if not self.providers[provider_id].hours[(ordinal + 6) % 7]:
            return []
        base = self.base(ordinal, shape)
        if not base:
            return []
        free = self.provider_free(ordinal, provider_id)
        if not free:
            return []
        return intersect(starts_inside(free, shape.prep, shape.prov), base)

    def fits(self, ordinal: int, shape: Shape, provider_id: int, start: int) -> bool:
        """Whether a visit at exactly this instant keeps every rule but the slot grid
        (an existing booking may sit off the grid and still be fine where it is)."""
        return any(lo <= start < hi for lo, hi in self._allowed(ordinal, shape, provider_id))

    def has_starts(self, ordinal: int, shape: Shape, provider_id: int) -> bool:
        """Whether this visit fits with this provider on this date at all."""
        key = (ordinal, shape.key, provider_id)
        found = self._has.get(key)
        if found is None:
            found = self._has[key] = self._has_starts(ordinal, shape, provider_id)
        return found

    def _has_starts(self, ordinal: int, shape: Shape, provider_id: int) -> bool:
        """`bool(self._spans(...))`, stopping at the first start found."""
        spans = self._spans_cache.get((ordinal, shape.key, provider_id))
        if spans is not None:
            return bool(spans)
        provider = self.providers[provider_id]
        hours = provider.hours[(ordinal + 6) % 7]
        if not hours:
            return False
        points = self._points.get((ordinal, shape.key))
        if points is None:
            points = self.base_points(ordinal, shape)
        if not points:
            return False
        day = self.clock.day(ordinal)
        busy = provider.busy
        off = provider.time_off
        if len(points) <= FEW_POINTS and day.uniform and type(busy) is Timeline and type(off) is Timeline:
            # Few candidate starts (a busy day's rooms leave few): try each of them. The
            # provider phase must lie inside working hours (compared as wall-clock
            # seconds) and meet neither bookings nor time off.
            busy_starts, busy_ends = busy.starts, busy.ends
            off_starts, off_ends = off.starts, off.ends
            for lo, hi, wall_lo, wall_hi in self._phases(ordinal, shape, points, day.start):
                for a, b in hours:
                    if a <= wall_lo and wall_hi <= b:
                        break
                else:
                    continue  # not while working
                i = bisect_left(busy_starts, hi)
                if i and busy_ends[i - 1] > lo:
                    continue  # booked
                if off_starts:
                    i = bisect_left(off_starts, hi)
                    if i and off_ends[i - 1] > lo:
                        continue  # time off
                return True
            return False
        if not day.uniform or type(busy) is not Timeline:
            return bool(self._spans(ordinal, shape, provider_id))
        work = self._off(provider, self._work(provider, day))
        if not work:
            return False
        start = day.start
        slot = self.slot
        base = self._base[(ordinal, shape.key)]
        return busy.has_grid_start(work, shape.prep, shape.prov, base, start, slot, start + (DAY - 1) // slot * slot)

    def _phases(self, ordinal: int, shape: Shape, points: list[int], start: int) -> list[tuple[int, int, int, int]]:
        """The provider phase of a visit at each point, in UTC and as seconds after `start`
        (local midnight of a date with one offset all day); the same for every provider."""
        key = (ordinal, shape.key)
        found = self._phase_cache.get(key)
        if found is None:
            prep, prov = shape.prep, shape.prov
            found = self._phase_cache[key] = [
                (point + prep, point + prep + prov, point + prep - start, point + prep + prov - start)
                for point in points]
        return found

    def base_points(self, ordinal: int, shape: Shape) -> list[int]:
        """The starts on the date's slot grid that `base` allows (UTC seconds, ascending)."""
        key = (ordinal, shape.key)
        found = self._points.get(key)
        if found is None:
            base = self.base(ordinal, shape)
            found = []
            if base:
                day = self.clock.day(ordinal)
                if day.uniform:
                    start = day.start
                    slot = self.slot
                    end = start + (DAY - 1) // slot * slot + 1  # past the last grid instant
                    for lo, hi in base:
                        if lo < start:
                            lo = start
                        found += range(lo + (start - lo) % slot, hi if hi < end else end, slot)
                else:
                    utcs = self.clock.grid(ordinal, self.slot)[0]
                    found = [utcs[i] for i in grid_points(base, utcs)]
            self._points[key] = found
        return found

    def open_on(self, ordinal: int, shape: Shape) -> bool:
        """Whether the provider-independent rules leave this visit any start on this date."""
        flags = self.open_days(shape)
        found = flags.get(ordinal)
        if found is None:
            points = self._points.get((ordinal, shape.key))
            if points is None:
                points = self.base_points(ordinal, shape)
            found = flags[ordinal] = bool(points)
        return found

    def open_days(self, shape: Shape) -> dict[int, bool]:
        """`open_on` of the dates asked about so far, by date."""
        found = self._open.get(shape.key)
        if found is None:
            found = self._open[shape.key] = {}
        return found

    def any_starts(self, ordinal: int, shape: Shape, provider_ids: Iterable[int]) -> bool:
        """Whether this visit fits on this date with any of these providers."""
        key = shape.key
        points = self._points.get((ordinal, key))
        if points is None:
            points = self.base_points(ordinal, shape)
        if not points:
            return False
        cache = self._has
        for provider_id in provider_ids:
            found = cache.get((ordinal, key, provider_id))
            if found is None:
                found = cache[(ordinal, key, provider_id)] = self._has_starts(ordinal, shape, provider_id)
            if found:
                return True
        return False

    def starts(self, ordinal: int, shape: Shape, provider_id: int) -> tuple[list[int], list[int]]:
        """Every allowed start of this visit with this provider on this local date,
        as parallel ascending lists (UTC seconds, local wall seconds)."""
        key = (ordinal, shape.key, provider_id)
        found = self._starts.get(key)
        if found is None:
            spans = self._spans(ordinal, shape, provider_id) if self._has.get(key) is not False else []
            found = NO_STARTS
            if spans:
                utcs, walls = self.clock.grid(ordinal, self.slot)
                index = grid_points(spans, utcs)
                found = ([utcs[i] for i in index], [walls[i] for i in index])
            self._starts[key] = found
        return found

    def can_start(self, ordinal: int, shape: Shape, provider_id: int, start: int) -> bool:
        utcs = self.starts(ordinal, shape, provider_id)[0]
        i = bisect_left(utcs, start)
        return i < len(utcs) and utcs[i] == start

    # -- choosing a room and keeping a plan's own visits apart ------------------

    def room_for(self, shape: Shape, start: int, avoid: Sequence[Placement] = (),
                 prefer: int | None = None) -> tuple[bool, int | None]:
        """(found, room id) for a visit starting then; a phone visit needs none."""
        if not shape.needs_room:
            return True, None
        end = start + shape.room
        order = self.rooms
        if prefer is not None:
            order = sorted(self.rooms, key=lambda room: room.id != prefer)
        for room in order:
            if room.busy.overlaps(start, end):
                continue
            if any(a.room_id == room.id and a.start < end and a.room_end > start for a in avoid):
                continue
            return True, room.id
        return False, None

    @staticmethod
    def clashes(shape: Shape, start: int, provider_id: int, avoid: Sequence[Placement]) -> bool:
        """Whether the patient or provider would be in two visits of the same plan at once."""
        end = start + shape.patient
        p_start = start + shape.prep
        for a in avoid:
            if a.start < end and a.end > start:
                return True
            if a.provider_id == provider_id and a.provider_start < end and a.provider_end > p_start:
                return True
        return False

    def place(self, ordinal: int, shape: Shape, provider_id: int, start: int, wall: int,
              avoid: Sequence[Placement] = (), prefer_room: int | None = None) -> Placement | None:
        """A placement for an allowed start, or None if the plan's own visits are in the way."""
        if avoid and self.clashes(shape, start, provider_id, avoid):
            return None
        found, room_id = self.room_for(shape, start, avoid, prefer_room)
        if not found:
            return None
        return Placement(ordinal, start, wall, provider_id, room_id, shape)

    def placements(self, ordinal: int, shape: Shape, provider_id: int, start: int,
                   wall: int) -> list[Placement]:
        """One placement per room free for an allowed start (one without a room by phone)."""
        if not shape.needs_room:
            return [Placement(ordinal, start, wall, provider_id, None, shape)]
        end = start + shape.room
        return [Placement(ordinal, start, wall, provider_id, room.id, shape)
                for room in self.rooms if not room.busy.overlaps(start, end)]

    # -- explaining a day that does not work -------------------------------------

    def explain(self, ordinal: int, shape: Shape, provider_ids: Sequence[int],
                point: int | None = None) -> str | None:
        """The first constraint that leaves no start on this date (or at `point`), as a
        reason key, or None if the visit fits. Same constraints as `starts`, applied in
        the order a front desk would look: clinic, period, preferences, providers'
        hours, time off, bookings, rooms, the patient."""
        day = self.clock.day(ordinal)
        grid = self.clock.grid(ordinal, self.slot)[0]

        def alive(spans: Spans) -> bool:
            if point is None:
                return has_grid_point(spans, grid)
            return any(lo <= point < hi for lo, hi in spans)

        if day.end <= self.lo or day.start >= self.hi:
            return "outside_horizon"
        if self._strict_day_miss(day):
            return "outside_preferred_days"
        spans = starts_inside(self.clinic_free(ordinal), 0, shape.room)
        if not alive(spans):
            return "closed"
        clipped = clip(spans, self.lo, self.hi - shape.room + 1)
        if not alive(clipped):
            return "outside_horizon"
        spans = self._period(day, shape, spans)
        if not alive(spans):
            return "outside_preferred_hours"
        working = off_duty = False
        free: list[Spans] = []
        for provider_id in provider_ids:
            provider = self.providers[provider_id]
            work = self._work(provider, day)
            if not alive(intersect(starts_inside(work, shape.prep, shape.prov), spans)):
                continue
            working = True
            if not alive(intersect(starts_inside(self._off(provider, work), shape.prep, shape.prov), spans)):
                continue
            off_duty = True
            mine = intersect(starts_inside(self.provider_free(ordinal, provider_id), shape.prep, shape.prov), spans)
            if alive(mine):
                free.append(mine)
        if not working:
            return "no_provider_working"
        if not off_duty:
            return "provider_time_off"
        if not free:
            return "providers_fully_booked"
        spans = self._room_starts(ordinal, shape, union(free))
        if not alive(spans):
            return "no_room_free"
        spans = self._patient_starts(ordinal, shape, spans)
        if not alive(spans):
            return "patient_busy"
        return None
