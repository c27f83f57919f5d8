"""Screening at the assessment: the clinic's rules, as data, decide the outcome."""

from datetime import date, timedelta

import pytest
import time_machine

from clinic.errors import InvalidRequest
from patients.models import ScreeningRule
from patients.screening import Finding, screening_evaluate
from tests.builders import at, consultation_visit

pytestmark = pytest.mark.django_db
TODAY = date(2027, 3, 2)


def _rules():
    return list(ScreeningRule.objects.filter(is_active=True))


@pytest.mark.parametrize(
    "condition,outcome",
    [
        ("active_acne", "deferred"),
        ("eczema", "deferred"),
        ("active_infection", "deferred"),
        ("rosacea", "not_eligible"),
    ],
)
def test_the_seeded_contraindications_block_a_series(condition, outcome):
    result = screening_evaluate(rules=_rules(), findings=[Finding(condition)], assessed_on=TODAY)
    assert result.outcome == outcome
    assert (result.deferred_until is not None) == (outcome == "deferred")


def test_isotretinoin_blocks_only_within_its_six_month_look_back():
    recent = screening_evaluate(
        rules=_rules(), findings=[Finding("isotretinoin", date(2026, 12, 1))], assessed_on=TODAY
    )
    assert recent.outcome == "deferred" and recent.deferred_until == date(2026, 12, 1) + timedelta(days=183)
    old = screening_evaluate(rules=_rules(), findings=[Finding("isotretinoin", date(2026, 6, 1))], assessed_on=TODAY)
    assert old.outcome == "eligible"
    with pytest.raises(InvalidRequest, match="give the date"):
        screening_evaluate(rules=_rules(), findings=[Finding("isotretinoin")], assessed_on=TODAY)


def test_unknown_conditions_are_named():
    with pytest.raises(InvalidRequest, match="Unknown condition 'fresh_tattoo'"):
        screening_evaluate(rules=_rules(), findings=[Finding("fresh_tattoo")], assessed_on=TODAY)


def _assess(doctor, consultation_id, **body):
    return doctor.post(
        f"/api/v1/consultations/{consultation_id}/assessment/",
        {"recommended_sessions": 3, "areas": {"face": "1.00"}, **body},
        format="json",
    )


@pytest.fixture
def visit(clinic):
    with time_machine.travel(at(1, 9), tick=False):
        return consultation_visit(clinic=clinic, when=at(2, 10))


def test_an_assessment_with_active_acne_is_deferred_and_cannot_be_planned(visit, clinic, doctor, desk):
    with time_machine.travel(at(2, 10, 20), tick=False):
        body = _assess(doctor, visit.consultation_id, findings=[{"condition": "active_acne"}]).json()
        assert body["outcome"] == "deferred" and body["deferred_until"] == "2027-05-31"
        assert body["contraindications"] == ["active_acne"]
        refused = desk.post(
            "/api/v1/series/proposals/",
            {"consultation": visit.consultation_id, "location": clinic["location"].pk},
            format="json",
        )
        assert refused.status_code == 400 and "eligible" in refused.json()["detail"]


def test_a_provider_cannot_overrule_a_block_but_may_be_stricter(visit, doctor):
    with time_machine.travel(at(2, 10, 20), tick=False):
        lenient = _assess(doctor, visit.consultation_id, findings=[{"condition": "rosacea"}], outcome="eligible")
        assert lenient.status_code == 400 and "outcome" in lenient.json()["fields"]
        strict = _assess(doctor, visit.consultation_id, outcome="not_eligible")
        assert strict.status_code == 200 and strict.json()["outcome"] == "not_eligible"
        assert _assess(doctor, visit.consultation_id).status_code == 409, "assessed once"


def test_fitzpatrick_v_needs_a_providers_acknowledgement_before_planning(visit, clinic, doctor, desk):
    with time_machine.travel(at(2, 10, 20), tick=False):
        body = _assess(doctor, visit.consultation_id, fitzpatrick_type=5).json()
        assert body["outcome"] == "eligible" and body["hyperpigmentation_caution"] is True and body["caution_pending"]
        propose = {"consultation": visit.consultation_id, "location": clinic["location"].pk}
        refused = desk.post("/api/v1/series/proposals/", propose, format="json")
        assert refused.status_code == 400 and "acknowledge" in refused.json()["detail"]
        assert desk.post(f"/api/v1/consultations/{visit.consultation_id}/acknowledge-caution/").status_code == 403
        acknowledged = doctor.post(f"/api/v1/consultations/{visit.consultation_id}/acknowledge-caution/")
        assert acknowledged.status_code == 200 and acknowledged.json()["caution_pending"] is False
        assert desk.post("/api/v1/series/proposals/", propose, format="json").status_code == 200


def test_rules_are_data_the_clinic_admin_edits(visit, admin, doctor):
    rule = ScreeningRule.objects.get(condition="eczema")
    assert (
        admin.patch(f"/api/v1/screening-rules/{rule.pk}/", {"block_outcome": "not_eligible"}, format="json").status_code
        == 200
    )
    with time_machine.travel(at(2, 10, 20), tick=False):
        assert (
            _assess(doctor, visit.consultation_id, findings=[{"condition": "eczema"}]).json()["outcome"]
            == "not_eligible"
        )


def test_a_consultation_older_than_the_protocol_allows_cannot_start_a_series(visit, clinic, doctor, desk):
    with time_machine.travel(at(2, 10, 20), tick=False):
        _assess(doctor, visit.consultation_id)
    with time_machine.travel(at(2, 10) + timedelta(days=181), tick=False):
        refused = desk.post(
            "/api/v1/series/proposals/",
            {"consultation": visit.consultation_id, "location": clinic["location"].pk},
            format="json",
        )
    assert refused.status_code == 400 and "older than 180 days" in refused.json()["detail"]
