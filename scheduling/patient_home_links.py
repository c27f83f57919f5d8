"""Signed links to a patient's own page (/my/<token>/), and to one visit on it.

A home link names the patient and their `link_version`, signed with the time it was
made: it stops working after settings.PATIENT_HOME_MAX_AGE_DAYS, and at once when the
version is raised ("send me my link", or the desk retiring old links). A visit link on
the page also names the visit's start time, so it stops working when the visit moves
or is cancelled. Each has its own salt: a reminder's visit link cannot open the page,
a home link cannot act on a visit, and neither opens another patient's data."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from patients.models import Patient

from .models import Appointment
from .patient_links import LinkExpired, LinkInvalid

HOME_SALT = "scheduling.patient-home"
VISIT_SALT = "scheduling.patient-home.visit"
# Who the audit trail names for what a patient does on their own page.
ACTOR = "patient"

INVALID = "This link is not valid. Ask for a new link to your page below."
EXPIRED = "This link has expired or a newer one has been sent. Ask for a new link to your page below."


def home_max_age_seconds() -> int:
    return settings.PATIENT_HOME_MAX_AGE_DAYS * 24 * 3600


def patient_home_token(patient: Patient) -> str:
    return signing.dumps({"p": patient.pk, "v": patient.link_version}, salt=HOME_SALT, compress=True)


def patient_home_url(patient: Patient) -> str:
    """The path of the patient's own page (prefix it with the site's address)."""
    return reverse("patient-home", kwargs={"token": patient_home_token(patient)})


def patient_home_patient(token: str) -> Patient:
    """The patient a home link is for; LinkInvalid if altered, LinkExpired once too old or
    retired by a newer link."""
    try:
        data = signing.loads(token, salt=HOME_SALT, max_age=home_max_age_seconds())
    except signing.SignatureExpired as error:
        raise LinkExpired(EXPIRED) from error
    except signing.BadSignature as error:
        raise LinkInvalid(INVALID) from error
    if not isinstance(data, dict) or not isinstance(data.get("p"), int) or not isinstance(data.get("v"), int):
        raise LinkInvalid(INVALID)
    patient = Patient.objects.filter(pk=data["p"]).first()
    if patient is None:
        raise LinkInvalid(INVALID)
    if patient.link_version != data["v"]:
        raise LinkExpired(EXPIRED)
    return patient


def visit_token(appointment: Appointment) -> str:
    """Names the visit, its patient and its start: a move or a cancellation retires it."""
    payload = {"a": appointment.pk, "p": appointment.patient_id, "s": int(appointment.starts_at.timestamp())}
    return signing.dumps(payload, salt=VISIT_SALT)


def visit_for_patient(*, patient: Patient, token: str) -> Appointment:
    """The patient's own visit a page link names, as it still is; anything else refused
    with the same words, so no id typed reveals whether a visit exists."""
    try:
        data = signing.loads(token, salt=VISIT_SALT, max_age=home_max_age_seconds())
    except signing.BadSignature as error:
        raise LinkInvalid("This visit link is not valid. Please go back to your page.") from error
    if not isinstance(data, dict) or data.get("p") != patient.pk or not isinstance(data.get("a"), int):
        raise LinkInvalid("This visit link is not valid. Please go back to your page.")
    appointment = (
        Appointment.objects.select_related("location", "series__protocol", "provider")
        .filter(pk=data["a"], patient=patient)
        .first()
    )
    if appointment is None:
        raise LinkInvalid("This visit link is not valid. Please go back to your page.")
    if data.get("s") != int(appointment.starts_at.timestamp()) or appointment.status not in Appointment.OPEN_STATUSES:
        raise LinkExpired("This visit has changed since. Please go back to your page to see it as it is now.")
    return appointment
