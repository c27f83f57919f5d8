"""What the schedule draws behind the visits: closures (whole days or hours, yearly ones
too), a provider's time off and days off, a room out of service. Each is a hatched block
with its words on it, so it reads without colour; the week view lists the same words per
day."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from clinic.closures import occurrences
from clinic.models import Closure, Location, RoomOutOfService, TimeOff, Weekday, WorkingHours
from scheduling.disruptions import span_words

from .timeutil import day_bounds, zone


@dataclass(frozen=True)
class Shade:
    """A span drawn in a day (across its columns) or in one column: top and height as a
    percentage of the day shown, and what it is in words."""

    kind: str  # closure, time-off, day-off, out-of-service
    label: str
    top: float = 0.0
    height: float = 100.0

    @property
    def style(self) -> str:
        return f"top:{self.top:.3f}%;height:{self.height:.3f}%"


@dataclass
class Shades:
    days: dict[date, list[Shade]]  # across the whole day: closures
    columns: dict[tuple[date, int | None], list[Shade]]  # in one provider's or room's column

    def notes(self, day: date) -> list[Shade]:
        """Everything drawn on the day, for the week's list."""
        found = list(self.days.get(day, []))
        for (on, _), shades in sorted(self.columns.items(), key=lambda item: str(item[0][1])):
            if on == day:
                found += shades
        return found


def _placed(kind: str, label: str, a: datetime, b: datetime, day: date, *, tz, opens: time,
            minutes: int) -> Shade | None:
    """The part of [a, b) inside the hours the day shows, or None if nothing is."""
    day_open = datetime.combine(day, opens, tz)
    day_close = day_open + timedelta(minutes=minutes)
    lo, hi = max(a, day_open), min(b, day_close)
    if lo >= hi:
        return None
    top = (lo - day_open).total_seconds() / 60 / minutes * 100
    height = (hi - lo).total_seconds() / 60 / minutes * 100
    return Shade(kind, label, max(0.0, top), max(2.5, height))


def _spans_by_day(a: datetime, b: datetime, dates: list[date], location: Location):
    for day in dates:
        start, end = day_bounds(location, day)
        if a < end and start < b:
            yield day


def shades_build(*, location: Location, dates: list[date], by: str, resources: list[tuple[int | None, str]],
                 opens: time, minutes: int) -> Shades:
    """Closures, time off, days off and rooms out of service over `dates`: four queries."""
    tz = zone(location)
    first, _ = day_bounds(location, dates[0])
    _, last = day_bounds(location, dates[-1])
    place = {"tz": tz, "opens": opens, "minutes": minutes}
    shades = Shades(defaultdict(list), defaultdict(list))
    for closure in Closure.objects.filter(location=location, starts_at__lt=last).exclude(
            ends_at__lte=first, repeats_yearly=False):
        for a, b in occurrences(closure.starts_at, closure.ends_at, location.time_zone,
                                repeats_yearly=closure.repeats_yearly, start=first, end=last):
            label = f"Closed: {closure.reason} ({span_words(a, b, tz)})"
            for day in _spans_by_day(a, b, dates, location):
                shade = _placed("closure", label, a, b, day, **place)
                if shade:
                    shades.days[day].append(shade)
    keys = [key for key, _ in resources if key is not None]
    names = dict(resources)
    if by == "room":
        for spell in RoomOutOfService.objects.filter(room_id__in=keys, starts_at__lt=last, ends_at__gt=first):
            why = f": {spell.reason}" if spell.reason else ""
            label = f"{names[spell.room_id]} out of service{why} ({span_words(spell.starts_at, spell.ends_at, tz)})"
            _column_shades(shades, "out-of-service", label, spell.room_id, spell.starts_at, spell.ends_at, dates,
                           location, place)
        return shades
    for off in TimeOff.objects.filter(provider_id__in=keys, starts_at__lt=last, ends_at__gt=first):
        why = f": {off.reason}" if off.reason else ""
        label = f"{names[off.provider_id]} on time off{why} ({span_words(off.starts_at, off.ends_at, tz)})"
        _column_shades(shades, "time-off", label, off.provider_id, off.starts_at, off.ends_at, dates, location, place)
    works = set(WorkingHours.objects.filter(location=location, provider_id__in=keys)
                .values_list("provider_id", "weekday"))
    for day in dates:
        for key in keys:
            if (key, day.weekday()) not in works:
                weekday = Weekday(day.weekday()).label
                label = f"{names[key]}: day off (does not work here on {weekday}s)"
                shades.columns[(day, key)].insert(0, Shade("day-off", label))
    return shades


def _column_shades(shades: Shades, kind: str, label: str, key: int, a: datetime, b: datetime, dates: list[date],
                   location: Location, place: dict) -> None:
    for day in _spans_by_day(a, b, dates, location):
        shade = _placed(kind, label, a, b, day, **place)
        if shade:
            shades.columns[(day, key)].append(shade)
