"""The clinic's health questions as it edits them (the admin calls these): each change
checked and audited. A question already answered is kept (answers hold its words as the
patient read them); it can be switched off instead of deleted."""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.deletion import ProtectedError

from clinic.audit import audit_changes, audit_record
from clinic.errors import Conflict, InvalidRequest

from .models import IntakeQuestion, IntakeSuggestion

AnswerType = IntakeQuestion.AnswerType


def _question_errors(question: IntakeQuestion) -> dict[str, list[str]]:
    choices = question.choices
    if question.answer_type == AnswerType.CHOICE:
        if not isinstance(choices, list) or len(choices) < 2 or not all(isinstance(c, str) and c.strip()
                                                                         for c in choices):
            return {"choices": ['List at least two answers, e.g. ["Little or none", "Sunburnt now"].']}
        if len(set(choices)) != len(choices):
            return {"choices": ["Each answer may be listed once."]}
    elif choices:
        return {"choices": ["Only a question answered from a list has choices."]}
    return {}


def _suggestion_errors(suggestion: IntakeSuggestion) -> dict[str, list[str]]:
    question = suggestion.question
    answer = suggestion.answer
    if question.answer_type == AnswerType.YES_NO and answer not in ("yes", "no"):
        return {"answer": ['For a yes-or-no question the answer is "yes" or "no".']}
    if question.answer_type == AnswerType.CHOICE and answer not in question.choices:
        return {"answer": [f"Use one of the question's answers: {', '.join(question.choices)}."]}
    if question.answer_type == AnswerType.DATE and answer:
        return {"answer": ["Leave empty for a date question: any date given suggests the rule."]}
    if question.answer_type == AnswerType.TEXT:
        return {"answer": ["A free-text answer cannot suggest a rule; the provider reads it."]}
    return {}


def _save(obj: models.Model, errors: dict[str, list[str]], what: str) -> models.Model:
    try:
        obj.full_clean()
    except ValidationError as error:
        errors = {**error.message_dict, **errors}
    if errors:
        raise InvalidRequest(f"The {what} is not valid: {next(iter(errors.values()))[0]}", details=errors)
    obj.save()
    return obj


def _audit_fields(obj: models.Model, names) -> dict:
    return {name: getattr(obj, name) for name in names}


@transaction.atomic
def intake_question_create(*, created_by, **fields) -> IntakeQuestion:
    question = IntakeQuestion(**fields)
    _save(question, _question_errors(question), "question")
    audit_record(actor=created_by, action="created", obj=question, changes={"key": question.key})
    return question


@transaction.atomic
def intake_question_update(*, question: IntakeQuestion, updated_by, **changes) -> IntakeQuestion:
    question = IntakeQuestion.objects.select_for_update().get(pk=question.pk)
    before = _audit_fields(question, changes)
    if ("answer_type" in changes and changes["answer_type"] != question.answer_type
            and question.answers.exists()):
        # Answers already given are read by their type (a date, yes or no): they would no
        # longer make sense, to the patient reading them back or to the provider.
        raise InvalidRequest("Patients have answered this question, so its answer type stays; switch it off "
                             "and add a new question instead.", details={"answer_type": ["Already answered."]})
    for name, value in changes.items():
        setattr(question, name, value)
    _save(question, _question_errors(question), "question")
    for suggestion in question.suggestions.select_related("question"):
        errors = _suggestion_errors(suggestion)
        if errors:
            raise InvalidRequest(f"A rule this question suggests no longer fits: {next(iter(errors.values()))[0]}",
                                 details=errors)
    diff = audit_changes(before, _audit_fields(question, changes))
    if diff:
        audit_record(actor=updated_by, action="updated", obj=question, changes=diff)
    return question


@transaction.atomic
def intake_question_delete(*, question: IntakeQuestion, deleted_by) -> None:
    try:
        with transaction.atomic():
            audit_record(actor=deleted_by, action="deleted", obj=question, changes={"key": question.key})
            question.delete()
    except ProtectedError as error:
        raise Conflict("Patients have answered this question; switch it off (not active) instead.") from error


@transaction.atomic
def intake_suggestion_create(*, created_by, **fields) -> IntakeSuggestion:
    suggestion = IntakeSuggestion(**fields)
    _save(suggestion, _suggestion_errors(suggestion), "suggestion")
    audit_record(actor=created_by, action="created", obj=suggestion,
                 changes={"question": suggestion.question.key, "answer": suggestion.answer,
                          "rule": suggestion.rule.condition})
    return suggestion


@transaction.atomic
def intake_suggestion_update(*, suggestion: IntakeSuggestion, updated_by, **changes) -> IntakeSuggestion:
    suggestion = IntakeSuggestion.objects.select_for_update().get(pk=suggestion.pk)
    before = _audit_fields(suggestion, changes)
    for name, value in changes.items():
        setattr(suggestion, name, value)
    _save(suggestion, _suggestion_errors(suggestion), "suggestion")
    diff = audit_changes(before, _audit_fields(suggestion, changes))
    if diff:
        audit_record(actor=updated_by, action="updated", obj=suggestion, changes=diff)
    return suggestion


@transaction.atomic
def intake_suggestion_delete(*, suggestion: IntakeSuggestion, deleted_by) -> None:
    audit_record(actor=deleted_by, action="deleted", obj=suggestion,
                 changes={"question": suggestion.question.key, "rule": suggestion.rule.condition})
    suggestion.delete()
