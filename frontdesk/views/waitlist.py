"""The waitlist of a location: who is waiting, for what, and since when."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from clinic.roles import DESK

from ..access import roles_required
from ..selectors import location_chosen, locations, waitlist_page
from .common import page


@require_GET
@roles_required(DESK)
def waitlist(request: HttpRequest) -> HttpResponse:
    location = location_chosen(request.GET.get("location"))
    entries = list(waitlist_page(location=location)) if location else []
    return page(request, "waitlist.html", {"entries": entries, "location": location, "locations": locations()})
