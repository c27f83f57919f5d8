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

from clinic.models import Location

from ..consent import TREATMENTS, consent_status
from ..ical import CalendarEvent, calendar_build
from ..models import Appointment, MessageTemplate, Reminder
from ..models.series import AFTERCARE_DEFAULT, PRE_CARE_DEFAULT
from ..patient_home_links import patient_home_url
from ..patient_links import patient_link_url
from ..rules import visit_by_phone
from ..task_links import consent_url, intake_url
from .branding import branding_for, email_html_wrap, email_text_wrap
from .config import site_url
from .outbox import TREATMENT_KINDS
from .reach import patient_phone, patient_zone
from .selectors import message_visits, message_visits_location
from .tokens import message_url, unsubscribe_url, waitlist_claim_url

CALENDAR_PRODUCT = "-//Needlepoint//Reminders//EN"

# Reminders about a visit still ahead carry the patient's own signed link to confirm or
# cancel that one visit.
MANAGEABLE_KINDS = frozenset({Reminder.Kind.CONFIRMATION, Reminder.Kind.PRE_VISIT, Reminder.Kind.FOLLOW_UP})


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
    # The HTML body without the email's wrapper, for the message page.
    body_html: str = ""


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
    """'Tuesday 2 March 2027 at 10:00 GMT', on the patient's wall clock, its zone named."""
    local = moment.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M} {local.tzname()}"


def _clock(moment: datetime, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%H:%M}"


def _lines(text: str) -> list[str]:
    return [line.strip().lstrip("-").strip() for line in (text or "").splitlines() if line.strip()]


def local_date_text(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B %Y}"


def _visit_label(appointment: Appointment) -> str:
    label = appointment.get_kind_display().lower()
    if appointment.session_number and appointment.series_id:
        label = f"{label} {appointment.session_number} of {appointment.series.session_count}"
    return label


def reminder_location(reminder: Reminder):
    """The location a message speaks for: its visit's, its series', or its offer's."""
    return _location_for(reminder)


def _location_for(reminder: Reminder):
    if reminder.kind == Reminder.Kind.PATIENT_LINK:
        return Location.objects.filter(pk=reminder.payload.get("location") or 0).first()
    if reminder.appointment_id:
        return reminder.appointment.location
    if reminder.series_id:
        return reminder.series.location
    if reminder.waitlist_entry_id:
        return reminder.waitlist_entry.location
    return message_visits_location(reminder)


def _and_later(when: str, reminder: Reminder) -> str:
    """A cancellation of the rest of a series names its first visit and the ones after it."""
    return f"{when} and every visit after it" if reminder.payload.get("later_visits") else when


