"""Booked visits that a later change to the clinic's resources has left standing in the way:
a closure, a provider's time off, working or opening hours cut short, a room out of service.

Booking refuses all of these up front; they appear when the change comes after the
booking. `visits_disrupted` finds them (in a fixed number of queries, whatever the number
of visits) and says why in words; `disruptions_preview` asks the same question of a change
before it is saved. Re-planning them is `scheduling.services.replan`."""

import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import reduce
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import ExtractIsoWeekDay, TruncTime
from django.utils import timezone

from clinic.closures import occurrences, wall_to_utc
from clinic.models import Closure, Location, OpeningHours, RoomOutOfService, TimeOff, Weekday, WorkingHours

from .models import Appointment

Span = tuple[datetime, datetime]


@dataclass(frozen=True)
class Disruption:
    appointment: Appointment  # with patient, provider, room, location, series selected
    reasons: tuple[str, ...]  # sentences, e.g. "The clinic is closed: Staff training (09:00-12:00 GMT)."


# --- Words ------------------------------------------------------------------------------
def span_words(a: datetime, b: datetime, zone: ZoneInfo) -> str:
    """A span as a clinic would say it, in the location's local time with the zone named:
    "09:00-12:00 GMT", "Thu 24 Dec to Sat 26 Dec" (whole days), or both dates and times."""
    la, lb = a.astimezone(zone), b.astimezone(zone)
    if la.time() == time(0) and lb.time() == time(0):
        last = lb.date() - timedelta(days=1)
        if last <= la.date():
            return f"all day {la:%a} {la.day} {la:%b}"
        return f"{la:%a} {la.day} {la:%b} to {last:%a} {last.day} {last:%b}, all day"
    # The zone's name at each end: they differ when the span crosses a clock change.
    za, zb = la.tzname(), lb.tzname()
    if la.date() == lb.date():
        if za == zb:
            return f"{la:%H:%M}-{lb:%H:%M} {zb}"
        return f"{la:%H:%M} {za}-{lb:%H:%M} {zb}"
    start = f"{la:%a} {la.day} {la:%b} {la:%H:%M}" + (f" {za}" if za != zb else "")
    return f"{start} to {lb:%a} {lb.day} {lb:%b} {lb:%H:%M} {zb}"


def _hours_words(spans: Sequence[tuple[time, time]]) -> str:
    return ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in spans)


# --- Local days -------------------------------------------------------------------------
def _local_spans(day: date, spans: Iterable[tuple[time, time]], zone: ZoneInfo) -> list[Span]:
    """Wall-clock spans of one local date as merged UTC spans. DST: each bound takes the
    offset of its own moment, and a bound in the spring gap is the moment the clocks jump
    (as the planner reads opening hours)."""
    found = sorted(
        (wall_to_utc(datetime.combine(day, a), zone), wall_to_utc(datetime.combine(day, b), zone)) for a, b in spans
    )
    merged: list[Span] = []
    for a, b in found:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _inside_one(a: datetime, b: datetime, spans: Iterable[Span]) -> bool:
    return any(s <= a and b <= e for s, e in spans)


def _overlaps(a: datetime, b: datetime, s: datetime, e: datetime) -> bool:
    return a < e and s < b


