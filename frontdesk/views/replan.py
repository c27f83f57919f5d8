"""The re-planning board: every visit a closure, time off, shorter hours or a room out of
service now disrupts, with its proposal; accept all, accept one, choose another offered
time, or cancel with a reason. Each action is one service call."""

from collections.abc import Iterable
from datetime import UTC, datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from clinic.errors import DomainError
from clinic.roles import DESK
from scheduling.disruptions import visits_disrupted
from scheduling.services.replan import Option, Proposal, replan_proposals
from scheduling.services.replan_apply import Choice, replan_apply, replan_cancel

from ..access import roles_required
from ..selectors import location_chosen, locations
from ..timeutil import zone
from .common import page

# Proposals are worked out for the whole board at once (each depends on what earlier ones
# took); a busy week's closure can disrupt thousands of visits, shown this many patients a page.
PATIENTS_PER_PAGE = 50
UNREADABLE = "That choice could not be read (the page may be out of date); the board below is as it is now."


def choice_value(proposal: Proposal, option: Option) -> str:
    """One option as a form value: the visit, as it was when proposed, and where it goes."""
    return ":".join([str(proposal.appointment.pk), proposal.stamp, str(int(option.new_start.timestamp())),
                     str(option.provider_id), "1" if option.keeps_rules else "0"])


def choice_read(value: str) -> Choice | None:
    try:
        appointment_id, stamp, epoch, provider_id, keeps = value.split(":")
        return Choice(appointment_id=int(appointment_id), stamp=stamp,
                      new_start=datetime.fromtimestamp(int(epoch), UTC), provider_id=int(provider_id),
                      keeps_rules=keeps == "1")
    except (ValueError, OverflowError, OSError):
        return None


def _visit_label(visit) -> str:
    if visit.kind == "session" and visit.series_id:
        return f"Session {visit.session_number} of {visit.series.session_count}"
    if visit.kind == "healing_check":
        return f"Healing check after session {visit.session_number}"
    return visit.get_kind_display()


def _change_label(change) -> str:
    return {"session": f"Session {change.number}", "healing_check": f"Healing check after session {change.number}",
            "review": "Series review"}.get(change.kind, "This visit")


def _option_view(proposal: Proposal, option: Option, tz) -> dict:
    own = proposal.appointment.pk
    later = [{"label": _change_label(c), "old": c.old_start.astimezone(tz) if c.old_start else None,
              "new": c.new.start.astimezone(tz)} for c in option.changes if c.appointment_id != own]
    return {"value": choice_value(proposal, option), "start": option.new_start.astimezone(tz),
            "provider": option.provider_name, "note": option.note, "keeps_rules": option.keeps_rules,
            "later": later}


def _groups(proposals: Iterable[Proposal], tz) -> list[dict]:
    """The board's rows, grouped by patient (a series' visits together, in time order)."""
    groups: dict[int, dict] = {}
    for proposal in proposals:
        visit = proposal.appointment
        group = groups.setdefault(visit.patient_id, {"patient": visit.patient, "items": []})
        group["items"].append({
            "proposal": proposal, "visit": visit, "label": _visit_label(visit), "start": visit.starts_at.astimezone(tz),
            "best": _option_view(proposal, proposal.best, tz) if proposal.best else None,
            "alternatives": [_option_view(proposal, o, tz) for o in proposal.alternatives],
        })
    return list(groups.values())


def _act(request: HttpRequest) -> None:
    action = request.POST.get("action", "")
    if action == "cancel":
        choice = choice_read(request.POST.get("visit", "") + ":0:0:1")
        if choice is None:
            messages.error(request, UNREADABLE)
            return
        try:
            replan_cancel(appointment_id=choice.appointment_id, stamp=choice.stamp,
                          reason=request.POST.get("reason", ""), cancelled_by=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "The visit was cancelled and the patient told why.")
        return
    if action == "accept_all":
        location = location_chosen(request.POST.get("location"))
        if location is None:
            messages.error(request, "Choose a location first.")
            return
        # The whole board as it stands now, every page: each patient's proposals saved together.
        proposals = replan_proposals(location_ids=[location.pk])
        choices = [Choice(appointment_id=p.appointment.pk, stamp=p.stamp, new_start=p.best.new_start,
                          provider_id=p.best.provider_id, keeps_rules=True)
                   for p in proposals if p.follows is None and p.best is not None]
        if not choices:
            messages.error(request, "No proposal is left to accept.")
            return
    else:
        values = request.POST.getlist("choice")
        choices = [choice_read(value) for value in values]
        if not values or any(c is None for c in choices):
            messages.error(request, UNREADABLE if values else "Choose a time first.")
            return
    result = replan_apply(choices=choices, changed_by=request.user)
    if result.moved:
        patients = "patient" if result.patients == 1 else "patients"
        messages.success(request, f"Moved {result.moved} visits for {result.patients} {patients}; "
                                  "each patient is sent one message with all of their changes.")
    for problem in result.problems:
        messages.error(request, problem)


@require_http_methods(["GET", "POST"])
@roles_required(DESK)
def replan(request: HttpRequest) -> HttpResponse:
    location = location_chosen(request.GET.get("location") or request.POST.get("location"))
    if request.method == "POST":
        _act(request)
        url = reverse("frontdesk:replan")
        return redirect(f"{url}?location={location.pk}" if location else url)
    if location is None:
        return page(request, "replan.html", {"groups": [], "location": None})
    tz = zone(location)
    disrupted = visits_disrupted(location_ids=[location.pk])
    proposals = replan_proposals(disruptions=disrupted)
    acting = [p for p in proposals if p.follows is None]
    groups = _groups(proposals, tz)
    pages = max(1, -(-len(groups) // PATIENTS_PER_PAGE))
    try:
        number = min(max(int(request.GET.get("page", 1)), 1), pages)
    except (TypeError, ValueError, OverflowError):
        number = 1
    first = (number - 1) * PATIENTS_PER_PAGE
    shown = groups[first:first + PATIENTS_PER_PAGE]
    context = {
        "location": location, "locations": locations(), "groups": shown,
        "count": len(disrupted), "patients": len(groups),
        "page": {"number": number, "pages": pages, "first": first + 1, "last": first + len(shown),
                 "previous": number - 1 if number > 1 else None, "next": number + 1 if number < pages else None},
        "in_series": sum(1 for d in disrupted if d.appointment.series_id),
        "accept_all": sum(1 for p in acting if p.best),
        "unsolved": sum(1 for p in acting if p.best is None),
    }
    return page(request, "replan.html", context)
