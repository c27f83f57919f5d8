"""One visit: see it, and act on it (check in, complete, amend the record, no-show,
cancel, reschedule with the cascade preview). Each action is one service call."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic.audit import audit_clinical_reads
from clinic.errors import DomainError
from clinic.models import Provider
from clinic.roles import ALL_ROLES, CLINICAL, DESK, viewer_scope
from scheduling import services
from scheduling.consent import visit_consent_status
from scheduling.models import Appointment
from scheduling.visibility import clinical_reader

from ..access import roles_required
from ..forms import CancelForm, CompleteForm, RescheduleForm
from ..selectors import visit_page
from ..timeutil import local_moment, zone
from ..treatment import before_treatment, record_initial
from .common import explain, page

OPEN = Appointment.OPEN_STATUSES


def _visit(request: HttpRequest, appointment_id: int) -> Appointment:
    visit = get_object_or_404(visit_page(provider=viewer_scope(request.user)), pk=appointment_id)
    visit.clinical_reader = clinical_reader(request.user)
    visit.record_readable = visit.clinical_reader.reads(visit)
    return visit


def _visit_context(visit: Appointment, **extra) -> dict:
    tz = zone(visit.location)
    before = before_treatment(visit, reader=visit.clinical_reader)
    now = timezone.now()
    started = visit.starts_at <= now
    same_day = visit.starts_at.astimezone(tz).date() == now.astimezone(tz).date()
    return {
        "visit": visit, "patient": visit.patient, "start": visit.starts_at.astimezone(tz),
        "end": visit.ends_at.astimezone(tz), "treatment_start": visit.provider_starts_at.astimezone(tz),
        "room_end": visit.room_ends_at.astimezone(tz), "is_open": visit.status in OPEN,
        "may_check_in": visit.status in OPEN and same_day, "may_no_show": visit.status in OPEN and started,
        "may_complete": visit.status in (*OPEN, "checked_in") and started,
        "may_cancel": visit.status in OPEN and not started, "is_treatment": visit.kind in ("session", "maintenance"),
        "cancel_form": extra.pop("cancel_form", None) or CancelForm(),
        "complete_form": extra.pop("complete_form", None) or CompleteForm(initial=record_initial(visit, before)),
        "before": before,
        "consent": visit_consent_status(visit, now) if visit.status in OPEN else None,
        **extra,
    }


@require_GET
@roles_required(ALL_ROLES)
def visit_detail(request: HttpRequest, appointment_id: int) -> HttpResponse:
    visit = _visit(request, appointment_id)
    if visit.record_readable:
        audit_clinical_reads(reader=request.user, records=[visit], via=f"GET {request.path}")
    return page(request, "visit.html", _visit_context(visit))


def _done(request: HttpRequest, visit: Appointment, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("frontdesk:visit", visit.pk)


@require_POST
@roles_required(ALL_ROLES)
def check_in(request: HttpRequest, appointment_id: int) -> HttpResponse:
    visit = _visit(request, appointment_id)
    try:
        services.appointment_check_in(appointment=visit, checked_in_by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("frontdesk:visit", visit.pk)
    return _done(request, visit, f"{visit.patient.full_name} is checked in.")


@require_POST
@roles_required(ALL_ROLES)
def no_show(request: HttpRequest, appointment_id: int) -> HttpResponse:
    visit = _visit(request, appointment_id)
    try:
        services.appointment_mark_no_show(appointment=visit, marked_by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("frontdesk:visit", visit.pk)
    return _done(request, visit, "Marked as a no-show; the time is free again.")


@require_POST
@roles_required(DESK)
def cancel(request: HttpRequest, appointment_id: int) -> HttpResponse:
    visit = _visit(request, appointment_id)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            cancelled = services.appointment_cancel(appointment=visit, reason=form.cleaned_data["reason"],
                                                    cancelled_by=request.user)
        except DomainError as error:
            explain(form, error)
        else:
            late = " It was inside the notice period, so it is marked late." if cancelled.late_cancellation else ""
            return _done(request, visit, f"Visit cancelled.{late}")
    return page(request, "visit.html", _visit_context(visit, cancel_form=form), status=400)


@require_POST
@roles_required(CLINICAL)
def complete(request: HttpRequest, appointment_id: int) -> HttpResponse:
    visit = _visit(request, appointment_id)
    form = CompleteForm(request.POST)
    if form.is_valid():
        try:
            services.appointment_complete(appointment=visit, areas=form.areas(), device=form.cleaned_data["device"],
                                          side_effects=form.cleaned_data["side_effects"],
                                          notes=form.cleaned_data["notes"], completed_by=request.user)
        except DomainError as error:
            explain(form, error)
        else:
            return _done(request, visit, "Visit recorded as completed.")
    return page(request, "visit.html", _visit_context(visit, complete_form=form), status=400)


@require_POST
@roles_required(CLINICAL)
def amend(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """The provider who gave a completed visit corrects its record; the change is audited."""
    visit = _visit(request, appointment_id)
    form = CompleteForm(request.POST)
    if form.is_valid():
        try:
            services.appointment_record_amend(appointment=visit, areas=form.areas(), device=form.cleaned_data["device"],
                                              side_effects=form.cleaned_data["side_effects"],
                                              notes=form.cleaned_data["notes"], amended_by=request.user)
        except DomainError as error:
            explain(form, error)
        else:
            return _done(request, visit, "The record is amended; the change is kept in the audit trail.")
    return page(request, "visit.html", _visit_context(visit, complete_form=form), status=400)


@require_http_methods(["GET", "POST"])
@roles_required(DESK)
def reschedule(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """Choose a new time, see what else moves (the cascade), then confirm the move."""
    visit = _visit(request, appointment_id)
    tz = zone(visit.location)
    local = visit.starts_at.astimezone(tz)
    form = RescheduleForm(request.POST or None, initial={"day": local.date(), "at": local.time()})
    preview, changes = None, []
    if request.method == "POST" and form.is_valid():
        new_start = local_moment(visit.location, form.cleaned_data["day"], form.cleaned_data["at"])
        provider = form.cleaned_data["provider"]
        try:
            if request.POST.get("action") == "confirm":
                services.appointment_reschedule(appointment=visit, new_start=new_start, provider=provider,
                                                changed_by=request.user)
                moved = visit_page(provider=None).get(pk=visit.pk).starts_at.astimezone(tz)
                return _done(request, visit, f"Moved to {moved:%a %d %b %Y at %H:%M}.")
            preview = services.appointment_reschedule_preview(appointment=visit, new_start=new_start, provider=provider)
            if not preview.ok:
                form.add_error(None, preview.message or "That move does not fit.")
        except DomainError as error:
            explain(form, error)
        if preview is not None and preview.ok:
            changes = _describe(preview, tz)
    return page(request, "reschedule.html", {**_visit_context(visit), "form": form, "preview": preview,
                                             "changes": changes})


def _describe(preview, tz) -> list[dict]:
    """Each change as the desk reads it: which visit, from when, to when, with whom."""
    ids = [c.appointment_id for c in preview.changes if c.appointment_id] + list(preview.cancelled)
    current = {a.pk: a for a in Appointment.objects.filter(pk__in=ids).select_related("provider")}
    names = dict(Provider.objects.filter(pk__in={c.new.provider_id for c in preview.changes})
                 .values_list("pk", "display_name"))
    rows = []
    for change in preview.changes:
        label = {"session": f"Session {change.number}", "healing_check": f"Healing check after session {change.number}",
                 "review": "Series review", "maintenance": "Maintenance"}.get(change.kind, change.kind)
        rows.append({"label": label, "old": change.old_start.astimezone(tz) if change.old_start else None,
                     "new": change.new.start.astimezone(tz), "provider": names.get(change.new.provider_id, ""),
                     "window": (change.new.window_start, change.new.window_end) if change.kind == "session" else None,
                     "is_new": change.appointment_id is None})
    for pk in preview.cancelled:
        visit = current.get(pk)
        if visit is not None:
            rows.append({"label": f"{visit.get_kind_display()} (no longer needed)",
                         "old": visit.starts_at.astimezone(tz), "new": None, "provider": visit.provider.display_name,
                         "window": None, "cancelled": True})
    return rows