# --- The diary of the resources the visits use ------------------------------------------
class _Resources:
    """Everything that could stand in the way of one location's visits, read in one query
    per kind: closures (given), opening and working hours, time off, rooms out of service."""

    def __init__(self, location: Location, closures: Iterable[Closure], *, since: datetime, until: datetime) -> None:
        self.closures: dict[int, list[Closure]] = defaultdict(list)
        for closure in closures:
            self.closures[closure.location_id].append(closure)
        self.opening: dict[tuple[int, int], list[tuple[time, time]]] = defaultdict(list)
        for row in OpeningHours.objects.filter(location=location):
            self.opening[(row.location_id, row.weekday)].append((row.opens, row.closes))
        self.working: dict[tuple[int, int, int], list[tuple[time, time]]] = defaultdict(list)
        for row in WorkingHours.objects.filter(location=location):
            self.working[(row.provider_id, row.location_id, row.weekday)].append((row.starts, row.ends))
        # Visits last under a day (a check constraint), so a day either side covers them.
        overlapping = Q(starts_at__lt=until + timedelta(days=1), ends_at__gt=since)
        self.time_off: dict[int, list[TimeOff]] = defaultdict(list)
        # Every provider's: time off is a short list, and a visit may be with anyone.
        for off in TimeOff.objects.filter(overlapping):
            self.time_off[off.provider_id].append(off)
        self.out_of_service: dict[int, list[RoomOutOfService]] = defaultdict(list)
        for spell in RoomOutOfService.objects.filter(overlapping, room__location=location):
            self.out_of_service[spell.room_id].append(spell)

    def reasons(self, visit: Appointment) -> list[str]:
        location: Location = visit.location
        zone = ZoneInfo(location.time_zone)
        day = visit.starts_at.astimezone(zone).date()
        weekday = day.weekday()
        found = []
        for closure in self.closures[location.pk]:
            spans = occurrences(
                closure.starts_at, closure.ends_at, location.time_zone, repeats_yearly=closure.repeats_yearly,
                start=visit.starts_at, end=visit.room_ends_at,
            )
            for a, b in spans:
                found.append(f"The clinic is closed: {closure.reason} ({span_words(a, b, zone)}).")
        for off in self.time_off[visit.provider_id]:
            if _overlaps(visit.provider_starts_at, visit.provider_ends_at, off.starts_at, off.ends_at):
                why = f": {off.reason}" if off.reason else ""
                found.append(f"{visit.provider} is on time off{why} ({span_words(off.starts_at, off.ends_at, zone)}).")
        if visit.room_id is not None:
            for spell in self.out_of_service[visit.room_id]:
                if _overlaps(visit.starts_at, visit.room_ends_at, spell.starts_at, spell.ends_at):
                    why = f": {spell.reason}" if spell.reason else ""
                    when = span_words(spell.starts_at, spell.ends_at, zone)
                    found.append(f"{visit.room.name} is out of service{why} ({when}).")
        day_name = Weekday(weekday).label
        opening = self.opening[(location.pk, weekday)]
        if not _inside_one(visit.starts_at, visit.room_ends_at, _local_spans(day, opening, zone)):
            if opening:
                found.append(f"{location} is open {_hours_words(opening)} on {day_name}s, not at this time.")
            else:
                found.append(f"{location} is closed on {day_name}s.")
        working = self.working[(visit.provider_id, location.pk, weekday)]
        if not _inside_one(visit.provider_starts_at, visit.provider_ends_at, _local_spans(day, working, zone)):
            if working:
                found.append(
                    f"{visit.provider} works {_hours_words(working)} on {day_name}s at {location}, not at this time."
                )
            else:
                found.append(f"{visit.provider} does not work at {location} on {day_name}s.")
        return found


# How far ahead a yearly closure is repeated when no end is asked for.
YEARLY_REACH = timedelta(days=3 * 366)


