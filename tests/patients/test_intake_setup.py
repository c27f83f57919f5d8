"""The clinic edits its health questions and what their answers suggest: checked and
audited, in the admin too; an answered question is switched off, not deleted."""

import pytest

from clinic.errors import Conflict, InvalidRequest
from clinic.models import AuditEntry
from patients.intake_setup import (
    intake_question_create,
    intake_question_delete,
    intake_question_update,
    intake_suggestion_create,
)
from patients.models import IntakeQuestion, IntakeSuggestion, ScreeningRule
from scheduling.services.intake import intake_save

pytestmark = pytest.mark.django_db


def test_the_default_questionnaire_maps_answers_to_the_seeded_rules():
    suggested = {(s.question.key, s.answer): s.rule.condition for s in IntakeSuggestion.objects.select_related(
        "question", "rule")}
    assert suggested[("isotretinoin", "")] == "isotretinoin"
    assert suggested[("pregnancy", "yes")] == "pregnancy_or_breastfeeding"
    assert suggested[("cold_sores", "yes")] == "cold_sores"
    assert suggested[("sun", "I am sunburnt now")] == "sunburn"
    conditions = set(suggested.values())
    assert {"blood_thinners", "retinoids", "numbing_allergy", "keloid_history", "hyperpigmentation_tendency",
            "active_acne", "eczema", "rosacea", "active_infection", "chemical_peel", "laser_treatment"} <= conditions


def test_a_question_and_its_suggestion_are_checked_and_audited(clinic_admin_user):
    with pytest.raises(InvalidRequest, match="at least two answers"):
        intake_question_create(created_by=clinic_admin_user, key="diet", text="Diet?", answer_type="choice",
                               choices=["Only one"])
    question = intake_question_create(created_by=clinic_admin_user, key="smoker", text="Do you smoke?",
                                      answer_type="yes_no", order=200)
    rule = ScreeningRule.objects.get(condition="keloid_history")
    with pytest.raises(InvalidRequest, match='"yes" or "no"'):
        intake_suggestion_create(created_by=clinic_admin_user, question=question, answer="sometimes", rule=rule)
    intake_suggestion_create(created_by=clinic_admin_user, question=question, answer="yes", rule=rule)
    with pytest.raises(InvalidRequest, match="no longer fits"):
        intake_question_update(question=question, updated_by=clinic_admin_user, answer_type="text")
    assert AuditEntry.objects.filter(object_type="intakequestion", action="created").exists()
    assert AuditEntry.objects.filter(object_type="intakesuggestion", action="created").exists()


def test_an_answered_question_is_switched_off_not_deleted(world, clinic_admin_user):
    visit = world["pending_visit"]
    answers = {q.key: ("no" if q.answer_type == "yes_no" else "") for q in IntakeQuestion.objects.all()}
    intake_save(visit=visit, answers=answers)
    question = IntakeQuestion.objects.get(key="cold_sores")
    with pytest.raises(Conflict, match="switch it off"):
        intake_question_delete(question=question, deleted_by=clinic_admin_user)
    assert IntakeQuestion.objects.filter(pk=question.pk).exists()
    intake_question_update(question=question, updated_by=clinic_admin_user, is_active=False)


def test_the_admin_edits_questions_through_the_service(admin_client):
    response = admin_client.post("/admin/patients/intakequestion/add/", {
        "key": "diet", "text": "How would you describe your diet?", "help_text": "", "answer_type": "choice",
        "choices": '["Varied", "Vegetarian"]', "order": "300", "is_active": "on"})
    assert response.status_code == 302
    assert IntakeQuestion.objects.get(key="diet").choices == ["Varied", "Vegetarian"]
    assert AuditEntry.objects.filter(object_type="intakequestion", action="created").exists()
    refused = admin_client.post("/admin/patients/intakequestion/add/", {
        "key": "diet2", "text": "Diet?", "help_text": "", "answer_type": "choice", "choices": '["One"]',
        "order": "301", "is_active": "on"}, follow=True)
    assert "Not saved" in refused.content.decode() and not IntakeQuestion.objects.filter(key="diet2").exists()
