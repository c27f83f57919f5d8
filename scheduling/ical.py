"""iCalendar data (RFC 5545), built in one place with the icalendar library: the calendar
feeds of providers and patients, and the calendar file a booking confirmation carries.

Times are written in UTC, so every calendar shows them in its own zone and no VTIMEZONE
is needed; the library escapes text and folds long lines."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from icalendar import Calendar, Event


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    starts_at: datetime
    ends_at: datetime
    summary: str
    # DTSTAMP: when this version of the event was made.
    stamp: datetime
    location: str = ""
    description: str = ""
    # CONFIRMED or TENTATIVE; left out when empty.
    status: str = ""
    # Grows with each new version, so a calendar replaces the entry it already holds.
    sequence: int | None = None


def _event(event: CalendarEvent) -> Event:
    component = Event()
    component.add("uid", event.uid)
    component.add("dtstamp", event.stamp.astimezone(UTC))
    if event.sequence is not None:
        component.add("sequence", event.sequence)
    component.add("dtstart", event.starts_at.astimezone(UTC))
    component.add("dtend", event.ends_at.astimezone(UTC))
    component.add("summary", event.summary)
    if event.location:
        component.add("location", event.location)
    if event.description:
        component.add("description", event.description)
    if event.status:
        component.add("status", event.status)
    return component


def calendar_build(*, product: str, events: Iterable[CalendarEvent], name: str = "", method: str = "") -> bytes:
    """A VCALENDAR holding the events. `product` is the PRODID; `name` the title a calendar
    app shows for a subscribed feed; `method` PUBLISH for a file sent with a message."""
    calendar = Calendar()
    calendar.add("prodid", product)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    for event in events:
        calendar.add_component(_event(event))
    return calendar.to_ical()
