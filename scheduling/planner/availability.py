"""Where one visit can start on one local date: the slot search over `free_time`, and choosing rooms.

Whether a provider can take a visit on a date at all is what the chain search asks
most, so it is answered without building their spans: the provider-independent
rules leave a set of grid starts per (date, shape) (`base_points`; on a busy day
the rooms leave a handful), and the provider is checked at each of them, or, when
there are many, along their free time near them.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from datetime import datetime

from .clock import DAY
from .free_time import FreeTime
from .intervals import Spans, Timeline, grid_points, has_grid_point, intersect, starts_inside, starts_inside_of
from .placements import Placement, Shape
from .types import Interval, LocationDiary, Preferences

NO_STARTS: tuple[list[int], list[int]] = ([], [])
# Up to this many candidate starts on a date, each is tried in turn for a provider;
# with more, the provider's free time is walked instead.
FEW_POINTS = 8


class Availability(FreeTime):
    """The hard constraints of one location for one patient over one planning period."""

    def __init__(self, location: LocationDiary, patient_busy: Iterable[Interval],
                 lo: datetime | int, hi: datetime | int, preferences: Preferences | None = None) -> None:
        super().__init__(location, patient_busy, lo, hi, preferences)
        self._starts: dict[tuple[int, int, int], tuple[list[int], list[int]]] = {}
        self._spans_cache: dict[tuple[int, int, int], Spans] = {}
        self._has: dict[tuple[int, int, int], bool] = {}
        self._points: dict[tuple[int, int], list[int]] = {}
        self._open: dict[int, dict[int, bool]] = {}
        self._phase_cache: dict[tuple[int, int], list[tuple[int, int, int, int]]] = {}

    # -- finding starts on the slot grid --------------------------------------

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
