"""The patient's health answers before a consultation: saved whole or not at all, and
only until the consultation starts (after that they are the provider's to read)."""

from collections.abc import Mapping
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from clinic.audit import audit_record
from clinic.errors import Conflict, InvalidRequest
from patients.intake import intake_answer_read
from patients.models import Intake, IntakeAnswer, IntakeQuestion

from ..models import Appointment


def intake_questions() -> list[IntakeQuestion]:
    """The clinic's active questions, in order, with what their answers suggest."""
    return list(IntakeQuestion.objects.filter(is_active=True).prefetch_related("suggestions__rule"))


def intake_answers(intake: Intake | None) -> list[IntakeAnswer]:
    if intake is None:
        return []
    return list(intake.answers.select_related("question").prefetch_related("question__suggestions__rule"))


@transaction.atomic
def intake_save(*, visit: Appointment, answers: Mapping[str, str], actor_label: str = "patient (health questions)"
                ) -> Intake:
    """Save the patient's answers for this consultation visit (keyed by question key).
    Refused once the consultation has started or if it is no longer booked; a wrong
    answer refuses the whole form, with a sentence per question."""
    visit = (Appointment.objects.select_for_update(of=("self",)).select_related("consultation", "location")
             .get(pk=visit.pk))
    now = timezone.now()
    if visit.status not in Appointment.OPEN_STATUSES:
        raise Conflict("This consultation is no longer booked, so its health questions are closed.")
    if visit.starts_at <= now:
        raise Conflict("Your consultation has started, so the answers can no longer be changed.")
    questions = intake_questions()
    errors: dict[str, list[str]] = {}
    values: dict[int, tuple[IntakeQuestion, str]] = {}
    # "Not in the future" on the clinic's calendar, where the patient's day is.
    today = now.astimezone(ZoneInfo(visit.location.time_zone)).date()
    for question in questions:
        try:
            values[question.pk] = (question, intake_answer_read(question, answers.get(question.key, ""), today=today))
        except ValueError as error:
            errors[question.key] = [str(error)]
    unanswered = [q.key for q, value in values.values() if not value and q.answer_type == q.AnswerType.YES_NO]
    for key in unanswered:
        errors.setdefault(key, ["Please answer yes or no."])
    if errors:
        raise InvalidRequest("Some answers need another look; see the questions marked below.", details=errors)
    intake, created = Intake.objects.get_or_create(
        consultation=visit.consultation, defaults={"submitted_at": now, "updated_at": now})
    changed = []
    kept = {answer.question_id: answer for answer in intake.answers.all()}
    for question, value in values.values():
        answer = kept.get(question.pk)
        if answer is None:
            IntakeAnswer.objects.create(intake=intake, question=question, question_text=question.text, answer=value)
            changed.append(question.key)
        elif answer.answer != value or answer.question_text != question.text:
            answer.answer, answer.question_text = value, question.text
            answer.save(update_fields=["answer", "question_text"])
            changed.append(question.key)
    if not created:
        intake.updated_at = now
        intake.save(update_fields=["updated_at"])
    # The audit names which questions changed, never the answers: they are health facts.
    audit_record(actor=None, actor_label=actor_label, action="intake_sent" if created else "intake_changed",
                 obj=intake, changes={"consultation": visit.consultation_id, "questions": changed})
    return intake
