"""The hard constraints of one location as free time per local date: what the slot search starts from.

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

Why a day does not work is told by `explain`, which applies the same constraints in the
order a front desk would look.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import datetime, time

from .clock import DAY, EPOCH_ORDINAL, Clock, LocalDay, utc_seconds
from .intervals import (
    Spans,
    Timeline,
    clip,
    has_grid_point,
    intersect,
    merge,
    starts_inside,
    union,
    union_free_starts,
    union_starts_inside,
)
from .placements import Shape
from .timelines import Provider, Room, WindowedTimeline, interval_spans
from .types import Interval, LocationDiary, Preferences, VisitShape


def _wall(value: time | None) -> int | None:
    if value is None:
        return None
    return value.hour * 3600 + value.minute * 60 + value.second


class FreeTime:
    """The hard constraints of one location for one patient over one planning period, as
    free time per local date (the slot search on top of it is `availability.Availability`)."""

    def __init__(self, location: LocationDiary, patient_busy: Iterable[Interval],
                 lo: datetime | int, hi: datetime | int, preferences: Preferences | None = None) -> None:
        self.location = location
        self.clock = Clock(location.tz)
        self.slot = location.slot_minutes * 60
        self.opening = location.opening_hours.seconds
        self.closures = Timeline(interval_spans(location.closures))
        self.providers = {p.id: Provider(p) for p in location.providers}
        self.provider_ids: tuple[int, ...] = tuple(sorted(self.providers))
        self.rooms = sorted((Room(r) for r in location.rooms), key=lambda room: room.id)
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

    def _free_in_day(self, day: LocalDay, busy: Timeline | WindowedTimeline) -> Spans:
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

    def _work(self, provider: Provider, day: LocalDay) -> Spans:
        hours = provider.hours[day.weekday]
        if day.uniform:
            # One offset all day: wall-clock spans shift straight to UTC (already merged).
            start = day.start
            return [(start + a, start + b) for a, b in hours]
        return merge((day.at(a), day.at(b)) for a, b in hours)

    def _off(self, provider: Provider, work: Spans) -> Spans:
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
