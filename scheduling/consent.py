"""Whether a patient holds a valid consent for a protocol: signed, for the document's
current version, within the document's validity. The check-in of a treatment asks this,
and the desk's pages show the same sentence."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from patients.models import Patient

from .models import Appointment, ConsentDocument, ConsentSignature, ConsentVersion, TreatmentProtocol
from .selectors import protocol_active

TREATMENTS = (Appointment.Kind.SESSION, Appointment.Kind.MAINTENANCE)


@dataclass(frozen=True)
class ConsentStatus:
    document: ConsentDocument | None
    version: ConsentVersion | None
    signature: ConsentSignature | None
    reason: str

    @property
    def ok(self) -> bool:
        return not self.reason


def consent_version_current(document: ConsentDocument) -> ConsentVersion | None:
    return document.versions.order_by("-number").first()


def consent_valid_since(document: ConsentDocument, now: datetime) -> datetime:
    """Signatures on or after this moment still count."""
    return now - relativedelta(months=document.validity_months)


def consent_document_for(protocol: TreatmentProtocol) -> ConsentDocument | None:
    return ConsentDocument.objects.filter(protocol=protocol).first()


def consent_status(*, patient: Patient, protocol: TreatmentProtocol, now: datetime, zone: str,
                   signatures: list[ConsentSignature] | None = None) -> ConsentStatus:
    """The patient's consent for this protocol, and if it does not count, why (a sentence
    for the desk; `zone` names the time zone its dates are given in). A protocol without
    a consent document (or one with no version yet) needs none. Two queries; pass the
    patient's signatures when the caller has them already."""
    version = (ConsentVersion.objects.filter(document__protocol=protocol).select_related("document")
               .order_by("-number").first())
    if version is None:
        return ConsentStatus(consent_document_for(protocol), None, None, "")
    document = version.document
    if signatures is None:
        signatures = list(ConsentSignature.objects.filter(patient=patient, version__document=document)
                          .select_related("version").order_by("-signed_at"))
    mine = sorted((s for s in signatures if s.version.document_id == document.pk),
                  key=lambda s: s.signed_at, reverse=True)
    since = consent_valid_since(document, now)
    valid = next((s for s in mine if s.version_id == version.pk and s.signed_at >= since), None)
    if valid is not None:
        return ConsentStatus(document, version, valid, "")
    latest = mine[0] if mine else None
    tz = ZoneInfo(zone)
    if latest is None:
        reason = f"Consent not signed: {patient.full_name} has not signed \u201c{version.title}\u201d."
    elif latest.version_id != version.pk:
        reason = (f"Consent not signed: the clinic changed \u201c{version.title}\u201d on "
                  f"{version.published_at.astimezone(tz):%d %b %Y} and {patient.full_name} signed an earlier "
                  "version; the new one needs signing.")
    else:
        reason = (f"Consent not signed: {patient.full_name}'s signature of "
                  f"{latest.signed_at.astimezone(tz):%d %b %Y} has run out (it counts for "
                  f"{document.validity_months} months).")
    return ConsentStatus(document, version, latest, reason + " Open the signing page to sign it.")


def visit_protocol(visit: Appointment) -> TreatmentProtocol:
    """The protocol a treatment follows: its series', else the clinic's active one."""
    if visit.series_id is not None:
        return visit.series.protocol
    return protocol_active()


def visit_consent_status(visit: Appointment, now: datetime) -> ConsentStatus | None:
    """A treatment's consent status; None for visits that need no consent (consultations,
    follow-ups: only treatments, sessions and maintenance sessions, are gated)."""
    if visit.kind not in TREATMENTS:
        return None
    return consent_status(patient=visit.patient, protocol=visit_protocol(visit), now=now,
                          zone=visit.location.time_zone)


def consent_needed_until(*, patient: Patient, protocol: TreatmentProtocol, now: datetime) -> datetime:
    """When a signature must still count: the start of the patient's last upcoming
    treatment under this protocol (else now). A signature that counts then counts at
    every earlier treatment too."""
    upcoming = (Appointment.objects.filter(patient=patient, kind__in=TREATMENTS, status__in=Appointment.OPEN_STATUSES,
                                           starts_at__gt=now).select_related("series__protocol"))
    starts = [v.starts_at for v in upcoming if v.series_id is None or v.series.protocol_id == protocol.pk]
    return max([now, *starts])
