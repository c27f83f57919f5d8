"""The diary: a day or a week, providers or rooms as columns."""

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from clinic.roles import ALL_ROLES, viewer_scope
from scheduling.models import Appointment

from ..access import roles_required
from ..schedule import diary_build, next_open_day
from ..selectors import location_chosen, locations
from ..timeutil import local_today, monday_of, parse_date
from .common import page


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
    diary = diary_build(location=location, first_day=first, days=span, by=by, provider=viewer_scope(request.user),
                        show_cancelled=request.GET.get("cancelled") == "1")
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
