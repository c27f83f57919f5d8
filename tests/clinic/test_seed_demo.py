from datetime import date, timedelta
from itertools import pairwise

import phonenumbers
import pytest
from django.core.management import CommandError, call_command

from clinic.models import Location, Provider, Room
from frontdesk.dashboard import maintenance_due, period_make, utilisation
from patients.choices import SideEffect
from patients.models import Consultation, Intake, Patient
from scheduling.consent import visit_consent_status
from scheduling.models import (
    Appointment,
    ConsentSignature,
    OnlineBooking,
    Reminder,
    TreatmentSeries,
    WaitlistEntry,
)

pytestmark = pytest.mark.django_db

SUNDAY = date(2027, 3, 7)


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count()
            for model in (Location, Provider, Room, Patient, Consultation, TreatmentSeries, Appointment, Reminder)}


@pytest.fixture
def seeded_sunday():
    call_command("seed_demo", date=SUNDAY.isoformat(), verbosity=0)
    return Location.objects.get()


def test_seed_demo_loads_a_whole_clinic_and_a_second_run_adds_nothing(seeded_sunday):
    first = _counts()
    call_command("seed_demo", date=SUNDAY.isoformat(), verbosity=0)
    assert _counts() == first
    assert first["Location"] == 1 and first["Provider"] == 4 and first["Room"] == 5 and first["Patient"] > 40
    outcomes = set(Consultation.objects.values_list("outcome", flat=True))
    assert outcomes == {"pending", "eligible", "deferred", "not_eligible"}
    assert set(TreatmentSeries.objects.values_list("status", flat=True)) == set(TreatmentSeries.Status.values)
    statuses = set(Appointment.objects.values_list("status", flat=True))
    assert {"booked", "completed", "cancelled", "no_show"} <= statuses
    # Every skin type; the patient who booked online has none until her consultation.
    assert set(Patient.objects.values_list("fitzpatrick_type", flat=True)) == {1, 2, 3, 4, 5, 6, None}
    [online] = Patient.objects.filter(fitzpatrick_type=None)
    booked = OnlineBooking.objects.get(patient=online)
    assert booked.status == "confirmed" and booked.appointment.kind == "consultation"


def test_seed_demo_books_no_overlap(seeded_sunday):
    """Checked in Python so the rule is tested on SQLite too."""
    active = list(Appointment.objects.filter(status__in=Appointment.ACTIVE_STATUSES))
    for key, start, end in (("provider_id", "provider_starts_at", "provider_ends_at"),
                            ("room_id", "starts_at", "room_ends_at"), ("patient_id", "starts_at", "ends_at")):
        by_owner: dict = {}
        for visit in active:
            if getattr(visit, key) is not None:
                by_owner.setdefault(getattr(visit, key), []).append((getattr(visit, start), getattr(visit, end)))
        for spans in by_owner.values():
            spans.sort()
            for (_, first_end), (second_start, _) in pairwise(spans):
                assert first_end <= second_start


def test_seeded_on_a_sunday_the_next_two_weeks_are_two_thirds_full_and_every_open_day_has_visits(seeded_sunday):
    location = seeded_sunday
    period = period_make(location=location, start=SUNDAY, end=SUNDAY + timedelta(days=13))
    providers, _ = utilisation(period)
    shares = {row.name: row.share for row in providers}
    assert all(0.58 <= share <= 0.72 for share in shares.values()), shares
    open_days = set(location.opening_hours.values_list("weekday", flat=True))
    visits = Appointment.objects.filter(location=location, status__in=Appointment.ACTIVE_STATUSES)
    for offset in range(14):
        day = SUNDAY + timedelta(days=offset)
        if day.weekday() in open_days:
            assert visits.filter(starts_at__date=day).exists(), day


def test_seed_demo_every_phone_number_is_a_valid_number(seeded_sunday):
    numbers = list(Patient.objects.exclude(phone="").values_list("phone", flat=True)) + [seeded_sunday.phone]
    invalid = [str(n) for n in numbers if not phonenumbers.is_valid_number(phonenumbers.parse(str(n)))]
    assert numbers and invalid == []


def test_seed_demo_has_a_waitlist_with_offers_reminders_sent_and_due_and_maintenance_due(seeded_sunday):
    entries = WaitlistEntry.objects.all()
    assert entries.filter(status="waiting").exists() and entries.filter(status="offered").exists()
    assert Reminder.objects.filter(kind="waitlist_offer", waitlist_entry__isnull=False).exists()
    assert Reminder.objects.filter(status="sent").exists() and Reminder.objects.filter(status="pending").exists()
    period = period_make(location=seeded_sunday, start=SUNDAY, end=SUNDAY + timedelta(days=13))
    assert maintenance_due(period)


def test_seed_demo_refuses_a_date_it_cannot_read():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("seed_demo", date="next tuesday", verbosity=0)
def test_seeded_series_on_hold_give_a_reason_that_names_no_side_effect():
    """The series' reason is read by the front desk (API and pages): like the service
    that puts a series on hold, the demo names no side effect in it."""
    call_command("seed_demo", verbosity=0)
    reasons = list(TreatmentSeries.objects.filter(status="on_hold").values_list("status_reason", flat=True))
    assert reasons
    for reason in reasons:
        assert reason
        for value, label in SideEffect.choices:
            assert value not in reason.lower() and label.lower() not in reason.lower(), reason


def test_seed_demo_patients_with_treatments_signed_consent_but_one(seeded_sunday):
    treated = set(Appointment.objects.filter(kind__in=["session", "maintenance"]).values_list("patient_id", flat=True))
    signed = set(ConsentSignature.objects.values_list("patient_id", flat=True))
    assert len(treated - signed) == 1, "one patient just booked shows the desk the consent gate"
    unsigned = (treated - signed).pop()
    first = Appointment.objects.filter(patient_id=unsigned, kind="session").order_by("starts_at").first()
    assert first.starts_at.date() > SUNDAY
    status = visit_consent_status(first, first.starts_at)
    assert not status.ok and "Consent not signed" in status.reason
    assert ConsentSignature.objects.exclude(witnessed_by=None).exists(), "some signed at the desk"


def test_seed_demo_upcoming_consultations_have_health_questions_answered(seeded_sunday):
    assert Intake.objects.filter(consultation__visit__status="booked").exists()
    assert Intake.objects.filter(answers__answer="yes").exists(), "one patient's answers suggest a caution"
def test_seed_demo_prints_a_demo_patients_own_page_that_opens(capsys, client):
    import re

    import time_machine

    with time_machine.travel(SUNDAY, tick=False):
        call_command("seed_demo", date=SUNDAY.isoformat())
        out = capsys.readouterr().out
        match = re.search(r"own page \(([^)]+)\): https?://[^/\s]+(/my/\S+/)", out)
        assert match, out
        page = client.get(match.group(2))
        assert page.status_code == 200
        assert f"Hello {match.group(1).split()[0]}" in page.content.decode()
        assert page.context["home"].plans, "a patient part-way through a series"
