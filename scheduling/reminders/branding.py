"""The clinic's name, address, phone, opening hours and logo around every email and on
every patient page: added by the renderer, not by the templates a clinic edits, so no
edit can lose them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import groupby

from django.template.loader import render_to_string

from clinic.models import Location, OpeningHours, Weekday

# A send batch renders hundreds of messages for one location: its hours are read once a minute.
_CACHE_SECONDS = 60
_cache: dict[int, tuple[float, Branding]] = {}


@dataclass(frozen=True)
class Branding:
    name: str
    address_lines: tuple[str, ...]
    phone: str
    logo_url: str
    opening_hours: tuple[str, ...]

    @property
    def tel_href(self) -> str:
        """The phone as a `tel:` link: digits and a leading plus only."""
        digits = "".join(ch for ch in self.phone if ch.isdigit() or ch == "+")
        return f"tel:{digits}" if digits else ""

    def text_footer(self) -> str:
        lines = [self.name, *self.address_lines]
        if self.phone:
            lines.append(f"Phone: {self.phone}")
        if self.opening_hours:
            lines.append("Opening hours: " + "; ".join(self.opening_hours))
        return "\n".join(lines)


NO_CLINIC = Branding(name="The clinic", address_lines=(), phone="", logo_url="", opening_hours=())


def _hours_text(spans: list[OpeningHours]) -> tuple[str, ...]:
    """'Monday to Friday 09:00-18:00', 'Saturday 10:00-14:00': consecutive days with the
    same hours read as one line."""
    by_day: dict[int, str] = {}
    for day, day_spans in groupby(sorted(spans, key=lambda s: (s.weekday, s.opens)), key=lambda s: s.weekday):
        by_day[day] = ", ".join(f"{s.opens:%H:%M}-{s.closes:%H:%M}" for s in day_spans)
    lines = []
    days = sorted(by_day)
    index = 0
    while index < len(days):
        first = last = days[index]
        while index + 1 < len(days) and days[index + 1] == last + 1 and by_day[days[index + 1]] == by_day[first]:
            index += 1
            last = days[index]
        label = Weekday(first).label if first == last else f"{Weekday(first).label} to {Weekday(last).label}"
        lines.append(f"{label} {by_day[first]}")
        index += 1
    return tuple(lines)


def branding_for(location: Location | None) -> Branding:
    """The clinic as its patients see it; a message with no location names 'The clinic'."""
    if location is None:
        return NO_CLINIC
    cached = _cache.get(location.pk)
    if cached is not None and cached[0] > time.monotonic() and cached[1].name == location.name:
        return cached[1]
    branding = Branding(
        name=location.name,
        address_lines=tuple(line.strip() for line in (location.address or "").splitlines() if line.strip()),
        phone=location.phone,
        logo_url=location.logo_url,
        opening_hours=_hours_text(list(OpeningHours.objects.filter(location_id=location.pk))),
    )
    _cache[location.pk] = (time.monotonic() + _CACHE_SECONDS, branding)
    return branding


def email_html_wrap(*, body: str, branding: Branding, unsubscribe_url: str) -> str:
    """The email's HTML: the clinic's header (logo, name), the body, and its footer."""
    return render_to_string(
        "reminders/email.html", {"body": body, "brand": branding, "unsubscribe_url": unsubscribe_url}
    )


def email_text_wrap(*, body: str, branding: Branding, unsubscribe_url: str) -> str:
    stop = f"To stop these emails: {unsubscribe_url}\n" if unsubscribe_url else ""
    return f"{body.rstrip()}\n\n--\n{branding.text_footer()}\n{stop}"
