"""The diary: a day or a week, providers or rooms as columns."""

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from clinic.errors import DomainError
from clinic.roles import ALL_ROLES, viewer_scope
from scheduling import services
from scheduling.models import Appointment

from ..access import can, roles_required
from ..schedule import diary_build, next_open_day
from ..selectors import location_chosen, locations
from ..timeutil import day_bounds, local_today, monday_of, parse_date
from .common import page


def _free_times(request: HttpRequest, location, day) -> list | None:
    """The consultation times still free that day, for the desk to book with a click."""
    if not can(request.user)["book"]:
        return None
    start, end = day_bounds(location, day)
    try:
        slots = services.availability_answer(location=location, kind="consultation", start=max(start, timezone.now()),
                                             end=end, areas=[], provider=None, patient=None, limit=500)
    except DomainError:
        return None
    return [(slot.provider_id, slot.start) for slot in slots]


@require_GET
@roles_required(ALL_ROLES)
def schedule(request: HttpRequest) -> HttpResponse:
    location = location_chosen(request.GET.get("location"))
    if location is None:
        return page(request, "empty.html", {"message": "No location is set up yet; add one in the clinic admin."})
    view = "week" if request.GET.get("view") == "week" else "day"
    by = "room" if request.GET.get("by") == "room" else "provider"
    today = local_today(location)
    day = parse_date(request.GET.get("date"), today)
    first = monday_of(day) if view == "week" else day
    span = 7 if view == "week" else 1
    free = _free_times(request, location, day) if view == "day" and by == "provider" else None
    diary = diary_build(location=location, first_day=first, days=span, by=by, provider=viewer_scope(request.user),
                        show_cancelled=request.GET.get("cancelled") == "1", free_times=free)
    step = timedelta(days=span)
    closed_today = view == "day" and day == today and diary.days[0].closed
    return page(
        request,
        "schedule.html",
        {
            "diary": diary,
            "view": view,
            "by": by,
            "day": day,
            "today": today,
            "locations": locations(),
            "location": location,
            "previous": first - step,
            "next": first + step,
            "show_cancelled": request.GET.get("cancelled") == "1",
            "next_open": next_open_day(location=location, after=day) if closed_today else None,
            "now_ms": int(timezone.now().timestamp() * 1000),
            "kinds": Appointment.Kind.choices,
            "statuses": Appointment.Status.choices,
        },
    )
