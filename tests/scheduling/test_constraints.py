"""The database itself refuses double bookings and out-of-range values."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from patients.models import Consultation, RecommendedArea
from scheduling.models import Appointment, TreatedArea, TreatmentProtocol, TreatmentSeries
from tests.conftest import london
from tests.factories import (
    AppointmentFactory,
    ConsultationFactory,
    PatientFactory,
    ProviderFactory,
    RoomFactory,
    SeriesFactory,
)

pytestmark = pytest.mark.django_db

TEN = london(2027, 3, 2, 10)


def _visit(**kwargs):
    """An unsaved 30-minute visit at 10:00 unless told otherwise, its people and room saved."""
    location = kwargs["location"]
    kwargs.setdefault("patient", PatientFactory())
    kwargs.setdefault("provider", ProviderFactory())
    if "room" not in kwargs:
        kwargs["room"] = RoomFactory(location=location)
    return AppointmentFactory.build(starts_at=kwargs.pop("starts_at", TEN), **kwargs)


def _save(appointment: Appointment) -> None:
    with transaction.atomic():
        appointment.save()


@pytest.fixture
def booked(location, provider, room, patient):
    return AppointmentFactory(location=location, provider=provider, room=room, patient=patient, starts_at=TEN)


@pytest.mark.postgres
class TestExclusionConstraints:
    def test_rejects_same_provider_at_overlapping_time(self, booked, location):
        other = _visit(location=location, provider=booked.provider, room=RoomFactory(location=location),
                       patient=PatientFactory(), starts_at=TEN + timedelta(minutes=15))
        with pytest.raises(IntegrityError, match="appointment_no_provider_overlap"):
            _save(other)

    def test_rejects_same_room_at_overlapping_time(self, booked, location):
        other = _visit(location=location, provider=ProviderFactory(), room=booked.room, patient=PatientFactory(),
                       starts_at=TEN + timedelta(minutes=20))
        with pytest.raises(IntegrityError, match="appointment_no_room_overlap"):
            _save(other)

    def test_rejects_same_patient_at_overlapping_time(self, booked, location):
        other = _visit(location=location, provider=ProviderFactory(), room=RoomFactory(location=location),
                       patient=booked.patient, starts_at=TEN - timedelta(minutes=10))
        with pytest.raises(IntegrityError, match="appointment_no_patient_overlap"):
            _save(other)

    def test_allows_back_to_back_visits(self, booked, location):
        after = _visit(location=location, provider=booked.provider, room=booked.room, patient=booked.patient,
                       starts_at=booked.room_ends_at)
        _save(after)
        assert Appointment.objects.count() == 2

    @pytest.mark.parametrize("status", ["cancelled", "no_show"])
    def test_allows_overlap_with_a_visit_that_no_longer_holds_the_time(self, booked, location, status):
        booked.status = status
        booked.cancel_reason = "Patient unwell"
        booked.save()
        again = _visit(location=location, provider=booked.provider, room=booked.room, patient=booked.patient)
        _save(again)
        assert Appointment.objects.filter(status="booked").count() == 1

    def test_cancelling_cannot_be_undone_into_a_double_booking(self, booked, location):
        booked.status = "cancelled"
        booked.cancel_reason = "Moved"
        booked.save()
        _save(_visit(location=location, provider=booked.provider, room=booked.room, patient=booked.patient))
        booked.status = "booked"
        with pytest.raises(IntegrityError):
            _save(booked)

    def test_numbing_time_holds_the_room_but_not_the_provider(self, location, provider):
        """A session's first 30 minutes are numbing: the provider may treat someone else."""
        session_room, other_room = RoomFactory(location=location), RoomFactory(location=location)
        start = TEN
        AppointmentFactory(location=location, provider=provider, room=session_room, kind="consultation",
                           starts_at=start, provider_starts_at=start + timedelta(minutes=30),
                           provider_ends_at=start + timedelta(minutes=60), ends_at=start + timedelta(minutes=60),
                           room_ends_at=start + timedelta(minutes=70))
        during_numbing = _visit(location=location, provider=provider, room=other_room, patient=PatientFactory(),
                                starts_at=start)
        _save(during_numbing)
        in_the_numbing_room = _visit(location=location, provider=ProviderFactory(), room=session_room,
                                     patient=PatientFactory(), starts_at=start + timedelta(minutes=60))
        with pytest.raises(IntegrityError, match="appointment_no_room_overlap"):
            _save(in_the_numbing_room)  # turnover still holds the room until 11:10

    def test_phone_follow_ups_without_a_room_never_clash_on_rooms(self, location, provider):
        AppointmentFactory(location=location, provider=provider, room=None, starts_at=TEN)
        _save(_visit(location=location, provider=ProviderFactory(), room=None, patient=PatientFactory()))
        assert Appointment.objects.filter(room__isnull=True).count() == 2


