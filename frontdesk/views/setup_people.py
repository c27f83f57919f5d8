"""Set-up pages for the people and rooms of a location: a provider's working hours per
location and their time off; rooms added, renamed, taken out of use. Times are typed in
the location's zone; a change that would strand booked visits warns first."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from clinic.errors import DomainError
from clinic.localtime import local_label
from clinic.models import Location, Provider, Room, RoomOutOfService, TimeOff, WorkingHours
from scheduling.models import Appointment
from scheduling.services import clinic_setup

from ..setup.disruptions import preview_unless_confirmed, waiting_count
from ..setup.forms import RoomForm, RoomOutOfServiceForm, TimeOffForm, WeekHoursForm
from .common import explain
from .setup import admin_only, setup_page


def _provider_location(request: HttpRequest, provider: Provider) -> Location | None:
    """The location whose week is shown: ?location=, else the first the provider works at."""
    chosen = request.GET.get("location") or request.POST.get("location")
    if chosen and chosen.isdigit():
        found = Location.objects.filter(pk=int(chosen)).first()
        if found:
            return found
    worked = WorkingHours.objects.filter(provider=provider).order_by("location__name").values("location_id").first()
    if worked:
        return Location.objects.get(pk=worked["location_id"])
    return Location.objects.filter(is_active=True).order_by("name").first()


@require_http_methods(["GET", "POST"])
@admin_only
def provider_hours(request: HttpRequest, provider_id: int) -> HttpResponse:
    provider = get_object_or_404(Provider, pk=provider_id)
    location = _provider_location(request, provider)
    if location is None:
        messages.error(request, "Add a location first: working hours belong to a location.")
        return redirect("frontdesk:setup")
    rows = [(r.weekday, r.starts, r.ends) for r in WorkingHours.objects.filter(provider=provider, location=location)]
    form = WeekHoursForm(request.POST or None, initial=WeekHoursForm.initial_from(rows),
                         what="working hours", zone_name=location.time_zone)
    warning = None
    if request.method == "POST" and form.is_valid():
        def save():
            clinic_setup.working_hours_set(provider=provider, location=location, spans=form.cleaned_data["spans"],
                                           set_by=request.user)

        try:
            warning = preview_unless_confirmed(request, apply=save, provider_ids=[provider.pk])
            if warning is None:
                save()
                messages.success(request, f"The working hours of {provider} at {location} are saved.")
                return redirect(f"{request.path}?location={location.pk}")
        except DomainError as error:
            explain(form, error)
    return setup_page(request, "provider.html", {
        "form": form, "location": location, "provider": provider, "warning": warning,
        "locations": Location.objects.order_by("name"),
        "time_off": _time_off_rows(provider, location),
        "time_off_form": TimeOffForm(zone_name=location.time_zone),
        "to_replan": waiting_count(provider_ids=[provider.pk]),
    }, status=400 if form.errors else 200)


def _time_off_rows(provider: Provider, location: Location) -> list[tuple[TimeOff, str]]:
    """Time off still to come (or under way), read in the zone of the location shown."""
    rows = TimeOff.objects.filter(provider=provider, ends_at__gte=timezone.now()).order_by("starts_at")
    return [(row, f"from {local_label(row.starts_at, location.time_zone)} "
                  f"until {local_label(row.ends_at, location.time_zone)}") for row in rows]


@require_http_methods(["POST"])
@admin_only
def time_off_add(request: HttpRequest, provider_id: int) -> HttpResponse:
    provider = get_object_or_404(Provider, pk=provider_id)
    location = _provider_location(request, provider)
    if location is None:
        messages.error(request, "Add a location first: time off is typed in a location's time.")
        return redirect("frontdesk:setup")
    form = TimeOffForm(request.POST, zone_name=location.time_zone)
    warning = None
    if form.is_valid():
        data = form.cleaned_data

        def save():
            return clinic_setup.time_off_create(provider=provider, starts_at=data["starts_at"], ends_at=data["ends_at"],
                                                reason=data["reason"], created_by=request.user)

        warning, done = _time_off_saved(request, form, save=save, provider=provider, location=location)
        if done is not None:
            return done
    rows = [(r.weekday, r.starts, r.ends) for r in WorkingHours.objects.filter(provider=provider, location=location)]
    return setup_page(request, "provider.html", {
        "form": WeekHoursForm(initial=WeekHoursForm.initial_from(rows), what="working hours",
                              zone_name=location.time_zone),
        "location": location, "provider": provider, "time_off_warning": warning,
        "locations": Location.objects.order_by("name"),
        "time_off": _time_off_rows(provider, location), "time_off_form": form,
        "to_replan": waiting_count(provider_ids=[provider.pk]),
    }, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@admin_only
def time_off_edit(request: HttpRequest, time_off_id: int) -> HttpResponse:
    time_off = get_object_or_404(TimeOff.objects.select_related("provider"), pk=time_off_id)
    provider = time_off.provider
    location = _provider_location(request, provider)
    if location is None:
        messages.error(request, "Add a location first: time off is typed in a location's time.")
        return redirect("frontdesk:setup")
    initial = {"reason": time_off.reason,
               **TimeOffForm.initial_for(time_off.starts_at, time_off.ends_at, location.time_zone)}
    form = TimeOffForm(request.POST or None, initial=initial, zone_name=location.time_zone)
    warning = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def save():
            return clinic_setup.time_off_update(time_off=time_off, updated_by=request.user, reason=data["reason"],
                                                starts_at=data["starts_at"], ends_at=data["ends_at"])

        warning, done = _time_off_saved(request, form, save=save, provider=provider, location=location)
        if done is not None:
            return done
    return setup_page(request, "time_off.html", {
        "form": form, "location": location, "provider": provider, "time_off": time_off, "warning": warning,
    }, status=400 if form.errors else 200)


@require_POST
@admin_only
def time_off_delete(request: HttpRequest, time_off_id: int) -> HttpResponse:
    time_off = get_object_or_404(TimeOff.objects.select_related("provider"), pk=time_off_id)
    clinic_setup.time_off_delete(time_off=time_off, deleted_by=request.user)
    messages.success(request, f"That time off of {time_off.provider} is removed.")
    return redirect("frontdesk:setup-provider", time_off.provider_id)


# --- Rooms ------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@admin_only
def rooms(request: HttpRequest, location_id: int) -> HttpResponse:
    location = get_object_or_404(Location, pk=location_id)
    form = RoomForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            room = clinic_setup.room_create(location=location, name=form.cleaned_data["name"],
                                            created_by=request.user)
            messages.success(request, f"{room.name} is added at {location}.")
            return redirect("frontdesk:setup-rooms", location.pk)
        except DomainError as error:
            explain(form, error)
    return setup_page(request, "rooms.html", {
        "form": form, "location": location, "rooms": _room_rows(location),
        "to_replan": waiting_count(location_ids=[location.pk]),
    }, status=400 if form.errors else 200)


def _room_rows(location: Location) -> list[dict]:
    return [{"room": room} for room in Room.objects.filter(location=location).order_by("name")]


def _time_off_saved(request: HttpRequest, form, *, save, provider, location):
    """Warn about the visits a time-off change would disrupt, else save it: (the warning to
    show, the redirect once saved); a refusal lands on the form as a sentence."""
    try:
        warning = preview_unless_confirmed(request, apply=save, provider_ids=[provider.pk])
        if warning is not None:
            return warning, None
        saved = save()
    except DomainError as error:
        explain(form, error)
        return None, None
    for note in form.notes:
        messages.info(request, note)
    messages.success(request, f"Time off saved for {provider}: from "
                              f"{local_label(saved.starts_at, location.time_zone)} until "
                              f"{local_label(saved.ends_at, location.time_zone)}.")
    return None, redirect(f"{reverse('frontdesk:setup-provider', args=[provider.pk])}?location={location.pk}")


@require_http_methods(["GET", "POST"])
@admin_only
def room_edit(request: HttpRequest, room_id: int) -> HttpResponse:
    room = get_object_or_404(Room.objects.select_related("location"), pk=room_id)
    form = RoomForm(request.POST or None, initial={"name": room.name})
    if request.method == "POST" and form.is_valid():
        try:
            clinic_setup.room_update(room=room, updated_by=request.user, name=form.cleaned_data["name"])
            messages.success(request, f"The room is now called {form.cleaned_data['name'].strip()}.")
            return redirect("frontdesk:setup-room", room.pk)
        except DomainError as error:
            explain(form, error)
    return _room_page(request, room, form=form)


def _room_page(request: HttpRequest, room: Room, *, form=None, spell_form=None, warning=None) -> HttpResponse:
    location = room.location
    spells = RoomOutOfService.objects.filter(room=room, ends_at__gte=timezone.now()).order_by("starts_at")
    errors = (form is not None and form.errors) or (spell_form is not None and spell_form.errors)
    return setup_page(request, "room.html", {
        "form": form or RoomForm(initial={"name": room.name}), "room": room, "location": location,
        "spell_form": spell_form or RoomOutOfServiceForm(zone_name=location.time_zone),
        "warning": warning,
        "spells": [(spell, f"from {local_label(spell.starts_at, location.time_zone)} until "
                           f"{local_label(spell.ends_at, location.time_zone)}") for spell in spells],
        "to_replan": waiting_count(room_ids=[room.pk]),
    }, status=400 if errors else 200)


@require_POST
@admin_only
def room_out_of_service(request: HttpRequest, room_id: int) -> HttpResponse:
    room = get_object_or_404(Room.objects.select_related("location"), pk=room_id)
    form = RoomOutOfServiceForm(request.POST, zone_name=room.location.time_zone)
    warning = None
    if form.is_valid():
        data = form.cleaned_data

        def save():
            return clinic_setup.room_out_of_service_create(
                room=room, starts_at=data["starts_at"], ends_at=data["ends_at"], reason=data["reason"],
                created_by=request.user)

        try:
            warning = preview_unless_confirmed(request, apply=save, room_ids=[room.pk])
            if warning is None:
                spell = save()
                for note in form.notes:
                    messages.info(request, note)
                zone_name = room.location.time_zone
                messages.success(request, f"{room.name} is out of service from "
                                          f"{local_label(spell.starts_at, zone_name)} until "
                                          f"{local_label(spell.ends_at, zone_name)}.")
                return redirect("frontdesk:setup-room", room.pk)
        except DomainError as error:
            explain(form, error)
    return _room_page(request, room, spell_form=form, warning=warning)


@require_http_methods(["GET", "POST"])
@admin_only
def room_out_of_service_edit(request: HttpRequest, spell_id: int) -> HttpResponse:
    spell = get_object_or_404(RoomOutOfService.objects.select_related("room__location"), pk=spell_id)
    room, zone_name = spell.room, spell.room.location.time_zone
    initial = {"reason": spell.reason, **RoomOutOfServiceForm.initial_for(spell.starts_at, spell.ends_at, zone_name)}
    form = RoomOutOfServiceForm(request.POST or None, initial=initial, zone_name=zone_name)
    warning = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def save():
            return clinic_setup.room_out_of_service_update(
                spell=spell, updated_by=request.user, starts_at=data["starts_at"], ends_at=data["ends_at"],
                reason=data["reason"])

        try:
            warning = preview_unless_confirmed(request, apply=save, room_ids=[room.pk])
            if warning is None:
                saved = save()
                for note in form.notes:
                    messages.info(request, note)
                messages.success(request, f"{room.name} is out of service from "
                                          f"{local_label(saved.starts_at, zone_name)} until "
                                          f"{local_label(saved.ends_at, zone_name)}.")
                return redirect("frontdesk:setup-room", room.pk)
        except DomainError as error:
            explain(form, error)
    return setup_page(request, "room_spell.html", {
        "form": form, "room": room, "location": room.location, "spell": spell, "warning": warning,
    }, status=400 if form.errors else 200)


@require_POST
@admin_only
def room_out_of_service_delete(request: HttpRequest, spell_id: int) -> HttpResponse:
    spell = get_object_or_404(RoomOutOfService.objects.select_related("room__location"), pk=spell_id)
    clinic_setup.room_out_of_service_delete(spell=spell, deleted_by=request.user)
    messages.success(request, f"{spell.room.name} is back in service for that time.")
    return redirect("frontdesk:setup-room", spell.room_id)


@require_POST
@admin_only
def room_active(request: HttpRequest, room_id: int) -> HttpResponse:
    """Take a room out of use for good, or back into use."""
    room = get_object_or_404(Room.objects.select_related("location"), pk=room_id)
    active = request.POST.get("active") == "yes"
    clinic_setup.room_update(room=room, updated_by=request.user, is_active=active)
    state = "back in use" if active else "out of use: no new visit is planned into it"
    messages.success(request, f"{room.name} is {state}.")
    still = Appointment.objects.filter(room=room, status__in=Appointment.OPEN_STATUSES,
                                       starts_at__gte=timezone.now()).count()
    if not active and still:
        visits = "1 booked visit still uses" if still == 1 else f"{still} booked visits still use"
        messages.warning(request, f"{visits} {room.name}. To move them, take the room out of service for those "
                                  "dates: they then wait on the re-plan board.")
    return redirect("frontdesk:setup-rooms", room.location_id)
