"""What a patient has to do before their next visits, for their own page and messages:
answer the health questions before a consultation, sign the consent before a treatment."""

from dataclasses import dataclass

from django.utils import timezone

from patients.models import Intake, Patient

from .consent import TREATMENTS, consent_status, visit_protocol
from .models import Appointment
from .reminders.reach import patient_zone
from .task_links import consent_url, intake_url


@dataclass(frozen=True)
class PatientTask:
    label: str
    url: str
    done: bool


def patient_tasks(patient: Patient) -> list[PatientTask]:
    """Health questions for each upcoming consultation, and one consent per protocol of
    the upcoming treatments, done only if it counts for all of them; done ones stay
    listed (ticked) so the patient can check them."""
    now = timezone.now()
    zone = patient_zone(patient)
    upcoming = list(
        Appointment.objects.filter(patient=patient, status__in=Appointment.OPEN_STATUSES, ends_at__gt=now)
        .select_related("location", "series__protocol", "patient").order_by("starts_at")
    )
    tasks: list[PatientTask] = []
    consultations = [v for v in upcoming if v.kind == Appointment.Kind.CONSULTATION and v.consultation_id]
    answered = set(Intake.objects.filter(consultation_id__in=[v.consultation_id for v in consultations])
                   .values_list("consultation_id", flat=True))
    for visit in consultations:
        local = visit.starts_at.astimezone(zone)
        day = f"{local:%A} {local.day} {local:%B}"
        done = visit.consultation_id in answered
        label = (f"Health questions answered (you can change them until {day})" if done
                 else f"Fill in your health questions before {day}")
        tasks.append(PatientTask(label=label, url=intake_url(visit), done=done))
    seen: set[int] = set()
    # Latest first: a signature that still counts at a protocol's last upcoming treatment
    # counts at every earlier one too (it can only run out, never start to count).
    for visit in reversed(upcoming):
        if visit.kind not in TREATMENTS:
            continue
        protocol = visit_protocol(visit)
        if protocol.pk in seen:
            continue
        seen.add(protocol.pk)
        status = consent_status(patient=patient, protocol=protocol, now=visit.starts_at,
                                zone=visit.location.time_zone)
        if status.document is None or status.version is None:
            continue
        url = consent_url(patient=patient, document=status.document)
        if status.ok:
            tasks.append(PatientTask(label="Consent signed", url=url, done=True))
        else:
            tasks.append(PatientTask(label="Read and sign your consent", url=url, done=False))
    return tasks
