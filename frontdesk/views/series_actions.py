"""A booked series from its timeline on the patient page: pause, resume, cancel the rest,
and maintenance proposed and booked at any time after the series."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_http_methods, require_POST

from clinic.errors import DomainError
from clinic.roles import ALL_ROLES, DESK, viewer_scope
from scheduling import services
from scheduling.models import TreatmentSeries
from scheduling.visibility import series_resume_refusal, series_visible

from ..access import roles_required
from ..plans import names_for
from ..timeutil import zone
from .common import page


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Reason")


def _series(request: HttpRequest, series_id: int) -> TreatmentSeries:
    visible = series_visible(provider=viewer_scope(request.user)).select_related("patient", "location", "consultation")
    return get_object_or_404(visible, pk=series_id)


def _done(request: HttpRequest, series: TreatmentSeries, error: DomainError | None, success: str) -> HttpResponse:
    if error is not None:
        messages.error(request, error.message)
    else:
        messages.success(request, success)
    return redirect("frontdesk:patient", series.patient_id)


def _reason(request: HttpRequest) -> str:
    form = ReasonForm(request.POST)
    return form.cleaned_data["reason"] if form.is_valid() else ""


@require_POST
@roles_required(DESK)
def series_pause(request: HttpRequest, series_id: int) -> HttpResponse:
    series = _series(request, series_id)
    try:
        services.series_pause(series=series, reason=_reason(request), paused_by=request.user)
    except DomainError as error:
        return _done(request, series, error, "")
    return _done(request, series, None, "The series is paused; its visits keep their times but get no reminders.")


@require_POST
@roles_required(ALL_ROLES)
def series_resume(request: HttpRequest, series_id: int) -> HttpResponse:
    series = _series(request, series_id)
    refusal = series_resume_refusal(series=series, user=request.user)
    if refusal:
        messages.error(request, refusal)
        return redirect("frontdesk:patient", series.patient_id)
    try:
        services.series_resume(series=series, resumed_by=request.user, note=request.POST.get("note", "")[:300])
    except DomainError as error:
        return _done(request, series, error, "")
    return _done(request, series, None, "The series is going ahead again.")


@require_POST
@roles_required(DESK)
def series_cancel_rest(request: HttpRequest, series_id: int) -> HttpResponse:
    series = _series(request, series_id)
    try:
        cancelled = services.series_cancel_remainder(series=series, reason=_reason(request),
                                                     cancelled_by=request.user)
    except DomainError as error:
        return _done(request, series, error, "")
    return _done(request, series, None,
                 f"The rest of the series is cancelled ({len(cancelled)} visit{'s' if len(cancelled) != 1 else ''}).")


@require_http_methods(["GET", "POST"])
@roles_required(DESK)
def series_maintenance(request: HttpRequest, series_id: int) -> HttpResponse:
    """The next maintenance visit proposed (with alternatives), booked with one click."""
    series = _series(request, series_id)
    if request.method == "POST":
        try:
            _, _, plan = services.proposal_read(token=request.POST.get("proposal", ""),
                                                                  consultation=series.consultation)
            [visit] = services.maintenance_book(series=series, plan=plan, booked_by=request.user)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("frontdesk:series-maintenance", series.pk)
        local = visit.starts_at.astimezone(zone(visit.location))
        return _done(request, series, None, f"Maintenance visit booked on {local:%a %d %b %Y at %H:%M}.")
    options, problem = [], None
    try:
        result = services.maintenance_propose(series=series, count=1, alternatives=3)
    except DomainError as error:
        result, problem = None, error.message
    if result is not None:
        problem = result.problem.message if result.problem else None
        plans = [p for p in [result.best, *result.alternatives] if p is not None]
        providers, rooms = names_for(plans)
        for plan in plans:
            visit = plan.maintenance[0]
            options.append({
                "starts_at": visit.start, "provider": providers.get(visit.provider_id, ""),
                "room": rooms.get(visit.room_id, ""), "window": (visit.window_start, visit.window_end),
                "token": services.proposal_sign(consultation=series.consultation, location=series.location, plan=plan),
            })
    return page(request, "series_maintenance.html", {
        "series": series, "options": options, "problem": problem, "location": series.location})
