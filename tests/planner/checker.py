"""An independent checker of the planner's hard rules, and a brute-force search.

Written from the rules in scheduling/planner/__init__.py with plain datetimes and
zoneinfo, sharing no code with the planner, so a bug there is not repeated here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import combinations
from zoneinfo import ZoneInfo

from scheduling.planner import (
    Interval,
    LocationDiary,
    PlannedVisit,
    Preferences,
    SeriesRequest,
    SeriesRules,
    VisitShape,
    WeeklyHours,
)

MINUTE = timedelta(minutes=1)


# -- local time, per the documented rules ------------------------------------------


def exists(naive: datetime, tz: ZoneInfo) -> bool:
    aware = naive.replace(tzinfo=tz)
    return aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive


def wall_instant(day: date, clock: time, tz: ZoneInfo, end_of_day: bool = False) -> datetime:
    """A local wall-clock time on a date as a UTC instant: the first occurrence when the
    time is repeated, the moment the clocks jump when the time is skipped."""
    naive = datetime.combine(day + timedelta(days=1), time(0)) if end_of_day else datetime.combine(day, clock)
    probe = naive
    while not exists(probe, tz):
        probe += MINUTE  # walk out of the gap: the first wall time after it is the jump
    return probe.replace(tzinfo=tz, fold=0).astimezone(UTC)


def span_instants(hours: WeeklyHours, day: date, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """One date's spans of `hours` as UTC instants, touching spans joined."""
    spans = []
    for start, end in hours.days[day.weekday()]:
        lo = wall_instant(day, start, tz)
        hi = wall_instant(day, end, tz, end_of_day=end == time(0))
        if hi > lo:
            spans.append((lo, hi))
    spans.sort()
    joined: list[tuple[datetime, datetime]] = []
    for lo, hi in spans:
        if joined and lo <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(hi, joined[-1][1]))
        else:
            joined.append((lo, hi))
    return joined


def inside(lo: datetime, hi: datetime, spans: Iterable[tuple[datetime, datetime]]) -> bool:
    return any(a <= lo and hi <= b for a, b in spans)


