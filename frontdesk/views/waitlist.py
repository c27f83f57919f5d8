"""The waitlist of a location: who is waiting, for what, and since when; which slot each
was offered, and booking it or taking the entry off the list."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from clinic.errors import DomainError
from clinic.roles import DESK
from scheduling import services
from scheduling.models import WaitlistEntry
from scheduling.waitlist import waitlist_entry_withdraw

from ..access import roles_required
from ..selectors import location_chosen, locations, waitlist_page
from ..timeutil import zone
from .common import page


@require_GET
@roles_required(DESK)
def waitlist(request: HttpRequest) -> HttpResponse:
    location = location_chosen(request.GET.get("location"))
    entries = waitlist_page(location=location) if location else []
    return page(request, "waitlist.html", {"entries": entries, "location": location, "locations": locations()})


def _back(entry: WaitlistEntry) -> HttpResponse:
    return redirect(reverse("frontdesk:waitlist") + f"?location={entry.location_id}")


@require_POST
@roles_required(DESK)
def waitlist_book(request: HttpRequest, entry_id: int) -> HttpResponse:
    """Book the offered slot for the patient it was offered to."""
    entry = get_object_or_404(WaitlistEntry.objects.select_related("patient", "location"), pk=entry_id)
    try:
        visit = services.waitlist_offer_book(entry=entry, booked_by=request.user)
    except DomainError as error:
        messages.error(request, f"{entry.patient.full_name}: {error.message}")
        return _back(entry)
    local = visit.starts_at.astimezone(zone(visit.location))
    messages.success(request, f"Booked {entry.patient.full_name} with {visit.provider} on "
                              f"{local:%a %d %b %Y at %H:%M}; they are off the waitlist.")
    return _back(entry)


@require_POST
@roles_required(DESK)
def waitlist_remove(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = get_object_or_404(WaitlistEntry.objects.select_related("patient"), pk=entry_id)
    waitlist_entry_withdraw(entry=entry, withdrawn_by=request.user)
    messages.success(request, f"{entry.patient.full_name} is off the waitlist.")
    return _back(entry)
