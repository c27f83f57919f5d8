"""Who can be reached, by which channel, and at what local time.

Shared by every writer of reminder rows (the outbox, maintenance prompts, nudges, the
waitlist offer) and by the sender, which checks the channel again at send time."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from patients.choices import Channel
from patients.models import Patient

from . import config
from .quiet_hours import Placement, place_outside_quiet_hours


def patient_zone(patient: Patient) -> ZoneInfo:
    return ZoneInfo(patient.time_zone or "UTC")


def patient_phone(patient: Patient) -> str:
    """The number as stored (E.164); str() on the field would validate it on every call."""
    phone = patient.phone
    return str(getattr(phone, "raw_input", phone) or "")


def reminder_channel_for(patient: Patient) -> str | None:
    """The channel a message goes by: the preferred one if the patient consents to it and
    we have the address, else the other one on the same terms, else none."""
    order = [patient.preferred_channel] + [c for c in Channel.values if c != patient.preferred_channel]
    for channel in order:
        if channel == Channel.EMAIL and accepts_email(patient):
            return channel
        if channel == Channel.SMS and patient.consent_sms and patient_phone(patient):
            return channel
    return None


def reminder_channel_for_row(kind: str, channel: str, patient: Patient) -> str | None:
    """A link to their page the patient asked for goes where they asked, while that
    address is still theirs (an email not bounced since); every other message by consent."""
    if kind != "patient_link":
        return reminder_channel_for(patient)
    if channel == Channel.EMAIL:
        return channel if patient.email and patient.email_bounced_at is None else None
    return channel if patient_phone(patient) else None


def accepts_email(patient: Patient) -> bool:
    """Consent, an address, and no bounce or complaint reported for it since it was set."""
    return bool(patient.consent_email and patient.email and patient.email_bounced_at is None)


def place_for_channel(
    *, due: datetime, channel: str, patient: Patient, visit_starts_at: datetime | None, now: datetime
) -> Placement:
    """When and how a message goes: an email as due; a text outside the patient's quiet
    hours (quiet_hours.place_outside_quiet_hours says how), by email instead when the
    morning would come after the visit and the patient accepts email."""
    if channel != Channel.SMS:
        return Placement(due, channel)
    return place_outside_quiet_hours(
        due=due,
        zone=patient_zone(patient),
        quiet=config.quiet_hours(),
        visit_starts_at=visit_starts_at,
        now=now,
        email_ok=accepts_email(patient),
    )


def prompt_time(*, day: date, patient: Patient) -> datetime:
    """A prompt with no visit behind it goes mid-morning on its day, in the patient's zone
    (a local wall time, so summer time does not shift it)."""
    return datetime.combine(day, time(config.prompt_hour()), tzinfo=patient_zone(patient))
