"""A patient's history at a glance, from what the patient page has already read: visits
done and ahead, each series with its stage, the latest messages, and for providers the
cautions still open and the side effects of the last treatment."""

from dataclasses import dataclass, field
from datetime import datetime

from patients.models import Patient
from scheduling.models import Appointment, Reminder

from .selectors import Timeline


@dataclass
class Glance:
    done: int = 0
    ahead: int = 0
    missed: int = 0
    next_visit: Appointment | None = None
    series: list[tuple[Timeline, str]] = field(default_factory=list)
    messages: list[Reminder] = field(default_factory=list)  # the last sent, then the next due
    last_treatment: Appointment | None = None


def _stage(timeline: Timeline) -> str:
    series = timeline.series
    sessions = [s.visit for s in timeline.steps if s.kind == "session" and s.visit is not None]
    done = sum(1 for v in sessions if v.status == "completed")
    return f"{done} of {series.session_count} sessions done · {series.get_status_display().lower()}"


def patient_glance(patient: Patient, timelines: list[Timeline], *, now: datetime) -> Glance:
    """No queries: everything comes from the patient page's prefetches."""
    glance = Glance()
    visits = list(patient.appointments.all())
    for visit in visits:
        if visit.status == "completed":
            glance.done += 1
        elif visit.status == "no_show":
            glance.missed += 1
        elif visit.status in Appointment.OPEN_STATUSES and visit.starts_at >= now:
            glance.ahead += 1
            if glance.next_visit is None or visit.starts_at < glance.next_visit.starts_at:
                glance.next_visit = visit
    treated = [v for v in visits if v.kind in ("session", "maintenance") and v.status == "completed"]
    glance.last_treatment = max(treated, key=lambda v: v.starts_at, default=None)
    glance.series = [(t, _stage(t)) for t in timelines]
    rows = list(patient.reminders.all())
    sent = sorted((r for r in rows if r.sent_at), key=lambda r: r.sent_at, reverse=True)
    due = sorted((r for r in rows if r.status == "pending"), key=lambda r: r.due_at)
    glance.messages = sent[:3] + due[:2]
    return glance