def _visit_words(appointment: Appointment, zone: ZoneInfo) -> dict:
    """What happens at the visit, from its own phases: the patient arrives at the booked
    time; a treatment's numbing takes the room until the provider starts; done when
    the patient leaves. A phone check is a call, with no arrival at all."""
    numbing = int((appointment.provider_starts_at - appointment.starts_at).total_seconds() // 60)
    protocol = appointment.series.protocol if appointment.series_id else None
    return {
        "time": local_time_text(appointment.starts_at, zone),
        "visit": _visit_label(appointment),
        "provider": str(appointment.provider) if appointment.provider_id else "",
        "is_treatment": appointment.kind in TREATMENT_KINDS,
        "by_phone": visit_by_phone(appointment),
        "arrive_at": _clock(appointment.starts_at, zone),
        "numbing_minutes": numbing,
        "treatment_starts": _clock(appointment.provider_starts_at, zone),
        "done_by": _clock(appointment.ends_at, zone),
        "minutes": int((appointment.ends_at - appointment.starts_at).total_seconds() // 60),
        "pre_care": _lines(protocol.pre_care_text) if protocol else _lines(PRE_CARE_DEFAULT),
    }


def _changes(reminder: Reminder, zone: ZoneInfo, visits: dict[int, Appointment]) -> dict:
    """A reschedule's moves (old time to new) and the visits it made unnecessary."""
    moves, cancelled = [], []
    for item in reminder.payload.get("moves", []):
        visit = visits.get(item["appointment"])
        if visit is None:
            continue
        before = datetime.fromisoformat(item["from"]) if item.get("from") else None
        if before == visit.starts_at:
            continue
        still_open = visit.status in Appointment.OPEN_STATUSES
        moves.append(
            {
                "label": _visit_label(visit).capitalize(),
                "before": local_time_text(before, zone) if before else "new",
                "after": local_time_text(visit.starts_at, zone),
                # The visit's new confirm-or-cancel link: the old one stopped working.
                "link": f"{site_url()}{patient_link_url(visit)}" if still_open else "",
            }
        )
    for item in reminder.payload.get("cancelled", []):
        visit = visits.get(item["appointment"])
        label = _visit_label(visit).capitalize() if visit is not None else "A visit"
        cancelled.append({"label": label, "time": local_time_text(datetime.fromisoformat(item["at"]), zone)})
    return {"moves": moves, "cancelled": cancelled}


def _intake_link(reminder: Reminder, appointment: Appointment) -> str:
    """A consultation's confirmation carries the link to its health questions."""
    if (reminder.kind != Reminder.Kind.CONFIRMATION or appointment.kind != Appointment.Kind.CONSULTATION
            or not appointment.consultation_id or appointment.status not in Appointment.OPEN_STATUSES):
        return ""
    return f"{site_url()}{intake_url(appointment)}"


def _consent_link(reminder: Reminder, series_visits: list[Appointment]) -> str:
    """A series' confirmation carries the link to sign its consent while no signature
    counts for all its treatments (a signature that counts at the last counts at all)."""
    treatments = [v for v in series_visits if v.kind in TREATMENTS]
    if not treatments or not reminder.series_id:
        return ""
    last = max(treatments, key=lambda v: v.starts_at)
    status = consent_status(patient=reminder.patient, protocol=reminder.series.protocol, now=last.starts_at,
                            zone=last.location.time_zone)
    if status.version is None or status.ok:
        return ""
    return f"{site_url()}{consent_url(patient=reminder.patient, document=status.document)}"


def reminder_context(reminder: Reminder, *, series_visits: list[Appointment] | None = None) -> dict:
    """Everything an email template may use (variables.TEMPLATE_VARIABLES lists it by kind)."""
    patient = reminder.patient
    zone = patient_zone(patient)
    location = _location_for(reminder)
    appointment = reminder.appointment if reminder.appointment_id else None
    protocol = reminder.series.protocol if reminder.series_id else None
    context: dict = {
        "first_name": patient.first_name,
        "clinic": location.name if location else "the clinic",
        "clinic_phone": location.phone if location else "",
        "clinic_address": location.address if location else "",
        "patient_phone": patient_phone(patient),
        "time": "",
        "visit": "visit",
        "provider": "",
        "is_treatment": False,
        "by_phone": False,
        "lead_hours": reminder.payload.get("lead_hours"),
        "moved": bool(reminder.payload.get("moved")),
        "session_number": reminder.payload.get("session_number"),
        "session_count": reminder.series.session_count if reminder.series_id else None,
        "visits": [],
        "window_closes": "",
        "reason": reminder.payload.get("reason", ""),
        "pre_care": _lines(protocol.pre_care_text if protocol else PRE_CARE_DEFAULT),
        "aftercare": _lines(protocol.aftercare_text if protocol else AFTERCARE_DEFAULT),
        "claim_url": "",
        "intake_url": "",
        "my_page": my_page_url(patient),
        "link_days": reminder.payload.get("link_days"),
        "consent_url": "",
    }
    if reminder.kind == Reminder.Kind.WAITLIST_OFFER:
        context["claim_url"] = waitlist_claim_url(reminder_id=reminder.pk)
    if reminder.kind == Reminder.Kind.MAINTENANCE:
        context["book_maintenance"] = maintenance_book_url(patient)
    if appointment is not None:
        context.update(_visit_words(appointment, zone))
        context["intake_url"] = _intake_link(reminder, appointment)
    elif reminder.visit_starts_at is not None:
        context["time"] = local_time_text(reminder.visit_starts_at, zone)
    if reminder.kind == Reminder.Kind.WAITLIST_OFFER and reminder.waitlist_entry_id:
        context["visit"] = dict(Appointment.Kind.choices).get(reminder.waitlist_entry.kind, "visit").lower()
    if reminder.kind == Reminder.Kind.SERIES_NUDGE and reminder.payload.get("window_closes_at"):
        closes = datetime.fromisoformat(reminder.payload["window_closes_at"])
        context["window_closes"] = local_date_text(closes, zone)
        context["time"] = context["window_closes"]
    if reminder.kind == Reminder.Kind.CANCELLATION and context["time"]:
        context["time"] = _and_later(context["time"], reminder)
    if series_visits and reminder.kind == Reminder.Kind.SERIES_CONFIRMATION:
        context["visits"] = [
            {"label": _visit_label(v).capitalize(), "time": local_time_text(v.starts_at, zone)} for v in series_visits
        ]
        context["session_count"] = len(series_visits)
        context["time"] = local_time_text(series_visits[0].starts_at, zone)
        context["consent_url"] = _consent_link(reminder, series_visits)
    if reminder.kind == Reminder.Kind.RESCHEDULE:
        context.update(_changes(reminder, zone, {v.pk: v for v in series_visits or []}))
        upcoming = [v for v in series_visits or [] if v.status in Appointment.OPEN_STATUSES]
        if upcoming:
            context["time"] = local_time_text(min(v.starts_at for v in upcoming), zone)
    return context


def my_page_url(patient) -> str:
    """The full address of the patient's own page, as every message links to it (none for
    someone who is not a patient yet: an online booking's code)."""
    return f"{site_url()}{patient_home_url(patient)}" if patient is not None else ""


def maintenance_book_url(patient) -> str:
    """Where a maintenance prompt books the next visit: the patient's own page's times."""
    return f"{my_page_url(patient)}maintenance/"


def _calendar_place(visit: Appointment) -> str:
    location = visit.location
    if visit_by_phone(visit):
        return f"Phone call from {location.phone}" if location.phone else f"Phone call from {location.name}"
    return location.address or location.name


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
                # A phone check is a call: no address for a calendar to send the patient to.
                location=_calendar_place(visit),
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
    elif reminder.kind in (Reminder.Kind.SERIES_CONFIRMATION, Reminder.Kind.RESCHEDULE):
        open_visits = [v for v in series_visits or [] if v.status in Appointment.OPEN_STATUSES]
        calendar = _calendar_for(reminder, open_visits, now)
    text = _template(template, "email_text").render(plain)
    html = _template(template, "email_html").render(Context(context))
    if manage:
        text = f"{text.rstrip()}\n\nConfirm or cancel this visit: {manage}\n"
        html = f'{html}<p><a href="{escape(manage)}">Confirm or cancel this visit</a></p>'
    if reminder.kind != Reminder.Kind.PATIENT_LINK:
        # Every message leads to the patient's own page (the link message is nothing else).
        my_page = context["my_page"]
        text = f"{text.rstrip()}\n\nYour own page: {my_page}\n"
        html = f'{html}<p><a href="{escape(my_page)}">Open your own page</a></p>'
    brand = branding_for(_location_for(reminder))
    body_html = html
    text = email_text_wrap(body=text, branding=brand, unsubscribe_url=unsubscribe)
    html = email_html_wrap(body=html, branding=brand, unsubscribe_url=unsubscribe)
    return RenderedMessage(
        body_html=body_html,
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
    if reminder.kind == Reminder.Kind.CANCELLATION and when:
        when = _and_later(when, reminder)
    context = {
        "first_name": patient.first_name,
        "time": when,
        "clinic": location.name if location else "the clinic",
        # A visit still ahead: straight to its confirm-or-cancel page; an offer: its claim
        # page; the patient's own link: their page; a maintenance prompt: the times to book
        # on their page; else the message.
        "link": (my_page_url(patient) if reminder.kind == Reminder.Kind.PATIENT_LINK else "")
        or (maintenance_book_url(patient) if reminder.kind == Reminder.Kind.MAINTENANCE else "")
        or manage_url(reminder)
        or (waitlist_claim_url(reminder_id=reminder.pk) if reminder.kind == Reminder.Kind.WAITLIST_OFFER else "")
        or message_url(reminder_id=reminder.pk),
    }
    return " ".join(_template(template, "sms_body").render(Context(context, autoescape=False)).split())


def message_render_for_staff(reminder: Reminder) -> RenderedMessage | None:
    """A message's words as the patient read them, for the admin's Sent messages page."""
    template = MessageTemplate.objects.filter(kind=reminder.kind).first()
    if template is None:
        return None
    return reminder_render(reminder, template, now=timezone.now(), series_visits=message_visits(reminder))
