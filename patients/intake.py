"""What a patient's health answers suggest to the provider, and how one answer is read.
Pure: no queries; callers pass the questions with their suggestions prefetched."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .models import IntakeAnswer, IntakeQuestion

AnswerType = IntakeQuestion.AnswerType
YES, NO = "yes", "no"
MAX_TEXT = 2000


@dataclass(frozen=True)
class SuggestedFinding:
    """A screening finding the answers suggest; the provider confirms it or not."""

    condition: str
    label: str
    last_present_on: date | None
    because: str


def intake_answer_read(question: IntakeQuestion, raw: str, *, today: date) -> str:
    """The answer as stored ("" for none), or ValueError with a sentence the patient reads."""
    value = (raw or "").strip()
    if not value:
        return ""
    if "\x00" in value:
        raise ValueError("This answer holds a character that cannot be kept; please type it again.")
    if question.answer_type == AnswerType.YES_NO:
        if value not in (YES, NO):
            raise ValueError("Choose yes or no.")
    elif question.answer_type == AnswerType.CHOICE:
        if value not in question.choices:
            raise ValueError("Choose one of the answers listed.")
    elif question.answer_type == AnswerType.DATE:
        try:
            when = date.fromisoformat(value)
        except ValueError as error:
            raise ValueError("Give the date as day, month and year.") from error
        if when > today:
            raise ValueError("The date cannot be in the future.")
        if when.year < 1900:
            raise ValueError("Give a date after 1900.")
        value = when.isoformat()
    elif len(value) > MAX_TEXT:
        raise ValueError(f"Please keep this under {MAX_TEXT} characters.")
    return value


def answer_words(question: IntakeQuestion, value: str) -> str:
    """An answer as a person reads it."""
    if not value:
        return "Not answered"
    if question.answer_type == AnswerType.YES_NO:
        return "Yes" if value == YES else "No"
    if question.answer_type == AnswerType.DATE:
        return f"{date.fromisoformat(value):%d %b %Y}"
    return value


def intake_suggested_findings(answers: Iterable[IntakeAnswer]) -> list[SuggestedFinding]:
    """The active screening rules the answers point to, once each (the latest date when
    two answers point to the same rule)."""
    found: dict[str, SuggestedFinding] = {}
    for answer in answers:
        question = answer.question
        if not answer.answer:
            continue
        for suggestion in question.suggestions.all():
            rule = suggestion.rule
            if not rule.is_active:
                continue
            is_date = question.answer_type == AnswerType.DATE
            if not is_date and suggestion.answer != answer.answer:
                continue
            when = date.fromisoformat(answer.answer) if is_date else None
            earlier = found.get(rule.condition)
            if earlier and earlier.last_present_on and when and earlier.last_present_on >= when:
                continue
            found[rule.condition] = SuggestedFinding(
                condition=rule.condition, label=rule.label, last_present_on=when,
                because=f"{answer.question_text} {answer_words(question, answer.answer)}",
            )
    return list(found.values())