def meets(lo: datetime, hi: datetime, busy: Iterable[Interval]) -> bool:
    return any(b.start < hi and lo < b.end for b in busy)


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def grid_starts(day: date, tz: ZoneInfo, slot_minutes: int) -> list[datetime]:
    """Every start the rules allow on a local date: slot-grid wall times that exist, first
    occurrence only."""
    out = []
    for minute in range(0, 24 * 60, slot_minutes):
        naive = datetime.combine(day, time(minute // 60, minute % 60))
        if exists(naive, tz):
            out.append(naive.replace(tzinfo=tz, fold=0).astimezone(UTC))
    return out


# -- one visit -----------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """A visit as the checker sees it."""

    start: datetime
    provider_id: int
    room_id: int | None
    shape: VisitShape

    @property
    def provider_start(self) -> datetime:
        return self.start + timedelta(minutes=self.shape.prep_minutes)

    @property
    def end(self) -> datetime:
        return self.provider_start + timedelta(minutes=self.shape.provider_minutes)

    @property
    def room_end(self) -> datetime:
        return self.end + timedelta(minutes=self.shape.turnover_minutes if self.shape.needs_room else 0)


def slot_problems(location: LocationDiary, slot: Slot, patient_busy: Sequence[Interval],
                  earliest: datetime, horizon: datetime, prefs: Preferences | None = None) -> list[str]:
    """Every hard rule one visit breaks, as text (empty when it keeps them all)."""
    prefs = prefs or Preferences()
    tz = ZoneInfo(location.tz)
    errors = []
    local = slot.start.astimezone(tz)
    day = local.date()
    if local.second or local.microsecond or (local.hour * 60 + local.minute) % location.slot_minutes:
        errors.append(f"{local} is off the {location.slot_minutes}-minute grid")
    naive = local.replace(tzinfo=None)
    if not exists(naive, tz) or naive.replace(tzinfo=tz, fold=0).astimezone(UTC) != slot.start:
        errors.append(f"{slot.start} is not the first occurrence of wall time {naive}")
    if slot.start < earliest or slot.room_end > horizon:
        errors.append(f"{slot.start} is outside the planning period")
    if not inside(slot.start, slot.room_end, span_instants(location.opening_hours, day, tz)):
        errors.append(f"{slot.start}..{slot.room_end} is not inside opening hours of {day}")
    if meets(slot.start, slot.room_end, location.closures):
        errors.append(f"{slot.start} meets a closure")
    providers = {p.id: p for p in location.providers}
    provider = providers.get(slot.provider_id)
    if provider is None:
        errors.append(f"unknown provider {slot.provider_id}")
    else:
        if not inside(slot.provider_start, slot.end, span_instants(provider.hours, day, tz)):
            errors.append(f"provider {provider.id} does not work {slot.provider_start}..{slot.end}")
        if meets(slot.provider_start, slot.end, provider.time_off):
            errors.append(f"provider {provider.id} is on time off at {slot.provider_start}")
        if meets(slot.provider_start, slot.end, provider.busy):
            errors.append(f"provider {provider.id} is busy at {slot.provider_start}")
    if slot.shape.needs_room:
        rooms = {r.id: r for r in location.rooms}
        room = rooms.get(slot.room_id) if slot.room_id is not None else None
        if room is None:
            errors.append(f"visit at {slot.start} has no valid room ({slot.room_id})")
        elif meets(slot.start, slot.room_end, room.busy):
            errors.append(f"room {room.id} is busy at {slot.start}")
    elif slot.room_id is not None:
        errors.append("a phone visit was given a room")
    if meets(slot.start, slot.end, patient_busy):
        errors.append(f"patient is busy at {slot.start}")
    if prefs.provider_id is not None and slot.provider_id != prefs.provider_id:
        errors.append(f"visit with provider {slot.provider_id}, not the named {prefs.provider_id}")
    if prefs.strict:
        if prefs.weekdays is not None and day.weekday() not in prefs.weekdays:
            errors.append(f"{day} is not a preferred weekday")
        if prefs.earliest_time is not None and slot.start < wall_instant(day, prefs.earliest_time, tz):
            errors.append(f"{slot.start} is before the preferred hours")
        if prefs.latest_time is not None and slot.end > wall_instant(
                day, prefs.latest_time, tz, end_of_day=prefs.latest_time == time(0)):
            errors.append(f"{slot.end} is after the preferred hours")
    return errors


def slot_of(visit: PlannedVisit, shape: VisitShape) -> Slot:
    return Slot(visit.start, visit.provider_id, visit.room_id, shape)


def visit_problems(request: SeriesRequest, visit: PlannedVisit, shape: VisitShape) -> list[str]:
    errors = []
    for name in ("start", "provider_start", "provider_end", "end", "room_end"):
        value = getattr(visit, name)
        if value.utcoffset() != timedelta(0):
            errors.append(f"{name} is not UTC")
    slot = slot_of(visit, shape)
    if (visit.provider_start, visit.provider_end, visit.end, visit.room_end) != (
            slot.provider_start, slot.end, slot.end, slot.room_end):
        errors.append(f"{visit.kind} {visit.number}: phases do not match the shape")
    tz = ZoneInfo(request.location.tz)
    if visit.local_date != local_date(visit.start, tz):
        errors.append(f"local_date {visit.local_date} is wrong")
    errors += slot_problems(request.location, slot, request.patient_busy, request.earliest_start,
                            request.horizon_end, request.preferences)
    return [f"{visit.kind} {visit.number}: {e}" for e in errors]


def collisions(visits: Sequence[PlannedVisit]) -> list[str]:
    errors = []
    for a, b in combinations(visits, 2):
        if a.start < b.end and b.start < a.end:
            errors.append(f"patient in two places: {a.kind} {a.number} and {b.kind} {b.number}")
        if a.provider_id == b.provider_id and a.provider_start < b.provider_end and b.provider_start < a.provider_end:
            errors.append(f"provider in two visits: {a.kind} {a.number} and {b.kind} {b.number}")
        if a.room_id is not None and a.room_id == b.room_id and a.start < b.room_end and b.start < a.room_end:
            errors.append(f"room in two visits: {a.kind} {a.number} and {b.kind} {b.number}")
    return errors


def series_problems(request: SeriesRequest, visits: Sequence[PlannedVisit]) -> list[str]:
    """Every hard rule a whole series (sessions, healing checks, review) breaks."""
    rules = request.rules
    tz = ZoneInfo(request.location.tz)
    errors = []
    shapes = {"session": rules.session, "healing_check": rules.healing_check, "review": rules.review}
    for visit in visits:
        shape = shapes.get(visit.kind)
        if shape is None:
            errors.append(f"unexpected visit kind {visit.kind}")
            continue
        errors += visit_problems(request, visit, shape)
    errors += collisions(visits)
    sessions = sorted((v for v in visits if v.kind == "session"), key=lambda v: v.number)
    if [v.number for v in sessions] != list(range(1, rules.session_count + 1)):
        return errors + [f"sessions numbered {[v.number for v in sessions]}"]
    days = [local_date(v.start, tz) for v in sessions]
    for k in range(1, len(days)):
        gap = (days[k] - days[k - 1]).days
        if not rules.min_interval_days <= gap <= rules.max_interval_days:
            errors.append(f"session {k + 1} is {gap} days after session {k}")
        if sessions[k].start <= sessions[k - 1].start:
            errors.append("sessions out of order")
    checks = {v.number: v for v in visits if v.kind == "healing_check"}
    if rules.healing_check is not None:
        if sorted(checks) != list(range(1, rules.session_count + 1)) or \
                len([v for v in visits if v.kind == "healing_check"]) != rules.session_count:
            errors.append(f"healing checks numbered {sorted(checks)}")
        for number, check in checks.items():
            gap = (local_date(check.start, tz) - days[number - 1]).days
            if not rules.healing_check_min_days <= gap <= rules.healing_check_max_days:
                errors.append(f"healing check {number} is {gap} days after its session")
    elif checks:
        errors.append("healing checks without a protocol for them")
    reviews = [v for v in visits if v.kind == "review"]
    if rules.review is not None:
        if len(reviews) != 1:
            errors.append(f"{len(reviews)} reviews")
        for review in reviews:
            gap = (local_date(review.start, tz) - days[-1]).days
            if not rules.review_min_days <= gap <= rules.review_max_days:
                errors.append(f"review is {gap} days after the last session")
    elif reviews:
        errors.append("a review without a protocol for it")
    return errors


def chain_problems(request: SeriesRequest, visits: Sequence[PlannedVisit], after: datetime, count: int) -> list[str]:
    """Every hard rule a run of maintenance visits breaks."""
    rules = request.rules
    tz = ZoneInfo(request.location.tz)
    errors = []
    for visit in visits:
        if visit.kind != "maintenance":
            errors.append(f"unexpected {visit.kind}")
        errors += visit_problems(request, visit, rules.maintenance)
    errors += collisions(visits)
    if len(visits) != count:
        errors.append(f"{len(visits)} visits instead of {count}")
    previous = local_date(after, tz)
    for visit in sorted(visits, key=lambda v: v.start):
        gap = (local_date(visit.start, tz) - previous).days
        if not rules.maintenance_min_days <= gap <= rules.maintenance_max_days:
            errors.append(f"maintenance {visit.number} is {gap} days after the visit before")
        previous = local_date(visit.start, tz)
    return errors


# -- brute force -----------------------------------------------------------------


def all_slots(request_like: SeriesRequest | None, location: LocationDiary, shape: VisitShape, day: date,
              patient_busy: Sequence[Interval], earliest: datetime, horizon: datetime,
              prefs: Preferences | None = None) -> list[Slot]:
    """Every valid placement of one visit on one local date: all grid starts x all
    providers x all rooms (or no room), each checked with `slot_problems`."""
    tz = ZoneInfo(location.tz)
    rooms: list[int | None] = [r.id for r in location.rooms] if shape.needs_room else [None]
    found = []
    opening = span_instants(location.opening_hours, day, tz)
    for start in grid_starts(day, tz, location.slot_minutes):
        if not any(a <= start < b for a, b in opening):
            continue  # a cheap early skip; slot_problems checks it properly anyway
        for provider in location.providers:
            for room in rooms:
                slot = Slot(start, provider.id, room, shape)
                if not slot_problems(location, slot, patient_busy, earliest, horizon, prefs):
                    found.append(slot)
    return found


def slots_clash(a: Slot, b: Slot) -> bool:
    if a.start < b.end and b.start < a.end:
        return True
    if a.provider_id == b.provider_id and a.provider_start < b.end and b.provider_start < a.end:
        return True
    return a.room_id is not None and a.room_id == b.room_id and a.start < b.room_end and b.start < a.room_end


class BruteForce:
    """Exhaustive answer to "does any series exist?" for small clinics.

    Every placement of every visit on every date is enumerated and checked. Visits on
    different local dates never meet (each lies inside its own date's opening hours,
    which end by midnight, which the checker verifies for every plan), so a series
    exists exactly when some sequence of session dates has, for each date, a valid
    session, a valid healing check in its window and, after the last, a valid review,
    with the last healing check and the review not clashing when on the same date.
    The date sequences are enumerated in full.
    """

    def __init__(self, request: SeriesRequest) -> None:
        self.request = request
        self.tz = ZoneInfo(request.location.tz)
        self.first = local_date(request.earliest_start, self.tz)
        self.last = local_date(request.horizon_end - timedelta(microseconds=1), self.tz)
        self._cache: dict[tuple[str, date], list[Slot]] = {}

    def slots(self, kind: str, shape: VisitShape, day: date) -> list[Slot]:
        key = (kind, day)
        if key not in self._cache:
            r = self.request
            if day < self.first or day > self.last:
                self._cache[key] = []
            else:
                self._cache[key] = all_slots(r, r.location, shape, day, r.patient_busy, r.earliest_start,
                                             r.horizon_end, r.preferences)
        return self._cache[key]

    def days(self, lo: date, hi: date) -> list[date]:
        return [lo + timedelta(days=i) for i in range((hi - lo).days + 1)]

    def healing_ok(self, day: date) -> bool:
        rules = self.request.rules
        if rules.healing_check is None:
            return True
        return any(self.slots("h", rules.healing_check, e) for e in self.days(
            day + timedelta(days=rules.healing_check_min_days), day + timedelta(days=rules.healing_check_max_days)))

    def last_ok(self, day: date) -> bool:
        rules = self.request.rules
        if rules.review is None:
            return self.healing_ok(day)
        reviews = [e for e in self.days(day + timedelta(days=rules.review_min_days),
                                         day + timedelta(days=rules.review_max_days))
                   if self.slots("r", rules.review, e)]
        if rules.healing_check is None:
            return bool(reviews)
        checks = [e for e in self.days(day + timedelta(days=rules.healing_check_min_days),
                                        day + timedelta(days=rules.healing_check_max_days))
                  if self.slots("h", rules.healing_check, e)]
        for c in checks:
            for r in reviews:
                if c != r:
                    return True
                if any(not slots_clash(a, b) for a in self.slots("h", rules.healing_check, c)
                       for b in self.slots("r", rules.review, r)):
                    return True
        return False

    def series_exists(self) -> bool:
        rules = self.request.rules

        def extend(k: int, previous: date | None) -> bool:
            if previous is None:
                options = self.days(self.first, self.last)
            else:
                options = self.days(previous + timedelta(days=rules.min_interval_days),
                                    previous + timedelta(days=rules.max_interval_days))
            for day in options:
                if not self.slots("s", rules.session, day):
                    continue
                if k < rules.session_count:
                    if self.healing_ok(day) and extend(k + 1, day):
                        return True
                elif self.last_ok(day):
                    return True
            return False

        return extend(1, None)

    def maintenance_exists(self, after: datetime, count: int) -> bool:
        rules = self.request.rules

        def extend(k: int, previous: date) -> bool:
            for day in self.days(previous + timedelta(days=rules.maintenance_min_days),
                                 previous + timedelta(days=rules.maintenance_max_days)):
                if self.slots("m", rules.maintenance, day) and (k == count or extend(k + 1, day)):
                    return True
            return False

        return extend(1, local_date(after, self.tz))


def rules_shapes(rules: SeriesRules) -> dict[str, VisitShape | None]:
    return {"session": rules.session, "healing_check": rules.healing_check, "review": rules.review,
            "maintenance": rules.maintenance}


def reschedule_exists(brute: BruteForce, sessions: Sequence[PlannedVisit], moved: int, new_start: datetime,
                      provider_id: int | None = None) -> bool:
    """Exhaustively: can session `moved` go to `new_start` (sessions before it fixed) with
    every later session either kept in its booked slot or placed on any allowed day?"""
    request = brute.request
    rules = request.rules
    tz = brute.tz
    location = request.location
    days = [local_date(v.start, tz) for v in sessions]
    n = rules.session_count

    def interval_ok(previous: date, day: date) -> bool:
        return rules.min_interval_days <= (day - previous).days <= rules.max_interval_days

    def follow_ups_ok(k: int, day: date) -> bool:
        return brute.last_ok(day) if k == n else brute.healing_ok(day)

    new_day = local_date(new_start, tz)
    if moved > 1 and not interval_ok(days[moved - 2], new_day):
        return False
    named = request.preferences.provider_id
    providers = [provider_id] if provider_id is not None else (
        [named] if named is not None else [p.id for p in location.providers])
    rooms: list[int | None] = [r.id for r in location.rooms] if rules.session.needs_room else [None]
    shape_of = {v.number: VisitShape(
        int((v.provider_start - v.start).total_seconds()) // 60,
        int((v.provider_end - v.provider_start).total_seconds()) // 60,
        int((v.room_end - v.end).total_seconds()) // 60, v.room_id is not None) for v in sessions}
    prefs = request.preferences if provider_id is None else Preferences(
        weekdays=request.preferences.weekdays, earliest_time=request.preferences.earliest_time,
        latest_time=request.preferences.latest_time, strict=request.preferences.strict)
    if not any(not slot_problems(location, Slot(new_start, p, r, shape_of[moved]), request.patient_busy,
                                 request.earliest_start, request.horizon_end, prefs)
               for p in providers for r in rooms):
        return False
    if not follow_ups_ok(moved, new_day):
        return False
    far_past = datetime(1971, 1, 1, tzinfo=UTC)
    far_future = datetime(2999, 1, 1, tzinfo=UTC)

    def keepable(k: int) -> bool:
        v = sessions[k - 1]
        return not slot_problems(location, Slot(v.start, v.provider_id, v.room_id, shape_of[k]),
                                 request.patient_busy, far_past, far_future)

    def extend(k: int, previous: date) -> bool:
        if k > n:
            return True
        if interval_ok(previous, days[k - 1]) and keepable(k) and extend(k + 1, days[k - 1]):
            return True
        for day in brute.days(previous + timedelta(days=rules.min_interval_days),
                              previous + timedelta(days=rules.max_interval_days)):
            if brute.slots("s", rules.session, day) and follow_ups_ok(k, day) and extend(k + 1, day):
                return True
        return False

    return extend(moved + 1, new_day)
