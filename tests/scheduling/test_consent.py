"""Consent: versions that never change, the hash of the text signed, validity, a new
version needing a new signature, the typed-name rule, and the check-in gate."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.db import DatabaseError, connection, transaction

from clinic.errors import Conflict, InvalidRequest
from clinic.models import AuditEntry
from scheduling import services
from scheduling.consent import consent_status, visit_consent_status
from scheduling.consent_text import consent_text
from scheduling.models import Appointment, ConsentDocument, ConsentSignature, ConsentVersion
from scheduling.services.consent import (
    consent_document_set_validity,
    consent_sign,
    consent_version_publish,
    signed_name_matches,
)
from tests import factories
from tests.builders import at, booked_series, consent_signed, eligible_consultation, sessions

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(protocol) -> ConsentDocument:
    return ConsentDocument.objects.get(protocol=protocol)


@pytest.fixture
def unsigned(clinic, desk_user):
    """A patient whose series is booked but who has not signed the consent yet."""
    patient = factories.PatientFactory(first_name="Zoë", last_name="O'Neill-Smith")
    consultation = eligible_consultation(clinic=clinic, when=at(2, 14), patient=patient)
    with time_machine.travel(at(2, 15), tick=False):
        series = booked_series(clinic=clinic, consultation=consultation, user=desk_user,
                               earliest_start=at(3, 9), consented=False)
    return series


def _sections(version: ConsentVersion) -> list[str]:
    return [section["title"] for section in version.sections]


def _sign(patient, version, **kwargs):
    fields = {"signed_name": patient.full_name, "sections_ticked": _sections(version), "address": "198.51.100.7",
              "user_agent": "Tablet"}
    return consent_sign(patient=patient, version=version, **{**fields, **kwargs})


def test_the_default_document_is_seeded_with_its_hash(document):
    version = document.versions.get()
    assert version.number == 1 and document.validity_months == 12
    titles = " ".join(_sections(version)).lower()
    assert all(word in titles for word in ("risks", "aftercare", "photographs", "cancellations"))
    expected = hashlib.sha256(consent_text(version.title, version.sections).encode()).hexdigest()
    assert version.text_sha256 == expected


def test_a_published_version_and_a_signature_never_change_in_the_database(document, patient):
    version = document.versions.get()
    signature = _sign(patient, version)
    for queryset, change in ((ConsentVersion.objects.filter(pk=version.pk), {"title": "Rewritten"}),
                             (ConsentSignature.objects.filter(pk=signature.pk), {"signed_name": "Someone else"})):
        with pytest.raises(DatabaseError), transaction.atomic():
            queryset.update(**change)
        if connection.vendor == "postgresql":  # SQLite flushes test databases with DELETE
            with pytest.raises(DatabaseError), transaction.atomic():
                queryset.delete()
    version.refresh_from_db()
    assert version.title != "Rewritten"
    # Writing a row back unchanged (as reloading a serialized copy does) changes nothing.
    ConsentVersion.objects.filter(pk=version.pk).update(title=version.title)


def test_editing_publishes_a_new_version_and_leaves_the_old_one_as_signed(document, patient, clinic_admin_user):
    first = document.versions.get()
    signature = _sign(patient, first)
    sections = [*first.sections, {"title": "Numbing cream", "text": "Lidocaine cream is applied for 30 minutes."}]
    second = consent_version_publish(document=document, title=first.title, sections=sections,
                                     published_by=clinic_admin_user)
    assert second.number == 2 and second.text_sha256 != first.text_sha256
    first.refresh_from_db()
    signature.refresh_from_db()
    assert len(first.sections) == len(sections) - 1, "the old version keeps its words"
    assert signature.version == first and signature.text_sha256 == first.text_sha256
    assert AuditEntry.objects.filter(action="consent_published", object_id=str(second.pk)).exists()
    with pytest.raises(InvalidRequest, match="Nothing changed"):
        consent_version_publish(document=document, title=second.title, sections=second.sections)
    with pytest.raises(InvalidRequest, match="heading and its text"):
        consent_version_publish(document=document, title="T", sections=[{"title": "Only a heading", "text": ""}])


def test_a_new_version_needs_a_new_signature(document, patient, clinic):
    first = document.versions.get()
    _sign(patient, first)
    now = at(2, 11)
    assert consent_status(patient=patient, protocol=document.protocol, now=now, zone="Europe/London").ok
    consent_version_publish(document=document, title="Consent, revised", sections=first.sections)
    status = consent_status(patient=patient, protocol=document.protocol, now=now, zone="Europe/London")
    assert not status.ok and "signed an earlier version" in status.reason
    with pytest.raises(Conflict, match="changed this document"):
        _sign(patient, first)  # the old version can no longer be signed
    _sign(patient, document.versions.order_by("-number").first())
    assert consent_status(patient=patient, protocol=document.protocol, now=now, zone="Europe/London").ok


def test_a_signature_counts_for_the_documents_validity(document, patient):
    with time_machine.travel(at(2, 11), tick=False):
        _sign(patient, document.versions.get())
    zone = "Europe/London"
    later = at(2, 11) + relativedelta(months=12)
    assert consent_status(patient=patient, protocol=document.protocol, now=later - timedelta(minutes=1), zone=zone).ok
    expired = consent_status(patient=patient, protocol=document.protocol, now=later + timedelta(days=1), zone=zone)
    assert not expired.ok and "has run out" in expired.reason and "12 months" in expired.reason
    consent_document_set_validity(document=document, validity_months=24)
    document.refresh_from_db()
    assert consent_status(patient=patient, protocol=document.protocol, now=later + timedelta(days=1), zone=zone).ok
    assert document.versions.count() == 1, "how long it counts is not a change of the words"
    with pytest.raises(InvalidRequest):
        consent_document_set_validity(document=document, validity_months=0)


@pytest.mark.parametrize("typed, ok", [
    ("Zoë O'Neill-Smith", True), ("zoe oneill smith", True), ("  ZOE   O'NEILL-SMITH ", True),
    ("O'Neill-Smith Zoë", True), ("Zoë Anne O'Neill-Smith", True),
    ("Zoë", False), ("Zoë Smith", False), ("John O'Neill-Smith", False), ("", False),
])
def test_the_typed_name_must_hold_the_patients_first_and_last_names(typed, ok):
    patient = factories.PatientFactory.build(first_name="Zoë", last_name="O'Neill-Smith")
    assert signed_name_matches(typed, patient) is ok


def test_signing_needs_every_section_ticked_and_the_patients_name(document, patient):
    version = document.versions.get()
    with pytest.raises(InvalidRequest, match="Tick each section") as error:
        _sign(patient, version, sections_ticked=_sections(version)[1:])
    assert "sections" in error.value.details
    with pytest.raises(InvalidRequest, match="your first and last name"):
        _sign(patient, version, signed_name="Somebody Else")
    assert not ConsentSignature.objects.exists()
    signature = _sign(patient, version)
    assert signature.address == "198.51.100.7" and signature.user_agent == "Tablet"
    assert signature.text_sha256 == version.text_sha256 and not signature.at_desk
    entry = AuditEntry.objects.get(action="consent_signed")
    assert entry.changes["sha256"] == version.text_sha256 and "patient" in entry.actor_label


def test_check_in_of_a_session_is_refused_until_the_consent_is_signed(unsigned, desk_user):
    first = sessions(unsigned)[0]
    with time_machine.travel(first.starts_at - timedelta(minutes=10), tick=False):
        with pytest.raises(Conflict, match="Consent not signed.*Open the signing page"):
            services.appointment_check_in(appointment=first, checked_in_by=desk_user)
        assert Appointment.objects.get(pk=first.pk).status == "booked"
        consent_signed(unsigned.patient, witnessed_by=desk_user)
        services.appointment_check_in(appointment=first, checked_in_by=desk_user)
    assert Appointment.objects.get(pk=first.pk).status == "checked_in"
    assert ConsentSignature.objects.get(patient=unsigned.patient).at_desk


def test_consultations_and_follow_ups_are_not_gated_but_maintenance_is(unsigned, desk_user, clinic):
    visit = unsigned.consultation.visit
    with time_machine.travel(visit.starts_at, tick=False):
        assert visit_consent_status(visit, visit.starts_at) is None
        Appointment.objects.filter(pk=visit.pk).update(status="booked")
        services.appointment_check_in(appointment=visit, checked_in_by=desk_user)
    check = unsigned.appointments.filter(kind="healing_check").first()
    assert visit_consent_status(check, check.starts_at) is None
    first = sessions(unsigned)[0]
    first.kind = Appointment.Kind.MAINTENANCE
    assert not visit_consent_status(first, first.starts_at).ok