class TestCheckConstraints:
    def test_end_must_follow_start(self, location):
        visit = _visit(location=location)
        visit.ends_at = visit.room_ends_at = visit.provider_ends_at = visit.starts_at
        with pytest.raises(IntegrityError):
            _save(visit)

    def test_provider_time_must_lie_within_the_visit(self, location):
        visit = _visit(location=location)
        visit.provider_ends_at = visit.ends_at + timedelta(minutes=5)
        with pytest.raises(IntegrityError, match="appointment_provider_time_within_visit"):
            _save(visit)

    def test_cancellation_needs_a_reason(self, location):
        visit = _visit(location=location, status="cancelled", cancel_reason="")
        with pytest.raises(IntegrityError, match="appointment_cancellation_has_reason"):
            _save(visit)

    @pytest.mark.parametrize("count", [2, 7])
    def test_series_has_3_to_6_sessions(self, location, count):
        with pytest.raises(IntegrityError, match="series_sessions_3_to_6"):
            with transaction.atomic():
                SeriesFactory(location=location, session_count=count)

    @pytest.mark.parametrize("count", [3, 6])
    def test_series_bounds_are_inclusive(self, location, count):
        assert SeriesFactory(location=location, session_count=count).session_count == count

    @pytest.mark.parametrize("depth", ["0.25", "2.75", "0.49"])
    def test_needle_depth_is_0_5_to_2_5_mm(self, depth):
        consultation = ConsultationFactory()
        with pytest.raises(IntegrityError, match="recommended_area_depth"):
            with transaction.atomic():
                RecommendedArea.objects.create(consultation=consultation, area="face", depth_mm=Decimal(depth))

    def test_treated_depth_bounds_are_inclusive_and_enforced(self, location):
        visit = AppointmentFactory(location=location)
        TreatedArea.objects.create(appointment=visit, area="face", depth_mm=Decimal("0.50"))
        TreatedArea.objects.create(appointment=visit, area="neck", depth_mm=Decimal("2.50"))
        with pytest.raises(IntegrityError, match="treated_area_depth"):
            with transaction.atomic():
                TreatedArea.objects.create(appointment=visit, area="chest", depth_mm=Decimal("2.60"))

    @pytest.mark.parametrize(
        "changes",
        [
            {"min_interval_days": 30, "target_interval_days": 28},
            {"target_interval_days": 45, "max_interval_days": 42},
            {"session_count_max": 7},
            {"session_count_min": 2},
            {"session_count_default": 5, "session_count_max": 4},
            {"max_treatment_minutes": 75},
            {"healing_check_min_days": 8},
            {"healing_check_min_days": 0},
            {"healing_check_max_days": 28},
            {"review_min_days": 0},
        ],
    )
    def test_protocol_rules_stay_consistent(self, changes):
        protocol = TreatmentProtocol.objects.get(slug="facial-microneedling")
        for field, value in changes.items():
            setattr(protocol, field, value)
        with pytest.raises(IntegrityError):
            with transaction.atomic():
                protocol.save()

    def test_eligible_consultation_needs_a_plan(self):
        with pytest.raises(IntegrityError, match="consultation_eligible_has_plan"):
            with transaction.atomic():
                ConsultationFactory(outcome=Consultation.Outcome.ELIGIBLE, recommended_sessions=None)

    def test_deferred_consultation_needs_a_date(self):
        with pytest.raises(IntegrityError, match="consultation_deferred_has_date"):
            with transaction.atomic():
                ConsultationFactory(outcome=Consultation.Outcome.DEFERRED)

    def test_fitzpatrick_type_is_i_to_vi(self):
        with pytest.raises(IntegrityError, match="patient_fitzpatrick_i_to_vi"):
            with transaction.atomic():
                PatientFactory(fitzpatrick_type=7)

    def test_one_live_series_per_consultation(self, location):
        series = SeriesFactory(location=location)
        # PostgreSQL names the constraint, SQLite the columns.
        with pytest.raises(IntegrityError, match="series_one_live_per_consultation|treatmentseries.consultation_id"):
            with transaction.atomic():
                SeriesFactory(location=location, consultation=series.consultation)
        series.status = TreatmentSeries.Status.CANCELLED
        series.save()
        SeriesFactory(location=location, consultation=series.consultation)
