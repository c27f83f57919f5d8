"""The treatment protocol's numbers and the message templates' words, as clinic admins
edit them on the set-up pages. Series already booked keep their visits; the planner
reads the new numbers for every plan and move after the change."""

from django.core.exceptions import ValidationError
from django.db import transaction

from clinic.audit import audit_changes, audit_record
from clinic.errors import InvalidRequest

from ..models import MessageTemplate, TreatmentProtocol
from ..reminders.template_checks import TEMPLATE_FIELDS, template_problems

# Each of the protocol's database checks, as the sentence the set-up page also states.
PROTOCOL_RULES = {
    "protocol_sessions_3_to_6": "The fewest sessions must be at least 3, the usual number between the fewest and "
                                "the most, and the most at most 6.",
    "protocol_min_target_max_interval": "The gaps between sessions must read shortest \u2264 target \u2264 longest, "
                                        "with the shortest at least 1 day.",
    "protocol_healing_check_window": "A healing check comes after its session and before the next one: its "
                                     "earliest day at least 1, not after its latest day, and its latest day "
                                     "before the shortest gap between sessions.",
    "protocol_review_window": "The review's earliest day must be at least 1 and not after its latest day.",
    "protocol_maintenance_window": "Maintenance's earliest day must be at least 1 and not after its latest day.",
    "protocol_treatment_at_most_60_minutes": "Treatment time must be between 5 and 60 minutes.",
    "protocol_numbing_at_most_90_minutes": "Numbing can take at most 90 minutes.",
    "protocol_consultation_minutes": "A consultation must be at least 5 minutes.",
}


def _protocol_errors(error: ValidationError) -> dict[str, list[str]]:
    details = {}
    for name, messages in error.message_dict.items():
        details[name] = [next((text for rule, text in PROTOCOL_RULES.items() if rule in message), message)
                         for message in messages]
    return details


@transaction.atomic
def protocol_update(*, protocol: TreatmentProtocol, updated_by, **changes) -> TreatmentProtocol:
    """Change the protocol's numbers and words; audited as old and new values."""
    protocol = TreatmentProtocol.objects.select_for_update().get(pk=protocol.pk)
    before = {name: getattr(protocol, name) for name in changes}
    for name, value in changes.items():
        setattr(protocol, name, value)
    try:
        protocol.full_clean()
    except ValidationError as error:
        details = _protocol_errors(error)
        first = next(iter(details.values()))[0]
        raise InvalidRequest(f"The protocol was not saved: {first}", details=details) from error
    protocol.save()
    diff = audit_changes(before, {name: getattr(protocol, name) for name in changes})
    if diff:
        audit_record(actor=updated_by, action="updated", obj=protocol, changes=diff)
    return protocol


@transaction.atomic
def message_template_update(*, template: MessageTemplate, updated_by, **changes) -> MessageTemplate:
    """New words for one kind of message, checked as they will be rendered; audited."""
    template = MessageTemplate.objects.select_for_update().get(pk=template.pk)
    problems = {}
    for name, value in changes.items():
        if name not in TEMPLATE_FIELDS:
            raise InvalidRequest(f"A message template has no part called {name}.")
        found = template_problems(value, kind=template.kind, field=name)
        if found:
            problems[name] = found
    if problems:
        first = next(iter(problems.values()))[0]
        raise InvalidRequest(f"The template was not saved: {first}", details=problems)
    before = {name: getattr(template, name) for name in changes}
    for name, value in changes.items():
        setattr(template, name, value)
    template.save()
    diff = audit_changes(before, {name: getattr(template, name) for name in changes})
    if diff:
        audit_record(actor=updated_by, action="updated", obj=template, changes=diff)
    return template
