"""Dates and times as the desk reads them: in the location's own zone."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from clinic.models import Location


def zone(location: Location) -> ZoneInfo:
    return ZoneInfo(location.time_zone)


def local_today(location: Location) -> date:
    return timezone.now().astimezone(zone(location)).date()


def day_bounds(location: Location, day: date) -> tuple[datetime, datetime]:
    """Local midnight to the next local midnight, as aware datetimes: 23 or 25 hours
    long on the days the clocks change."""
    tz = zone(location)
    return datetime.combine(day, time(0), tz), datetime.combine(day + timedelta(days=1), time(0), tz)


def local_moment(location: Location, day: date, clock: time) -> datetime:
    """A wall-clock time on a local date. In the hour the clocks go forward, a time
    that does not exist is read as the later offset (fold=0), as a person would."""
    return datetime.combine(day, clock, zone(location))


def parse_date(text: str | None, default: date) -> date:
    try:
        value = date.fromisoformat((text or "").strip())
    except ValueError:
        return default
    return value if 1900 <= value.year <= 2200 else default


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())
