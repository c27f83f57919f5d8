"""Finding and registering patients, the patient page, booking a consultation and
putting a patient on the waitlist."""

from datetime import timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from clinic.audit import audit_clinical_reads
from clinic.errors import DomainError
from clinic.models import Provider
from clinic.roles import ALL_ROLES, DESK, viewer_scope
from patients import selectors as patient_selectors
from patients import services as patient_services
from patients.screening import consultation_cautions_open
from scheduling import services
from scheduling.patient_home import patient_online_actions
from scheduling.reminders.reach import reminder_channel_for
from scheduling.services.patient_self_service import patient_link_send
from scheduling.visibility import clinical_reader, patient_visible
from scheduling.waitlist import waitlist_entry_add

from ..access import roles_required
from ..forms import (
    ConsultationBookForm,
    ConsultationSlotsForm,
    DuplicateForm,
    PatientForm,
    SearchForm,
    WaitlistForm,
)
from ..glance import patient_glance
from ..phones import phone_as_dialled, phone_region
from ..selectors import location_chosen, patient_page, patient_timelines
from ..timeutil import day_bounds, local_today, zone
from .common import explain, page
from .consent import patient_consent_context

SEARCH_LIMIT = 20
SLOT_DAYS = 7


@require_GET
@roles_required(ALL_ROLES)
def patient_search(request: HttpRequest) -> HttpResponse:
    """The search page; typing fills the results from `patient_search_json`."""
    form = SearchForm(request.GET or None)
    results = []
    if form.is_valid() and form.cleaned_data["q"].strip():
        visible = patient_visible(provider=viewer_scope(request.user))
        results = list(patient_selectors.patient_search(patients=visible, q=form.cleaned_data["q"])[:SEARCH_LIMIT])
    return page(request, "patients.html", {"form": form, "results": results, "searched": bool(request.GET.get("q")),
                                           "booking": _booking_slot(request)})


def _booking_slot(request: HttpRequest) -> dict | None:
    """An empty time chosen on the schedule, carried to the consultation booking of
    whichever patient is picked next."""
    form = ConsultationSlotsForm(request.GET)
    at = request.GET.get("at", "")
    if not (form.is_valid() and form.cleaned_data["provider"] and len(at) == 5 and at[2] == ":"):
        return None
    data = form.cleaned_data
    query = urlencode({"location": data["location"].pk, "provider": data["provider"].pk,
                       "day": data["day"].isoformat(), "at": at})
    return {"provider": data["provider"], "day": data["day"], "at": at, "query": query}


@require_GET
@roles_required(ALL_ROLES)
def patient_search_json(request: HttpRequest) -> JsonResponse:
    """Up to twenty matches for what has been typed so far (name, phone or email)."""
    form = SearchForm(request.GET)
    if not form.is_valid() or len(form.cleaned_data["q"].strip()) < 2:
        return JsonResponse({"results": []})
    visible = patient_visible(provider=viewer_scope(request.user))
    found = patient_selectors.patient_search(patients=visible, q=form.cleaned_data["q"])[:SEARCH_LIMIT]
    region = phone_region()
    return JsonResponse({"results": [
        {"id": p.pk, "name": p.full_name, "date_of_birth": p.date_of_birth.strftime("%d %b %Y"),
         "phone": phone_as_dialled(p.phone, region), "email": p.email,
         "url": reverse("frontdesk:patient", args=[p.pk]),
         "book_url": reverse("frontdesk:consultation-new", args=[p.pk])}
        for p in found]})


@require_http_methods(["GET", "POST"])
@roles_required(DESK)
def patient_new(request: HttpRequest) -> HttpResponse:
    """Register a patient; a likely duplicate (same name and date of birth, email or phone)
    is shown first, to open instead or to register anyway with a reason."""
    form = PatientForm(request.POST or None, initial={"preferred_channel": "email", "consent_email": True})
    duplicate = DuplicateForm(request.POST or None)
    duplicates = []
    if request.method == "POST" and form.is_valid() and duplicate.is_valid():
        data = form.cleaned_data
        reason = duplicate.cleaned_data["duplicate_reason"].strip()
        duplicates = list(patient_selectors.patient_likely_duplicates(
            first_name=data["first_name"], last_name=data["last_name"], date_of_birth=data["date_of_birth"],
            email=data["email"], phone=data["phone"]))
        if duplicates and request.POST.get("anyway") and not reason:
            duplicate.add_error("duplicate_reason", "Say why this is a different person, or open the patient above.")
        if not duplicates or reason:
            try:
                patient = patient_services.patient_create(created_by=request.user, duplicate_reason=reason, **data)
            except DomainError as error:
                explain(form, error)
            else:
                messages.success(request, f"{patient.full_name} is registered.")
                return redirect("frontdesk:patient", patient.pk)
    return page(request, "patient_new.html", {"form": form, "duplicate": duplicate, "duplicates": duplicates})


