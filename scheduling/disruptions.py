"""Booked visits that a later change to the clinic's resources has left standing in the way:
a closure, a provider's time off, working or opening hours cut short, a room out of service.

Booking refuses all of these up front; they appear when the change comes after the
booking. `visits_disrupted` finds them (in a fixed number of queries, whatever the number
of visits) and says why in words; `disruptions_preview` asks the same question of a change
before it is saved. Re-planning them is `scheduling.services.replan`."""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
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
    """Everything that could stand in a visit's way, read in one query per kind."""

    def __init__(self, visits: Sequence[Appointment]) -> None:
        first = min(v.starts_at for v in visits)
        last = max(v.room_ends_at for v in visits)
        self.first, self.last = first, last
        location_ids = {v.location_id for v in visits}
        provider_ids = {v.provider_id for v in visits}
        room_ids = {v.room_id for v in visits if v.room_id is not None}
        overlapping = Q(starts_at__lt=last, ends_at__gt=first)
        self.closures: dict[int, list[Closure]] = defaultdict(list)
        for closure in Closure.objects.filter(location_id__in=location_ids).filter(
            overlapping | Q(repeats_yearly=True, starts_at__lt=last)
        ):
            self.closures[closure.location_id].append(closure)
        self.time_off: dict[int, list[TimeOff]] = defaultdict(list)
        for off in TimeOff.objects.filter(overlapping, provider_id__in=provider_ids):
            self.time_off[off.provider_id].append(off)
        self.out_of_service: dict[int, list[RoomOutOfService]] = defaultdict(list)
        for spell in RoomOutOfService.objects.filter(overlapping, room_id__in=room_ids):
            self.out_of_service[spell.room_id].append(spell)
        self.opening: dict[tuple[int, int], list[tuple[time, time]]] = defaultdict(list)
        for row in OpeningHours.objects.filter(location_id__in=location_ids):
            self.opening[(row.location_id, row.weekday)].append((row.opens, row.closes))
        self.working: dict[tuple[int, int, int], list[tuple[time, time]]] = defaultdict(list)
        for row in WorkingHours.objects.filter(provider_id__in=provider_ids, location_id__in=location_ids):
            self.working[(row.provider_id, row.location_id, row.weekday)].append((row.starts, row.ends))

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


def visits_disrupted(*, location_ids=None, provider_ids=None, room_ids=None,
                     since: datetime | None = None, until: datetime | None = None) -> list[Disruption]:
    """Booked (active, not yet started) visits that now sit in a closure, a provider's time
    off, outside the provider's working hours at that location or the location's opening
    hours, or in a room out of service."""
    now = timezone.now()
    visits = Appointment.objects.filter(
        status__in=Appointment.OPEN_STATUSES, starts_at__gte=max(since, now) if since else now
    )
    if until is not None:
        visits = visits.filter(starts_at__lt=until)
    if location_ids is not None:
        visits = visits.filter(location_id__in=list(location_ids))
    if provider_ids is not None:
        visits = visits.filter(provider_id__in=list(provider_ids))
    if room_ids is not None:
        visits = visits.filter(room_id__in=list(room_ids))
    found = list(
        visits.select_related("patient", "provider", "room", "location", "series").order_by("starts_at", "pk")
    )
    if not found:
        return []
    resources = _Resources(found)
    disrupted = []
    for visit in found:
        reasons = resources.reasons(visit)
        if reasons:
            disrupted.append(Disruption(appointment=visit, reasons=tuple(dict.fromkeys(reasons))))
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
