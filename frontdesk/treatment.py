"""What a provider needs in front of them to record a treatment: the planned areas and
depths (to pre-fill the record), the cautions still open, and the last treatment's depths
and side effects."""

from dataclasses import dataclass, field
from decimal import Decimal

from patients.screening import consultation_cautions_open
from scheduling.models import Appointment

TREATMENTS = ("session", "maintenance")


@dataclass
class BeforeTreatment:
    planned: dict[str, Decimal] = field(default_factory=dict)
    cautions: list[str] = field(default_factory=list)
    darker_skin: bool = False
    last: Appointment | None = None


def before_treatment(visit: Appointment, *, reader) -> BeforeTreatment | None:
    """None for a visit that is not a treatment, or whose record the login may not read
    (scheduling.visibility.ClinicalReader); the cautions and the last treatment only as
    far as the login reads their records. Three queries at most."""
    if visit.kind not in TREATMENTS or not reader.reads(visit):
        return None
    found = BeforeTreatment()
    consultation = visit.series.consultation if visit.series_id else None
    if consultation is None:
        consultation = visit.patient.consultations.filter(outcome="eligible").order_by("-assessed_at").first()
    if consultation is not None:
        found.planned = {a.area: a.depth_mm for a in consultation.recommended_areas.all()}
        if reader.reads(consultation):
            found.cautions = consultation_cautions_open(consultation)
            found.darker_skin = consultation.hyperpigmentation_caution
    found.last = (Appointment.objects.filter(patient_id=visit.patient_id, kind__in=TREATMENTS, status="completed",
                                             starts_at__lt=visit.starts_at)
                  .exclude(pk=visit.pk).prefetch_related("treated_areas").order_by("-starts_at").first())
    if found.last is not None and not reader.reads(found.last):
        found.last = None
    return found


def record_initial(visit: Appointment, before: BeforeTreatment | None) -> dict:
    """The record form's starting values: what was recorded, else what was planned."""
    if visit.status == "completed":
        initial = {"device": visit.device, "side_effects": visit.side_effects, "notes": visit.notes}
        initial.update({f"depth_{a.area}": a.depth_mm for a in visit.treated_areas.all()})
        return initial
    initial = {"device": "pen"}
    if before is not None:
        initial.update({f"depth_{area}": depth for area, depth in before.planned.items()})
    return initial
