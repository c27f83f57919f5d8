"""Writes for scheduling, one module per topic. Every change to visits and series goes
through these functions, inside a transaction; the API, the pages, the admin and the
tasks all call them.

- booking: the single write path (checks, per-location lock, book + audit + reminders)
- availability: free times, the one entry point for every availability question
- consultations: book a consultation, record its assessment, may a series start from it
- series: propose, the proposal token, hold, confirm, release
- reschedule: move a visit, with the cascade through its series
- maintenance: maintenance visits after a series
- waitlist_offers: book the slot a waitlist offer named
- visits: what happens on the day (cancel, check in, complete, no-show, confirm) and a
  series paused, resumed or cut short

They bring reminders (scheduling.reminders) and the waitlist (scheduling.waitlist) in
line as they write; those never call back into these services."""

from .availability import availability_answer, availability_answer_kept, availability_find, availability_slot_at
from .booking import VisitSpec, conflict_from_integrity_error, visits_book
from .consultations import consultation_assess, consultation_book, consultation_check_plannable
from .maintenance import maintenance_book, maintenance_propose
from .reschedule import ReschedulePreview, VisitChange, appointment_reschedule, appointment_reschedule_preview
from .series import (
    hold_release,
    proposal_read,
    proposal_sign,
    proposal_unsign,
    series_confirm,
    series_hold,
    series_propose,
)
from .visits import (
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
    appointment_confirm_by_patient,
    appointment_mark_no_show,
    appointment_record_amend,
    series_cancel_remainder,
    series_pause,
    series_resume,
)
from .waitlist_offers import waitlist_offer_book, waitlist_offer_latest

__all__ = [
    "ReschedulePreview",
    "VisitChange",
    "VisitSpec",
    "appointment_cancel",
    "appointment_check_in",
    "appointment_complete",
    "appointment_confirm_by_patient",
    "appointment_mark_no_show",
    "appointment_record_amend",
    "appointment_reschedule",
    "appointment_reschedule_preview",
    "availability_answer",
    "availability_answer_kept",
    "availability_find",
    "availability_slot_at",
    "conflict_from_integrity_error",
    "consultation_assess",
    "consultation_book",
    "consultation_check_plannable",
    "hold_release",
    "maintenance_book",
    "maintenance_propose",
    "proposal_read",
    "proposal_sign",
    "proposal_unsign",
    "series_cancel_remainder",
    "series_confirm",
    "series_hold",
    "series_pause",
    "series_propose",
    "series_resume",
    "visits_book",
    "waitlist_offer_book",
    "waitlist_offer_latest",
]
