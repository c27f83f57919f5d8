"""Signed links in reminders: a patient, who never logs in, confirms or cancels one visit.

The link carries the appointment's id and start time and a signature over them with the
time it was made (django.core.signing), so it works for that visit at that time only: it
stops working when the visit is moved (the message about the move carries a new link) or
cancelled, and after settings.PATIENT_LINK_MAX_AGE_DAYS. Reminders build links with
`patient_link_url`."""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from clinic.errors import DomainError

from .models import Appointment
from .rules import visit_allows

SALT = "scheduling.patient-link"
ACTOR = "patient link"
# The reason recorded when a patient cancels from their link without giving one.
CANCEL_REASON = "Cancelled by the patient from their reminder link."


class LinkInvalid(DomainError):
    status_code = 403


class LinkExpired(DomainError):
    """A genuine link that no longer works; it still knows its clinic, for the page."""

    status_code = 410

    def __init__(self, message: str, *, location_id: int | None = None) -> None:
        super().__init__(message)
        self.location_id = location_id


def _max_age() -> int:
    return settings.PATIENT_LINK_MAX_AGE_DAYS * 24 * 3600


def patient_link_token(appointment: Appointment) -> str:
    return signing.dumps({"a": appointment.pk, "s": int(appointment.starts_at.timestamp())}, salt=SALT)


def patient_link_url(appointment: Appointment) -> str:
    """The path of the patient's page for this visit (prefix it with the site's address)."""
    return reverse("patient-link", kwargs={"appointment_id": appointment.pk, "token": patient_link_token(appointment)})


def patient_link_appointment(*, appointment_id: int, token: str) -> Appointment:
    """The visit a link is for; LinkInvalid if it was altered or is for another visit,
    LinkExpired once it is older than the allowed age."""
    try:
        data = signing.loads(token, salt=SALT, max_age=_max_age())
    except signing.SignatureExpired as error:
        raise LinkExpired("This link has expired. Please call the clinic to confirm or change your visit.") from error
    except signing.BadSignature as error:
        raise LinkInvalid("This link is not valid. Please use the link in your latest reminder.") from error
    if not isinstance(data, dict) or data.get("a") != appointment_id:
        raise LinkInvalid("This link is not valid for this visit.")
    appointment = Appointment.objects.select_related("location").filter(pk=appointment_id).first()
    if appointment is None:
        raise LinkInvalid("This visit no longer exists. Please call the clinic.")
    # Links sent before they named the time carry no "s"; they still work until they expire.
    if "s" in data and data["s"] != int(appointment.starts_at.timestamp()):
        raise LinkExpired("This visit has moved. Please use the link in the message about its new time.",
                          location_id=appointment.location_id)
    if appointment.status == Appointment.Status.CANCELLED:
        raise LinkExpired("This visit was cancelled. Please call the clinic to book again.",
                          location_id=appointment.location_id)
    return appointment


@dataclass(frozen=True)
class PatientView:
    """What a patient sees of their visit: when and where, nothing clinical."""

    appointment_id: int
    what: str
    local_start: str
    location: str
    address: str
    phone: str
    status: str
    can_confirm: bool
    can_cancel: bool
    late_if_cancelled: bool


def patient_view(appointment: Appointment) -> PatientView:
    tz = ZoneInfo(appointment.location.time_zone)
    what = "Consultation" if appointment.kind == Appointment.Kind.CONSULTATION else "Appointment"
    allows = visit_allows(appointment, timezone.now())
    return PatientView(
        appointment_id=appointment.pk,
        what=what,
        local_start=appointment.starts_at.astimezone(tz).strftime("%A %d %B %Y at %H:%M %Z"),
        location=appointment.location.name,
        address=appointment.location.address,
        phone=appointment.location.phone,
        status=appointment.get_status_display(),
        can_confirm=allows.confirm,
        can_cancel=allows.change,
        late_if_cancelled=allows.late_if_cancelled,
    )
