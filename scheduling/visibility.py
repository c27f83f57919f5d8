"""Which patients, visits, series and holds a provider may see: the one place that says so.

`provider` is what clinic.roles.viewer_scope returns for the login: None means the whole
clinic (front desk and clinic admins see everything). A provider sees
- visits (appointments): their own, the ones they give;
- patients: those they have a visit with, consult, or lead a series for;
- series: those they lead, and those with a visit of theirs;
- holds: those their own login made.
(Consultations need no scheduling model and stay in patients.selectors.consultation_visible:
a provider sees the ones they hold and the ones whose visit is theirs.)
Every read that narrows by provider goes through these functions (nested reads of a
patient's visits through `appointments_narrowed`), so the API and the pages agree."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from clinic.models import Provider
from clinic.roles import is_provider, sees_whole_clinic
from patients.models import Consultation, Patient

from .models import Appointment, SeriesHold, TreatmentSeries


def appointments_narrowed(appointments: QuerySet[Appointment], *, provider: Provider | None) -> QuerySet[Appointment]:
    """`appointments` cut down to the visits `provider` may see, for reads that need
    their own joins (a patient's visits on the patient's page)."""
    return appointments if provider is None else appointments.filter(provider=provider)


def appointment_visible(*, provider: Provider | None) -> QuerySet[Appointment]:
    """Visits with their patient, provider, room, location and treated areas."""
    appointments = Appointment.objects.select_related("patient", "provider", "room", "location").prefetch_related(
        "treated_areas"
    )
    return appointments_narrowed(appointments, provider=provider)


def patient_visible(*, provider: Provider | None) -> QuerySet[Patient]:
    patients = Patient.objects.all()
    if provider is not None:
        patients = patients.filter(
            Q(Exists(Appointment.objects.filter(patient=OuterRef("pk"), provider=provider)))
            | Q(Exists(Consultation.objects.filter(patient=OuterRef("pk"), provider=provider)))
            | Q(Exists(TreatmentSeries.objects.filter(patient=OuterRef("pk"), provider=provider)))
        )
    return patients


def series_visible(*, provider: Provider | None) -> QuerySet[TreatmentSeries]:
    """Series with their patient, provider and location."""
    series = TreatmentSeries.objects.select_related("patient", "provider", "location")
    if provider is not None:
        series = series.filter(
            Q(provider=provider) | Q(Exists(Appointment.objects.filter(series=OuterRef("pk"), provider=provider)))
        )
    return series


def hold_visible(*, provider: Provider | None) -> QuerySet[SeriesHold]:
    """Holds with their location, patient, consultation and held visits."""
    holds = SeriesHold.objects.select_related("location", "patient", "consultation").prefetch_related("visits")
    if provider is not None:
        holds = holds.filter(created_by=provider.user)
    return holds


def series_resume_refusal(*, series, user) -> str | None:
    """Why this login may not resume this series, or None: a series on hold after a rare
    side effect is released by a provider who has reviewed it; a paused one by the desk."""
    if series.status == TreatmentSeries.Status.ON_HOLD and not is_provider(user):
        return "A series on hold after a side effect is released by a provider after review."
    if series.status != TreatmentSeries.Status.ON_HOLD and not sees_whole_clinic(user):
        return "The front desk resumes a paused series."
    return None
