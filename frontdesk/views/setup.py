"""Set-up pages for clinic admins: the locations, their opening hours and closures.

Pages in the staff app rather than the Django admin: every time here is typed and read
in the location's own zone with the zone named, a change that would strand booked visits
warns first and leads to the re-plan board, and the errors are the clinic's sentences.
The admin stays for superusers."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_POST

from clinic.errors import DomainError
from clinic.localtime import local_label
from clinic.models import Closure, Location, OpeningHours, Provider
from clinic.roles import ADMIN
from scheduling.models import MessageTemplate, TreatmentProtocol
from scheduling.services import clinic_setup

from ..access import roles_required
from ..setup.disruptions import preview_unless_confirmed, waiting_count
from ..setup.forms import ClosureForm, LocationForm, WeekHoursForm
from .common import explain, page

admin_only = roles_required(ADMIN)


def setup_page(request: HttpRequest, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    context.setdefault("nav", "setup")
    return page(request, f"setup/{template}", context, status=status)


@require_http_methods(["GET"])
@admin_only
def setup_index(request: HttpRequest) -> HttpResponse:
    locations = Location.objects.prefetch_related("rooms").order_by("name")
    return setup_page(request, "index.html", {
        "locations": locations,
        "providers": Provider.objects.order_by("display_name"),
        "protocols": TreatmentProtocol.objects.order_by("name"),
        "templates": MessageTemplate.objects.order_by("kind"),
        "to_replan": waiting_count(),
    })


def _location_fields(data: dict) -> dict:
    return {name: data[name] for name in LocationForm.base_fields}


@require_http_methods(["GET", "POST"])
@admin_only
def location_edit(request: HttpRequest, location_id: int | None = None) -> HttpResponse:
    location = get_object_or_404(Location, pk=location_id) if location_id else None
    initial = {name: getattr(location, name) for name in LocationForm.base_fields} if location else {
        "time_zone": "Europe/London", "late_cancel_notice_hours": 24, "slot_minutes": 15}
    form = LocationForm(request.POST or None, initial=initial)
    warning = None
    if request.method == "POST" and form.is_valid():
        try:
            if location:
                def save():
                    clinic_setup.location_update(location=location, updated_by=request.user,
                                                 **_location_fields(form.cleaned_data))

                # A new time zone moves every opening and working hour on the UTC line.
                warning = preview_unless_confirmed(request, apply=save, location_ids=[location.pk])
                if warning is not None:
                    return setup_page(request, "location.html", {"form": form, "location": location,
                                                                 "warning": warning})
                save()
                messages.success(request, f"{location.name} is saved.")
            else:
                location = clinic_setup.location_create(
                    created_by=request.user, slug=_free_slug(form.cleaned_data["name"]),
                    **_location_fields(form.cleaned_data))
                messages.success(request, f"{location.name} is added. Set its opening hours next.")
                return redirect("frontdesk:setup-opening-hours", location.pk)
            return redirect("frontdesk:setup-location", location.pk)
        except DomainError as error:
            explain(form, error)
    return setup_page(request, "location.html", {"form": form, "location": location, "warning": warning},
                      status=400 if form.errors else 200)


def _free_slug(name: str) -> str:
    base = slugify(name)[:50] or "location"
    slug, n = base, 2
    while Location.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@require_http_methods(["GET", "POST"])
@admin_only
def opening_hours(request: HttpRequest, location_id: int) -> HttpResponse:
    location = get_object_or_404(Location, pk=location_id)
    rows = [(r.weekday, r.opens, r.closes) for r in OpeningHours.objects.filter(location=location)]
    form = WeekHoursForm(request.POST or None, initial=WeekHoursForm.initial_from(rows),
                         what="opening hours", zone_name=location.time_zone)
    warning = None
    if request.method == "POST" and form.is_valid():
        def save():
            clinic_setup.opening_hours_set(location=location, spans=form.cleaned_data["spans"], set_by=request.user)

        try:
            warning = preview_unless_confirmed(request, apply=save, location_ids=[location.pk])
            if warning is None:
                save()
                messages.success(request, f"The opening hours of {location.name} are saved.")
                return redirect("frontdesk:setup-opening-hours", location.pk)
        except DomainError as error:
            explain(form, error)
    return setup_page(request, "week_hours.html", {
        "form": form, "location": location, "warning": warning, "what": "Opening hours",
        "heading": f"Opening hours of {location.name}",
        "to_replan": waiting_count(location_ids=[location.pk]),
    }, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@admin_only
def closures(request: HttpRequest, location_id: int) -> HttpResponse:
    location = get_object_or_404(Location, pk=location_id)
    form = ClosureForm(request.POST or None, zone_name=location.time_zone)
    warning = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def save():
            return clinic_setup.closure_create(
                location=location, starts_at=data["starts_at"], ends_at=data["ends_at"], reason=data["reason"],
                repeats_yearly=data["repeats_yearly"], created_by=request.user)

        try:
            warning = preview_unless_confirmed(request, apply=save, location_ids=[location.pk])
            if warning is None:
                closure = save()
                for note in form.notes:
                    messages.info(request, note)
                messages.success(request, f"Closure saved: {closure.reason}, "
                                          f"{_span_words(closure.starts_at, closure.ends_at, location)}.")
                return redirect("frontdesk:setup-closures", location.pk)
        except DomainError as error:
            explain(form, error)
    upcoming = Closure.objects.filter(location=location).order_by("starts_at")
    return setup_page(request, "closures.html", {
        "form": form, "location": location, "warning": warning,
        "closures": [(c, _span_words(c.starts_at, c.ends_at, location)) for c in upcoming
                     if c.ends_at >= timezone.now() or getattr(c, "repeats_yearly", False)],
        "to_replan": waiting_count(location_ids=[location.pk]),
    }, status=400 if form.errors else 200)


def _span_words(starts_at, ends_at, location: Location) -> str:
    return f"from {local_label(starts_at, location.time_zone)} until {local_label(ends_at, location.time_zone)}"


@require_POST
@admin_only
def closure_delete(request: HttpRequest, closure_id: int) -> HttpResponse:
    closure = get_object_or_404(Closure.objects.select_related("location"), pk=closure_id)
    clinic_setup.closure_delete(closure=closure, deleted_by=request.user)
    messages.success(request, f"The closure \u201c{closure.reason}\u201d is removed; visits may be booked then again.")
    return redirect(reverse("frontdesk:setup-closures", args=[closure.location_id]))


@require_http_methods(["GET", "POST"])
@admin_only
def closure_edit(request: HttpRequest, closure_id: int) -> HttpResponse:
    closure = get_object_or_404(Closure.objects.select_related("location"), pk=closure_id)
    location = closure.location
    initial = {"reason": closure.reason, "repeats_yearly": closure.repeats_yearly,
               **ClosureForm.initial_for(closure.starts_at, closure.ends_at, location.time_zone)}
    form = ClosureForm(request.POST or None, initial=initial, zone_name=location.time_zone)
    warning = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def save():
            return clinic_setup.closure_update(
                closure=closure, updated_by=request.user, starts_at=data["starts_at"], ends_at=data["ends_at"],
                reason=data["reason"], repeats_yearly=data["repeats_yearly"])

        try:
            warning = preview_unless_confirmed(request, apply=save, location_ids=[location.pk])
            if warning is None:
                saved = save()
                for note in form.notes:
                    messages.info(request, note)
                messages.success(request, f"Closure saved: {saved.reason}, "
                                          f"{_span_words(saved.starts_at, saved.ends_at, location)}.")
                return redirect("frontdesk:setup-closures", location.pk)
        except DomainError as error:
            explain(form, error)
    return setup_page(request, "closure.html", {
        "form": form, "location": location, "closure": closure, "warning": warning,
    }, status=400 if form.errors else 200)
