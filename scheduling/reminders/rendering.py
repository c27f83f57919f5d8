"""Turning a reminder row and its kind's template into the words a patient reads.

Times are shown in the patient's own time zone. The SMS body is rendered from a context
holding only first name, time, clinic and link: whatever a clinic writes into the SMS
template, no treatment or health detail can reach a text message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.template import Context, Template
from django.utils import timezone
from django.utils.html import escape

from ..ical import CalendarEvent, calendar_build
from ..models import Appointment, MessageTemplate, Reminder
from ..patient_links import patient_link_url
from .config import site_url
from .outbox import TREATMENT_KINDS
from .reach import patient_zone
from .tokens import message_url, unsubscribe_url

CALENDAR_PRODUCT = "-//Needlepoint//Reminders//EN"

# Reminders about a visit still ahead carry the patient's own signed link to confirm or
# cancel that one visit.
MANAGEABLE_KINDS = frozenset({Reminder.Kind.CONFIRMATION, Reminder.Kind.PRE_VISIT, Reminder.Kind.FOLLOW_UP})


# The variables a template may use: an email's (reminder_context and the links added in
# reminder_render) and a text's (sms_render). template_checks refuses any other name.
EMAIL_VARIABLES = frozenset({
    "first_name", "clinic", "clinic_phone", "clinic_address", "time", "visit", "provider", "is_treatment",
    "numbing_minutes", "lead_hours", "moved", "session_number", "session_count", "visits", "window_closes",
    "link", "unsubscribe_url", "manage_url",
})
SMS_VARIABLES = frozenset({"first_name", "time", "clinic", "link"})


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str
    sms: str
    ics: str | None
    unsubscribe_url: str
    link: str
    manage_url: str | None = None


_compiled: dict[tuple[str, str, str], Template] = {}


def _template(source: MessageTemplate, field: str) -> Template:
    """Compiled once per process per template version; an admin edit changes updated_at."""
    cache_key = (source.kind, source.updated_at.isoformat() if source.updated_at else "", field)
    compiled = _compiled.get(cache_key)
    if compiled is None:
        compiled = Template(getattr(source, field))
        _compiled[cache_key] = compiled
    return compiled


def local_time_text(moment: datetime, zone: ZoneInfo) -> str:
    """'Tuesday 2 March 2027 at 10:00', on the patient's wall clock."""
    local = moment.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M}"


def local_date_text(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B %Y}"


def _visit_label(appointment: Appointment) -> str:
    label = appointment.get_kind_display().lower()
    if appointment.session_number and appointment.series_id:
        label = f"{label} {appointment.session_number} of {appointment.series.session_count}"
    return label


def _location_for(reminder: Reminder):
    if reminder.appointment_id:
        return reminder.appointment.location
    if reminder.series_id:
        return reminder.series.location
    if reminder.waitlist_entry_id:
        return reminder.waitlist_entry.location
    return None


def reminder_context(reminder: Reminder, *, series_visits: list[Appointment] | None = None) -> dict:
    """Everything an email template may use."""
    patient = reminder.patient
    zone = patient_zone(patient)
    location = _location_for(reminder)
    appointment = reminder.appointment if reminder.appointment_id else None
    context: dict = {
        "first_name": patient.first_name,
        "clinic": location.name if location else "the clinic",
        "clinic_phone": location.phone if location else "",
        "clinic_address": location.address if location else "",
        "time": "",
        "visit": "visit",
        "provider": "",
        "is_treatment": False,
        "numbing_minutes": 30,
        "lead_hours": reminder.payload.get("lead_hours"),
        "moved": bool(reminder.payload.get("moved")),
        "session_number": reminder.payload.get("session_number"),
        "session_count": reminder.series.session_count if reminder.series_id else None,
        "visits": [],
        "window_closes": "",
    }
    if appointment is not None:
        context.update(
            time=local_time_text(appointment.starts_at, zone),
            visit=_visit_label(appointment),
            provider=str(appointment.provider) if appointment.provider_id else "",
            is_treatment=appointment.kind in TREATMENT_KINDS,
        )
        protocol = appointment.series.protocol if appointment.series_id else None
        if protocol is not None:
            context["numbing_minutes"] = protocol.numbing_minutes
    elif reminder.visit_starts_at is not None:
        context["time"] = local_time_text(reminder.visit_starts_at, zone)
    if reminder.kind == Reminder.Kind.WAITLIST_OFFER and reminder.waitlist_entry_id:
        context["visit"] = dict(Appointment.Kind.choices).get(reminder.waitlist_entry.kind, "visit").lower()
    if reminder.kind == Reminder.Kind.SERIES_NUDGE and reminder.payload.get("window_closes_at"):
        closes = datetime.fromisoformat(reminder.payload["window_closes_at"])
        context["window_closes"] = local_date_text(closes, zone)
        context["time"] = context["window_closes"]
    if series_visits:
        context["visits"] = [
            {"label": _visit_label(v).capitalize(), "time": local_time_text(v.starts_at, zone)} for v in series_visits
        ]
        context["session_count"] = len(series_visits)
        context["time"] = local_time_text(series_visits[0].starts_at, zone)
        if reminder.series_id:
            context["numbing_minutes"] = reminder.series.protocol.numbing_minutes
    return context


