"""Consent at the clinic: the desk opens the signing page for a patient on the tablet,
prints a signed consent, and a clinic admin edits the consent documents (each published
edit is a new version; earlier versions and their signatures never change)."""

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic.errors import DomainError
from clinic.roles import ADMIN, ALL_ROLES, viewer_scope
from patients.models import Intake
from scheduling.consent import TREATMENTS, consent_status, consent_version_current
from scheduling.models import Appointment, ConsentDocument, ConsentSignature
from scheduling.pages.consent import consent_page_render
from scheduling.selectors import protocol_active
from scheduling.services.consent import consent_document_set_validity, consent_version_publish
from scheduling.visibility import patient_visible

from ..access import roles_required
from ..forms import ConsentDocumentForm
from ..kiosk import SESSION_KEY, kiosk_end, kiosk_page, kiosk_start
from .common import page


@never_cache
@require_http_methods(["GET", "POST"])
@roles_required(ALL_ROLES)
def desk_sign(request: HttpRequest, patient_id: int, document_id: int) -> HttpResponse:
    """The patient's signing page on the clinic's tablet, recorded as signed at the desk."""
    patient = get_object_or_404(patient_visible(provider=viewer_scope(request.user)), pk=patient_id)
    document = get_object_or_404(ConsentDocument.objects.select_related("protocol"), pk=document_id)
    visit_id = request.GET.get("visit", "")
    visit = (Appointment.objects.filter(pk=int(visit_id), patient=patient).first()
             if visit_id.isdigit() and len(visit_id) < 12 else None)
    back = reverse("frontdesk:visit", args=[visit.pk]) if visit else reverse("frontdesk:patient", args=[patient.pk])
    # The tablet goes to the patient: until staff type their password, this browser shows
    # only this page (frontdesk/kiosk.py).
    return_error = bool((kiosk_page(request) or {}).get("failed"))
    kiosk_start(request, page=request.get_full_path(), back=back)
    return consent_page_render(request, patient=patient, document=document, witnessed_by=request.user,
                               back_url=reverse("frontdesk:consent-kiosk-return"), return_error=return_error)


@never_cache
@require_POST
@roles_required(ALL_ROLES)
def consent_kiosk_return(request: HttpRequest) -> HttpResponse:
    """The tablet is back with the staff: their password ends the signing-only view."""
    held = kiosk_page(request)
    if held is None:
        return redirect("frontdesk:schedule")
    try:
        user = authenticate(request, username=request.user.get_username(),
                            password=request.POST.get("password", "")[:200])
    except PermissionDenied:  # too many wrong passwords: the lockout holds
        user = None
    if user is None or user.pk != request.user.pk:
        request.session[SESSION_KEY] = {**held, "failed": True}
        return redirect(held["page"])
    messages.success(request, "Welcome back: the tablet is back on the front-desk site.")
    return redirect(kiosk_end(request))


@require_GET
@roles_required(ALL_ROLES)
def consent_print(request: HttpRequest, signature_id: int) -> HttpResponse:
    """A signed consent as a clean page to print: the text signed, the name, the time in
    the location's zone, and the hash of the text."""
    visible = patient_visible(provider=viewer_scope(request.user))
    signature = get_object_or_404(
        ConsentSignature.objects.select_related("version__document__protocol", "patient", "witnessed_by")
        .filter(patient__in=visible), pk=signature_id)
    location = (Appointment.objects.filter(patient=signature.patient).select_related("location")
                .order_by("-starts_at").first())
    zone_name = location.location.time_zone if location else "UTC"
    signed_at = signature.signed_at.astimezone(ZoneInfo(zone_name))
    return page(request, "consent_print.html", {
        "signature": signature, "patient": signature.patient, "version": signature.version,
        "signed_at": f"{signed_at.day} {signed_at:%B %Y at %H:%M} {signed_at.tzname()}", "zone_name": zone_name,
        "location": location.location if location else None,
    })


@require_GET
@roles_required(ADMIN)
def consent_documents(request: HttpRequest) -> HttpResponse:
    documents = list(ConsentDocument.objects.select_related("protocol").order_by("protocol__name"))
    for document in documents:
        document.current = consent_version_current(document)
    return page(request, "consent_documents.html", {"documents": documents, "nav": "setup"})


@require_http_methods(["GET", "POST"])
@roles_required(ADMIN)
def consent_document_edit(request: HttpRequest, document_id: int) -> HttpResponse:
    """Edit the words and publish them as the next version; or change how long a
    signature counts (not a change of the words, so no new version)."""
    document = get_object_or_404(ConsentDocument.objects.select_related("protocol"), pk=document_id)
    current = consent_version_current(document)
    form = ConsentDocumentForm(request.POST or None, current=current, validity_months=document.validity_months)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            consent_document_set_validity(document=document, validity_months=data["validity_months"],
                                          changed_by=request.user)
            if form.words_changed():
                version = consent_version_publish(document=document, title=data["title"],
                                                  sections=form.sections(), published_by=request.user)
                messages.success(request, f"Version {version.number} published: patients sign it before "
                                          "their next treatment.")
            else:
                messages.success(request, "Saved. The words did not change, so no new version was needed.")
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            return redirect("frontdesk:consent-documents")
    versions = list(document.versions.all())
    return page(request, "consent_document_edit.html", {
        "document": document, "form": form, "versions": versions, "current": current, "nav": "setup"})


def patient_consent_context(patient, consultations, *, zone_name: str) -> dict:
    """For the patient page: whether each consultation's health questions are answered
    (never the answers: the desk reads none), the consents signed, and whether the
    active protocol's consent counts now."""
    answered = set(Intake.objects.filter(consultation__in=consultations).values_list("consultation_id", flat=True))
    for consultation in consultations:
        consultation.intake_done = consultation.pk in answered
    signatures = list(ConsentSignature.objects.filter(patient=patient)
                      .select_related("version__document__protocol", "witnessed_by"))
    tz = ZoneInfo(zone_name)
    for signature in signatures:
        signature.local_time = f"{signature.signed_at.astimezone(tz):%d %b %Y, %H:%M}"
    try:
        protocol = protocol_active()
    except DomainError:
        return {"signatures": signatures, "consent": None}
    now = timezone.now()
    status = consent_status(patient=patient, protocol=protocol, now=now, zone=zone_name, signatures=signatures)
    # Unsigned matters now only when a treatment is coming; before that it is just "not yet".
    # The patient page prefetched the visits: no query here.
    needed = any(v.kind in TREATMENTS and v.status in Appointment.OPEN_STATUSES and v.ends_at > now
                 for v in patient.appointments.all())
    return {"signatures": signatures, "consent": status if status.version else None, "consent_needed": needed}
