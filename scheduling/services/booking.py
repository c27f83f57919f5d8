"""Booking visits: the overlap rules, kept on every database."""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from clinic.errors import Conflict, InvalidRequest
from clinic.models import Location
from patients.models import Consultation, Patient

from ..models import Appointment, TreatmentSeries
from ..selectors import VisitSpec, appointment_conflicts

# The names of the database constraints that mean "that time is taken", so a race lost
# at the database is reported like a clash found by the query.
OVERLAP_CONSTRAINTS = {
    "appointment_no_provider_overlap": "The provider was booked for that time a moment ago.",
    "appointment_no_room_overlap": "The room was booked for that time a moment ago.",
    "appointment_no_patient_overlap": "The patient was booked for that time a moment ago.",
    "appointment_one_live_visit_per_session_number": "That session of the series is already booked.",
    # SQLite names the columns of a unique index rather than the index.
    "scheduling_appointment.series_id, scheduling_appointment.session_number": "That session of the series is already booked.",
}


def conflict_from_integrity_error(error: IntegrityError) -> Conflict | InvalidRequest:
    text = str(error)
    for name, message in OVERLAP_CONSTRAINTS.items():
        if name in text:
            return Conflict(message)
    return InvalidRequest(f"The visit breaks a rule of the clinic: {text.splitlines()[0]}")


def appointments_book(
    *,
    location: Location,
    patient: Patient,
    visits: Sequence[VisitSpec],
    series: TreatmentSeries | None = None,
    consultation: Consultation | None = None,
    created_by=None,
    status: str = Appointment.Status.BOOKED,
) -> list[Appointment]:
    """Book several visits for one patient: all of them or none.

    The overlap query gives staff a readable reason; the write lock (SQLite's immediate
    transaction) or the exclusion constraints (PostgreSQL) make the rule hold when two
    desks book at once."""
    appointments = [
        Appointment(
            kind=visit.kind,
            location=location,
            patient=patient,
            provider_id=visit.provider_id,
            room_id=visit.room_id,
            series=series,
            session_number=visit.session_number,
            consultation=consultation if visit.kind == Appointment.Kind.CONSULTATION else None,
            starts_at=visit.starts_at,
            provider_starts_at=visit.provider_starts_at,
            provider_ends_at=visit.provider_ends_at,
            ends_at=visit.ends_at,
            room_ends_at=visit.room_ends_at,
            status=status,
            created_by=created_by,
        )
        for visit in visits
    ]
    for appointment in appointments:
        try:
            # Constraints are checked below in one query and finally by the database,
            # rather than one query per constraint per visit here.
            appointment.full_clean(exclude=["location", "patient", "provider", "room", "series", "consultation"],
                                   validate_constraints=False)
        except ValidationError as error:
            raise InvalidRequest("The visit is not valid.", details=error.message_dict) from error
    try:
        with transaction.atomic():
            problems = appointment_conflicts(patient_id=patient.pk, visits=visits)
            if problems:
                raise Conflict(" ".join(problems), details={"conflicts": problems})
            created = Appointment.objects.bulk_create(appointments)
    except IntegrityError as error:
        raise conflict_from_integrity_error(error) from error
    return created
