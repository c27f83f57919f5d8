"""Fixtures for the reminder tests: templates, a file-backed SMS channel, a patient per channel,
and booking helpers. The clinic (its name, phone and address go into the messages) and the
protocol come from tests/conftest.py."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from scheduling.models import Appointment, MessageTemplate
from scheduling.reminders.defaults import message_templates_install
from scheduling.reminders.outbox import reminders_sync_for_appointments
from scheduling.services.booking import VisitSpec, appointments_book
from tests import factories


@pytest.fixture
def templates(db):
    """The default templates (a transactional test's flush removes the migration's rows)."""
    message_templates_install(MessageTemplate)
    return {t.kind: t for t in MessageTemplate.objects.all()}


@pytest.fixture
def sms_dir(tmp_path, settings):
    directory = tmp_path / "sms"
    settings.REMINDERS_SMS_BACKEND = "scheduling.reminders.sms.FileSmsBackend"
    settings.REMINDERS_SMS_FILE_DIR = str(directory)
    return directory


@pytest.fixture
def email_patient(db):
    return factories.PatientFactory(first_name="Ada", preferred_channel="email", consent_email=True, consent_sms=False)


@pytest.fixture
def sms_patient(db):
    return factories.PatientFactory(first_name="Grace", preferred_channel="sms", consent_email=False, consent_sms=True)


def visit_spec(
    *,
    provider,
    room,
    starts_at: datetime,
    kind: str = "consultation",
    minutes: int = 30,
    numbing: int = 0,
    session_number: int | None = None,
) -> VisitSpec:
    treatment_starts = starts_at + timedelta(minutes=numbing)
    ends = treatment_starts + timedelta(minutes=minutes)
    return VisitSpec(
        kind=kind,
        provider_id=provider.pk,
        room_id=room.pk if room else None,
        starts_at=starts_at,
        provider_starts_at=treatment_starts,
        provider_ends_at=ends,
        ends_at=ends,
        room_ends_at=ends + timedelta(minutes=10),
        session_number=session_number,
    )


def book(
    *, clinic, patient, starts_at: datetime, kind: str = "consultation", series=None, session_number: int | None = None
) -> Appointment:
    """Book one visit with the clinic's provider in its first room, and write its reminders in
    the same transaction, as the booking services do."""
    from django.db import transaction

    location, provider, room = clinic["location"], clinic["provider"], clinic["rooms"][0]
    with transaction.atomic():
        [appointment] = appointments_book(
            location=location,
            patient=patient,
            series=series,
            visits=[
                visit_spec(
                    provider=provider,
                    room=room,
                    starts_at=starts_at,
                    kind=kind,
                    session_number=session_number,
                    numbing=30 if kind in ("session", "maintenance") else 0,
                )
            ],
        )
        reminders_sync_for_appointments(appointments=[appointment])
    return appointment


def first_session(*, clinic, patient, starts_at: datetime) -> Appointment:
    """Session 1 of a new series for the patient, booked with its reminders."""
    series = factories.SeriesFactory(patient=patient, consultation__patient=patient, location=clinic["location"])
    return book(clinic=clinic, patient=patient, starts_at=starts_at, kind="session", series=series, session_number=1)


def set_status(appointment: Appointment, status: str, **fields) -> Appointment:
    """Change a visit's status and sync its reminders in one transaction."""
    from django.db import transaction

    with transaction.atomic():
        appointment.status = status
        if status == "cancelled":
            appointment.cancel_reason = fields.pop("cancel_reason", "Patient unwell")
            appointment.cancelled_at = timezone.now()
        if status == "completed":
            appointment.completed_at = fields.pop("completed_at", timezone.now())
        for name, value in fields.items():
            setattr(appointment, name, value)
        appointment.save()
        reminders_sync_for_appointments(appointments=[appointment])
    return appointment


def move(appointment: Appointment, starts_at: datetime) -> Appointment:
    from django.db import transaction

    shift = starts_at - appointment.starts_at
    with transaction.atomic():
        for name in ("starts_at", "provider_starts_at", "provider_ends_at", "ends_at", "room_ends_at"):
            setattr(appointment, name, getattr(appointment, name) + shift)
        appointment.save()
        reminders_sync_for_appointments(appointments=[appointment])
    return appointment


def texts(directory) -> list[dict]:
    """The text messages the file backend holds: one dict (key, to, body) per message sent."""
    from scheduling.reminders.sms import FileSmsBackend

    return FileSmsBackend(directory).messages() if directory.exists() else []
