"""The demo's consents and health questions: every patient with treatments signed the
consent a few days before their first one, except one patient just booked, whose first
session shows the desk the check-in gate; every other upcoming consultation has its
health questions answered, one of them suggesting a caution to the provider."""

from datetime import timedelta

from django.db.models import Min

from patients.models import Intake, IntakeAnswer, IntakeQuestion
from scheduling.models import Appointment, ConsentSignature, ConsentVersion

from .stories import DemoClinic

TREATMENTS = (Appointment.Kind.SESSION, Appointment.Kind.MAINTENANCE)
# The answers of the one demo patient whose health questions suggest something.
SUGGESTING = {"retinoids": "yes", "sun": "Some, without burning"}


def consents_sign(demo: DemoClinic, *, unsigned_patient_id: int | None) -> None:
    version = ConsentVersion.objects.filter(document__protocol=demo.protocol).order_by("-number").first()
    if version is None:
        return
    firsts = (Appointment.objects.filter(location=demo.location, kind__in=TREATMENTS)
              .values("patient_id").annotate(first=Min("starts_at")).order_by("patient_id"))
    titles = [section["title"] for section in version.sections]
    for number, row in enumerate(firsts):
        if row["patient_id"] == unsigned_patient_id:
            continue
        patient_visit = Appointment.objects.select_related("patient").filter(patient_id=row["patient_id"]).first()
        patient = patient_visit.patient
        signed_at = min(row["first"] - timedelta(days=3), demo.now - timedelta(hours=1))
        ConsentSignature.objects.create(
            version=version, patient=patient, signed_name=patient.full_name, sections_ticked=titles,
            signed_at=signed_at, address=None, user_agent="", text_sha256=version.text_sha256,
            # Every third signed on the clinic's tablet, handed over by the desk.
            witnessed_by=demo.admin if number % 3 == 0 else None,
        )


def intakes_answer(demo: DemoClinic) -> None:
    questions = list(IntakeQuestion.objects.filter(is_active=True))
    upcoming = (Appointment.objects.filter(location=demo.location, kind=Appointment.Kind.CONSULTATION,
                                           status__in=Appointment.OPEN_STATUSES, starts_at__gt=demo.now)
                .exclude(consultation=None).order_by("starts_at", "pk"))
    for number, visit in enumerate(upcoming):
        if number % 2:
            continue
        intake = Intake.objects.create(consultation_id=visit.consultation_id, submitted_at=demo.now,
                                       updated_at=demo.now)
        special = SUGGESTING if number == 0 else {}
        for question in questions:
            default = {"yes_no": "no", "choice": (question.choices or [""])[0]}.get(question.answer_type, "")
            IntakeAnswer.objects.create(intake=intake, question=question, question_text=question.text,
                                        answer=special.get(question.key, default))
