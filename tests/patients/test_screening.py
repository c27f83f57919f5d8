"""Screening evaluated directly: rules are plain objects, no database."""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from clinic.errors import InvalidRequest
from patients.screening import (
    FITZPATRICK_CONDITION,
    HYPERPIGMENTATION_LABEL,
    Finding,
    assessment_outcome,
    consultation_cautions_open,
    screening_evaluate,
)

TODAY = date(2027, 3, 2)


def rule(condition, effect="block", block_outcome="deferred", lookback_days=None, defer_days=None, label=None):
    return SimpleNamespace(
        condition=condition, label=label or condition.replace("_", " ").capitalize(), effect=effect,
        block_outcome=block_outcome if effect == "block" else "", lookback_days=lookback_days, defer_days=defer_days,
    )


RULES = [
    rule("active_acne", defer_days=28),
    rule("cold_sores", defer_days=14),
    rule("rosacea", block_outcome="not_eligible"),
    rule("isotretinoin", lookback_days=183),
    rule("blood_thinners", effect="caution", label="Takes blood thinners"),
    rule(FITZPATRICK_CONDITION, effect="caution", label=HYPERPIGMENTATION_LABEL),
]


def evaluate(*findings, on=TODAY):
    return screening_evaluate(rules=RULES, findings=list(findings), assessed_on=on)


def test_no_findings_is_eligible_with_nothing_to_acknowledge():
    result = evaluate()
    assert (result.outcome, result.deferred_until, result.matches) == ("eligible", None, [])


def test_a_deferring_rule_defers_until_its_days_after_the_assessment():
    result = evaluate(Finding("active_acne"))
    assert result.outcome == "deferred"
    assert result.deferred_until == TODAY + timedelta(days=28)
    assert result.matches[0]["until"] == (TODAY + timedelta(days=28)).isoformat()


def test_two_deferrals_defer_until_the_later_date():
    result = evaluate(Finding("cold_sores"), Finding("active_acne"))
    assert result.deferred_until == TODAY + timedelta(days=28)


def test_not_eligible_wins_over_a_deferral_and_has_no_date():
    result = evaluate(Finding("active_acne"), Finding("rosacea"))
    assert (result.outcome, result.deferred_until) == ("not_eligible", None)
    assert result.blocking_labels == ["Active acne", "Rosacea"]


def test_a_look_back_rule_applies_only_inside_its_window():
    inside = evaluate(Finding("isotretinoin", TODAY - timedelta(days=182)))
    assert inside.outcome == "deferred" and inside.deferred_until == TODAY + timedelta(days=1)
    outside = evaluate(Finding("isotretinoin", TODAY - timedelta(days=183)))
    assert (outside.outcome, outside.matches) == ("eligible", [])


def test_a_look_back_rule_needs_the_date_and_not_one_after_the_visit():
    with pytest.raises(InvalidRequest, match="give the date it was last present"):
        evaluate(Finding("isotretinoin"))
    with pytest.raises(InvalidRequest, match="cannot be after the consultation"):
        evaluate(Finding("isotretinoin", TODAY + timedelta(days=1)))


def test_a_caution_keeps_the_patient_eligible_and_is_listed():
    result = evaluate(Finding("blood_thinners"))
    assert result.outcome == "eligible"
    assert [m["label"] for m in result.cautions] == ["Takes blood thinners"]


def test_every_problem_is_reported_with_the_first_as_the_message():
    with pytest.raises(InvalidRequest) as refused:
        evaluate(Finding("sunburn"), Finding("active_acne"), Finding("active_acne"))
    assert refused.value.message.startswith("Unknown condition 'sunburn'")
    assert refused.value.details["findings"][1] == "'active_acne' is listed twice."


def test_a_provider_may_be_stricter_than_screening_never_more_lenient():
    deferred = evaluate(Finding("active_acne"))
    assert assessment_outcome(screening=deferred, chosen="not_eligible", chosen_until=None,
                              assessed_on=TODAY) == ("not_eligible", None)
    with pytest.raises(InvalidRequest, match="cannot be eligible"):
        assessment_outcome(screening=deferred, chosen="eligible", chosen_until=None, assessed_on=TODAY)


def test_a_chosen_deferral_needs_a_date_after_today_and_not_before_screenings():
    deferred = evaluate(Finding("active_acne"))
    screening_date = TODAY + timedelta(days=28)
    assert assessment_outcome(screening=deferred, chosen=None, chosen_until=None,
                              assessed_on=TODAY) == ("deferred", screening_date)
    later = screening_date + timedelta(days=7)
    assert assessment_outcome(screening=deferred, chosen=None, chosen_until=later,
                              assessed_on=TODAY) == ("deferred", later)
    with pytest.raises(InvalidRequest, match="at least"):
        assessment_outcome(screening=deferred, chosen=None, chosen_until=TODAY + timedelta(days=3), assessed_on=TODAY)
    eligible = evaluate()
    with pytest.raises(InvalidRequest, match="after today"):
        assessment_outcome(screening=eligible, chosen="deferred", chosen_until=TODAY, assessed_on=TODAY)
    with pytest.raises(InvalidRequest, match="Give the date"):
        assessment_outcome(screening=eligible, chosen="deferred", chosen_until=None, assessed_on=TODAY)


def test_open_cautions_are_gone_once_acknowledged():
    consultation = SimpleNamespace(
        caution_acknowledged_at=None, hyperpigmentation_caution=False,
        screening=[{"label": "Takes blood thinners", "effect": "caution"}, {"label": "Acne", "effect": "block"}],
    )
    assert consultation_cautions_open(consultation) == ["Takes blood thinners"]
    consultation.caution_acknowledged_at = TODAY
    assert consultation_cautions_open(consultation) == []


def test_dark_skin_recorded_without_its_rule_still_needs_acknowledging():
    consultation = SimpleNamespace(caution_acknowledged_at=None, hyperpigmentation_caution=True, screening=[])
    assert consultation_cautions_open(consultation) == [HYPERPIGMENTATION_LABEL]
