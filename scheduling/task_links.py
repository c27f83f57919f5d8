"""Signed links for what a patient does before a visit: answer the health questions
(intake) and sign the consent. Each link is single-purpose (its own signing salt), names
what it is for inside the signature (so typing another id changes nothing) and expires:

- the intake link names a consultation and the time its visit starts: it stops working
  when that visit is cancelled or moved (the new confirmation carries a new link), and a
  day after the visit started (from the start the answers are read-only);
- the consent link names a patient and a protocol's consent document, and lasts
  settings.CONSENT_LINK_MAX_AGE_DAYS; it always shows the document's current version."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from patients.models import Consultation, Patient

from .models import Appointment, ConsentDocument
from .patient_links import LinkExpired, LinkInvalid

INTAKE_SALT = "scheduling.intake"
CONSENT_SALT = "scheduling.consent"
# After the consultation starts the patient may still read what they sent, for a day.
INTAKE_READ_ONLY_FOR = timedelta(days=1)
# A consultation may be booked months ahead; the link is bound to its visit anyway.
INTAKE_MAX_AGE = timedelta(days=365)


def intake_token(visit: Appointment) -> str:
    return signing.dumps({"c": visit.consultation_id, "s": int(visit.starts_at.timestamp())}, salt=INTAKE_SALT)


def intake_url(visit: Appointment) -> str:
    """The path of the health questions page for this consultation visit."""
    return reverse("intake", kwargs={"token": intake_token(visit)})


@dataclass(frozen=True)
class IntakeLink:
    consultation: Consultation
    visit: Appointment
    editable: bool


def intake_link_read(token: str) -> IntakeLink:
    """The consultation an intake link is for; LinkInvalid when altered or not an intake
    link, LinkExpired when its visit was cancelled or moved or is long past."""
    try:
        data = signing.loads(token, salt=INTAKE_SALT, max_age=INTAKE_MAX_AGE)
    except signing.SignatureExpired as error:
        raise LinkExpired("This link has expired. Please call the clinic.") from error
    except signing.BadSignature as error:
        raise LinkInvalid("This link is not valid. Please use the link in your latest message.") from error
    if not isinstance(data, dict) or not isinstance(data.get("c"), int) or not isinstance(data.get("s"), int):
        raise LinkInvalid("This link is not valid. Please use the link in your latest message.")
    visit = (
        Appointment.objects.select_related("location", "patient", "consultation")
        .filter(consultation_id=data["c"], kind=Appointment.Kind.CONSULTATION).first()
    )
    if visit is None:
        raise LinkInvalid("This consultation no longer exists. Please call the clinic.")
    if visit.status == Appointment.Status.CANCELLED:
        raise LinkExpired("This consultation was cancelled, so its health questions are closed. "
                          "Please call the clinic to book again.", location_id=visit.location_id)
    if data["s"] != int(visit.starts_at.timestamp()):
        raise LinkExpired("Your consultation has moved. Please use the link in the message about its new time.",
                          location_id=visit.location_id)
    now = timezone.now()
    if now >= visit.starts_at + INTAKE_READ_ONLY_FOR:
        raise LinkExpired("This link has expired: your consultation has taken place.", location_id=visit.location_id)
    editable = now < visit.starts_at and visit.status in Appointment.OPEN_STATUSES
    return IntakeLink(consultation=visit.consultation, visit=visit, editable=editable)


def consent_token(*, patient: Patient, document: ConsentDocument) -> str:
    return signing.dumps({"p": patient.pk, "d": document.pk}, salt=CONSENT_SALT)


def consent_url(*, patient: Patient, document: ConsentDocument) -> str:
    """The path of the page where this patient reads and signs this consent document."""
    return reverse("consent", kwargs={"token": consent_token(patient=patient, document=document)})


def consent_link_read(token: str) -> tuple[Patient, ConsentDocument]:
    try:
        data = signing.loads(token, salt=CONSENT_SALT, max_age=settings.CONSENT_LINK_MAX_AGE_DAYS * 24 * 3600)
    except signing.SignatureExpired as error:
        raise LinkExpired("This link has expired. Please ask the clinic for a new one.") from error
    except signing.BadSignature as error:
        raise LinkInvalid("This link is not valid. Please use the link in your latest message.") from error
    if not isinstance(data, dict) or not isinstance(data.get("p"), int) or not isinstance(data.get("d"), int):
        raise LinkInvalid("This link is not valid. Please use the link in your latest message.")
    patient = Patient.objects.filter(pk=data["p"]).first()
    document = ConsentDocument.objects.select_related("protocol").filter(pk=data["d"]).first()
    if patient is None or document is None:
        raise LinkInvalid("This link is no longer valid. Please call the clinic.")
    return patient, document
