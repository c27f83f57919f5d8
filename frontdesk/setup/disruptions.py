"""The warning a set-up change gives before it is saved: which booked visits it would
put inside a closure, a time off, outside working or opening hours, or in a room out of
service (scheduling.disruptions), and the confirm step that saves it anyway."""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils import timezone

from clinic.localtime import local_label
from scheduling.disruptions import Disruption, disruptions_preview, visits_disrupted

CONFIRM_FIELD = "confirm"
CONFIRM_VALUE = "replan"


@dataclass(frozen=True)
class DisruptedVisit:
    """One line of the warning, in the words the desk uses."""

    patient: str
    visit: str
    when: str
    provider: str
    in_series: bool
    reasons: tuple[str, ...]


def _visit_words(appointment) -> str:
    label = appointment.get_kind_display()
    if appointment.series_id and appointment.session_number:
        return f"{label} {appointment.session_number} of {appointment.series.session_count}"
    return label


def describe(found: list[Disruption]) -> dict:
    """The list and its summary ("2 of these belong to treatment series")."""
    lines = []
    for item in sorted(found, key=lambda d: d.appointment.starts_at):
        visit = item.appointment
        lines.append(DisruptedVisit(
            patient=visit.patient.full_name,
            visit=_visit_words(visit),
            when=local_label(visit.starts_at, visit.location.time_zone),
            provider=visit.provider.display_name,
            in_series=visit.series_id is not None,
            reasons=tuple(item.reasons),
        ))
    return {"visits": lines, "in_series": sum(1 for line in lines if line.in_series)}


def confirmed(request: HttpRequest) -> bool:
    return request.POST.get(CONFIRM_FIELD) == CONFIRM_VALUE


def preview_unless_confirmed(request: HttpRequest, *, apply: Callable[[], object], **scope) -> dict | None:
    """The warning to show before saving, or None when the change disrupts no visit that was
    not already waiting on the re-plan board, or the admin has seen it and chose to save.
    `apply` runs the real service inside a transaction that is rolled back, so the warning
    counts exactly what saving would do."""
    if confirmed(request):
        return None
    now = timezone.now()
    already = {item.appointment.pk for item in visits_disrupted(since=now, **scope)}
    found = [item for item in disruptions_preview(apply=apply, since=now, **scope)
             if item.appointment.pk not in already]
    return describe(found) if found else None


def waiting_count(**scope) -> int:
    """How many booked visits in this scope already sit somewhere they cannot happen."""
    return len(visits_disrupted(since=timezone.now(), **scope))
