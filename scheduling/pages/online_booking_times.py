"""The free consultation times of the public booking page, a few days at a time.

The times come from `availability_answer`, the desk's own service and cache. The written
page of a few days is kept for CACHE_SECONDS under the diary's fingerprint (one prepared
query), like the API's answers: any booking, move, cancellation or hold changes the
fingerprint, so it shows on the next request; a repeated question costs that query and
one cache read."""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from time import monotonic
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from clinic.models import Location

from ..models import Appointment
from ..planner import PlannedVisit
from ..reminders.branding import branding_for
from ..selectors import protocol_active
from ..services.availability import CACHE_SECONDS, availability_answer, diary_fingerprint
from ..services.online_booking import NOTICE

SLOT_SALT = "scheduling.online-booking.slot"
DAYS_SHOWN = 3
WEEK = timedelta(days=7)
FURTHEST_DAYS = 90
SLOT_LIMIT = 2000
NEXT_TIMES = 8


@dataclass(frozen=True)
class TimeChoice:
    clock: str
    label: str
    url: str


@dataclass(frozen=True)
class Day:
    day: date
    label: str
    slots: list[TimeChoice]


# The locations the page was asked about, by slug, read again after CACHE_SECONDS: an
# edit to a location (or switching it off) shows within that time, like availability's.
_locations: dict[str, tuple[float, Location]] = {}


# Pages written lately, by their cache key (which carries the diary's fingerprint).
WRITTEN_KEPT = 64
_written: dict[str, tuple[float, bytes]] = {}


def location_public(slug: str) -> Location:
    """The active location with this slug, or 404."""
    return get_object_or_404(Location, slug=slug, is_active=True)


def _location_kept(slug: str) -> Location:
    """location_public, kept in the process for a moment: the times page is the clinic's
    busiest and needs no fresher copy; the pages that write read it afresh."""
    kept = _locations.get(slug)
    if kept is not None and kept[0] > monotonic():
        return kept[1]
    location = location_public(slug)
    _locations[slug] = (monotonic() + CACHE_SECONDS, location)
    return location


def zone_name(zone: ZoneInfo, day: date) -> str:
    """'London time (GMT)': the zone as a patient reads it, with the abbreviation in force."""
    noon = datetime.combine(day, time(12), zone)
    city = zone.key.split("/")[-1].replace("_", " ")
    return f"{city} time ({noon.tzname()})"


def _slot_token(location: Location, slot: PlannedVisit) -> str:
    return signing.dumps(
        {"l": location.pk, "p": slot.provider_id, "r": slot.room_id, "s": int(slot.start.timestamp())},
        salt=SLOT_SALT, compress=True,
    )


def free_times(location: Location, start: datetime, end: datetime, *, fingerprint=None) -> list[PlannedVisit]:
    """Consultation times anyone may book online (an hour ahead at least), one per start
    time, earliest first: the desk's availability answer."""
    slots = availability_answer(
        location=location, kind=Appointment.Kind.CONSULTATION, start=start, end=end, areas=[], provider=None,
        limit=SLOT_LIMIT, fingerprint=fingerprint,
    )
    soonest = timezone.now() + NOTICE
    seen, unique = set(), []
    for slot in sorted(slots, key=lambda s: (s.start, s.provider_id)):
        if slot.start >= soonest and slot.start not in seen:
            seen.add(slot.start)
            unique.append(slot)
    return unique


def days_of(location: Location, slots: list[PlannedVisit], zone: ZoneInfo, *, limit_days: int | None) -> list[Day]:
    details = reverse("online-booking:details", kwargs={"slug": location.slug})
    by_day: dict[date, list[TimeChoice]] = {}
    for slot in slots:
        local = slot.start.astimezone(zone)
        day = local.date()
        if day not in by_day and limit_days is not None and len(by_day) >= limit_days:
            break
        label = f"{local:%A} {local.day} {local:%B} at {local:%H:%M} {local.tzname()}"
        url = f"{details}?{urlencode({'time': _slot_token(location, slot)})}"
        by_day.setdefault(day, []).append(TimeChoice(clock=f"{local:%H:%M}", label=label, url=url))
    return [Day(day=day, label=f"{day:%A} {day.day} {day:%B %Y}", slots=choices) for day, choices in by_day.items()]


