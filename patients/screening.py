"""What the clinic's screening rules make of a provider's findings. Pure: no queries, so
every rule of DOMAIN.md's screening is tested here without a database."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from clinic.errors import InvalidRequest

from .models import Consultation, ScreeningRule

Outcome = Consultation.Outcome
Effect = ScreeningRule.Effect

# The screening rule the patient's skin type answers, rather than a finding staff type in.
FITZPATRICK_CONDITION = "fitzpatrick_iv_vi"
HYPERPIGMENTATION_LABEL = "Hyperpigmentation risk (Fitzpatrick IV-VI)"

# A provider may choose a stricter outcome than screening's, never a more lenient one.
OUTCOME_STRICTNESS = {Outcome.ELIGIBLE: 0, Outcome.DEFERRED: 1, Outcome.NOT_ELIGIBLE: 2}


@dataclass(frozen=True)
class Finding:
    """A condition the provider found, and for look-back rules the date it was last present."""

    condition: str
    last_present_on: date | None = None


@dataclass(frozen=True)
class Screening:
    outcome: str
    deferred_until: date | None
    matches: list[dict] = field(default_factory=list)

    @property
    def cautions(self) -> list[dict]:
        return [m for m in self.matches if m["effect"] == Effect.CAUTION]

    @property
    def blocking_labels(self) -> list[str]:
        return [m["label"] for m in self.matches if m["effect"] == Effect.BLOCK]


def _finding_error(rule: ScreeningRule | None, finding: Finding, known: Iterable[str], assessed_on: date) -> str:
    if rule is None:
        return f"Unknown condition '{finding.condition}'. Known: {', '.join(sorted(known))}."
    if finding.last_present_on and finding.last_present_on > assessed_on:
        return f"{rule.label}: the date it was last present cannot be after the consultation."
    if rule.lookback_days is not None and finding.last_present_on is None:
        return f"{rule.label}: give the date it was last present (the rule looks back {rule.lookback_days} days)."
    return ""


def _deferred_until(rule: ScreeningRule, finding: Finding, assessed_on: date) -> date | None:
    """Until when a blocking rule defers the patient; None for not eligible."""
    if rule.block_outcome == ScreeningRule.BlockOutcome.NOT_ELIGIBLE:
        return None
    if rule.lookback_days is not None:
        return finding.last_present_on + timedelta(days=rule.lookback_days)
    return assessed_on + timedelta(days=rule.defer_days or 0)


def screening_evaluate(*, rules: Iterable[ScreeningRule], findings: Sequence[Finding], assessed_on: date) -> Screening:
    """What the clinic's rules make of these findings.

    A block rule makes the outcome deferred (until its date) or not eligible; a caution
    rule needs a provider's acknowledgement; a look-back rule applies only when the
    condition was present within its window before the assessment."""
    by_condition = {rule.condition: rule for rule in rules}
    errors: list[str] = []
    seen: set[str] = set()
    matches: list[dict] = []
    outcome = Outcome.ELIGIBLE
    deferred_until: date | None = None
    for finding in findings:
        if finding.condition in seen:
            errors.append(f"'{finding.condition}' is listed twice.")
            continue
        seen.add(finding.condition)
        rule = by_condition.get(finding.condition)
        error = _finding_error(rule, finding, by_condition, assessed_on)
        if error:
            errors.append(error)
            continue
        lookback = rule.lookback_days
        if lookback is not None and finding.last_present_on + timedelta(days=lookback) <= assessed_on:
            continue  # outside the look-back window: recorded by the provider, no effect
        match = {
            "condition": rule.condition,
            "label": rule.label,
            "effect": rule.effect,
            "outcome": rule.block_outcome or None,
            "last_present_on": finding.last_present_on.isoformat() if finding.last_present_on else None,
        }
        if rule.effect == Effect.BLOCK:
            until = _deferred_until(rule, finding, assessed_on)
            if until is None:
                outcome = Outcome.NOT_ELIGIBLE
            else:
                deferred_until = max(deferred_until or until, until)
                if outcome == Outcome.ELIGIBLE:
                    outcome = Outcome.DEFERRED
            match["until"] = until.isoformat() if until else None
        matches.append(match)
    if errors:
        raise InvalidRequest(errors[0], details={"findings": errors})
    if outcome == Outcome.NOT_ELIGIBLE:
        deferred_until = None
    return Screening(outcome=outcome, deferred_until=deferred_until, matches=matches)


def assessment_outcome(
    *, screening: Screening, chosen: str | None, chosen_until: date | None, assessed_on: date
) -> tuple[str, date | None]:
    """The outcome a provider records and its re-consult date: screening's, or a stricter
    one the provider chose; a deferral needs a date after today, and not before the date
    screening found."""
    final, final_until = screening.outcome, screening.deferred_until
    if chosen is not None:
        if OUTCOME_STRICTNESS.get(chosen) is None:
            raise InvalidRequest(
                "Choose eligible, deferred or not eligible.", details={"outcome": ["Not a valid outcome."]}
            )
        if OUTCOME_STRICTNESS[chosen] < OUTCOME_STRICTNESS[screening.outcome]:
            blocking = ", ".join(screening.blocking_labels)
            least = Outcome(screening.outcome).label.lower()
            raise InvalidRequest(
                f"Screening found {blocking}, so the outcome cannot be {Outcome(chosen).label.lower()}.",
                details={"outcome": [f"At least {least} because of: {blocking}."]},
            )
        final = chosen
    if final != Outcome.DEFERRED:
        return final, None
    if chosen_until is None:
        if final_until is None:
            raise InvalidRequest(
                "Give the date to re-consult after.",
                details={"deferred_until": ["Required when the outcome is deferred."]},
            )
        return final, final_until
    if chosen_until <= assessed_on:
        raise InvalidRequest(
            "A deferral needs a re-consult date after today.", details={"deferred_until": ["Must be after today."]}
        )
    if final_until is not None and chosen_until < final_until:
        raise InvalidRequest(
            f"Screening defers this patient until at least {final_until:%d %b %Y}.",
            details={"deferred_until": [f"On or after {final_until.isoformat()}."]},
        )
    return final, chosen_until


# What the desk is told about an open caution: that one is open, never which (the labels,
# "Takes blood thinners", are health facts for providers and clinic admins only).
CAUTION_PENDING_MESSAGE = "A provider must acknowledge a caution on this consultation before a series is planned."


def consultation_cautions_open(consultation: Consultation) -> list[str]:
    """Cautions a provider has not yet acknowledged (labels), empty when none."""
    if consultation.caution_acknowledged_at is not None:
        return []
    labels = [m["label"] for m in consultation.screening if m.get("effect") == Effect.CAUTION]
    if consultation.hyperpigmentation_caution and not labels:
        labels = [HYPERPIGMENTATION_LABEL]
    return labels
