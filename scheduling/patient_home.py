"""What a patient's own page shows: their visits ahead, each series' plan with the window
of every session, past sessions (when and what, never the clinical record), the aftercare
for their last session, the messages they were sent, and slots offered to them. Reads
only; times on the clinic's wall clock with the zone named."""

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

from clinic.models import AuditEntry, Location
from patients.models import Patient

from .models import Appointment, MessageTemplate, Reminder, TreatmentSeries, WaitlistEntry
from .models.series import AFTERCARE_DEFAULT
from .patient_home_links import visit_token
from .reminders.rendering import local_date_text, local_time_text, reminder_render
from .reminders.seen import message_lines, message_seen
from .reminders.selectors import message_visits
from .rules import session_window, visit_allows
from .services.patient_moves import MOVABLE_KINDS, move_refusal

MESSAGES_SHOWN = 10


def visit_label(appointment: Appointment) -> str:
    label = appointment.get_kind_display()
    if appointment.session_number and appointment.series_id:
        label = f"{label} {appointment.session_number} of {appointment.series.session_count}"
    return label


@dataclass(frozen=True)
class HomeVisit:
    label: str
    time: str
    where: str
    provider: str
    status: str
    token: str
    can_cancel: bool
    late_if_cancelled: bool
    can_move: bool
    move_refusal: str


@dataclass(frozen=True)
class PlanSession:
    label: str
    time: str
    status: str
    window: str


@dataclass(frozen=True)
class SeriesPlan:
    title: str
    status: str
    sessions: list[PlanSession]


@dataclass(frozen=True)
class SentMessage:
    when: str
    channel: str
    subject: str
    lines: list[str]


@dataclass(frozen=True)
class Offer:
    reminder_id: int
    what: str
    time: str


@dataclass
class PatientHome:
    patient: Patient
    location: Location | None
    zone_name: str
    upcoming: list[HomeVisit] = field(default_factory=list)
    plans: list[SeriesPlan] = field(default_factory=list)
    past: list[tuple[str, str]] = field(default_factory=list)
    aftercare: list[str] = field(default_factory=list)
    aftercare_for: str = ""
    messages: list[SentMessage] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)


def _zone(location: Location | None, patient: Patient) -> ZoneInfo:
    return ZoneInfo(location.time_zone if location else (patient.time_zone or "UTC"))


def _lines(text: str) -> list[str]:
    return message_lines(text)


def _home_visit(visit: Appointment, zone: ZoneInfo, now: datetime) -> HomeVisit:
    allows = visit_allows(visit, now)
    refusal = move_refusal(visit, now)
    return HomeVisit(
        label=visit_label(visit),
        time=local_time_text(visit.starts_at, zone),
        where=("By phone: the clinic calls you" if visit.kind == Appointment.Kind.HEALING_CHECK
               and visit.room_id is None else visit.location.name),
        provider=str(visit.provider) if visit.provider_id else "",
        status=visit.get_status_display(),
        token=visit_token(visit),
        can_cancel=allows.change,
        late_if_cancelled=allows.late_if_cancelled,
        can_move=not refusal,
        # Healing checks and reviews follow their session: nothing to explain on each one.
        move_refusal=refusal if visit.kind in MOVABLE_KINDS else "",
    )


def _plan(series: TreatmentSeries, visits: list[Appointment], zone: ZoneInfo) -> SeriesPlan:
    """Each session in order, with the window it must fall in after the one before it."""
    sessions = sorted((v for v in visits if v.series_id == series.pk and v.kind == Appointment.Kind.SESSION
                       and v.status != Appointment.Status.CANCELLED), key=lambda v: v.session_number or 0)
    rows, previous = [], None
    by_number = {v.session_number: v for v in sessions}
    for number in range(1, series.session_count + 1):
        visit = by_number.get(number)
        window = ""
        if previous is not None:
            opens, closes = session_window(previous.starts_at, protocol=series.protocol, zone=zone)
            window = f"between {local_date_text(opens, zone)} and {local_date_text(closes, zone)}"
        rows.append(PlanSession(
            label=f"Session {number} of {series.session_count}",
            time=local_time_text(visit.starts_at, zone) if visit else "Not booked yet",
            status=visit.get_status_display() if visit else "",
            window=window,
        ))
        previous = visit
    return SeriesPlan(title=f"Your {series.protocol.name.lower()} plan", status=series.get_status_display(),
                      sessions=rows)


def _messages(patient: Patient, zone: ZoneInfo) -> list[SentMessage]:
    """The messages sent to the patient, newest first, in the words they received."""
    templates = {t.kind: t for t in MessageTemplate.objects.all()}
    rows = (Reminder.objects.filter(patient=patient, status=Reminder.Status.SENT)
            .select_related("patient", "appointment__location", "appointment__provider", "appointment__series",
                            "series__location", "series__protocol", "waitlist_entry__location")
            .order_by("-sent_at")[:MESSAGES_SHOWN])
    shown = []
    for row in rows:
        seen = (row.payload or {}).get("seen") or _seen_again(row, templates.get(row.kind))
        if not seen:
            continue
        shown.append(SentMessage(when=local_time_text(row.sent_at, zone),
                                 channel="Text" if row.channel == "sms" else "Email",
                                 subject=seen.get("subject", ""), lines=list(seen.get("lines") or [])))
    return shown


