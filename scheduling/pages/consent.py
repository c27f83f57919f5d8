"""Reading and signing a consent document: /consent/<token>/ for the patient at home, and
the same page opened by the desk for the patient on the clinic's tablet (then recorded
as signed at the desk, by whom)."""

from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from clinic.audit import audit_address_set, client_address
from clinic.errors import Conflict, DomainError
from clinic.models import Location
from patients.models import Patient

from ..consent import consent_needed_until, consent_status
from ..models import Appointment, ConsentDocument
from ..reminders.branding import branding_for
from ..services.consent import consent_sign
from ..task_links import consent_link_read

TEMPLATE = "patient/consent.html"


def _patient_location(patient: Patient) -> Location | None:
    """The clinic a patient knows: where their next (else latest) visit is."""
    visits = Appointment.objects.filter(patient=patient).select_related("location")
    upcoming = visits.filter(starts_at__gte=timezone.now()).order_by("starts_at").first()
    latest = upcoming or visits.order_by("-starts_at").first()
    return latest.location if latest else Location.objects.filter(is_active=True).first()


def consent_page_render(request: HttpRequest, *, patient: Patient, document: ConsentDocument,
                        witnessed_by=None, back_url: str = "", return_error: bool = False) -> HttpResponse:
    """The signing page, for a patient's link and for the desk's tablet alike (there
    `back_url` is where staff type their password to take the tablet back)."""
    location = _patient_location(patient)
    zone = location.time_zone if location else "UTC"
    # A signature that runs out before a treatment already booked is signed again now.
    until = consent_needed_until(patient=patient, protocol=document.protocol, now=timezone.now())
    status = consent_status(patient=patient, protocol=document.protocol, now=until, zone=zone)
    version = status.version
    context = {"brand": branding_for(location), "first_name": patient.first_name, "version": version,
               "at_desk": witnessed_by is not None, "back_url": back_url, "ticked": [], "signed_name": "",
               "return_error": return_error}
    if version is None:
        context["error"] = "The clinic has no consent document to sign yet. Please call the clinic."
        return render(request, TEMPLATE, context, status=404)
    code = 200
    if request.method == "POST":
        ticked = [t for t in request.POST.getlist("section") if isinstance(t, str)][:50]
        typed = request.POST.get("signed_name", "")[:300]
        try:
            if request.POST.get("version", "") != str(version.number):
                # The patient signs the words they read: a version published since the
                # page was opened is shown to be read and signed afresh.
                ticked = []
                raise Conflict("The clinic has just changed this document. Please read the new version and sign that.")
            with audit_address_set(client_address(request)):
                consent_sign(patient=patient, version=version, signed_name=typed, sections_ticked=ticked,
                             address=client_address(request),
                             user_agent=request.META.get("HTTP_USER_AGENT", ""), witnessed_by=witnessed_by)
        except DomainError as error:
            code = error.status_code
            errors = error.details if isinstance(error.details, dict) else {}
            context.update(message=error.message, failed=True, ticked=ticked, signed_name=typed,
                           name_error=(errors.get("signed_name") or [""])[0],
                           sections_error=(errors.get("sections") or [""])[0])
        else:
            context.update(signed=True, message="Thank you: your consent is signed and recorded.")
    elif status.ok:
        signed_at = status.signature.signed_at.astimezone(ZoneInfo(zone))
        context["already_signed"] = f"{signed_at.day} {signed_at:%B %Y}"
    return render(request, TEMPLATE, context, status=code)


@never_cache
@require_http_methods(["GET", "POST"])
def consent_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        patient, document = consent_link_read(token)
    except DomainError as error:
        return render(request, TEMPLATE, {"error": error.message, "brand": None}, status=error.status_code)
    return consent_page_render(request, patient=patient, document=document)
