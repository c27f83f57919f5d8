"""Which patients, visits, series and holds a provider may see: the one place that says so.

`provider` is what clinic.roles.viewer_scope returns for the login: None means the whole
clinic (front desk and clinic admins see everything). A provider sees
- visits (appointments): their own, the ones they give (and, on the record of a patient
  they may see, that the patient's other visits exist);
- patients: those they have a visit with, consult, or lead a series for;
- series: those they lead, and those with a visit of theirs;
- holds: those their own login made.
(Consultations need no scheduling model and stay in patients.selectors.consultation_visible:
a provider sees the ones they hold and the ones whose visit is theirs.)
Every read that narrows by provider goes through these functions (the diary and the visit
page through `appointments_narrowed`), so the API and the pages agree.

The clinical record (a visit's notes, side effects and treated areas; a
consultation's screening, cautions and notes) follows one rule, `ClinicalReader`: clinic
admins read all of it; a provider reads the record of the visits they give and the
consultations they hold or whose visit is theirs, and of any other visit they may open
only that it exists (kind, time, status); the front desk reads none of it. Every
serializer and page that shows a clinical field asks `reader.reads(record)`."""

from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Exists, OuterRef, Q, QuerySet

from clinic.models import Provider
from clinic.roles import is_provider, sees_clinical_notes, sees_whole_clinic, viewer_scope
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
    # A time held online has no patient yet and is confirmed only by its code.
    holds = (SeriesHold.objects.filter(patient__isnull=False)
             .select_related("location", "patient", "consultation").prefetch_related("visits"))
    if provider is not None:
        holds = holds.filter(created_by=provider.user)
    return holds


@dataclass(frozen=True)
class ClinicalReader:
    """Whose clinical record a login reads (see the module docstring)."""

    everything: bool = False
    provider_id: int | None = None

    def reads(self, record) -> bool:
        """True when the login may read this visit's or consultation's clinical fields."""
        if self.everything:
            return True
        if self.provider_id is None:
            return False
        if isinstance(record, Appointment):
            return record.provider_id == self.provider_id
        if isinstance(record, Consultation):
            try:
                visit = record.visit
            except ObjectDoesNotExist:
                visit = None
            return record.provider_id == self.provider_id or (
                visit is not None and visit.provider_id == self.provider_id
            )
        return False


NO_CLINICAL_RECORD = ClinicalReader()


def clinical_reader(user) -> ClinicalReader:
    """The one answer to "may this login read that clinical record" (API and pages)."""
    if not sees_clinical_notes(user):
        return NO_CLINICAL_RECORD
    provider = viewer_scope(user)
    if provider is None:
        return ClinicalReader(everything=True)
    return ClinicalReader(provider_id=provider.pk)


def series_resume_refusal(*, series, user) -> str | None:
    """Why this login may not resume this series, or None: a series on hold after a rare
    side effect is released by a provider who has reviewed it; a paused one by the desk."""
    if series.status == TreatmentSeries.Status.ON_HOLD and not is_provider(user):
        return "A series on hold after a side effect is released by a provider after review."
    if series.status != TreatmentSeries.Status.ON_HOLD and not sees_whole_clinic(user):
        return "The front desk resumes a paused series."
    return None