def _seen_again(row: Reminder, template: MessageTemplate | None) -> dict | None:
    """A message sent before its words were kept on the row: rendered again, as near as
    today's template and visits allow."""
    if template is None:
        return None
    try:
        rendered = reminder_render(row, template, now=timezone.now(), series_visits=message_visits(row))
    except Exception:  # noqa: BLE001 - a message that cannot be shown again is left out, not the page
        return None
    text = rendered.sms if row.channel == "sms" else rendered.text
    return message_seen(channel=row.channel, subject=rendered.subject, text=text)


def _offers(patient: Patient, zone: ZoneInfo, now: datetime) -> list[Offer]:
    """Slots offered to the patient from the waitlist, still ahead and still open to claim."""
    rows = (Reminder.objects.filter(patient=patient, kind=Reminder.Kind.WAITLIST_OFFER, status=Reminder.Status.SENT,
                                    waitlist_entry__status=WaitlistEntry.Status.OFFERED, visit_starts_at__gt=now)
            .select_related("waitlist_entry").order_by("visit_starts_at"))
    kinds = dict(Appointment.Kind.choices)
    return [Offer(reminder_id=row.pk, what=kinds.get(row.waitlist_entry.kind, "Visit"),
                  time=local_time_text(row.visit_starts_at, zone)) for row in rows]


def patient_home(patient: Patient, *, now: datetime | None = None) -> PatientHome:
    now = now or timezone.now()
    visits = list(
        Appointment.objects.filter(patient=patient)
        .select_related("location", "provider", "series__protocol")
        .order_by("starts_at")
    )
    ahead = [v for v in visits if v.starts_at > now and v.status in Appointment.OPEN_STATUSES]
    latest = ahead[0] if ahead else (visits[-1] if visits else None)
    location = latest.location if latest else Location.objects.filter(is_active=True).order_by("pk").first()
    zone = _zone(location, patient)
    home = PatientHome(patient=patient, location=location, zone_name=str(zone))
    home.upcoming = [_home_visit(v, zone, now) for v in ahead]
    series = {v.series_id: v.series for v in visits if v.series_id}
    home.plans = [_plan(s, visits, zone) for s in series.values()
                  if s.status not in (TreatmentSeries.Status.CANCELLED,)]
    done = [v for v in visits if v.status == Appointment.Status.COMPLETED
            and v.kind in (Appointment.Kind.SESSION, Appointment.Kind.MAINTENANCE)]
    home.past = [(visit_label(v), local_time_text(v.starts_at, zone)) for v in reversed(done)]
    if done:
        last = done[-1]
        home.aftercare = _lines(last.series.protocol.aftercare_text if last.series_id else AFTERCARE_DEFAULT)
        # Only the visit's name is lowered: the date keeps its capitals.
        home.aftercare_for = f"{visit_label(last).lower()} on {local_date_text(last.starts_at, zone)}"
    home.messages = _messages(patient, zone)
    home.offers = _offers(patient, zone, now)
    return home


# --- What the desk sees of it --------------------------------------------------------
_DONE_ONLINE = {
    "patient_moved_visit": "Moved a visit online",
    "patient_cancelled_visit": "Cancelled a visit online",
    "patient_claimed_offer": "Booked a slot offered from the waitlist",
    "patient_booked_maintenance": "Booked a maintenance visit online",
    "patient_stopped_maintenance_prompts": "Asked for no more reminders to book maintenance",
    "patient_link_sent": "A link to their own page was sent",
}


@dataclass(frozen=True)
class OnlineAction:
    when: str
    what: str
    detail: str


def _action_detail(action: str, changes: dict, zone: ZoneInfo) -> str:
    def moment(key: str) -> str:
        value = changes.get(key)
        return local_time_text(datetime.fromisoformat(value), zone) if value else ""

    if action == "patient_moved_visit":
        also = len(changes.get("also_moved") or [])
        return f"{moment('from')} to {moment('to')}" + (f"; {also} later visit(s) moved with it" if also else "")
    if action == "patient_cancelled_visit":
        return "Late cancellation" if changes.get("late") else ""
    if action in ("patient_claimed_offer", "patient_booked_maintenance"):
        return moment("starts_at")
    if action == "patient_link_sent":
        return "by text" if changes.get("channel") == "sms" else "by email"
    return ""


def patient_online_actions(patient: Patient, *, zone: ZoneInfo, limit: int = 20) -> list[OnlineAction]:
    """What the patient did on their own page, newest first, for the desk's patient page."""
    entries = AuditEntry.objects.filter(
        object_type="patient", object_id=str(patient.pk), action__in=list(_DONE_ONLINE)
    ).order_by("-at", "-pk")[:limit]
    return [OnlineAction(when=local_time_text(e.at, zone), what=_DONE_ONLINE[e.action],
                         detail=_action_detail(e.action, e.changes or {}, zone)) for e in entries]