def _calendar_for(reminder: Reminder, visits: list[Appointment], now: datetime) -> str | None:
    """The calendar file a confirmation carries: one event per visit. SEQUENCE grows with
    the time of sending, so the file for a moved visit replaces the entry of the old one."""
    if not visits:
        return None
    sequence = int(now.timestamp()) // 60
    events = []
    for visit in visits:
        location = visit.location
        events.append(
            CalendarEvent(
                uid=f"appointment-{visit.pk}@needlepoint",
                stamp=now,
                sequence=sequence,
                starts_at=visit.starts_at,
                # A treatment's calendar entry ends when the patient leaves, numbing included.
                ends_at=visit.ends_at if visit.ends_at > visit.starts_at else visit.starts_at + timedelta(minutes=30),
                summary=f"{_visit_label(visit).capitalize()} at {location.name}",
                location=location.address or location.name,
                description=f"Call {location.phone} to change it." if location.phone else "",
            )
        )
    return calendar_build(product=CALENDAR_PRODUCT, method="PUBLISH", events=events).decode()


def reminder_render(
    reminder: Reminder, template: MessageTemplate, *, now: datetime, series_visits: list[Appointment] | None = None
) -> RenderedMessage:
    """Subject, plain and HTML bodies, SMS text and calendar file for one reminder."""
    context = reminder_context(reminder, series_visits=series_visits)
    link = message_url(reminder_id=reminder.pk)
    unsubscribe = unsubscribe_url(patient_id=reminder.patient_id, channel="email")
    manage = manage_url(reminder, now=now)
    context.update(link=link, unsubscribe_url=unsubscribe, manage_url=manage)
    plain = Context(context, autoescape=False)
    calendar = None
    if reminder.kind == Reminder.Kind.CONFIRMATION and reminder.appointment_id:
        calendar = _calendar_for(reminder, [reminder.appointment], now)
    elif reminder.kind == Reminder.Kind.SERIES_CONFIRMATION:
        calendar = _calendar_for(reminder, series_visits or [], now)
    text = _template(template, "email_text").render(plain)
    html = _template(template, "email_html").render(Context(context))
    if manage:
        text = f"{text.rstrip()}\n\nConfirm or cancel this visit: {manage}\n"
        html = f'{html}<p><a href="{escape(manage)}">Confirm or cancel this visit</a></p>'
    return RenderedMessage(
        subject=" ".join(_template(template, "email_subject").render(plain).split()),
        text=text,
        html=html,
        sms=sms_render(reminder, template),
        ics=calendar,
        unsubscribe_url=unsubscribe,
        link=link,
        manage_url=manage,
    )


def manage_url(reminder: Reminder, *, now: datetime | None = None) -> str | None:
    """The patient's confirm-or-cancel link for the visit this reminder is about, while
    that visit is still ahead and can be changed; None otherwise."""
    appointment = reminder.appointment if reminder.appointment_id else None
    if appointment is None or reminder.kind not in MANAGEABLE_KINDS:
        return None
    if appointment.status not in Appointment.OPEN_STATUSES or appointment.starts_at <= (now or timezone.now()):
        return None
    return f"{site_url()}{patient_link_url(appointment)}"


def sms_render(reminder: Reminder, template: MessageTemplate) -> str:
    """Only the SMS text: the send path for text messages needs nothing else."""
    patient = reminder.patient
    zone = patient_zone(patient)
    location = _location_for(reminder)
    if reminder.appointment_id:
        when = local_time_text(reminder.appointment.starts_at, zone)
    elif reminder.kind == Reminder.Kind.SERIES_NUDGE and reminder.payload.get("window_closes_at"):
        when = local_date_text(datetime.fromisoformat(reminder.payload["window_closes_at"]), zone)
    elif reminder.visit_starts_at is not None:
        when = local_time_text(reminder.visit_starts_at, zone)
    else:
        when = ""
    context = {
        "first_name": patient.first_name,
        "time": when,
        "clinic": location.name if location else "the clinic",
        # A visit still ahead: straight to its confirm-or-cancel page; else the message.
        "link": manage_url(reminder) or message_url(reminder_id=reminder.pk),
    }
    return " ".join(_template(template, "sms_body").render(Context(context, autoescape=False)).split())
