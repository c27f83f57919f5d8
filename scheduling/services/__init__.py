"""Writes for scheduling, one module per topic. Every change to appointments and series
goes through these functions, inside a transaction; the API, the pages, the admin and
the tasks all call them."""

from .availability import availability_answer, availability_answer_kept, availability_shared, diary_fingerprint
from .booking import appointments_book, conflict_from_integrity_error
from .planning import (
    ReschedulePreview,
    VisitChange,
    appointment_reschedule,
    appointment_reschedule_preview,
    availability_find,
    consultation_book,
    consultation_check_plannable,
    default_protocol,
    hold_release,
    holds_expire,
    maintenance_book,
    maintenance_propose,
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
    series_cancel_remainder,
    series_pause,
    series_resume,
)

__all__ = [
    "ReschedulePreview",
    "VisitChange",
    "appointment_reschedule",
    "appointment_reschedule_preview",
    "appointments_book",
    "availability_answer",
    "availability_answer_kept",
    "availability_find",
    "availability_shared",
    "conflict_from_integrity_error",
    "consultation_book",
    "consultation_check_plannable",
    "default_protocol",
    "diary_fingerprint",
    "hold_release",
    "holds_expire",
    "maintenance_book",
    "maintenance_propose",
    "proposal_sign",
    "proposal_unsign",
    "series_confirm",
    "series_hold",
    "series_propose",
    # visits
    "appointment_cancel",
    "appointment_check_in",
    "appointment_complete",
    "appointment_confirm_by_patient",
    "appointment_mark_no_show",
    "series_cancel_remainder",
    "series_pause",
    "series_resume",
]