@require_http_methods(["GET", "POST"])
@roles_required(DESK)
def patient_edit(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Change any of a patient's details; the change is audited field by field."""
    patient = get_object_or_404(patient_visible(provider=None), pk=patient_id)
    initial = {name: getattr(patient, name) for name in PatientForm.base_fields}
    initial["phone"] = phone_as_dialled(patient.phone, phone_region())
    form = PatientForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            patient = patient_services.patient_update(patient=patient, updated_by=request.user, **form.cleaned_data)
        except DomainError as error:
            explain(form, error)
        else:
            messages.success(request, f"Saved the details of {patient.full_name}.")
            return redirect("frontdesk:patient", patient.pk)
    return page(request, "patient_edit.html", {"form": form, "patient": patient})


@require_GET
@roles_required(ALL_ROLES)
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = get_object_or_404(patient_page(provider=viewer_scope(request.user)), pk=patient_id)
    location = location_chosen(None)
    today = local_today(location) if location else None
    timelines, other_reminders = patient_timelines(patient, today=today)
    consultations = list(patient.consultations.all())
    planned = {t.series.consultation_id for t in timelines if t.series.status != "cancelled"}
    reader = clinical_reader(request.user)
    for visit in patient.appointments.all():
        visit.record_readable = reader.reads(visit)
    for consultation in consultations:
        consultation.record_readable = reader.reads(consultation)
        consultation.cautions_open = consultation_cautions_open(consultation)
        consultation.can_plan = consultation.outcome == "eligible" and consultation.pk not in planned
    shown = [r for r in [*consultations, *patient.appointments.all()] if r.record_readable]
    audit_clinical_reads(reader=request.user, records=shown, via=f"GET {request.path}")
    return page(request, "patient.html", {
        "patient": patient, "consultations": consultations, "timelines": timelines,
        "glance": patient_glance(patient, timelines, now=timezone.now()),
        "cautions": [c for c in consultations
                     if c.record_readable and (c.cautions_open or c.hyperpigmentation_caution)],
        "other_reminders": other_reminders,
        "visits": [v for v in patient.appointments.all() if v.series_id is None],
        "waitlist": list(patient.waitlist_entries.all()),
        **patient_consent_context(patient, consultations, zone_name=location.time_zone if location else "UTC"),
        "online_actions": patient_online_actions(patient, zone=zone(location) if location else ZoneInfo("UTC")),
        "zone_name": str(zone(location)) if location else "UTC",
    })


@require_http_methods(["POST"])
@roles_required(DESK)
def patient_send_link(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Send the patient a new link to their own page; every older link stops working."""
    patient = get_object_or_404(patient_visible(provider=None), pk=patient_id)
    channel = reminder_channel_for(patient)
    if channel is None:
        messages.error(request, "The patient takes neither email nor texts, so no link can be sent.")
    else:
        patient_link_send(patient=patient, channel=channel, now=timezone.now(), by=request.user)
        how = "by text" if channel == "sms" else "by email"
        messages.success(request, f"A new link to their page is on its way {how}; older links no longer work.")
    return redirect("frontdesk:patient", patient.pk)


@require_http_methods(["GET", "POST"])
@roles_required(DESK)
def consultation_new(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Pick a location, a provider (or any) and a first day; the free times of the next
    week are listed to choose from; booking calls `consultation_book`."""
    patient = get_object_or_404(patient_visible(provider=None), pk=patient_id)
    location = location_chosen(request.GET.get("location") or request.POST.get("location"))
    if location is None:
        return page(request, "empty.html", {"message": "No location is set up yet; add one in the clinic admin."})
    today = local_today(location)
    search = ConsultationSlotsForm(
        request.GET or None, initial={"location": location, "day": today + timedelta(days=1)}
    )
    book = ConsultationBookForm(request.POST or None, initial={"location": location})
    if request.method == "POST" and book.is_valid():
        provider_id, starts_at = book.cleaned_data["slot"]
        provider = get_object_or_404(Provider, pk=provider_id, is_active=True)
        try:
            visit = services.consultation_book(patient=patient, location=book.cleaned_data["location"],
                                               provider=provider, starts_at=starts_at, booked_by=request.user)
        except DomainError as error:
            explain(book, error)
        else:
            local = visit.starts_at.astimezone(zone(visit.location))
            messages.success(request, f"Consultation booked with {provider} on {local:%a %d %b %Y at %H:%M}.")
            return redirect("frontdesk:patient", patient.pk)

    days = []
    if search.is_valid():
        first = search.cleaned_data["day"]
        start, _ = day_bounds(location, first)
        _, end = day_bounds(location, first + timedelta(days=SLOT_DAYS - 1))
        try:
            slots = services.availability_answer(
                location=search.cleaned_data["location"],
                kind="consultation",
                start=start,
                end=end,
                areas=[],
                provider=search.cleaned_data["provider"],
                patient=patient,
                limit=200,
            )
        except DomainError as error:
            explain(search, error)
            slots = []
        names = {p.pk: p.display_name for p in Provider.objects.filter(
            pk__in={s.provider_id for s in slots})}
        tz = zone(location)
        by_day: dict = {}
        for slot in slots:
            local = slot.start.astimezone(tz)
            by_day.setdefault(local.date(), []).append(
                {
                    "value": f"{slot.provider_id}|{slot.start.isoformat()}",
                    "time": local,
                    "provider": names.get(slot.provider_id),
                }
            )
        days = sorted(by_day.items())
    return page(request, "consultation_new.html", {
        "patient": patient, "search": search, "book": book, "days": days, "location": location,
        "searched": search.is_bound, "chosen_at": request.GET.get("at", "")})


@require_http_methods(["GET", "POST"])
@roles_required(DESK)
def waitlist_new(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = get_object_or_404(patient_visible(provider=None), pk=patient_id)
    location = location_chosen(None)
    today = local_today(location) if location else None
    form = WaitlistForm(request.POST or None, initial={
        "location": location, "kind": "consultation", "earliest_date": today,
        "latest_date": today + timedelta(days=14) if today else None})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            waitlist_entry_add(patient=patient, location=data["location"], kind=data["kind"],
                               earliest_date=data["earliest_date"], latest_date=data["latest_date"],
                               provider=data["provider"], preferred_times=data["preferred_times"], notes=data["notes"],
                               added_by=request.user)
        except ValidationError as error:
            explain(form, error)
        else:
            messages.success(request, f"{patient.full_name} is on the waitlist; a freed slot will be offered.")
            return redirect(reverse("frontdesk:waitlist") + f"?location={data['location'].pk}")
    return page(request, "waitlist_new.html", {"patient": patient, "form": form})
