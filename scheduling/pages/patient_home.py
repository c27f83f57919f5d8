"""The patient's own page (/my/<token>/), reached from any message: visits, plan, past
sessions, aftercare and messages, and what the patient may do themselves (move or cancel
a visit, book maintenance, claim an offer, stop prompts). "Send me my link" (/my-link/)
sends a new link. Each view checks the link, calls one service, shows the answer."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from clinic.audit import client_address
from clinic.errors import DomainError, InvalidRequest
from patients.models import Patient

from ..models import Appointment
from ..patient_home import patient_home, visit_label
from ..patient_home_links import patient_home_patient, visit_for_patient
from ..patient_tasks import patient_tasks
from ..reminders.branding import branding_for
from ..reminders.rendering import local_time_text
from ..services import patient_moves
from ..services import patient_self_service as self_service
from ..services.maintenance import maintenance_propose

KIND_LABELS = dict(Appointment.Kind.choices)
PLAN_SALT = "scheduling.patient-home.move-plan"
LINK_SENT = "If we have your details, we have sent you a link to your page. It can take a few minutes to arrive."


def _brand(location):
    return branding_for(location) if location else None


def _refused(request: HttpRequest, error: DomainError, location=None, home_url: str = "") -> HttpResponse:
    """A link refused, in words; when only the visit's link failed, the way back to the page."""
    context = {"error": error.message, "brand": _brand(location), "my_link_url": reverse("patient-my-link"),
               "home_url": home_url}
    return render(request, "patient/link_error.html", context, status=error.status_code)


def _patient(token: str) -> Patient:
    return patient_home_patient(token)


@never_cache
@require_http_methods(["GET", "POST"])
def home_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        patient = _patient(token)
    except DomainError as error:
        return _refused(request, error)
    notice, status = "", 200
    if request.GET.get("moved"):
        notice = ("Your visit has moved, with any visits that follow it. "
                  "We will send you one message with the new times.")
    if request.method == "POST":
        try:
            notice = _home_action(request, patient)
        except DomainError as error:
            notice, status = error.message, error.status_code
    home = patient_home(patient)
    context = {
        "home": home, "brand": _brand(home.location), "token": token, "notice": notice,
        "notice_is_error": status != 200, "tasks": patient_tasks(patient),
        "maintenance_due": self_service.maintenance_series(patient) is not None,
        "prompts_stopped": patient.maintenance_prompts_stopped_at is not None,
    }
    return render(request, "patient/home.html", context, status=status)


def _home_action(request: HttpRequest, patient: Patient) -> str:
    action = request.POST.get("action")
    if action == "cancel":
        visit = visit_for_patient(patient=patient, token=request.POST.get("visit", ""))
        cancelled = self_service.visit_cancel_by_patient(
            patient=patient, appointment=visit, reason=request.POST.get("reason", "")
        )
        late = " It was inside the clinic's notice period, so it is noted as a late cancellation." \
            if cancelled.late_cancellation else ""
        return "Your visit is cancelled." + late
    if action == "claim":
        try:
            reminder_id = int(request.POST.get("offer", ""))
        except ValueError:
            raise InvalidRequest("This offer is not available.") from None
        visit = self_service.offer_claim_by_patient(patient=patient, reminder_id=reminder_id)
        zone = visit.location.time_zone
        return f"Booked: {local_time_text(visit.starts_at, _zone(zone))}. We will send you a confirmation."
    if action == "stop_prompts":
        self_service.maintenance_prompts_stop(patient=patient)
        return "We will not send you any more reminders to book a maintenance visit."
    return "Please choose one of the buttons on the page."


def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _epoch(value: str) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise InvalidRequest("Please choose one of the times shown.") from None


