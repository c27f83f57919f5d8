from itertools import pairwise

import pytest
from django.core.management import call_command

from clinic.models import Location, Provider, Room
from patients.choices import SideEffect
from patients.models import Consultation, Patient
from scheduling.models import Appointment, TreatmentSeries

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count()
            for model in (Location, Provider, Room, Patient, Consultation, TreatmentSeries, Appointment)}


def test_seed_demo_loads_a_whole_clinic_and_a_second_run_adds_nothing():
    call_command("seed_demo", verbosity=0)
    first = _counts()
    call_command("seed_demo", verbosity=0)
    assert _counts() == first
    assert first["Location"] == 1 and first["Provider"] == 4 and first["Room"] == 3 and first["Patient"] == 40
    outcomes = set(Consultation.objects.values_list("outcome", flat=True))
    assert outcomes == {"pending", "eligible", "deferred", "not_eligible"}
    assert set(TreatmentSeries.objects.values_list("status", flat=True)) == set(TreatmentSeries.Status.values)
    statuses = set(Appointment.objects.values_list("status", flat=True))
    assert {"booked", "completed", "cancelled", "no_show"} <= statuses
    assert set(Patient.objects.values_list("fitzpatrick_type", flat=True)) == {1, 2, 3, 4, 5, 6}


def test_seed_demo_books_no_overlap():
    """Checked in Python so the rule is tested on SQLite too."""
    call_command("seed_demo", verbosity=0)
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