def _maybe_disrupted(visits, location: Location, found: _Resources, *, since: datetime, until: datetime):
    """The location's visits that might be disrupted, found by the database: in a closure,
    time off or a room out of service, or not inside one row of opening or working hours
    (local times). A visit inside two touching rows (09:00-12:00 and 12:00-17:00) comes too;
    the exact check in Python clears it. The few rows of hours and absences are written
    into the query itself: cheaper than a subquery for each of a year of visits."""
    zone = ZoneInfo(location.time_zone)
    local = visits.filter(location=location).annotate(
        local_weekday=ExtractIsoWeekDay("starts_at", tzinfo=zone) - 1,
        local_start=TruncTime("starts_at", tzinfo=zone), local_room_end=TruncTime("room_ends_at", tzinfo=zone),
        local_treat=TruncTime("provider_starts_at", tzinfo=zone),
        local_treat_end=TruncTime("provider_ends_at", tzinfo=zone),
    )
    open_then = [Q(local_weekday=weekday, local_start__gte=a, local_room_end__lte=b)
                 for (_, weekday), spans in found.opening.items() for a, b in spans]
    by_provider: dict[int, list[Q]] = defaultdict(list)
    for (provider_id, _, weekday), spans in found.working.items():
        by_provider[provider_id] += [Q(local_weekday=weekday, local_treat__gte=a, local_treat_end__lte=b)
                                     for a, b in spans]
    working_then = [Q(provider_id=provider_id) & reduce(operator.or_, terms)
                    for provider_id, terms in by_provider.items()]
    conditions = [~reduce(operator.or_, open_then, Q(pk__in=[])), ~reduce(operator.or_, working_then, Q(pk__in=[]))]
    for provider_id, spells in found.time_off.items():
        conditions += [
            Q(provider_id=provider_id, provider_starts_at__lt=off.ends_at, provider_ends_at__gt=off.starts_at)
            for off in spells
        ]
    for room_id, spells in found.out_of_service.items():
        conditions += [Q(room_id=room_id, starts_at__lt=spell.ends_at, room_ends_at__gt=spell.starts_at)
                       for spell in spells]
    for closure in found.closures[location.pk]:
        for a, b in occurrences(closure.starts_at, closure.ends_at, location.time_zone,
                                repeats_yearly=closure.repeats_yearly, start=since, end=until):
            conditions.append(Q(starts_at__lt=b, room_ends_at__gt=a))
    return local.filter(reduce(operator.or_, conditions))


def visits_disrupted(*, location_ids=None, provider_ids=None, room_ids=None,
                     since: datetime | None = None, until: datetime | None = None) -> list[Disruption]:
    """Booked (active, not yet started) visits that now sit in a closure, a provider's time
    off, outside the provider's working hours at that location or the location's opening
    hours, or in a room out of service."""
    now = timezone.now()
    since = max(since, now) if since else now
    visits = Appointment.objects.filter(status__in=Appointment.OPEN_STATUSES, starts_at__gte=since)
    if until is not None:
        visits = visits.filter(starts_at__lt=until)
    if provider_ids is not None:
        visits = visits.filter(provider_id__in=list(provider_ids))
    if room_ids is not None:
        visits = visits.filter(room_id__in=list(room_ids))
    places = Location.objects.all() if location_ids is None else Location.objects.filter(pk__in=list(location_ids))
    places = list(places.order_by("pk"))
    reach = until or since + YEARLY_REACH
    closures = list(Closure.objects.filter(location__in=places, starts_at__lt=reach)
                    .filter(Q(ends_at__gt=since) | Q(repeats_yearly=True)))
    # No savepoint of its own inside a caller's transaction: the setting then lasts until
    # that transaction ends, which is harmless.
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            # A year of visits looks costly to the planner, whose JIT compiling then takes
            # longer than the scan itself: off for this transaction only.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        return _disrupted(visits, places, closures, since=since, until=reach)


def _disrupted(visits, places: Sequence[Location], closures: Sequence[Closure], *, since: datetime,
               until: datetime) -> list[Disruption]:
    disrupted = []
    for location in places:
        resources = _Resources(location, [c for c in closures if c.location_id == location.pk],
                               since=since, until=until)
        candidates = _maybe_disrupted(visits, location, resources, since=since, until=until)
        for visit in candidates.select_related("patient", "provider", "room", "location", "series"):
            reasons = resources.reasons(visit)
            if reasons:
                disrupted.append(Disruption(appointment=visit, reasons=tuple(dict.fromkeys(reasons))))
    disrupted.sort(key=lambda d: (d.appointment.starts_at, d.appointment.pk))
    return disrupted


class _Rollback(Exception):
    """Raised inside the preview's transaction to undo the change it tried."""


def disruptions_preview(*, apply: Callable[[], None], **scope) -> list[Disruption]:
    """What a change would disrupt: runs apply() inside a transaction that is rolled back,
    then visits_disrupted(**scope) before the rollback."""
    found: list[Disruption] = []
    try:
        with transaction.atomic():
            apply()
            found = visits_disrupted(**scope)
            raise _Rollback
    except _Rollback:
        pass
    return found