def next_times(location: Location, after: datetime) -> dict:
    """The next free times from `after`, for a page that could not keep the chosen one."""
    zone = ZoneInfo(location.time_zone)
    start = max(after, timezone.now())
    slots = free_times(location, start, start + WEEK)[:NEXT_TIMES]
    return {
        "days": days_of(location, slots, zone, limit_days=None),
        "zone_name": zone_name(zone, start.astimezone(zone).date()),
        "empty_text": "There are no free times in the next week. Please call us and we will find you one.",
    }


def _first_day(request: HttpRequest, today: date) -> date:
    try:
        asked = date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        return today
    return min(max(asked, today), today + timedelta(days=FURTHEST_DAYS))


def _page_written(location: Location, first: date, today: date) -> bytes:
    """The whole page for DAYS_SHOWN days from `first`: each day's free times and the
    links to more. It holds nothing of the visitor's, so one copy serves all, until the
    diary of those days changes."""
    zone = ZoneInfo(location.time_zone)
    # Local midnight to local midnight, so a clock change inside the days moves nothing.
    start = datetime.combine(first, time.min, zone)
    end = datetime.combine(first + timedelta(days=DAYS_SHOWN), time.min, zone)
    fingerprint = diary_fingerprint(location_id=location.pk, start=start, end=end)
    # Near "now" the hour's notice cuts the list, so the minute is part of the question.
    minute = int(timezone.now().timestamp() // 60) if first <= today + timedelta(days=1) else 0
    question = repr((location.pk, location.slug, location.name, first.isoformat(), today.isoformat(), minute,
                     fingerprint))
    key = "online-booking:page:" + hashlib.sha1(question.encode()).hexdigest()
    # The same key names the same page for every process, so a copy kept in this one
    # spares the shared cache's round trip; a change to the diary is a new key anyway.
    kept = _written.get(key)
    written = kept[1] if kept and kept[0] > monotonic() else cache.get(key)
    if written is None:
        found = {day.day: day for day in days_of(location, free_times(location, start, end, fingerprint=fingerprint),
                                                 zone, limit_days=None)}
        shown = [first + timedelta(days=n) for n in range(DAYS_SHOWN)]
        days = [found.get(day) or Day(day=day, label=f"{day:%A} {day.day} {day:%B %Y}", slots=[]) for day in shown]
        page = reverse("online-booking:times", kwargs={"slug": location.slug})
        later = first + timedelta(days=DAYS_SHOWN)
        written = render_to_string("patient/book_times.html", {
            "brand": branding_for(location),
            "zone_name": zone_name(zone, first),
            "days": days,
            "minutes": protocol_active().consultation_minutes,
            "later_url": f"{page}?from={later.isoformat()}" if later <= today + timedelta(days=FURTHEST_DAYS) else "",
            "earlier_url": (f"{page}?from={max(today, first - timedelta(days=DAYS_SHOWN)).isoformat()}"
                            if first > today else ""),
        }).encode()
        cache.set(key, written, CACHE_SECONDS)
    if kept is None or kept[0] <= monotonic():
        _written.pop(key, None)
        if len(_written) >= WRITTEN_KEPT:
            _written.pop(next(iter(_written)))  # the oldest first
        # No longer than the shared copy: the clinic's name, address or visit length may change.
        _written[key] = (monotonic() + CACHE_SECONDS, written)
    return written


@never_cache
@require_http_methods(["GET"])
def booking_times(request: HttpRequest, slug: str) -> HttpResponse:
    """Free consultation times, a few days at a time, in the location's zone."""
    location = _location_kept(slug)
    today = timezone.now().astimezone(ZoneInfo(location.time_zone)).date()
    first = _first_day(request, today)
    return HttpResponse(_page_written(location, first, today))