@never_cache
@require_http_methods(["GET", "POST"])
def move_page(request: HttpRequest, token: str, visit: str) -> HttpResponse:
    """Times the visit may move to; choosing one shows what else would move; confirming
    applies it all or nothing."""
    try:
        patient = _patient(token)
    except DomainError as error:
        return _refused(request, error)
    home_url = reverse("patient-home", kwargs={"token": token})
    try:
        appointment = visit_for_patient(patient=patient, token=visit)
    except DomainError as error:
        return _refused(request, error, home_url=home_url)
    zone = _zone(appointment.location.time_zone)
    context = {"brand": _brand(appointment.location), "home_url": home_url, "zone_name": str(zone),
               "label": visit_label(appointment), "current": local_time_text(appointment.starts_at, zone)}
    status = 200
    if request.method == "POST":
        try:
            new_start = _epoch(request.POST.get("start"))
            if request.POST.get("confirm"):
                expected, provider_id = _plan_read(request.POST.get("plan", ""))
                patient_moves.appointment_move_by_patient(
                    patient=patient, appointment=appointment, new_start=new_start, expected=expected,
                    provider_id=provider_id)
                return redirect(f"{home_url}?moved=1")
            option = patient_moves.move_preview(appointment=appointment, new_start=new_start,
                                                provider_id=_provider_id(request.POST.get("provider")))
            # The provider travels signed with the moves shown: what is confirmed is what was seen.
            context.update(chosen=_option_view(option, zone),
                           plan=signing.dumps([option.fingerprint, option.provider.pk], salt=PLAN_SALT))
            return render(request, "patient/move.html", context)
        except DomainError as error:
            context["error"], status = error.message, error.status_code
    refusal = patient_moves.move_refusal(appointment, datetime.now(tz=UTC))
    context["refusal"] = refusal
    if not refusal:
        try:
            context["options"] = [_option_view(o, zone) for o in patient_moves.move_options(appointment=appointment)]
        except DomainError as error:
            context["error"] = error.message
    return render(request, "patient/move.html", context, status=status)


def _plan_read(value: str) -> tuple[list[list], int]:
    try:
        expected, provider_id = signing.loads(value, salt=PLAN_SALT)
    except (signing.BadSignature, TypeError, ValueError):
        raise InvalidRequest("Please choose the time again.") from None
    return expected, provider_id


def _provider_id(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        raise InvalidRequest("Please choose one of the times shown.") from None


def _option_view(option, zone) -> dict:
    """The time chosen and, in words, every other visit that would move with it."""
    follows = []
    for change in option.preview.changes:
        if change.appointment_id == option.preview.appointment_id:
            continue
        label = KIND_LABELS.get(change.kind, "Visit") + (f" {change.number}" if change.number else "")
        before = local_time_text(change.old_start, zone) if change.old_start else "new"
        follows.append({"label": label, "before": before, "after": local_time_text(change.new.start, zone)})
    return {"epoch": int(option.starts_at.timestamp()), "time": local_time_text(option.starts_at, zone),
            "provider_id": option.provider.pk, "provider": str(option.provider),
            "follows": follows, "dropped": len(option.preview.cancelled)}


@never_cache
@require_http_methods(["GET", "POST"])
def maintenance_page(request: HttpRequest, token: str) -> HttpResponse:
    """The next maintenance visit: a few times proposed, booked with one tap."""
    try:
        patient = _patient(token)
    except DomainError as error:
        return _refused(request, error)
    home_url = reverse("patient-home", kwargs={"token": token})
    series = self_service.maintenance_series(patient)
    if series is None:
        return redirect(home_url)
    zone = _zone(series.location.time_zone)
    context = {"brand": _brand(series.location), "home_url": home_url, "zone_name": str(zone)}
    status = 200
    if request.method == "POST":
        try:
            visit = self_service.maintenance_book_by_patient(
                patient=patient, series=series, starts_at=_epoch(request.POST.get("start")))
            context["booked"] = local_time_text(visit.starts_at, zone)
            return render(request, "patient/maintenance.html", context)
        except DomainError as error:
            context["error"], status = error.message, error.status_code
    try:
        result = maintenance_propose(series=series, count=1, alternatives=3)
        context["options"] = [{"epoch": int(p.visits[0].start.timestamp()),
                               "time": local_time_text(p.visits[0].start, zone)} for p in result.plans if p.visits]
    except DomainError as error:
        context["error"] = error.message
    return render(request, "patient/maintenance.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def my_link_page(request: HttpRequest) -> HttpResponse:
    """"Send me my link": the same answer whether or not the details are a patient's."""
    context: dict = {"values": {}}
    if request.method == "GET":
        return render(request, "patient/my_link.html", context)
    contact = (request.POST.get("contact") or "").strip()[:254]
    born = (request.POST.get("date_of_birth") or "").strip()[:10]
    context["values"] = {"contact": contact, "date_of_birth": born}
    try:
        date_of_birth = date.fromisoformat(born)
    except ValueError:
        context["error"] = "Please enter your date of birth."
        return render(request, "patient/my_link.html", context, status=400)
    try:
        self_service.patient_link_request(contact=contact, date_of_birth=date_of_birth,
                                          address=client_address(request))
    except DomainError as error:
        context["error"] = error.message
        return render(request, "patient/my_link.html", context, status=error.status_code)
    return render(request, "patient/my_link.html", {"sent": LINK_SENT, "values": {}})
