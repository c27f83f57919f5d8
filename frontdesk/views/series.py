"""Plan a series: preferences, the proposal on a calendar with alternatives, hold,
confirm. Proposals travel between requests as signed tokens (proposal_sign)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from clinic.errors import DomainError, InvalidRequest
from clinic.roles import DESK
from patients import selectors as patient_selectors
from patients.models import Consultation
from patients.screening import CAUTION_PENDING_MESSAGE, consultation_cautions_open
from scheduling import services
from scheduling.planner import Preferences

from ..access import roles_required
from ..forms import PlanForm, ProposalForm
from ..plans import names_for, plan_view
from ..selectors import hold_page, location_chosen
from ..timeutil import day_bounds, zone
from .common import explain, page


def _consultation(consultation_id: int) -> Consultation:
    return get_object_or_404(patient_selectors.consultation_visible(provider=None), pk=consultation_id)


def _cautions_checked(consultation: Consultation) -> None:
    """As in the API: every caution needs a provider's acknowledgement first."""
    if consultation_cautions_open(consultation):
        raise InvalidRequest(CAUTION_PENDING_MESSAGE)


@require_GET
@roles_required(DESK)
def plan(request: HttpRequest, consultation_id: int) -> HttpResponse:
    consultation = _consultation(consultation_id)
    location = location_chosen(request.GET.get("location"))
    form = PlanForm(request.GET if "location" in request.GET else None, initial={
        "location": location, "session_count": consultation.recommended_sessions or 3,
        "target_interval_days": 28, "provider": consultation.provider})
    plans, problem = [], None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        location = data["location"]
        earliest = day_bounds(location, data["earliest_start"])[0] if data["earliest_start"] else None
        try:
            _cautions_checked(consultation)
            result = services.series_propose(
                consultation=consultation, location=location, earliest_start=earliest,
                session_count=data["session_count"], target_interval_days=data["target_interval_days"],
                preferences=Preferences(
                    provider_id=data["provider"].pk if data["provider"] else None,
                    weekdays=frozenset(data["weekdays"]) or None, earliest_time=data["earliest_time"],
                    latest_time=data["latest_time"], strict=data["strict"]),
            )
        except DomainError as error:
            explain(form, error)
        else:
            found = [p for p in [result.best, *result.alternatives] if p is not None]
            providers, rooms = names_for(found)
            plans = [plan_view(p, token=services.proposal_sign(consultation=consultation, location=location, plan=p),
                               tz=zone(location), providers=providers, rooms=rooms) for p in found]
            problem = result.problem
    return page(request, "plan.html", {
        "consultation": consultation, "patient": consultation.patient, "form": form, "plans": plans,
        "problem": problem, "query": request.GET.urlencode(), "proposed": form.is_bound and form.is_valid(),
    })


@require_POST
@roles_required(DESK)
def hold(request: HttpRequest, consultation_id: int) -> HttpResponse:
    """Hold the chosen proposal for a few minutes while the patient says yes."""
    consultation = _consultation(consultation_id)
    form = ProposalForm(request.POST)
    back = reverse("frontdesk:plan", args=[consultation.pk]) + "?" + request.POST.get("query", "")
    if not form.is_valid():
        messages.error(request, "Choose one of the proposals.")
        return redirect(back)
    try:
        _, location, proposal = services.proposal_read(token=form.cleaned_data["proposal"], consultation=consultation)
        _cautions_checked(consultation)
        held = services.series_hold(consultation=consultation, location=location, plan=proposal, held_by=request.user)
    except DomainError as error:
        messages.error(request, f"Could not hold these times. {error.message}")
        return redirect(back)
    return redirect(
        reverse("frontdesk:hold", args=[held.pk]) + "?" + urlencode({"query": request.POST.get("query", "")})
    )


def _hold(request: HttpRequest, hold_id):
    return get_object_or_404(hold_page(), pk=hold_id)


@require_GET
@roles_required(DESK)
def hold_detail(request: HttpRequest, hold_id) -> HttpResponse:
    held = _hold(request, hold_id)
    tz = zone(held.location)
    rows = [
        {"visit": v, "start": v.starts_at.astimezone(tz), "end": v.ends_at.astimezone(tz)} for v in held.visits.all()
    ]
    remaining = max(0, int((held.expires_at - timezone.now()).total_seconds()))
    return page(request, "hold.html", {"hold": held, "rows": rows, "remaining": remaining,
                                       "remaining_text": f"{remaining // 60} min {remaining % 60:02d} s",
                                       "query": request.GET.get("query", ""), "patient": held.patient})


@require_POST
@roles_required(DESK)
def hold_confirm(request: HttpRequest, hold_id) -> HttpResponse:
    held = _hold(request, hold_id)
    try:
        if held.consultation_id:
            _cautions_checked(held.consultation)
        series = services.series_confirm(hold=held, confirmed_by=request.user)
    except DomainError as error:
        messages.error(request, f"The series was not booked. {error.message} Ask for a new proposal.")
        back = reverse("frontdesk:plan", args=[held.consultation_id]) + "?" + request.POST.get("query", "")
        return redirect(back)
    messages.success(request, f"Series of {series.session_count} sessions booked for {held.patient.full_name}.")
    return redirect("frontdesk:patient", held.patient_id)


@require_POST
@roles_required(DESK)
def hold_release(request: HttpRequest, hold_id) -> HttpResponse:
    held = _hold(request, hold_id)
    services.hold_release(hold=held, released_by=request.user)
    messages.info(request, "The held times were released.")
    return redirect(reverse("frontdesk:plan", args=[held.consultation_id]) + "?" + request.POST.get("query", ""))
