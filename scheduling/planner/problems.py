"""Plain-English explanations for the front desk when something cannot be planned."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

# Reason keys, in the order constraints are checked (and phrases are listed).
REASONS: dict[str, str] = {
    "outside_horizon": "outside the period being planned",
    "outside_preferred_days": "not one of the patient's preferred days",
    "closed": "the clinic is closed",
    "outside_preferred_hours": "nothing within the patient's preferred hours",
    "no_provider_working": "no provider working",
    "provider_time_off": "provider time off",
    "providers_fully_booked": "providers fully booked",
    "no_room_free": "no room free",
    "patient_busy": "the patient is busy",
    "no_healing_check": "no room for the healing check after it",
    "no_review": "no room for the review after it",
    "interval": "too soon or too late after the previous visit",
    "off_grid": "not on the slot grid (a single requested time only)",
}


def days_text(lo: int, hi: int) -> str:
    """'1 day', '3 days', '3-7 days'."""
    if lo == hi:
        return f"{lo} day" if lo == 1 else f"{lo} days"
    return f"{lo}-{hi} days"


def day_label(day: date, with_year: bool = False) -> str:
    """'Fri 12 Mar', or 'Fri 12 Mar 2027'."""
    text = f"{day:%a} {day.day} {day:%b}"
    return f"{text} {day.year}" if with_year else text


def range_label(start: date, end: date) -> str:
    if start == end:
        return f"on {day_label(start, True)}"
    return f"between {day_label(start, start.year != end.year)} and {day_label(end, True)}"


def _days_phrases(reason: str, provider: str | None, context: Mapping[str, str]) -> str:
    """A clause with a {days} hole, e.g. 'the clinic is closed on {days}'."""
    who = provider
    phrases = {
        "outside_horizon": "{days} {are} outside the period being planned",
        "outside_preferred_days": "{days} {are} not among the patient's preferred days",
        "closed": "the clinic is closed on {days}",
        "outside_preferred_hours": "nothing is free within the patient's preferred hours on {days}",
        "no_provider_working": (f"{who} does not work" if who else "no provider works") + " on {days}",
        "provider_time_off": (f"{who} is on time off" if who else "the providers working are on time off")
        + " on {days}",
        "providers_fully_booked": (f"{who} is fully booked" if who else "every provider is fully booked")
        + " on {days}",
        "no_room_free": "no room is free while a provider is on {days}",
        "patient_busy": "the patient already has appointments at every free time on {days}",
        "no_healing_check": "the healing check " + context.get("healing", "after it")
        + " could not be fitted in after {days}",
        "no_review": "the review " + context.get("review", "after it") + " could not be fitted in after {days}",
        "interval": "{days} {are} " + context.get("interval", "too soon or too late after the previous visit"),
    }
    return phrases[reason]


def explain_days(label: str, start: date, end: date, reasons: Mapping[str, int],
                 provider: str | None = None, context: Mapping[str, str] | None = None) -> str:
    """'Session 3 could not be placed between Fri 12 Mar and Fri 26 Mar 2027: the clinic
    is closed on 4 of those days, and every provider is fully booked on the other 11.'"""
    context = context or {}
    items = [(key, reasons[key]) for key in REASONS if reasons.get(key)]
    total = sum(count for _, count in items)
    clauses: list[str] = []
    for i, (key, count) in enumerate(items):
        plural = count != 1
        if total == 1:
            days = "that day"
            plural = False
        elif len(items) == 1:
            days = f"all {count} of those days" if count > 2 else "both of those days"
        elif i == 0:
            days = f"{count} of those days" if plural else "one of those days"
        elif i == len(items) - 1:
            days = f"the other {count}" if plural else "the other one"
        else:
            days = str(count) if plural else "one"
        clause = _days_phrases(key, provider, context).replace("{are}", "are" if plural else "is")
        clauses.append(clause.replace("{days}", days))  # not format(): names may hold braces
    if len(clauses) > 1:
        body = ", ".join(clauses[:-1]) + ", and " + clauses[-1]
    else:
        body = clauses[0] if clauses else "no day in that range works"
    return f"{label} could not be placed {range_label(start, end)}: {body}."


SLOT_PHRASES: dict[str, str] = {
    "outside_horizon": "that is outside the period being planned",
    "outside_preferred_days": "that is not one of the patient's preferred days",
    "closed": "the clinic is closed then (or closes before the visit would end)",
    "outside_preferred_hours": "that is outside the patient's preferred hours",
    "no_provider_working": "{who} {does} not work then",
    "provider_time_off": "{who} {is} on time off then",
    "providers_fully_booked": "{who} {is} already booked then",
    "no_room_free": "no room is free then",
    "patient_busy": "the patient already has an appointment then",
    "off_grid": "bookings start on the {slot}-minute grid",
    "no_healing_check": "its healing check {healing} could not be fitted in",
    "no_review": "the review {review} could not be fitted in",
}


def explain_slot(label: str, when: str, reason: str, provider: str | None,
                 context: Mapping[str, str] | None = None) -> str:
    """'Session 2 cannot move to Tue 16 Mar 2027 at 10:00: Dr Lee is already booked then.'"""
    context = dict(context or {})
    who = provider or "no provider"
    phrase = SLOT_PHRASES[reason]
    if provider:
        phrase = phrase.replace("{does}", "does").replace("{is}", "is")
    else:
        phrase = (phrase.replace("{who} {does} not work", "no provider works")
                  .replace("{who} {is} on time off", "every provider who works then is on time off")
                  .replace("{who} {is} already booked", "every provider is already booked"))
    phrase = phrase.replace("{who}", who)
    for key, value in context.items():
        phrase = phrase.replace("{" + key + "}", value)
    return f"{label} cannot move to {when}: {phrase}."
